/**
 * countsStageBatchSync: stage 1 of the preparation alone (rows summed over the used pixels, dark subtracted,
 * saturation and corrupt tests) for a batch, native and TypeScript, against the twin countsStage of
 * src/quality/prepare.ts (bit-identical row sums, masks, flags and per-frame totals) and against hand-computed sums, on every counts
 * type, several ROIs (all rows, a band of rows, one row; contiguous and scattered pixels), saturated, NaN, ±Inf,
 * −0 and huge frames; argument validation at the boundary (JS errors, never an abort).
 */
import { describe, expect, it } from 'vitest';
import { FitArgumentError } from '../../src/errors';
import { getEngine, jsEngine, loadNative, nativeAvailable } from '../../src/physics';
import type { CountsFrame, CountsPlan, PhysicsEngine } from '../../src/physics';
import { countsStage, PREP_CORRUPT, PREP_SATURATED } from '../../src/quality/prepare';
import { makeShot } from '../support/simShot';

const shot = makeShot({ seed: 71, frames: 14, width: 300, height: 4, level: 9000, cosmics: (f) => f % 4 });
const { width, height } = shot;
const SATURATION = 60000;

/** The shot's frames, each as another counts type or with a trap (index → what it tests). */
function testFrames(): CountsFrame[] {
  const rounded = shot.frames.map((frame) => frame.map((v) => Math.max(0, Math.min(65535, Math.round(v)))));
  const u16 = rounded.map((frame) => Uint16Array.from(frame));
  u16[2][1 * width + 40] = 65535; // saturated, in every ROI's rows
  u16[3][3 * width + 150] = 65535; // saturated in row 3 only (outside the band and the single row)
  const nan = Float64Array.from(rounded[5]);
  nan[2 * width + 100] = NaN;
  const inf = Float64Array.from(rounded[6]);
  inf[0 * width + 200] = Infinity;
  inf[1 * width + 200] = -Infinity; // +Inf − Inf in the same pixel's sum: NaN
  const negativeZero = new Float64Array(width * height).fill(-0);
  const huge = Float64Array.from(rounded[8], () => 1e305); // every sum > 1e300, the total still finite
  const overflow = Float64Array.from(rounded[9], () => 4e307); // finite sums, the in-order total overflows
  return [
    u16[0],
    Int16Array.from(rounded[1], (v) => v - 700), // negative counts
    u16[2],
    u16[3],
    Float32Array.from(rounded[4]),
    nan,
    inf,
    negativeZero,
    huge,
    overflow,
    Uint8Array.from(rounded[10], (v) => Math.min(255, v >> 6)),
    Int32Array.from(rounded[11]),
    Uint32Array.from(rounded[12]),
    Float64Array.from(shot.frames[13]), // unrounded
  ];
}

const frames = testFrames();

/** A plan over rows first..last and the given pixels (the terms stage 1 does not read are still valid). */
function roiPlan(first: number, last: number, used: number[]): { wl: Float64Array; plan: CountsPlan } {
  const nU = used.length;
  return {
    wl: Float64Array.from(used, (px) => shot.wavelength[px]),
    plan: {
      width,
      height,
      first,
      last,
      used: Int32Array.from(used),
      darkSum: Float64Array.from(used, (px, k) => (k % 7 === 3 ? -0 : 600 * (last - first + 1) + (px % 13) / 8)),
      invDen: new Float64Array(nU).fill(1e-3),
      invDen2: new Float64Array(nU).fill(1e-6),
      relVarDen: new Float64Array(nU).fill(1e-4),
      saturation: SATURATION,
      invGain: 0.5,
      readVar: 40,
    },
  };
}

/** The plan without a dark: its dark sums all +0. */
function withoutDark({ wl, plan }: { wl: Float64Array; plan: CountsPlan }): { wl: Float64Array; plan: CountsPlan } {
  return { wl, plan: { ...plan, darkSum: new Float64Array(wl.length) } };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_v, i) => from + i);
const ROIS = {
  'all rows, contiguous pixels': roiPlan(0, 3, range(20, 280)),
  'rows 1–2, scattered pixels': roiPlan(1, 2, [...range(0, 120).filter((px) => px % 3 !== 1), 299, 150, 40, 200]),
  'row 2 alone, contiguous pixels': roiPlan(2, 2, range(0, width)),
  // a dark sum of +0 (no dark): the sums of −0 counts must start from +0 (0 + v), or −0 − 0 leaves −0
  'rows 1–2, contiguous pixels, no dark': withoutDark(roiPlan(1, 2, range(10, 290))),
};

