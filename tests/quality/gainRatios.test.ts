// The gain estimate's per-pixel ratios (src/quality/noise.ts gainRatios) and their native twin (native/gain.cc):
// a hand-computed case, the same doubles from both on realistic and hostile row sums, and the addon's boundary.
// Also the choice of the brightest frames the estimate is made on (src/analysis/gain.ts brightestOf).
import { describe, expect, it } from 'vitest';
import { brightestOf } from '../../src/analysis/gain';
import { FitArgumentError } from '../../src/errors';
import { getEngine, loadNative, nativeAvailable } from '../../src/physics';
import { estimateGain, gainRatios, type GainRatios } from '../../src/quality/noise';
import { Rng } from '../../src/sim/rng';

const CHI2_1_MEDIAN = 0.454936423119572;

/** Row sums of `frames` frames over n pixels with shot noise at `gain` e⁻/count and read noise; a few hostile values. */
function rowSums(rng: Rng, frames: number, n: number, gain: number, hostile: boolean): Float64Array {
  const sig = new Float64Array(frames * n);
  for (let f = 0; f < frames; f++) {
    for (let k = 0; k < n; k++) {
      const mean = (200 + 6000 * Math.exp(-(((k - n / 2) / (n / 3)) ** 2))) * (0.2 + f / frames);
      sig[f * n + k] = rng.poisson(mean * gain) / gain + 4 * rng.normal();
    }
  }
  if (hostile) {
    for (const [at, value] of [
      [3, NaN],
      [n + 7, Infinity],
      [2 * n + 9, -Infinity],
      [3 * n + 11, -500],
      [4 * n + 13, 0],
      [5 * n + 2, 1e308],
      [5 * n + 3, 1e308],
    ]) {
      if (at < sig.length) {
        sig[at] = value;
      }
    }
  }
  return sig;
}

function response(n: number, zeros: boolean): Float64Array {
  const r = new Float64Array(n).map((_v, i) => 0.4 + 0.6 * Math.exp(-(((i - n / 3) / n) ** 2)));
  if (zeros && n > 20) {
    r[10] = 0;
    r[17] = -1;
    r[18] = NaN;
  }
  return r;
}

describe('gainRatios', () => {
  it('a hand-computed pixel: a bump of 100 on a flat 1000 (response 1, read variance 1, no lamp)', () => {
    const signal = Float64Array.from([1000, 1000, 1100, 1000, 1000]);
    const out = new Float64Array(5);
    const count = gainRatios(signal, 1, new Float64Array(5).fill(1), 1, new Float64Array(5), new Float64Array(5), out);
    // only pixel 2 has two neighbours on each side: level (1000·4 + 1100)/5 = 1020, h = 1100 − 1000 = 100,
    // q = 100²/1.5, ratio = (q/median(χ²₁) − readVar)/level
    expect(count).toBe(1);
    expect(out[0]).toBeCloseTo((10000 / 1.5 / CHI2_1_MEDIAN - 1) / 1020, 12);
  });

  it('skips levels in the read-noise regime and pixels with a non-positive neighbour or response', () => {
    const lampA = new Float64Array(7);
    const lampB = new Float64Array(7);
    const out = new Float64Array(7);
    // level 1020 is below 10 · readVar + 100 = 1100 for readVar 100
    const flat = Float64Array.from([1000, 1000, 1100, 1000, 1000]);
    expect(gainRatios(flat, 1, new Float64Array(5).fill(1), 100, lampA, lampB, out)).toBe(0);
    const dip = Float64Array.from([3000, 3000, 0, 3000, 3000, 3000, 3000]);
    // pixels 2..4 see the zero as themselves or a neighbour; the response's zero at 5 hides pixels 4..6
    const r = Float64Array.from([1, 1, 1, 1, 1, 0, 1]);
    expect(gainRatios(dip, 1, r, 1, lampA, lampB, out)).toBe(0);
  });

  it('estimateGain finds the gain of shot-noise-limited row sums with either kernel', () => {
    const rng = new Rng(7);
    const n = 600;
    const sig = rowSums(rng, 16, n, 2.5, false);
    const r = new Float64Array(n).fill(1);
    const kernels: GainRatios[] = [gainRatios, ...(nativeAvailable() ? [getEngine('native').gainRatios!] : [])];
    for (const kernel of kernels) {
      const g = estimateGain(sig, 16, r, 2, 4, null, kernel)!;
      expect(Math.abs(g / 2.5 - 1)).toBeLessThan(0.08);
    }
  });
});

