/**
 * From the prepared buffers and the fits of a batch to one FrameResult per frame: the flags of the preparation,
 * the fit status, σT scaled by √(χ²/dof) where the noise model's scale is not known, and the weak test on σT.
 * For method planck on an engine with assembleCountsResults (the native one) each ROI is assembled natively
 * (native/assemble.cc), bit-identical to the functions here, which stay its twin (and serve the other engines and
 * methods): no per-frame JavaScript for V8 to compile in every process. On the counts path (analyzeCountsBatch)
 * the prepared frames stay on the engine's workers: what is read of them here — the misfit refits and the last
 * frame's spectrum — comes back with the fits (BatchOutcome.kept).
 */
import type { FrameFlag } from './types';
import { FLAG_BIT, FrameBlock } from './frameBlock';
import type { ResolvedConfig } from './config';
import type { RoiPlan } from './plans';
import type { Buffers } from './buffers';
import type {
  AssembleCountsInput,
  AssembleCountsOutput,
  BatchResult,
  CountsBatchResult,
  PhysicsEngine,
  TwoColorBatchResult,
} from '../physics/types';
import { FitStatus } from '../physics/types';
import { MISFIT_MIN_CHI2, misfitChi2Threshold, reducedChi2, WEAK_MAX_RELATIVE_ERROR } from '../quality/flags';

/** The last analysed frame of the first ROI, kept for the live spectrum view. */
export interface LastFrame {
  temperature: number;
  scale: number;
  index: number;
  radiance: Float64Array;
  mask: Uint8Array;
}

/**
 * What the engine's workers kept of a ROI's prepared frames (analyzeCountsBatch without buffers: the buffers' y, v
 * and m then hold nothing of the batch): the misfit refits' temperatures and the last frame's spectrum.
 */
export type KeptFrames = Required<Pick<CountsBatchResult, 'unweightedTemperature' | 'lastRadiance' | 'lastMask'>>;

/** A batch's inputs to the result assembly. */
export interface BatchOutcome {
  n: number;
  buffers: Buffers;
  /** Per ROI, when the prepared frames stayed on the engine's workers (else the buffers hold them). */
  kept?: readonly KeptFrames[];
  /** Planck batch fits per ROI (null for methods wien and two-color). */
  fits: (BatchResult | null)[];
  /** Sliding two-colour per ROI where computed. */
  twoColors: (TwoColorBatchResult | null)[];
  indices: ArrayLike<number>;
  times: ArrayLike<number | null>;
  powers: ArrayLike<number | null> | null | undefined;
}

interface FitValues {
  temperature: number | null;
  temperatureError: number | null;
  chi2: number | null;
  scale: number;
  /** degrees of freedom of a weighted fit (for the misfit test) */
  dof?: number;
  /** σT from the fit alone, before the misfit widening (the weak test looks at this one) */
  statisticalError?: number;
  /** the flags the fit adds (FLAG_BIT bits) */
  flags: number;
}

/** No fit, for the reason `flag` gives. */
function noFit(flag: FrameFlag): FitValues {
  return { temperature: null, temperatureError: null, chi2: null, scale: NaN, flags: FLAG_BIT[flag] };
}

/** A frame's two-colour mean ± spread, or null where it has no valid pair. */
function twoColorOf(result: TwoColorBatchResult | null, f: number): { mean: number; std: number } | null {
  if (!result || !(result.count[f] > 0) || !Number.isFinite(result.mean[f])) {
    return null;
  }
  return { mean: result.mean[f], std: Number.isFinite(result.std[f]) ? result.std[f] : 0 };
}

/** Scales σT by √(χ²/dof) when the configuration asks for it. */
function scaledError(cfg: ResolvedConfig, error: number, chi2: number | null): number {
  return cfg.scaleByChi2 && chi2 !== null ? error * Math.sqrt(chi2) : error;
}

