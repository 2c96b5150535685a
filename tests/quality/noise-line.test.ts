/**
 * estimateNoiseLine: the variance of row sums as readVar + invGain·max(level, 0), from the data alone (issue 9:
 * intensified / EM cameras, background-corrected frames with negative counts, no dark).
 */
import { describe, expect, it } from 'vitest';
import { estimateNoiseLine } from '../../src/quality/noise';
import { Rng } from '../../src/sim/rng';

/** nFrames × n row sums: a smooth level from `low` to `high` (negative allowed), normal noise of the given line. */
function rowSums(rng: Rng, nFrames: number, n: number, low: number, high: number, readVar: number, invGain: number) {
  const response = Float64Array.from({ length: n }, (_v, k) => 1 + 0.5 * Math.sin(k / 40));
  const signal = new Float64Array(nFrames * n);
  for (let f = 0; f < nFrames; f++) {
    for (let k = 0; k < n; k++) {
      // a level that follows the response, as a thermal spectrum's counts do
      const level = response[k] * (low + ((high - low) * k) / (n - 1)) * (0.5 + f / nFrames);
      signal[f * n + k] = level + Math.sqrt(readVar + invGain * Math.max(level, 0)) * rng.normal();
    }
  }
  return { signal, response };
}

describe('noise line from the data', () => {
  it('recovers floor and slope (8 frames of 700 pixels; the floor is 4 % of the top variance)', () => {
    const { signal, response } = rowSums(new Rng(3), 8, 700, 0, 20000, 400, 0.5);
    const line = estimateNoiseLine(signal, 8, response)!;
    expect(line.invGain).toBeGreaterThan(0.44);
    expect(line.invGain).toBeLessThan(0.56);
    expect(line.readVar).toBeGreaterThan(150);
    expect(line.readVar).toBeLessThan(700);
  });

  it('weak, background-corrected (levels −60…300, many negative): σ is the floor at every level', () => {
    const { signal, response } = rowSums(new Rng(8), 1, 640, -60, 300, 38 * 38, 0);
    const line = estimateNoiseLine(signal, 1, response)!;
    // the σ the line gives over the data's levels (0…450 after the response) is the floor's 38 counts
    for (const level of [0, 150, 300]) {
      const sigma = Math.sqrt(line.readVar + line.invGain * level);
      expect(sigma).toBeGreaterThan(38 * 0.85);
      expect(sigma).toBeLessThan(38 * 1.15);
    }
  });

  it('a known term is held fixed, the other fitted', () => {
    const { signal, response } = rowSums(new Rng(5), 8, 700, 0, 20000, 400, 0.5);
    const withGain = estimateNoiseLine(signal, 8, response, { fixedInvGain: 0.5 })!;
    expect(withGain.invGain).toBe(0.5);
    expect(withGain.readVar).toBeGreaterThan(150);
    expect(withGain.readVar).toBeLessThan(700);
    const withFloor = estimateNoiseLine(signal, 8, response, { fixedReadVar: 400 })!;
    expect(withFloor.readVar).toBe(400);
    expect(withFloor.invGain).toBeGreaterThan(0.44);
    expect(withFloor.invGain).toBeLessThan(0.56);
  });

  it('too few pixels: null', () => {
    expect(estimateNoiseLine(new Float64Array(20).fill(100), 1, new Float64Array(20).fill(1))).toBeNull();
  });
});
