import { describe, expect, it } from 'vitest';
import { fullScaleOf, maskCosmics } from '../../src/quality/flags';
import { estimateGain, estimateReadNoise } from '../../src/quality/noise';
import { Rng } from '../../src/sim/rng';

describe('full scale', () => {
  it('per data type', () => {
    expect(fullScaleOf('uint16')).toBe(65535);
    expect(fullScaleOf('int32')).toBe(2 ** 31 - 1);
    expect(fullScaleOf('uint8')).toBe(255);
    expect(fullScaleOf('float32')).toBe(Infinity);
  });
});

describe('cosmic spikes', () => {
  it('masks 1–3 pixel spikes (and one pixel around), not the noise, also at the band edges', () => {
    const rng = new Rng(4);
    const n = 400;
    const s = new Float64Array(n).map((_, i) => 5000 * Math.exp(-(((i - 200) / 150) ** 2)) + 70 * rng.normal());
    const sigma = new Float64Array(n).fill(70);
    s[50] += 3000; // single pixel
    s[120] += 5000;
    s[121] += 2000;
    s[122] += 1500; // three pixels
    s[398] += 4000; // at the edge
    const m = new Uint8Array(n);
    const found = maskCosmics(s, sigma, m);
    expect(found).toBeGreaterThanOrEqual(3);
    for (const k of [49, 50, 51, 119, 120, 121, 122, 123, 397, 398, 399]) {
      expect(m[k]).toBe(1);
    }
    const masked = Array.from(m).reduce((a, b) => a + b, 0);
    expect(masked).toBeLessThanOrEqual(12);
    // pure noise: nothing
    const clean = new Float64Array(n).map(() => 1000 + 70 * rng.normal());
    expect(maskCosmics(clean, sigma, new Uint8Array(n))).toBe(0);
  });
});

describe('noise estimates', () => {
  it('read noise from several dark frames and from one', () => {
    const rng = new Rng(9);
    const frames = Array.from({ length: 6 }, () =>
      new Float64Array(3 * 500).map((_, i) => 600 + (i % 7) * 3 + 5 * rng.normal()),
    );
    expect(estimateReadNoise(frames, 500, 3)!).toBeCloseTo(5, 0);
    expect(Math.abs(estimateReadNoise(frames, 500, 3)! - 5)).toBeLessThan(0.25);
    const one = [new Float64Array(3 * 500).map(() => 600 + 5 * rng.normal())];
    expect(Math.abs(estimateReadNoise(one, 500, 3)! - 5)).toBeLessThan(0.4);
  });
  it('gain from the shot noise of smooth spectra seen through a rippled response', () => {
    const rng = new Rng(10);
    const n = 600;
    const gain = 2.5;
    const rn = 4;
    const rows = 2;
    const resp = new Float64Array(n).map(
      (_, i) => 0.5 + 0.5 * Math.exp(-(((i - 300) / 200) ** 2)) * (1 + 0.05 * Math.sin(i)),
    );
    const frames = 10;
    const sig = new Float64Array(frames * n);
    for (let f = 0; f < frames; f++) {
      for (let k = 0; k < n; k++) {
        const mean = resp[k] * (4000 + (2000 * f) / frames) * (1 + k / n);
        const e = rng.poisson(mean * gain);
        let c = e / gain;
        for (let r = 0; r < rows; r++) {
          c += rn * rng.normal();
        }
        sig[f * n + k] = c;
      }
    }
    const g = estimateGain(sig, frames, resp, rows, rn)!;
    expect(Math.abs(g / gain - 1)).toBeLessThan(0.08);
  });
});