/** The Planck batch fit of frame f, or the flag that says why there is none. */
function planckValues(cfg: ResolvedConfig, fit: BatchResult, f: number): FitValues {
  switch (fit.status[f]) {
    case FitStatus.Ok: {
      const temperature = fit.temperature[f];
      if (!(Number.isFinite(temperature) && temperature > 0)) {
        return noFit('fit-failed');
      }
      if (cfg.weights === 'none') {
        // unweighted: σT is already scaled by the residual variance; χ² is not in units of the noise
        return { temperature, temperatureError: fit.temperatureError[f], chi2: null, scale: fit.scale[f], flags: 0 };
      }
      const chi2 = reducedChi2(fit.chi2[f], fit.dof[f]);
      // with variance given the engine reports the absolute σT: rescale when the gain is not known
      const temperatureError = scaledError(cfg, fit.temperatureError[f], chi2);
      return { temperature, temperatureError, chi2, scale: fit.scale[f], dof: fit.dof[f], flags: 0 };
    }
    case FitStatus.InvalidData:
      return noFit('corrupt');
    case FitStatus.TooFewPixels:
      return noFit('weak');
    default:
      return noFit('fit-failed');
  }
}

/**
 * A weighted Planck fit whose χ²/dof says the greybody does not describe the data (beyond p ≈ 0.001): the choice
 * of weights then moves T by more than its statistical σ (domain.md §9), so σT also holds that move, measured by
 * an unweighted fit of the same pixels: σT² = σ²·χ²/dof + (T_weighted − T_unweighted)².
 * Far beyond (χ²/dof ≥ MISFIT_MIN_CHI2) the frame is flagged `misfit`.
 */
function withMisfit(
  cfg: ResolvedConfig,
  plan: RoiPlan,
  batch: BatchOutcome,
  pi: number,
  f: number,
  fit: FitValues,
): FitValues {
  const chi2 = fit.chi2!;
  if (!(chi2 > misfitChi2Threshold(fit.dof!))) {
    return fit;
  }
  const values = chi2 >= MISFIT_MIN_CHI2 ? { ...fit, flags: fit.flags | FLAG_BIT.misfit } : fit;
  const unweighted = unweightedOf(cfg, plan, batch, pi, f);
  if (!Number.isFinite(unweighted) || values.temperatureError === null) {
    return values;
  }
  const shift = values.temperature! - unweighted;
  return {
    ...values,
    temperatureError: Math.sqrt(values.temperatureError ** 2 + shift * shift),
    statisticalError: values.temperatureError,
  };
}

/**
 * The unweighted refit's temperature of frame f: the one the engine's workers computed when they kept the frames
 * (NaN where it failed), else a refit of the prepared radiance and mask (NaN where it throws).
 */
function unweightedOf(cfg: ResolvedConfig, plan: RoiPlan, batch: BatchOutcome, pi: number, f: number): number {
  const kept = batch.kept?.[pi];
  if (kept) {
    return kept.unweightedTemperature[f];
  }
  const nU = plan.used.length;
  const radiance = batch.buffers.y[pi].subarray(f * nU, (f + 1) * nU);
  const mask = batch.buffers.m[pi].subarray(f * nU, (f + 1) * nU);
  try {
    return cfg.engine.fitPlanck(plan.wl, radiance, { mask }).temperature;
  } catch {
    return NaN;
  }
}

/** The Wien fit of one frame's radiance (method wien). */
function wienValues(
  cfg: ResolvedConfig,
  radiance: Float64Array,
  variance: Float64Array,
  mask: Uint8Array,
  wavelength: Float64Array,
): FitValues {
  try {
    const fit = cfg.engine.fitWien(wavelength, radiance, cfg.weights === 'none' ? { mask } : { variance, mask });
    if (!(Number.isFinite(fit.temperature) && fit.temperature > 0)) {
      return noFit('fit-failed');
    }
    const chi2 = reducedChi2(fit.chi2, fit.dof);
    const temperatureError = scaledError(cfg, fit.temperatureError, chi2);
    return { temperature: fit.temperature, temperatureError, chi2, scale: fit.scale, flags: 0 };
  } catch {
    return noFit('fit-failed');
  }
}