describe.skipIf(!nativeAvailable())('native gainRatios: the same doubles as the TypeScript loop', () => {
  const native = getEngine('native').gainRatios!;

  it.each([
    ['697 px, realistic, no lamp', 697, false, false],
    ['697 px, hostile values, lamp terms, bad responses', 697, true, true],
    ['5 px', 5, true, false],
    ['4 px (no pixel has two neighbours each side)', 4, false, false],
    ['0 px', 0, false, false],
  ])('%s', (_name, n, hostile, lamp) => {
    const rng = new Rng(11 + n);
    const frames = 9;
    const sig = rowSums(rng, frames, n, 1.7, hostile);
    const r = response(n, hostile);
    const lampA = new Float64Array(n).map((_v, k) => (lamp ? 1 / (30 * (5000 + k)) : 0));
    const lampB = new Float64Array(n).map((_v, k) => (lamp ? 40 / (30 * (5000 + k) ** 2) : 0));
    const outTs = new Float64Array(frames * n).fill(-7);
    const outNative = new Float64Array(frames * n).fill(-7);
    const countTs = gainRatios(sig, frames, r, 32, lampA, lampB, outTs);
    const countNative = native(sig, frames, r, 32, lampA, lampB, outNative);
    expect(countNative).toBe(countTs);
    expect(outNative).toEqual(outTs);
    if (n === 697) {
      expect(countTs).toBeGreaterThan(1000);
    }
  });

  it('refuses bad arguments with a JavaScript error, through the engine as a FitArgumentError', () => {
    const addon = loadNative().addon!;
    const raw = addon.gainRatios!;
    const n = 8;
    const ok = {
      signal: new Float64Array(2 * n),
      response: new Float64Array(n),
      lamp: new Float64Array(n),
      out: new Float64Array(2 * n),
    };
    const cases: [unknown[], new (...a: never[]) => Error, RegExp][] = [
      [[ok.signal, 3, ok.response, 1, ok.lamp, ok.lamp, ok.out], RangeError, /signal has 16 values/],
      [[ok.signal, 2, ok.response, 1, ok.lamp, ok.lamp, new Float64Array(15)], RangeError, /out has 15 values/],
      [[ok.signal, 2, ok.response, 1, new Float64Array(7), ok.lamp, ok.out], RangeError, /lampA and lampB/],
      [[ok.signal, 1.5, ok.response, 1, ok.lamp, ok.lamp, ok.out], RangeError, /nFrames must be an integer/],
      [[ok.signal, -1, ok.response, 1, ok.lamp, ok.lamp, ok.out], RangeError, /nFrames must be an integer/],
      [[[1, 2], 2, ok.response, 1, ok.lamp, ok.lamp, ok.out], TypeError, /signal/],
      [[ok.signal, 2, ok.response, '1', ok.lamp, ok.lamp, ok.out], TypeError, /readVar must be a number/],
      [[ok.signal, 2, ok.response], TypeError, /takes 7 arguments/],
    ];
    for (const [args, kind, message] of cases) {
      expect(() => (raw as (...a: unknown[]) => number)(...args)).toThrow(kind);
      expect(() => (raw as (...a: unknown[]) => number)(...args)).toThrow(message);
    }
    const engine = getEngine('native');
    expect(() => engine.gainRatios!(ok.signal, 3, ok.response, 1, ok.lamp, ok.lamp, ok.out)).toThrow(FitArgumentError);
  });
});

describe('brightestOf', () => {
  /** The reference: a stable sort of the candidates by total, brightest first. */
  function bySort(totals: Float64Array, n: number, skip: Uint8Array, stride: number, keep: number): number[] {
    const candidates: { frame: number; sum: number }[] = [];
    for (let f = 0; f < n; f++) {
      if (!skip[f * stride] && totals[f] > 0) {
        candidates.push({ frame: f, sum: totals[f] });
      }
    }
    candidates.sort((a, c) => c.sum - a.sum);
    return candidates.slice(0, keep).map((c) => c.frame);
  }

  it('a hand-made case: ties in frame order, skipped and non-positive frames left out', () => {
    const totals = Float64Array.from([5, 9, 5, -1, 9, NaN, 7, 0, 9]);
    const skip = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(brightestOf(totals, 9, skip, 1, 4)).toEqual([1, 4, 6, 0]);
    expect(brightestOf(totals, 9, skip, 1, 10)).toEqual([1, 4, 6, 0, 2]);
    expect(brightestOf(totals, 9, skip, 1, 0)).toEqual([]);
  });

  it('agrees with a stable sort on random totals with many ties', () => {
    const rng = new Rng(5);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(rng.uniform() * 300);
      const stride = 1 + (trial % 3);
      const totals = new Float64Array(n).map(() => Math.floor(rng.uniform() * 40) - 5);
      const skip = new Uint8Array(n * stride).map(() => (rng.uniform() < 0.1 ? 1 : 0));
      const keep = 1 + (trial % 40);
      expect(brightestOf(totals, n, skip, stride, keep)).toEqual(bySort(totals, n, skip, stride, keep));
    }
  });
});
