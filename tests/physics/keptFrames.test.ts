/**
 * analyzeCountsBatch without buffers for the prepared frames: they stay where they were prepared (the addon's
 * worker threads), which also refit the misfit frames unweighted (out.misfitThreshold) and return the last frame's
 * spectrum. Against the same call with buffers (the frames written out): the same fits and flags, the last frame's
 * radiance and mask, and per frame the refit that src/analysis/results.ts would make from the buffers
 * (engine.fitPlanck of the frame, unweighted, where the weighted χ²/dof is beyond misfitChi2Threshold; NaN
 * elsewhere). Counts with their bias left in (a dark too low) make misfit frames.
 */
import { describe, expect, it } from 'vitest';
import { FitArgumentError } from '../../src/errors';
import { getEngine, jsEngine, nativeAvailable } from '../../src/physics';
import type { BatchResult, CountsBatchResult, PhysicsEngine } from '../../src/physics';
import { FitStatus } from '../../src/physics/types';
import { misfitChi2Threshold } from '../../src/quality/flags';
import { countsPlanOf, makeShot } from '../support/simShot';

const shot = makeShot({ seed: 91, frames: 150, width: 400, level: 4000, cosmics: (f) => (f % 11 === 4 ? 2 : 0) });
const { width } = shot;
const BIAS = 40; // counts a pixel the dark is too low by

/** The shot as uint16 counts, one frame corrupt (NaN: float64) and one saturated. */
const frames = shot.frames.map((frame, f) => {
  if (f === 17) {
    const copy = Float64Array.from(frame);
    copy[width + 150] = NaN;
    return copy;
  }
  const counts = Uint16Array.from(frame, (c) => Math.min(65535, Math.max(0, Math.round(c))));
  if (f === 23) {
    counts[200] = 65535;
  }
  return counts;
});

// the plan of the pixels in 570–830 nm, with the dark BIAS counts too low
const { wl, p } = countsPlanOf(shot, { darkBias: BIAS });
const nU = wl.length;
const n = frames.length;
const misfitThreshold = Float64Array.from({ length: nU + 1 }, (_v, dof) => misfitChi2Threshold(dof));
const buffers = () => ({
  radiance: new Float64Array(n * nU),
  variance: new Float64Array(n * nU),
  mask: new Uint8Array(n * nU),
});
const options = { twoColorSeparation: 60 };

/** The misfit test of results.ts (planckValues, then withMisfit), written out independently. */
function beyondThreshold(fit: BatchResult, f: number): boolean {
  const dof = fit.dof[f];
  const ok = fit.status[f] === FitStatus.Ok && Number.isFinite(fit.temperature[f]) && fit.temperature[f] > 0;
  return ok && dof > 0 && Math.max(0, fit.chi2[f] / dof) > misfitChi2Threshold(dof);
}

/** The refit results.ts makes from the buffers: fitPlanck of the frame's radiance and mask, NaN where it throws. */
function refitFromBuffers(engine: PhysicsEngine, out: ReturnType<typeof buffers>, f: number): number {
  const frame = <T extends Float64Array | Uint8Array>(a: T) => a.subarray(f * nU, (f + 1) * nU) as T;
  try {
    return engine.fitPlanck(wl, frame(out.radiance), { mask: frame(out.mask) }).temperature;
  } catch {
    return NaN;
  }
}

function expectSameValues(name: string, actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(actual.length, name).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      expect.fail(`${name}[${i}]: ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

/** The kept-frames call against the call with buffers (`out`, `reference`) of the same engine. */
function expectKeptLikeBuffers(
  engine: PhysicsEngine,
  kept: CountsBatchResult,
  reference: CountsBatchResult,
  out: ReturnType<typeof buffers>,
): number {
  for (const key of ['temperature', 'temperatureError', 'scale', 'chi2', 'dof', 'status', 'flags'] as const) {
    expectSameValues(key, kept[key], reference[key]);
  }
  expectSameValues('twoColor.mean', kept.twoColor!.mean, reference.twoColor!.mean);
  expectSameValues('lastRadiance', kept.lastRadiance, out.radiance.subarray((n - 1) * nU));
  expectSameValues('lastMask', kept.lastMask, out.mask.subarray((n - 1) * nU));
  const expected = Float64Array.from({ length: n }, (_v, f) =>
    beyondThreshold(reference, f) ? refitFromBuffers(engine, out, f) : NaN,
  );
  expectSameValues('unweightedTemperature', kept.unweightedTemperature!, expected);
  return expected.filter((t) => Number.isFinite(t)).length;
}

const engines: PhysicsEngine[] = [jsEngine, ...(nativeAvailable() ? [getEngine('native')] : [])];

describe.each(engines.map((engine) => [engine.name, engine] as const))(
  '%s engine: analyzeCountsBatch keeping the prepared frames',
  (_name, engine) => {
    const out = buffers();
    const reference = engine.analyzeCountsBatchSync!(wl, frames, p, out, options);

    it('the same fits and flags as with buffers; the last spectrum; the misfit refits of the buffers', async () => {
      for (const threads of [1, 2]) {
        const kept = await engine.analyzeCountsBatch!(wl, frames, p, { misfitThreshold }, { ...options, threads });
        const refits = expectKeptLikeBuffers(engine, kept, reference, out);
        // misfit frames were refitted, and not every frame is one
        expect(refits).toBeGreaterThan(10);
        expect(refits).toBeLessThan(n - 10);
      }
      const sync = engine.analyzeCountsBatchSync!(wl, frames, p, { misfitThreshold }, options);
      expectKeptLikeBuffers(engine, sync, reference, out);
      // the corrupt and the saturated frames were met
      expect(reference.flags[17]).not.toBe(0);
      expect(reference.flags[23]).not.toBe(0);
    });

    it('with buffers and misfitThreshold: the buffers written and the refits made', async () => {
      const both = buffers();
      const result = await engine.analyzeCountsBatch!(wl, frames, p, { ...both, misfitThreshold }, options);
      expectSameValues('radiance', both.radiance, out.radiance);
      expectKeptLikeBuffers(engine, result, reference, out);
    });

    it('without misfitThreshold: no refits; without frames: an empty last spectrum', async () => {
      expect(reference.unweightedTemperature).toBeUndefined();
      const none = await engine.analyzeCountsBatch!(wl, [], p, { misfitThreshold });
      expect(none.lastRadiance.length).toBe(0);
      expect(none.lastMask.length).toBe(0);
      expect(none.unweightedTemperature!.length).toBe(0);
    });

    it('invalid out: a FitArgumentError with the message, never a crash', async () => {
      const bad = async (out: unknown, message: RegExp) => {
        const call = engine.analyzeCountsBatch!(wl, frames, p, out as { misfitThreshold: Float64Array });
        await expect(call).rejects.toThrow(FitArgumentError);
        await expect(engine.analyzeCountsBatch!(wl, frames, p, out as object)).rejects.toThrow(message);
      };
      await bad({ misfitThreshold: misfitThreshold.subarray(0, nU) }, /out\.misfitThreshold length \d+ is less/);
      await bad({ misfitThreshold: Array.from(misfitThreshold) }, /out\.misfitThreshold must be a Float64Array/);
      const { radiance, mask } = buffers();
      await bad({ radiance, mask, misfitThreshold }, /out\.variance must be a Float64Array/);
    });
  },
);