/** The fit values of one ROI of one frame that passed the preparation's tests, by the configured method. */
function fitValues(
  cfg: ResolvedConfig,
  plan: RoiPlan,
  pi: number,
  f: number,
  batch: BatchOutcome,
  twoColor: { mean: number; std: number } | null,
): FitValues {
  const b = batch.buffers;
  const nU = plan.used.length;
  if (cfg.method === 'two-color') {
    return twoColor
      ? { temperature: twoColor.mean, temperatureError: twoColor.std, chi2: null, scale: NaN, flags: 0 }
      : noFit('fit-failed');
  }
  if (cfg.method === 'wien') {
    const frame = (array: Float64Array) => array.subarray(f * nU, (f + 1) * nU);
    const mask = b.m[pi].subarray(f * nU, (f + 1) * nU);
    return wienValues(cfg, frame(b.y[pi]), frame(b.v[pi]), mask, plan.wl);
  }
  const values = planckValues(cfg, batch.fits[pi]!, f);
  if (values.temperature !== null && values.chi2 !== null && values.dof !== undefined) {
    return withMisfit(cfg, plan, batch, pi, f, values);
  }
  return values;
}

/**
 * One ROI of one frame into its slot of `out` (flags, temperature, σT, χ²/dof), and for the first ROI the frame's
 * two-colour; returns the fit's scale (for the live spectrum view).
 */
function roiResult(
  cfg: ResolvedConfig,
  plan: RoiPlan,
  pi: number,
  f: number,
  batch: BatchOutcome,
  out: FrameBlock,
): number {
  const b = batch.buffers;
  const slot = f * out.nRois + pi;
  if (b.corrupt[slot]) {
    out.flags[slot] = FLAG_BIT.corrupt;
    return NaN;
  }
  const prepared = (b.sat[slot] ? FLAG_BIT.saturated : 0) | (b.cosmic[slot] ? FLAG_BIT.cosmic : 0);
  if (b.weak[slot]) {
    out.flags[slot] = prepared | FLAG_BIT.weak;
    return NaN;
  }
  const twoColor = twoColorOf(batch.twoColors[pi], f);
  if (pi === 0 && twoColor) {
    out.twoColorMean[f] = twoColor.mean;
    out.twoColorStd[f] = twoColor.std;
  }
  const values = fitValues(cfg, plan, pi, f, batch, twoColor);
  let flags = prepared | values.flags;
  const { temperature, temperatureError } = values;
  // weak means no signal to speak of: judged on the fit's own σT, not on the misfit's share of it
  const fitError = values.statisticalError ?? temperatureError;
  if (temperature !== null && fitError !== null && !(fitError <= WEAK_MAX_RELATIVE_ERROR * temperature)) {
    flags |= FLAG_BIT.weak;
  } else if (temperature !== null) {
    out.temperature[slot] = temperature;
    out.temperatureError[slot] = temperatureError ?? NaN;
  }
  out.chi2[slot] = values.chi2 ?? NaN;
  out.flags[slot] = flags;
  return values.scale;
}

/**
 * misfitChi2Threshold(dof) for dof 0..nU, per pixel count (the native assembly's and analyzeCountsBatch's table:
 * the formula stays in src/quality/flags.ts).
 */
const misfitThresholds = new Map<number, Float64Array>();

export function misfitThresholdTable(nU: number): Float64Array {
  let table = misfitThresholds.get(nU);
  if (!table) {
    table = Float64Array.from({ length: nU + 1 }, (_v, dof) => misfitChi2Threshold(dof));
    misfitThresholds.set(nU, table);
  }
  return table;
}

/**
 * Method planck on an engine with assembleCountsResults: each ROI's slots filled natively (the same rules as
 * roiResult, bit for bit); returns the first ROI's fit scale per frame.
 */
