/**
 * The three ways analyzeBatch runs a batch:
 *  - nativeCountsBatch: Planck on lamp-calibrated counts once the gain is known, with an engine that has
 *    analyzeCountsBatch: preparation and fits on the engine's worker threads, one call per ROI (countsBatch: a
 *    batch that tries to estimate the gain first has its row sums computed here);
 *  - planckSubBatches: Planck otherwise: sub-batches prepared here, each handed to the engine's batch fit while
 *    the next is prepared;
 *  - noPlanckBatch: methods wien and two-color: everything prepared, then the two-colour off the event loop.
 * Each claims a buffer slot and frees it only once no native job writes into it any more.
 */
import type { FrameData } from './types';
import type { FrameBlock } from './frameBlock';
import type { ResolvedConfig } from './config';
import type { RoiPlan } from './plans';
import type { Buffers, BufferPool } from './buffers';
import type { FramePreparer } from './stages';
import { checkFrames, decodePrepFlagsOf } from './stages';
import { misfitThresholdTable, type BatchOutcome, type KeptFrames } from './results';
import type { BatchOptions, BatchResult, CountsBatchResult, TwoColorBatchResult } from '../physics/types';

/**
 * Frames per native batch call within analyzeBatch: small enough that a sub-batch's radiance, variance and mask
 * (~1 MB for 700 px) are still in the cache when a worker reads them, large enough to amortise a call; below the
 * native engine's threading threshold, so each call runs on one libuv pool thread and the calls run in parallel.
 */
const FIT_SUB_BATCH = 128;

/** The frames, indices, times and powers of one analyzeBatch call. */
export interface BatchInput {
  frames: ArrayLike<FrameData>;
  indices: ArrayLike<number>;
  times: ArrayLike<number | null>;
  powers: ArrayLike<number | null> | null | undefined;
}

/** What the strategies share: the configuration, plans, buffers, preparation and result assembly. */
export interface BatchContext {
  cfg: ResolvedConfig;
  plans: readonly RoiPlan[];
  pool: BufferPool;
  preparer: FramePreparer;
  finish(outcome: BatchOutcome): FrameBlock;
}

/** Separation of the sliding two-colour pairs of a ROI (pixels of its compacted grid). */
export function separationOf(ctx: BatchContext, pi: number): number {
  return Math.max(1, Math.min(ctx.cfg.twoColorSeparation, Math.floor(ctx.plans[pi].used.length / 2)));
}

/** Whether a ROI needs the sliding two-colour: FrameResult carries the first ROI's; method two-color needs all. */
export function wantsTwoColor(ctx: BatchContext, pi: number): boolean {
  return (ctx.cfg.twoColor && pi === 0) || ctx.cfg.method === 'two-color';
}

/** Options of the Planck batch fit of ROI pi over frames s0..s0+n−1. */
export function batchOptions(ctx: BatchContext, pi: number, n: number, b: Buffers, s0 = 0): BatchOptions {
  const nU = ctx.plans[pi].used.length;
  return {
    // unweighted (weights none): no variance, the engine scales σT by the residual variance
    variance: ctx.cfg.weights === 'noise' ? b.v[pi].subarray(s0 * nU, (s0 + n) * nU) : undefined,
    mask: b.m[pi].subarray(s0 * nU, (s0 + n) * nU),
    threads: ctx.cfg.threads,
    // the sliding two-colour in the same native pass over each frame
    twoColorSeparation: wantsTwoColor(ctx, pi) ? separationOf(ctx, pi) : undefined,
  };
}

/** The batch two-colour of the ROIs that need it (null elsewhere), from the Planck batch results when given. */
export function twoColors(
  ctx: BatchContext,
  n: number,
  b: Buffers,
  fits: (BatchResult | null)[],
): (TwoColorBatchResult | null)[] {
  return ctx.plans.map((plan, pi) => {
    if (!wantsTwoColor(ctx, pi)) {
      return null;
    }
    const given = fits[pi]?.twoColor;
    if (given) {
      return given;
    }
    const nU = plan.used.length;
    const options = { mask: b.m[pi].subarray(0, n * nU), threads: ctx.cfg.threads };
    return ctx.cfg.engine.slidingTwoColorBatchSync(
      plan.wl,
      b.y[pi].subarray(0, n * nU),
      n,
      separationOf(ctx, pi),
      options,
    );
  });
}

