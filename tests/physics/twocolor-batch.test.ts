// Batch sliding two-colour (slidingTwoColorBatch, and fitPlanckBatch's twoColorSeparation option): exact data,
// agreement with the single-frame slidingTwoColor, native vs TypeScript parity, bad frames, invalid arguments.
import { describe, expect, it } from 'vitest';
import { FitArgumentError } from '../../src/errors';
import { getEngine, jsEngine, loadNative, PhysicsEngine } from '../../src/physics';
import { buildGrid } from '../../src/physics/core';
import { Rng } from '../../src/sim/rng';
import { engines, exactPlanck, exactWien, grid, maskOutside, rel } from '../support/spectra';

const native = getEngine('native');

describe.each(engines().map((e) => [e.name, e] as const))('%s slidingTwoColorBatch', (_n, eng) => {
  it('exact data: each frame gets its own temperature; std ≈ 0; count = used pixels − separation', async () => {
    const wl = grid(301, 480, 620);
    const mask = maskOutside(wl, 500, 600);
    const used = mask.reduce((n, m) => n + (m === 0 ? 1 : 0), 0);
    const temps = [900, 1800, 3500];
    const frames = new Float64Array(temps.length * 301);
    temps.forEach((T, f) => frames.set(exactWien(wl, T, 1 + f), f * 301)); // Wien law: two-colour is exact
    const r = await eng.slidingTwoColorBatch(wl, frames, temps.length, 100, { mask });
    expect(r.engine).toBe(eng.name);
    expect(r.mean).toBeInstanceOf(Float64Array);
    expect(r.count).toBeInstanceOf(Int32Array);
    temps.forEach((T, f) => {
      expect(rel(r.mean[f], T)).toBeLessThan(1e-10);
      expect(r.std[f]).toBeLessThan(1e-8 * T);
      expect(r.count[f]).toBe(used - 100);
    });
    // Planck data at 1000 K over 500–600 nm: the Wien approximation error is below 1e-7
    const y = exactPlanck(wl, 1000, 1);
    const s = eng.slidingTwoColorBatchSync(wl, y, 1, 100, { mask });
    expect(rel(s.mean[0], 1000)).toBeLessThan(1e-7);
  });

  it('equals the single-frame slidingTwoColor (shared and per-frame masks), bad frames give NaN/0', () => {
    const rng = new Rng(77);
    const wl = grid(200, 550, 850);
    const nF = 6;
    const frames = new Float64Array(nF * 200);
    const masks = new Uint8Array(nF * 200);
    for (let f = 0; f < nF; f++) {
      const y = exactPlanck(wl, 1500 + 500 * f, 1e-8);
      for (let i = 0; i < 200; i++) {
        frames[f * 200 + i] = y[i] * (1 + 0.05 * rng.normal());
        masks[f * 200 + i] = rng.uniform() < 0.1 ? 1 : 0;
      }
    }
    frames[3 * 200 + 100] = NaN;
    masks[3 * 200 + 100] = 0; // frame 3: NaN on a used pixel (700 nm)
    masks[4 * 200 + 40] = 1;
    frames[4 * 200 + 40] = Infinity; // frame 4: the bad pixel is masked (per frame)
    for (let i = 0; i < 200; i++) {
      frames[5 * 200 + i] = -1;
    } // frame 5: no positive pixel: no pair
    const shared = maskOutside(wl, 600, 800);
    for (const [mask, perFrame] of [
      [shared, false],
      [masks, true],
    ] as const) {
      const b = eng.slidingTwoColorBatchSync(wl, frames, nF, 60, { mask });
      const viaPlanck = eng.fitPlanckBatchSync(wl, frames, nF, { mask, twoColorSeparation: 60 }).twoColor!;
      for (let f = 0; f < nF; f++) {
        const y = frames.subarray(f * 200, (f + 1) * 200);
        const m = perFrame ? mask.subarray(f * 200, (f + 1) * 200) : mask;
        let single: { mean: number; std: number; count: number } | null = null;
        try {
          single = eng.slidingTwoColor(wl, y, 60, { mask: m });
        } catch {
          single = null;
        }
        if (single === null) {
          expect(b.count[f]).toBe(0);
          expect(b.mean[f]).toBeNaN();
          expect(b.std[f]).toBeNaN();
        } else {
          expect(b.count[f]).toBe(single.count);
          expect(b.mean[f]).toBe(single.mean); // same kernel, same order: identical
          expect(b.std[f]).toBe(single.std);
        }
        expect(viaPlanck.count[f]).toBe(b.count[f]);
        expect(Object.is(viaPlanck.mean[f], b.mean[f]) || viaPlanck.mean[f] === b.mean[f]).toBe(true);
      }
      expect(b.count[3]).toBe(0);
      expect(b.count[4] > 0).toBe(perFrame); // Infinity at 610 nm: masked only by the per-frame mask
      expect(b.count[5]).toBe(0);
      expect(b.count[0]).toBeGreaterThan(0);
    }
  });

  it('the async batch across threads equals the sync one; an empty batch is empty', async () => {
    const wl = grid(120, 560, 840);
    const nF = 700;
    const rng = new Rng(5);
    const frames = new Float64Array(nF * 120);
    for (let f = 0; f < nF; f++) {
      const y = exactPlanck(wl, 1200 + 3000 * rng.uniform(), 1e-8);
      for (let i = 0; i < 120; i++) {
        frames[f * 120 + i] = y[i] * (1 + 0.02 * rng.normal());
      }
    }
    const a = await eng.slidingTwoColorBatch(wl, frames, nF, 40, { threads: 2 });
    const s = eng.slidingTwoColorBatchSync(wl, frames, nF, 40);
    expect(Array.from(a.mean)).toEqual(Array.from(s.mean));
    expect(Array.from(a.count)).toEqual(Array.from(s.count));
    const e = eng.slidingTwoColorBatchSync(wl, new Float64Array(0), 0, 40);
    expect(e.mean.length).toBe(0);
    const p = eng.fitPlanckBatchSync(wl, frames.subarray(0, 120), 1);
    expect(p.twoColor).toBeUndefined();
  });

  const wl = grid(50, 550, 850);
  const y = exactPlanck(wl, 2500, 1e-8);
  const frames = new Float64Array(100);
  frames.set(y, 0);
  frames.set(y, 50);
  const any = (x: unknown): never => x as never;
  const bad: [string, (e: PhysicsEngine) => unknown, RegExp][] = [
    [
      'separation 0',
      (e) => e.slidingTwoColorBatchSync(wl, frames, 2, 0),
      /^separation must be an integer in \[1, 49\]$/,
    ],
    [
      'separation 50',
      (e) => e.slidingTwoColorBatchSync(wl, frames, 2, 50),
      /^separation must be an integer in \[1, 49\]$/,
    ],
    ['separation 2.5', (e) => e.slidingTwoColorBatchSync(wl, frames, 2, 2.5), /^separation must be an integer/],
    [
      'separation a string',
      (e) => e.slidingTwoColorBatchSync(wl, frames, 2, any('5')),
      /^separation must be an integer/,
    ],
    [
      'frames length',
      (e) => e.slidingTwoColorBatchSync(wl, frames, 3, 5),
      /^frames length 100 does not match nFrames × pixels = 150$/,
    ],
    [
      'frames type',
      (e) => e.slidingTwoColorBatchSync(wl, any(new Float32Array(100)), 2, 5),
      /^frames must be a Float64Array$/,
    ],
    ['nFrames', (e) => e.slidingTwoColorBatchSync(wl, frames, -1, 5), /^nFrames must be a non-negative integer$/],
    [
      'mask length',
      (e) => e.slidingTwoColorBatchSync(wl, frames, 2, 5, { mask: new Uint8Array(7) }),
      /^mask length 7 must be pixels \(50\) or nFrames × pixels \(100\)$/,
    ],
    [
      'mask value',
      (e) => e.slidingTwoColorBatchSync(wl, frames, 2, 5, { mask: new Uint8Array(50).fill(3) }),
      /^mask\[0\] must be 0 or 1$/,
    ],
    [
      'threads',
      (e) => e.slidingTwoColorBatchSync(wl, frames, 2, 5, { threads: 0 }),
      /^threads must be an integer in \[1, 256\]$/,
    ],
    ['options', (e) => e.slidingTwoColorBatchSync(wl, frames, 2, 5, any(7)), /^options must be an object$/],
    [
      'wavelengths',
      (e) => e.slidingTwoColorBatchSync(any([1, 2]), frames, 2, 5),
      /^wavelengths must be a Float64Array$/,
    ],
    [
      'twoColorSeparation 0',
      (e) => e.fitPlanckBatchSync(wl, frames, 2, { twoColorSeparation: 0 }),
      /^twoColorSeparation must be an integer in \[1, 49\]$/,
    ],
    [
      'twoColorSeparation 60',
      (e) => e.fitPlanckBatchSync(wl, frames, 2, { twoColorSeparation: 60 }),
      /^twoColorSeparation must be an integer in \[1, 49\]$/,
    ],
    [
      'twoColorSeparation NaN',
      (e) => e.fitPlanckBatchSync(wl, frames, 2, { twoColorSeparation: NaN }),
      /^twoColorSeparation must be an integer/,
    ],
  ];
  it.each(bad)('rejects %s (FitArgumentError, same message)', (_l, call, msg) => {
    let err: unknown;
    try {
      call(eng);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FitArgumentError);
    expect((err as Error).message).toMatch(msg);
  });

  it('the async form rejects instead of throwing', async () => {
    let p: Promise<unknown> | undefined;
    expect(() => {
      p = eng.slidingTwoColorBatch(wl, frames, 2, 0);
    }).not.toThrow();
    await expect(p).rejects.toBeInstanceOf(FitArgumentError);
    await expect(p).rejects.toThrow(/separation must be an integer in \[1, 49\]/);
  });
});

