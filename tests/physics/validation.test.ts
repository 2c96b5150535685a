// Every invalid argument throws FitArgumentError with a clear message, for both engines (batch: rejects).
import { describe, expect, it } from 'vitest';
import { FitArgumentError } from '../../src/errors';
import type { PhysicsEngine } from '../../src/physics';
import { engines, exactPlanck, grid } from '../support/spectra';

const wl = grid(50, 550, 850);
const y = exactPlanck(wl, 2500, 1e-8);
const v = new Float64Array(50).fill(1);
const m = new Uint8Array(50);
const with_ = <T extends ArrayLike<number>>(a: T, i: number, x: number): T => {
  const c = (a as unknown as Float64Array).slice() as unknown as T;
  (c as unknown as number[])[i] = x;
  return c;
};
const frames = new Float64Array(100);
frames.set(y, 0);
frames.set(y, 50);

type Call = (e: PhysicsEngine) => unknown;
const any = (x: unknown): never => x as never;

const cases: [string, Call, RegExp][] = [
  // types
  ['wavelengths not a Float64Array', (e) => e.fitPlanck(any([1, 2, 3]), y), /wavelengths must be a Float64Array/],
  ['radiance Float32Array', (e) => e.fitPlanck(wl, any(new Float32Array(50))), /radiance must be a Float64Array/],
  ['variance array', (e) => e.fitPlanck(wl, y, { variance: any(Array.from(v)) }), /variance must be a Float64Array/],
  ['mask Int8Array', (e) => e.fitPlanck(wl, y, { mask: any(new Int8Array(50)) }), /mask must be a Uint8Array/],
  ['options a number', (e) => e.fitPlanck(wl, y, any(3)), /options must be an object/],
  // lengths
  ['radiance length', (e) => e.fitPlanck(wl, y.subarray(1)), /radiance length 49 does not match wavelengths length 50/],
  ['variance length', (e) => e.fitPlanck(wl, y, { variance: new Float64Array(49).fill(1) }), /variance length 49/],
  ['mask length', (e) => e.fitPlanck(wl, y, { mask: new Uint8Array(51) }), /mask length 51/],
  // values
  ['NaN wavelength', (e) => e.fitPlanck(with_(wl, 4, NaN), y), /wavelengths\[4\] must be finite and > 0/],
  ['Inf wavelength', (e) => e.fitWien(with_(wl, 0, Infinity), y), /wavelengths\[0\] must be finite and > 0/],
  ['zero wavelength', (e) => e.fitPlanck(with_(wl, 7, 0), y), /wavelengths\[7\] must be finite and > 0/],
  ['negative wavelength', (e) => e.twoColor(with_(wl, 9, -500), y, 0, 1), /wavelengths\[9\] must be finite and > 0/],
  ['NaN radiance', (e) => e.fitPlanck(wl, with_(y, 12, NaN)), /radiance\[12\] is not finite/],
  ['Inf radiance (Wien)', (e) => e.fitWien(wl, with_(y, 13, -Infinity)), /radiance\[13\] is not finite/],
  ['NaN variance', (e) => e.fitPlanck(wl, y, { variance: with_(v, 3, NaN) }), /variance\[3\] must be finite and > 0/],
  ['zero variance', (e) => e.fitPlanck(wl, y, { variance: with_(v, 5, 0) }), /variance\[5\] must be finite and > 0/],
  [
    'negative variance (Wien)',
    (e) => e.fitWien(wl, y, { variance: with_(v, 6, -1) }),
    /variance\[6\] must be finite and > 0/,
  ],
  ['mask value 2', (e) => e.fitPlanck(wl, y, { mask: with_(m, 8, 2) }), /mask\[8\] must be 0 or 1/],
  [
    'too few pixels (mask)',
    (e) => e.fitPlanck(wl, y, { mask: new Uint8Array(50).fill(1).map((x, i) => (i < 2 ? 0 : 1)) }),
    /fewer than 3 usable pixels \(2 unmasked/,
  ],
  [
    'too few positive pixels',
    (e) =>
      e.fitPlanck(
        wl,
        y.map((x, i) => (i < 2 ? x : -x)),
      ),
    /fewer than 3 usable pixels \(50 unmasked, 2 with radiance > 0\)/,
  ],
  [
    'too few pixels (Wien)',
    (e) =>
      e.fitWien(
        wl,
        y.map((x, i) => (i < 2 ? x : 0)),
      ),
    /fewer than 3 usable pixels/,
  ],
  ['empty grid', (e) => e.fitPlanck(new Float64Array(0), new Float64Array(0)), /fewer than 3 usable pixels/],
  ['maxIterations 0', (e) => e.fitPlanck(wl, y, { maxIterations: 0 }), /maxIterations must be an integer/],
  ['maxIterations 2.5', (e) => e.fitPlanck(wl, y, { maxIterations: 2.5 }), /maxIterations must be an integer/],
  ['tolerance 0', (e) => e.fitPlanck(wl, y, { tolerance: 0 }), /tolerance must be a finite number/],
  ['tolerance NaN', (e) => e.fitPlanck(wl, y, { tolerance: NaN }), /tolerance must be a finite number/],
  // two-colour
  ['pixel index out of range', (e) => e.twoColor(wl, y, 0, 50), /pixel index j must be an integer in \[0, 49\]/],
  ['pixel index negative', (e) => e.twoColor(wl, y, -1, 5), /pixel index i must be an integer/],
  ['pixel index fractional', (e) => e.twoColor(wl, y, 1.5, 5), /pixel index i must be an integer/],
  ['pixel index NaN', (e) => e.twoColor(wl, y, 1, NaN), /pixel index j must be an integer/],
  ['same pixel twice', (e) => e.twoColor(wl, y, 4, 4), /must differ/],
  [
    'non-positive radiance in the pair',
    (e) => e.twoColor(wl, with_(y, 4, 0), 4, 9),
    /radiance\[4\] must be finite and > 0/,
  ],
  ['radiance length (two-colour)', (e) => e.twoColor(wl, y.subarray(2), 1, 2), /radiance length 48/],
  // sliding
  ['separation 0', (e) => e.slidingTwoColor(wl, y, 0), /separation must be an integer in \[1, 49\]/],
  ['separation too large', (e) => e.slidingTwoColor(wl, y, 50), /separation must be an integer/],
  ['separation fractional', (e) => e.slidingTwoColor(wl, y, 2.5), /separation must be an integer/],
  ['bins 0', (e) => e.slidingTwoColor(wl, y, 10, { bins: 0 }), /bins must be an integer/],
  ['sliding NaN radiance', (e) => e.slidingTwoColor(wl, with_(y, 20, NaN), 10), /radiance\[20\] is not finite/],
  [
    'no valid pair',
    (e) =>
      e.slidingTwoColor(
        wl,
        y.map(() => -1),
        10,
      ),
    /no valid pixel pair at separation 10/,
  ],
  ['sliding mask value', (e) => e.slidingTwoColor(wl, y, 10, { mask: with_(m, 1, 9) }), /mask\[1\] must be 0 or 1/],
  // batch (sync)
  ['nFrames negative', (e) => e.fitPlanckBatchSync(wl, frames, -1), /nFrames must be a non-negative integer/],
  ['nFrames fractional', (e) => e.fitPlanckBatchSync(wl, frames, 1.5), /nFrames must be a non-negative integer/],
  ['nFrames NaN', (e) => e.fitPlanckBatchSync(wl, frames, NaN), /nFrames must be a non-negative integer/],
  [
    'frames length',
    (e) => e.fitPlanckBatchSync(wl, frames, 3),
    /frames length 100 does not match nFrames × pixels = 150/,
  ],
  ['frames type', (e) => e.fitPlanckBatchSync(wl, any(Array.from(frames)), 2), /frames must be a Float64Array/],
  [
    'batch variance length',
    (e) => e.fitPlanckBatchSync(wl, frames, 2, { variance: new Float64Array(50) }),
    /variance length 50 does not match frames length 100/,
  ],
  [
    'batch mask length',
    (e) => e.fitPlanckBatchSync(wl, frames, 2, { mask: new Uint8Array(70) }),
    /mask length 70 must be pixels \(50\) or nFrames × pixels \(100\)/,
  ],
  [
    'batch mask value',
    (e) => e.fitPlanckBatchSync(wl, frames, 2, { mask: with_(new Uint8Array(100), 77, 3) }),
    /mask\[77\] must be 0 or 1/,
  ],
  [
    'batch on an empty grid',
    (e) => e.fitPlanckBatchSync(new Float64Array(0), new Float64Array(0), 1e12),
    /wavelengths must not be empty/,
  ],
  ['threads 0', (e) => e.fitPlanckBatchSync(wl, frames, 2, { threads: 0 }), /threads must be an integer in \[1, 256\]/],
  [
    'batch bad wavelength',
    (e) => e.fitPlanckBatchSync(with_(wl, 2, -1), frames, 2),
    /wavelengths\[2\] must be finite and > 0/,
  ],
];

describe.each(engines().map((e) => [e.name, e] as const))('%s engine rejects bad arguments', (_n, eng) => {
  it.each(cases)('%s', (_label, call, message) => {
    let err: unknown;
    try {
      call(eng);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FitArgumentError);
    expect((err as Error).message).toMatch(message);
  });

  it('the async batch rejects (never throws synchronously) on the same errors', async () => {
    for (const [, call, message] of cases.filter(([l]) => /nFrames|frames|batch|threads/.test(l))) {
      const asyncCall: Call = (e) => {
        // map the sync call onto the async one by swapping the method
        const shim = { ...e, fitPlanckBatchSync: e.fitPlanckBatch } as unknown as PhysicsEngine;
        return call(shim);
      };
      let p: unknown;
      expect(() => {
        p = asyncCall(eng);
      }).not.toThrow();
      await expect(p as Promise<unknown>).rejects.toBeInstanceOf(FitArgumentError);
      await expect(p as Promise<unknown>).rejects.toThrow(message);
    }
  });

  it('the same message from both engines', () => {
    // (checked case by case above with one regex for both; here the exact text for one case)
    let err: unknown;
    try {
      eng.fitPlanck(wl, y.subarray(1));
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toBe('radiance length 49 does not match wavelengths length 50');
  });

  it('after a wavelength error the same array, once fixed in place, fits (no stale cache)', () => {
    const w2 = wl.slice();
    expect(eng.fitPlanck(w2, y).temperature).toBeCloseTo(2500, 6);
    w2[3] = NaN;
    expect(() => eng.fitPlanck(w2, y)).toThrow(FitArgumentError);
    w2[3] = wl[3];
    expect(eng.fitPlanck(w2, y).temperature).toBeCloseTo(2500, 6);
    // changed in place to another valid grid: the result follows the new grid
    for (let i = 0; i < w2.length; i++) {
      w2[i] = wl[i] + 10;
    }
    const yShift = exactPlanck(w2, 2500, 1e-8);
    expect(eng.fitPlanck(w2, yShift).temperature).toBeCloseTo(2500, 6);
  });

  it('a mask changed in place between fits is seen (validated and applied again)', () => {
    const mk = new Uint8Array(50);
    expect(eng.fitPlanck(wl, y, { mask: mk }).dof).toBe(48);
    mk[0] = 1;
    mk[1] = 1;
    expect(eng.fitPlanck(wl, y, { mask: mk }).dof).toBe(46);
    mk[2] = 2;
    expect(() => eng.fitPlanck(wl, y, { mask: mk })).toThrow(/mask\[2\] must be 0 or 1/);
    mk[2] = 0;
    expect(eng.fitPlanck(wl, y, { mask: mk }).dof).toBe(46);
    expect(eng.fitPlanck(wl, y).dof).toBe(48);
  });

  it('NaN on masked pixels is ignored (the mask is how a bad pixel is taken out)', () => {
    const yBad = with_(y, 10, NaN);
    const mask = with_(m, 10, 1);
    expect(eng.fitPlanck(wl, yBad, { mask }).temperature).toBeCloseTo(2500, 6);
  });
});