/** The same, off the event loop (methods wien and two-color: no Planck batch to carry it). */
function twoColorsAsync(ctx: BatchContext, n: number, b: Buffers): Promise<(TwoColorBatchResult | null)[]> {
  return Promise.all(
    ctx.plans.map((plan, pi) => {
      if (!wantsTwoColor(ctx, pi)) {
        return null;
      }
      const nU = plan.used.length;
      const options = { mask: b.m[pi].subarray(0, n * nU), threads: ctx.cfg.threads };
      return ctx.cfg.engine.slidingTwoColorBatch(
        plan.wl,
        b.y[pi].subarray(0, n * nU),
        n,
        separationOf(ctx, pi),
        options,
      );
    }),
  );
}

/** Concatenates the results of consecutive sub-batches (n frames in all). */
export function mergeBatches(parts: BatchResult[], n: number): BatchResult {
  if (parts.length === 1) {
    return parts[0];
  }
  const out: BatchResult = {
    temperature: new Float64Array(n),
    temperatureError: new Float64Array(n),
    scale: new Float64Array(n),
    chi2: new Float64Array(n),
    dof: new Int32Array(n),
    iterations: new Int32Array(n),
    status: new Uint8Array(n),
    engine: parts[0].engine,
  };
  const twoColor: TwoColorBatchResult | undefined = parts[0].twoColor
    ? { mean: new Float64Array(n), std: new Float64Array(n), count: new Int32Array(n) }
    : undefined;
  let at = 0;
  for (const part of parts) {
    out.temperature.set(part.temperature, at);
    out.temperatureError.set(part.temperatureError, at);
    out.scale.set(part.scale, at);
    out.chi2.set(part.chi2, at);
    out.dof.set(part.dof, at);
    out.iterations.set(part.iterations, at);
    out.status.set(part.status, at);
    if (twoColor && part.twoColor) {
      twoColor.mean.set(part.twoColor.mean, at);
      twoColor.std.set(part.twoColor.std, at);
      twoColor.count.set(part.twoColor.count, at);
    }
    at += part.temperature.length;
  }
  if (twoColor) {
    out.twoColor = twoColor;
  }
  return out;
}

/** The values of settled promises, or the first rejection thrown (after all settled). */
function valuesOf<T>(settled: PromiseSettledResult<T>[]): T[] {
  return settled.map((result) => {
    if (result.status === 'rejected') {
      throw result.reason;
    }
    return result.value;
  });
}

/**
 * Preparation and fits of every ROI in the engine's analyzeCountsBatch (lamp-calibrated counts, gain known). The
 * prepared frames stay on the engine's workers, which also do the misfit refits there (the buffers' y, v and m are
 * not even allocated); each ROI's result brings back what the assembly reads of them (KeptFrames).
 */
export async function nativeCountsBatch(ctx: BatchContext, input: BatchInput, slot: number): Promise<FrameBlock> {
  const { cfg, plans } = ctx;
  const n = input.frames.length;
  const b = ctx.pool.get(n, slot);
  checkFrames(cfg, input.frames, n);
  const list = Array.isArray(input.frames) ? (input.frames as FrameData[]) : Array.from(input.frames);
  const settled = await Promise.allSettled(
    plans.map((plan, pi) => {
      const out = { misfitThreshold: misfitThresholdTable(plan.used.length) };
      const options = {
        threads: cfg.threads,
        twoColorSeparation: wantsTwoColor(ctx, pi) ? separationOf(ctx, pi) : undefined,
      };
      return cfg.engine.analyzeCountsBatch!(plan.wl, list, plan.cp, out, options);
    }),
  );
  // (all settled: no native job still writes into the buffers when the slot is freed)
  const fits = valuesOf(settled);
  fits.forEach((fit, pi) => decodePrepFlagsOf(fit.flags, n, b, plans.length, pi));
  const kept = fits.map(keptFrames);
  return ctx.finish({ n, buffers: b, fits, kept, twoColors: twoColors(ctx, n, b, fits), ...input });
}