describe('native vs TypeScript parity of the batch two-colour on noisy spectra', () => {
  it('mean and std within 1e-12 relative, same counts', () => {
    const rng = new Rng(99);
    const wl = grid(696, 570, 830);
    const nF = 200;
    const frames = new Float64Array(nF * 696);
    const masks = new Uint8Array(nF * 696);
    for (let f = 0; f < nF; f++) {
      const y = exactPlanck(wl, 1000 + 4000 * rng.uniform(), 1e-9);
      const snr = 5 + 500 * rng.uniform();
      for (let i = 0; i < 696; i++) {
        frames[f * 696 + i] = y[i] * (1 + rng.normal() / snr);
        masks[f * 696 + i] = rng.uniform() < 0.03 ? 1 : 0;
      }
    }
    const a = native.slidingTwoColorBatchSync(wl, frames, nF, 120, { mask: masks });
    const b = jsEngine.slidingTwoColorBatchSync(wl, frames, nF, 120, { mask: masks });
    let worst = 0;
    for (let f = 0; f < nF; f++) {
      expect(a.count[f]).toBe(b.count[f]);
      worst = Math.max(worst, rel(a.mean[f], b.mean[f]), Math.abs(a.std[f] - b.std[f]) / b.mean[f]);
    }
    expect(worst).toBeLessThan(1e-12);
  });
});

