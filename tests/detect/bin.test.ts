import { describe, expect, it } from 'vitest';
import { OpenBin } from '../../src/detect/bin';
import { Rng } from '../../src/sim/rng';

/** The bin's point computed from its frames directly: mean power, weighted mean temperature (≤ 2 frames) or the
 * median of the sorted temperatures, weight Σw × min(1, 0.637 + 0.36/k). */
function expected(P: number[], T: number[], W: number[]) {
  const k = P.length;
  const weightSum = W.reduce((a, b) => a + b, 0);
  const power = P.reduce((a, b) => a + b, 0) / k;
  if (k <= 2) {
    const temperature = W.reduce((a, w, i) => a + w * T[i], 0) / weightSum;
    return { power, temperature, weight: weightSum, frames: k };
  }
  const sorted = [...T].sort((a, b) => a - b);
  const h = k >> 1;
  const median = k % 2 ? sorted[h] : 0.5 * (sorted[h - 1] + sorted[h]);
  return { power, temperature: median, weight: weightSum * Math.min(1, 0.637 + 0.36 / k), frames: k };
}

describe('OpenBin (the open bin of dense frames)', () => {
  it('one and two frames: the weighted mean temperature', () => {
    const bin = new OpenBin();
    bin.open(10.02, 10.0, 2000, 1);
    expect(bin.summary()).toEqual({ power: 10.0, temperature: 2000, weight: 1, frames: 1 });
    bin.add(10.1, 2010, 3);
    const s = bin.summary();
    expect(s.power).toBeCloseTo(10.05, 12);
    expect(s.temperature).toBeCloseTo((2000 + 3 * 2010) / 4, 9);
    expect(s.weight).toBe(4);
    expect(bin.start).toBe(10.02);
  });

  it('three or more frames: the median, robust to an outlier frame, with the median efficiency in the weight', () => {
    const bin = new OpenBin();
    bin.open(5, 5, 1500, 1);
    bin.add(5, 1502, 1);
    bin.add(5, 1900, 1); // a failed fit
    const s = bin.summary();
    expect(s.temperature).toBe(1502);
    expect(s.weight).toBeCloseTo(3 * (0.637 + 0.36 / 3), 12);
  });

  it('summaries while frames keep arriving (re-analyses at 64, 256, … frames) and after the column grows past 256 frames equal the direct computation', () => {
    const rng = new Rng(5);
    const bin = new OpenBin();
    const P: number[] = [];
    const T: number[] = [];
    const W: number[] = [];
    for (let i = 0; i < 700; i++) {
      const p = 20 + 0.05 * rng.normal();
      const t = 2100 + Math.round(10 * rng.normal()) / 2; // ties
      const w = 1 + (i % 3);
      if (i === 0) {
        bin.open(p, p, t, w);
      } else {
        bin.add(p, t, w);
      }
      P.push(p);
      T.push(t);
      W.push(w);
      if ([1, 2, 3, 4, 64, 255, 256, 257, 400, 699].includes(i)) {
        // the selection reorders the bin's temperatures in place: later medians must not depend on it
        const s = bin.summary();
        const e = expected(P, T, W);
        expect(s.frames).toBe(e.frames);
        expect(s.temperature).toBe(e.temperature);
        expect(s.power).toBeCloseTo(e.power, 10);
        expect(s.weight).toBeCloseTo(e.weight, 9);
      }
    }
  });

  it('open() starts afresh', () => {
    const bin = new OpenBin();
    bin.open(1, 1, 1000, 1);
    bin.add(1, 3000, 1);
    bin.add(1, 3000, 1);
    bin.open(2, 2, 1200, 2);
    expect(bin.summary()).toEqual({ power: 2, temperature: 1200, weight: 2, frames: 1 });
  });
});