/** countsStage (the TypeScript twin) frame by frame. */
function reference(wl: Float64Array, plan: CountsPlan) {
  const nU = wl.length;
  const sig = new Float64Array(frames.length * nU);
  const mask = new Uint8Array(frames.length * nU);
  const flags = Uint8Array.from(frames, (frame, f) => countsStage(plan, frame, sig, f * nU, mask, f * nU));
  return { sig, mask, flags };
}

const engines: PhysicsEngine[] = [jsEngine, ...(nativeAvailable() ? [getEngine('native')] : [])];

describe.each(engines.map((engine) => [engine.name, engine] as const))('%s countsStageBatchSync', (_name, engine) => {
  it.each(Object.entries(ROIS))('%s: bit-identical to countsStage frame by frame', (_roi, { wl, plan }) => {
    const nU = wl.length;
    const expected = reference(wl, plan);
    const out = {
      sig: new Float64Array(frames.length * nU).fill(7),
      mask: new Uint8Array(frames.length * nU),
      totals: new Float64Array(frames.length),
    };
    const flags = engine.countsStageBatchSync!(wl, frames, plan, out);
    expect(Array.from(flags)).toEqual(Array.from(expected.flags));
    // each frame's total: its row sums added in pixel order from 0
    frames.forEach((_frame, f) => {
      let sum = 0;
      for (let k = 0; k < nU; k++) {
        sum += expected.sig[f * nU + k];
      }
      expect(Object.is(out.totals[f], sum)).toBe(true);
    });
    expect(Buffer.from(out.mask).equals(Buffer.from(expected.mask))).toBe(true);
    const differing = out.sig.findIndex((v, i) => !Object.is(v, expected.sig[i]));
    expect(differing).toBe(-1);
  });

  it.each(Object.entries(ROIS))(
    '%s: totals only (no sig, no mask): the same totals and flags',
    (_roi, { wl, plan }) => {
      const nU = wl.length;
      const full = {
        sig: new Float64Array(frames.length * nU),
        mask: new Uint8Array(frames.length * nU),
        totals: new Float64Array(frames.length),
      };
      const fullFlags = Array.from(engine.countsStageBatchSync!(wl, frames, plan, full));
      const only = { totals: new Float64Array(frames.length).fill(7) };
      expect(Array.from(engine.countsStageBatchSync!(wl, frames, plan, only))).toEqual(fullFlags);
      expect(only.totals.every((total, f) => Object.is(total, full.totals[f]))).toBe(true);
      expect(() => engine.countsStageBatchSync!(wl, frames, plan, {})).toThrow(/out\.totals must be given/);
      expect(() => engine.countsStageBatchSync!(wl, frames, plan, { totals: only.totals, sig: full.sig })).toThrow(
        FitArgumentError,
      );
    },
  );

  it('row sums, saturation and corrupt flags as computed by hand', () => {
    const { wl, plan } = ROIS['rows 1–2, scattered pixels'];
    const nU = wl.length;
    const out = { sig: new Float64Array(frames.length * nU), mask: new Uint8Array(frames.length * nU) };
    const flags = engine.countsStageBatchSync!(wl, frames, plan, out);
    // frame 1 (Int16, negative counts), pixel k: rows 1 and 2 at plan.used[k], minus darkSum[k]
    for (const k of [0, 5, nU - 1]) {
      const px = plan.used[k];
      const frame = frames[1];
      expect(out.sig[nU + k]).toBe(frame[width + px] + frame[2 * width + px] - plan.darkSum[k]);
    }
    const bit = (f: number, b: number) => (flags[f] & b) !== 0;
    expect(bit(2, PREP_SATURATED)).toBe(true); // 65535 in row 1, pixel 40 (used)
    expect(out.mask[2 * nU + plan.used.indexOf(40)]).toBe(1);
    expect(bit(3, PREP_SATURATED)).toBe(false); // 65535 in row 3: not in this ROI
    expect(plan.used.includes(100)).toBe(false);
    expect(bit(5, PREP_CORRUPT)).toBe(false); // NaN at pixel 100 (100 % 3 = 1): not a used pixel
    expect(bit(6, PREP_CORRUPT)).toBe(true); // −Inf in row 1 of pixel 200 (its +Inf in row 0 is outside)
    expect(flags[8]).toBe(PREP_SATURATED); // sums of 2e305: finite (and every count above the saturation)
    expect(bit(9, PREP_CORRUPT)).toBe(true); // sums of 8e307: the total overflows
    expect(out.sig[7 * nU + 3]).toBe(0); // −0 + −0 − (−0): +0 as in the twin's order (0 + v …)
    expect(Object.is(out.sig[7 * nU + 3], 0)).toBe(true);
    expect(
      Array.from(flags).flatMap((bits, i) => (![2, 6, 8, 9].includes(i) && bits !== 0 ? [[i, bits]] : [])),
    ).toEqual([]);
    // in the ROI of all rows, the NaN frame is corrupt, and +Inf − Inf in one sum too
    const all = ROIS['all rows, contiguous pixels'];
    const allOut = {
      sig: new Float64Array(frames.length * all.wl.length),
      mask: new Uint8Array(frames.length * all.wl.length),
    };
    const allFlags = engine.countsStageBatchSync!(all.wl, frames, all.plan, allOut);
    expect(allFlags[5] & PREP_CORRUPT).toBe(PREP_CORRUPT);
    expect(allFlags[6] & PREP_CORRUPT).toBe(PREP_CORRUPT);
    expect(allFlags[3] & PREP_SATURATED).toBe(PREP_SATURATED); // row 3 is in this ROI
  });

  it('invalid arguments are FitArgumentErrors, never a crash', () => {
    const { wl, plan } = ROIS['all rows, contiguous pixels'];
    const nU = wl.length;
    const out = () => ({ sig: new Float64Array(frames.length * nU), mask: new Uint8Array(frames.length * nU) });
    const bad = (call: () => unknown) => expect(call).toThrow(FitArgumentError);
    bad(() => engine.countsStageBatchSync!(new Float64Array(0), frames, plan, out()));
    bad(() => engine.countsStageBatchSync!(wl, 'frames' as unknown as CountsFrame[], plan, out()));
    bad(() => engine.countsStageBatchSync!(wl, [new BigInt64Array(width * height)] as never, plan, out()));
    bad(() => engine.countsStageBatchSync!(wl, [new Uint16Array(5)], plan, out()));
    bad(() => engine.countsStageBatchSync!(wl, frames, null as unknown as CountsPlan, out()));
    bad(() =>
      engine.countsStageBatchSync!(wl, frames, { ...plan, used: Int32Array.from(plan.used, () => width) }, out()),
    );
    bad(() => engine.countsStageBatchSync!(wl, frames, { ...plan, first: 3, last: 2 }, out()));
    bad(() => engine.countsStageBatchSync!(wl, frames, { ...plan, darkSum: new Float64Array(nU).fill(NaN) }, out()));
    bad(() => engine.countsStageBatchSync!(wl, frames, plan, undefined as never));
    bad(() =>
      engine.countsStageBatchSync!(wl, frames, plan, { ...out(), sig: new Float32Array(frames.length * nU) } as never),
    );
    bad(() => engine.countsStageBatchSync!(wl, frames, plan, { ...out(), sig: new Float64Array(nU) }));
    bad(() => engine.countsStageBatchSync!(wl, frames, plan, { ...out(), mask: new Uint8Array(1) }));
    bad(() => engine.countsStageBatchSync!(wl, frames, plan, { ...out(), totals: new Float64Array(1) }));
    bad(() => engine.countsStageBatchSync!(wl, frames, plan, { ...out(), totals: [0] as unknown as Float64Array }));
  });
});