/** What analyzeCountsBatch returns of the frames it kept (asked with a misfitThreshold, it gives the refits). */
function keptFrames(fit: CountsBatchResult): KeptFrames {
  const { unweightedTemperature, lastRadiance, lastMask } = fit;
  return { unweightedTemperature: unweightedTemperature!, lastRadiance, lastMask };
}

/**
 * Lamp-calibrated counts with noise weights and an engine with analyzeCountsBatch: nativeCountsBatch. While the
 * gain is still to be estimated, the gain is first tried here on the row sums of the batch's brightest frames
 * (FramePreparer.estimateBeforeEngine); the batch is then prepared natively with the noise terms that attempt left in the
 * plans (estimated, or still the assumed ones), exactly as the TypeScript stages would prepare it. Everything up
 * to the native calls runs before the first await (the live path relies on the gain being settled when
 * analyzeBatch returns).
 */
export function countsBatch(
  ctx: BatchContext,
  input: BatchInput,
  slot: number,
  gainLocked: boolean,
): Promise<FrameBlock> {
  if (!gainLocked) {
    const n = input.frames.length;
    checkFrames(ctx.cfg, input.frames, n);
    ctx.preparer.estimateBeforeEngine(input.frames, n, ctx.pool.get(n, slot));
  }
  return nativeCountsBatch(ctx, input, slot);
}

/**
 * Planck in sub-batches: each is prepared and handed to the native fits (with the first ROI's two-colour in the
 * same pass) while the next is prepared; their buffers are still in the cache when a worker thread reads them.
 */
export async function planckSubBatches(ctx: BatchContext, input: BatchInput, slot: number): Promise<FrameBlock> {
  const { cfg, plans } = ctx;
  const n = input.frames.length;
  const parts: Promise<BatchResult[]>[] = [];
  const b = ctx.pool.get(n, slot);
  try {
    const counted = ctx.preparer.start(input.frames, n, b);
    for (let s0 = 0; s0 < n; s0 += FIT_SUB_BATCH) {
      const s1 = Math.min(n, s0 + FIT_SUB_BATCH);
      ctx.preparer.range(input.frames, s0, s1, b, counted);
      const m = s1 - s0;
      parts.push(
        Promise.all(
          plans.map((plan, pi) => {
            const frames = b.y[pi].subarray(s0 * plan.used.length, s1 * plan.used.length);
            return cfg.engine.fitPlanckBatch(plan.wl, frames, m, batchOptions(ctx, pi, m, b, s0));
          }),
        ),
      );
    }
  } catch (e) {
    await Promise.allSettled(parts); // the buffers are free only once no native job reads them
    throw e;
  }
  const perPart = valuesOf(await Promise.allSettled(parts));
  const fits = plans.map((_plan, pi) =>
    mergeBatches(
      perPart.map((part) => part[pi]),
      n,
    ),
  );
  return ctx.finish({ n, buffers: b, fits, twoColors: twoColors(ctx, n, b, fits), ...input });
}

/** Methods wien and two-color: the whole batch prepared, the two-colour off the event loop, Wien per frame. */
export async function noPlanckBatch(ctx: BatchContext, input: BatchInput, slot: number): Promise<FrameBlock> {
  const n = input.frames.length;
  const b = ctx.preparer.prepare(input.frames, n, slot);
  const fits = ctx.plans.map(() => null);
  return ctx.finish({ n, buffers: b, fits, twoColors: await twoColorsAsync(ctx, n, b), ...input });
}