/**
 * Whether the native two-colour takes vlog.h's log (Math.log's double): in its AVX2 and AVX-512 variants, not in the
 * generic one (libm's log, which can differ in the last bit).
 */
function twoColorTakesVlog(): boolean {
  const vectorLog = loadNative().addon?.vectorLog;
  if (vectorLog === undefined || process.env.PYROLIVE_SIMD === 'generic') {
    return false;
  }
  try {
    vectorLog(new Float64Array(1), new Float64Array(1), 'avx2');
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!twoColorTakesVlog())(
  'native vs TypeScript: one pair per frame, bit-identical in every case of the log',
  () => {
    // The native two-colour takes vlog.h's general case for every pixel and its full log again only for a frame where
    // some y/a needs another case: within 2^-20 of a power of two (fdlibm's short series), subnormal, or 0 by underflow.
    // With one pair a frame's mean is that pair's T, so each case's log is checked to the last bit.
    it('y/a near powers of two, subnormal, underflowing to 0', () => {
      const wl = Float64Array.from([600, 700]);
      const { a } = buildGrid(wl);
      const ordinary = 0.37 * 2 ** -20 * a[1]; // the other pixel's y: general case
      const pairs = [
        ...[
          2 ** -40,
          2 ** -40 * (1 + 1e-7),
          2 ** -40 * (1 - 3e-8),
          2 ** -41 * (1 + 5e-9),
          2 ** -1000 * (1 + 1e-7),
          1e-310, // subnormal
          0.3 * 2 ** -40, // general case: the frame needs no second pass
        ].map((ratio) => [ratio * a[0], ordinary]),
        // y/a within 2^-20 of 1 (the short series' log, which differs from the general case's in the last bit here),
        // the other pixel just above that range: T ≈ 10⁹ K, its last bits carry the difference (found by a search)
        [1531689642089081, 708660729767129],
        [1531692336076253.5, 708660452971613.25],
      ];
      const frames = Float64Array.from([...pairs.flat(), Number.MIN_VALUE, ordinary]); // last: y/a = 0, T = 0 not kept
      const nF = pairs.length + 1;
      const expected = jsEngine.slidingTwoColorBatchSync(wl, frames, nF, 1);
      const got = native.slidingTwoColorBatchSync(wl, frames, nF, 1);
      expect(Array.from(expected.count)).toEqual([...pairs.map(() => 1), 0]);
      pairs.forEach((_pair, f) => expect(got.mean[f]).toBe(expected.mean[f]));
      expect(Array.from(got.count)).toEqual(Array.from(expected.count));
      expect(got.mean[pairs.length]).toBeNaN();
    });
  },
);