describe.skipIf(!nativeAvailable())('native countsStageBatchSync at the boundary', () => {
  it('throws TypeError for wrong types and RangeError for bad values, with the TypeScript engine’s messages', () => {
    const addon = loadNative().addon!;
    const { wl, plan } = ROIS['row 2 alone, contiguous pixels'];
    const nU = wl.length;
    const out = { sig: new Float64Array(frames.length * nU), mask: new Uint8Array(frames.length * nU) };
    const cases: [unknown[], typeof TypeError | typeof RangeError][] = [
      [[wl, 'frames', plan, out], TypeError],
      [[wl, [new Float64Array(3)], plan, out], RangeError],
      [[wl, frames, 7, out], TypeError],
      [[wl, frames, { ...plan, width: 0 }, out], RangeError],
      [[wl, frames, plan, 'out'], TypeError],
      [[wl, frames, plan, { sig: out.sig }], TypeError],
      [[wl, frames, plan, { ...out, sig: new Float64Array(3) }], RangeError],
      [[wl, frames, plan, { ...out, totals: new Float64Array(3) }], RangeError],
      [[wl, frames, plan, { ...out, totals: 'totals' }], TypeError],
      [[wl, frames, plan], TypeError],
    ];
    for (const [args, kind] of cases) {
      const call = addon.countsStageBatchSync as unknown as (...a: unknown[]) => unknown;
      let nativeError: unknown = null;
      try {
        call(...args);
      } catch (e) {
        nativeError = e;
      }
      expect(nativeError).toBeInstanceOf(kind);
      const jsCall = jsEngine.countsStageBatchSync as unknown as (...a: unknown[]) => unknown;
      expect(() => jsCall(...args)).toThrow((nativeError as Error).message);
    }
  });
});
