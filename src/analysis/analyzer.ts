/**
 * The shared pipeline: raw frames (counts, height × width) → calibrated radiance per ROI → noise model,
 * saturation / cosmic / corrupt tests → Planck (or Wien / two-colour) fit → FrameResult.
 * Used by `pyrolive analyze`, the live server and the tests. Buffers are allocated once per batch size and
 * reused; the used pixels of each ROI are compacted once (one wavelength grid per ROI).
 *
 * The parts: config.ts (checks, defaults), plans.ts (ROI plans, noise terms), buffers.ts (BufferPool),
 * stages.ts (the preparation), gain.ts (GainEstimator), results.ts (FrameResults), strategies.ts (batch paths).
 */
import type { AnalyzerConfig, FrameData, FrameResult, SpectrumView } from './types';
import type { PhysicsEngine } from '../physics/types';
import type { Roi } from '../calibration/rows';
import type { NoiseModel } from '../quality/noise';
import { resolveConfig } from './config';
import { applyNoise, buildRoiPlans } from './plans';
import { BufferPool, FRAME_SLOT } from './buffers';
import { FramePreparer } from './stages';
import { GainEstimator } from './gain';
import { assembleResults, type LastFrame } from './results';
import { FrameBlock } from './frameBlock';
import {
  batchOptions,
  countsBatch,
  noPlanckBatch,
  planckSubBatches,
  twoColors,
  type BatchContext,
  type BatchInput,
} from './strategies';
import { planckRadiance } from '../physics/planck';

export type { Method, FrameData, LampInput, DarkInput, AnalyzerConfig } from './types';

export interface Analyzer {
  readonly engine: PhysicsEngine;
  readonly rois: readonly Roi[];
  /** Fitted wavelength range per ROI, nm. */
  readonly ranges: Record<string, [number, number]>;
  analyzeFrame(counts: FrameData, index: number, time: number | null, power?: number | null): FrameResult;
  analyzeBatch(
    frames: ArrayLike<FrameData>,
    indices: ArrayLike<number>,
    times: ArrayLike<number | null>,
    powers?: ArrayLike<number | null> | null,
  ): Promise<FrameResult[]>;
  /** As analyzeBatch, the results in columns (no object per frame: what `analyze` writes its output from). */
  analyzeBlock(
    frames: ArrayLike<FrameData>,
    indices: ArrayLike<number>,
    times: ArrayLike<number | null>,
    powers?: ArrayLike<number | null> | null,
  ): Promise<FrameBlock>;
  /** The last analysed frame's spectrum (first ROI) with its fit, or null. */
  lastSpectrum(): SpectrumView | null;
  /** The noise model in use (gain is fixed after the first frames when estimated). */
  noise(): NoiseModel;
}

/**
 * Builds the analysis of one shot geometry: checks the configuration (ConfigError names the field), plans each
 * ROI's pixels once, and returns an Analyzer whose analyzeFrame / analyzeBatch turn raw frames (or radiance
 * spectra, without a lamp) into FrameResults. At most two analyzeBatch calls may be in flight at once.
 */
export function createAnalyzer(config: AnalyzerConfig): Analyzer {
  const cfg = resolveConfig(config);
  const plans = buildRoiPlans(cfg);
  const noise = cfg.noise;
  applyNoise(plans, noise, cfg);
  const ranges: Record<string, [number, number]> = {};
  for (const plan of plans) {
    ranges[plan.roi.name] = [plan.wl[0], plan.wl[plan.wl.length - 1]];
  }
  const pool = new BufferPool(plans);
  const gain = new GainEstimator(cfg, plans, noise);
  const preparer = new FramePreparer(cfg, plans, pool, gain);
  let last: LastFrame | null = null;
  const keepLast = (frame: LastFrame) => {
    last = frame;
  };
  const ctx: BatchContext = {
    cfg,
    plans,
    pool,
    preparer,
    finish: (outcome) => assembleResults(cfg, plans, outcome, keepLast),
  };
  const engine = cfg.engine;

  function analyzeFrame(
    counts: FrameData,
    index: number,
    time: number | null,
    power: number | null = null,
  ): FrameResult {
    const b = preparer.prepare([counts], 1, FRAME_SLOT);
    const fits = plans.map((plan, pi) =>
      cfg.method === 'planck'
        ? engine.fitPlanckBatchSync(plan.wl, b.y[pi].subarray(0, plan.used.length), 1, batchOptions(ctx, pi, 1, b))
        : null,
    );
    const outcome = {
      n: 1,
      buffers: b,
      fits,
      twoColors: twoColors(ctx, 1, b, fits),
      indices: [index],
      times: [time],
      powers: [power],
    };
    return ctx.finish(outcome).frame(0);
  }

  async function analyzeBlock(
    frames: ArrayLike<FrameData>,
    indices: ArrayLike<number>,
    times: ArrayLike<number | null>,
    powers: ArrayLike<number | null> | null = null,
  ): Promise<FrameBlock> {
    if (frames.length === 0) {
      return new FrameBlock(
        0,
        plans.map((plan) => plan.roi.name),
        engine,
      );
    }
    const input: BatchInput = { frames, indices, times, powers };
    const slot = pool.acquire();
    try {
      if (cfg.method !== 'planck') {
        return await noPlanckBatch(ctx, input, slot);
      }
      if (cfg.calibrated && cfg.weights === 'noise' && engine.analyzeCountsBatch) {
        return await countsBatch(ctx, input, slot, gain.locked);
      }
      return await planckSubBatches(ctx, input, slot);
    } finally {
      pool.release(slot);
    }
  }

  async function analyzeBatch(
    frames: ArrayLike<FrameData>,
    indices: ArrayLike<number>,
    times: ArrayLike<number | null>,
    powers: ArrayLike<number | null> | null = null,
  ): Promise<FrameResult[]> {
    return (await analyzeBlock(frames, indices, times, powers)).toResults();
  }

  function lastSpectrum(): SpectrumView | null {
    if (!last) {
      return null;
    }
    const wavelength = plans[0].wl;
    const fit = new Float64Array(wavelength.length).fill(NaN);
    if (Number.isFinite(last.temperature) && Number.isFinite(last.scale)) {
      for (let k = 0; k < fit.length; k++) {
        fit[k] = last.scale * planckRadiance(wavelength[k], last.temperature);
      }
    }
    return { index: last.index, wavelength, radiance: last.radiance, fit, mask: last.mask };
  }

  return {
    engine,
    rois: cfg.rois,
    ranges,
    analyzeFrame,
    analyzeBatch,
    analyzeBlock,
    lastSpectrum,
    noise: () => ({ ...noise }),
  };
}