function assembleNative(
  cfg: ResolvedConfig,
  assemble: NonNullable<PhysicsEngine['assembleCountsResults']>,
  plans: readonly RoiPlan[],
  batch: BatchOutcome,
  out: FrameBlock,
): Float64Array {
  const { n, buffers: b } = batch;
  const firstScale = new Float64Array(n);
  const scale = plans.length > 1 ? new Float64Array(n) : firstScale;
  for (let pi = 0; pi < plans.length; pi++) {
    const fit = batch.fits[pi]!;
    const twoColor = batch.twoColors[pi] ?? null;
    const kept = batch.kept?.[pi];
    // the refits the workers did, or the prepared frames to refit (read only when given: the buffers are lazy)
    const frames = kept ? { unweightedTemperature: kept.unweightedTemperature } : { radiance: b.y[pi], mask: b.m[pi] };
    const input: AssembleCountsInput = {
      wavelengthNm: plans[pi].wl,
      ...frames,
      n,
      nRois: plans.length,
      roi: pi,
      sat: b.sat,
      cosmic: b.cosmic,
      corrupt: b.corrupt,
      weak: b.weak,
      status: fit.status,
      temperature: fit.temperature,
      temperatureError: fit.temperatureError,
      chi2: fit.chi2,
      dof: fit.dof,
      scale: fit.scale,
      twoColor,
      weights: cfg.weights,
      scaleByChi2: cfg.scaleByChi2,
      weakMaxRelativeError: WEAK_MAX_RELATIVE_ERROR,
      misfitMinChi2: MISFIT_MIN_CHI2,
      misfitThreshold: misfitThresholdTable(plans[pi].used.length),
    };
    assemble(input, { ...columnsOf(out), scale: pi === 0 ? firstScale : scale });
  }
  return firstScale;
}

/** Each frame's index, time and power (a small loop of its own: the optimising compiler's work stays small). */
function frameColumns(batch: BatchOutcome, out: FrameBlock): void {
  const { n, indices, times, powers } = batch;
  for (let f = 0; f < n; f++) {
    out.index[f] = indices[f];
    out.time[f] = times[f] ?? NaN;
    out.setPower(f, powers ? (powers[f] ?? null) : null);
  }
}

/** A block's columns that the native assembly writes. */
function columnsOf(out: FrameBlock): Omit<AssembleCountsOutput, 'scale'> {
  const { temperature, temperatureError, chi2, flags, twoColorMean, twoColorStd } = out;
  return { temperature, temperatureError, chi2, flags, twoColorMean, twoColorStd };
}

/** The results of a batch, in columns; `keepLast` receives the batch's last frame of the first ROI. */
export function assembleResults(
  cfg: ResolvedConfig,
  plans: readonly RoiPlan[],
  batch: BatchOutcome,
  keepLast: (last: LastFrame) => void,
): FrameBlock {
  const { n, buffers, indices } = batch;
  const out = new FrameBlock(
    n,
    plans.map((plan) => plan.roi.name),
    cfg.engine,
  );
  // (always the batch's last frame: what the workers keep when they keep the frames)
  const keep = (frame: number, scale: number) => {
    const nU = plans[0].used.length;
    const kept = batch.kept?.[0];
    keepLast({
      temperature: out.temperature[frame * plans.length],
      scale,
      index: indices[frame],
      radiance: kept ? kept.lastRadiance : Float64Array.from(buffers.y[0].subarray(frame * nU, (frame + 1) * nU)),
      mask: kept ? kept.lastMask : Uint8Array.from(buffers.m[0].subarray(frame * nU, (frame + 1) * nU)),
    });
  };
  const assemble = cfg.engine.assembleCountsResults;
  if (
    cfg.method === 'planck' &&
    assemble &&
    batch.fits.length === plans.length &&
    batch.fits.every((fit) => fit !== null)
  ) {
    const scale = assembleNative(cfg, assemble, plans, batch, out);
    frameColumns(batch, out);
    if (n > 0) {
      keep(n - 1, scale[n - 1]);
    }
    return out;
  }
  frameColumns(batch, out);
  for (let f = 0; f < n; f++) {
    for (let pi = 0; pi < plans.length; pi++) {
      const scale = roiResult(cfg, plans[pi], pi, f, batch, out);
      if (pi === 0 && f === n - 1) {
        keep(f, scale);
      }
    }
  }
  return out;
}
