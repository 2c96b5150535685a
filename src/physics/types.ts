/**
 * Contract of the fitting core, implemented twice: in C++ (native/, loaded by ./engine.ts) and in
 * TypeScript (./core.ts, behind ./jsEngine.ts). Both engines take the same arguments and return the same shapes.
 *
 * Conventions: wavelengths in nm (strictly positive, finite); radiance already divided by the system
 * response (finite; may be negative from noise); variance per pixel (finite, > 0) when given;
 * mask: Uint8Array, 1 = ignore this pixel, 0 = use it. Invalid arguments throw FitArgumentError
 * (JS engine) / Error with the same message (native, re-thrown as FitArgumentError by the facade).
 */
export type EngineName = 'native' | 'js';

export interface FitOptions {
  /** Per-pixel variance of the radiance. Given: weighted fit, σT absolute. Absent: unweighted, σT scaled by χ²/dof. */
  variance?: Float64Array;
  /** 1 = ignore pixel. Same length as the wavelengths. */
  mask?: Uint8Array;
  /** Newton passes at most (default 50). */
  maxIterations?: number;
  /** Relative convergence on T (default 1e-10). */
  tolerance?: number;
}

export interface PlanckResult {
  temperature: number; // K
  temperatureError: number; // K, 1σ from the profiled χ² curvature
  scale: number; // s in I = s·L(λ,T), L with c1 = 2hc² in W m^-2 sr^-1 m^-1 (λ in m)
  chi2: number; // Σ w (y − sL)²  (w = 1/var, or 1 when no variance)
  dof: number; // used pixels − 2
  iterations: number;
  converged: boolean;
  engine: EngineName;
}

export interface WienResult {
  temperature: number;
  temperatureError: number;
  scale: number;
  chi2: number; // of the linear fit in Wien coordinates
  dof: number;
  engine: EngineName;
}

export interface SlidingTwoColorOptions {
  mask?: Uint8Array;
  /** Histogram bins (default 50), over [min, max] of the finite pair temperatures. */
  bins?: number;
}

export interface SlidingTwoColorResult {
  mean: number;
  std: number;
  count: number; // number of valid pairs
  histogram: { edges: Float64Array; counts: Uint32Array }; // edges.length = bins + 1
  engine: EngineName;
}

/**
 * Per-frame status codes in batch results: the one definition in TypeScript, equal to native/fit.h's
 * `pyro::Status` (tests/physics/status.test.ts reads the header to check).
 */
export const FitStatus = {
  Ok: 0,
  /** NaN/Inf in the frame's data (or variance): no fit attempted. */
  InvalidData: 1,
  /** The fit ran but did not converge. */
  NotConverged: 2,
  /** Fewer than 3 usable pixels after the mask / non-positive signal. */
  TooFewPixels: 3,
} as const;
export type FitStatus = (typeof FitStatus)[keyof typeof FitStatus];

export interface BatchOptions {
  /** Variance, same length as frames (nFrames × nPixels), or absent. */
  variance?: Float64Array;
  /** Mask, length nPixels (shared by all frames) or nFrames × nPixels (per frame). 1 = ignore. */
  mask?: Uint8Array;
  /** Worker threads for the native engine (default: all cores for large batches, 1 for small). */
  threads?: number;
  maxIterations?: number;
  tolerance?: number;
  /**
   * Also compute the sliding two-colour of every frame at this pixel separation (integer in [1, pixels − 1]),
   * in the same pass over each frame and with the same mask; the result then has `twoColor`.
   */
  twoColorSeparation?: number;
}

export interface SlidingTwoColorBatchOptions {
  /** Mask, length nPixels (shared by all frames) or nFrames × nPixels (per frame). 1 = ignore. */
  mask?: Uint8Array;
  /** Worker threads for the native engine (default: all cores for large batches, 1 for small). */
  threads?: number;
}

/**
 * Sliding two-colour per frame (as slidingTwoColor, without the histogram). A frame with a non-finite radiance on
 * an unmasked pixel, or without any valid pair, has mean = std = NaN and count 0 (it never fails the batch).
 */
export interface TwoColorBatchResult {
  mean: Float64Array;
  /** sample standard deviation (n − 1); 0 for a single pair */
  std: Float64Array;
  count: Int32Array;
}

export interface BatchResult {
  temperature: Float64Array;
  temperatureError: Float64Array;
  scale: Float64Array;
  chi2: Float64Array;
  dof: Int32Array;
  iterations: Int32Array;
  /** FitStatus per frame; a bad frame never fails the batch. */
  status: Uint8Array;
  /** Present when BatchOptions.twoColorSeparation was given. */
  twoColor?: TwoColorBatchResult;
  engine: EngineName;
}

/**
 * The engine facade (src/physics/index.ts exports `physics`, the chosen engine):
 *  fitPlanck(wl, radiance, opts?)                    → PlanckResult        (throws on invalid args)
 *  fitWien(wl, radiance, opts?)                      → WienResult
 *  twoColor(wl, radiance, i, j)                      → number (K)           (pixel indices)
 *  slidingTwoColor(wl, radiance, separation, opts?)  → SlidingTwoColorResult
 *  fitPlanckBatch(wl, frames, nFrames, opts?)        → Promise<BatchResult> (frames: nFrames × wl.length, row-major)
 *  fitPlanckBatchSync(wl, frames, nFrames, opts?)    → BatchResult          (same, on the calling thread)
 *  slidingTwoColorBatch(wl, frames, nFrames, separation, opts?)     → Promise<TwoColorBatchResult & {engine}>
 *  slidingTwoColorBatchSync(wl, frames, nFrames, separation, opts?) → TwoColorBatchResult & {engine}
 */
export interface PhysicsEngine extends CountsBatchEngine {
  readonly name: EngineName;
  fitPlanck(wavelengthNm: Float64Array, radiance: Float64Array, opts?: FitOptions): PlanckResult;
  fitWien(wavelengthNm: Float64Array, radiance: Float64Array, opts?: FitOptions): WienResult;
  twoColor(wavelengthNm: Float64Array, radiance: Float64Array, i: number, j: number): number;
  slidingTwoColor(
    wavelengthNm: Float64Array,
    radiance: Float64Array,
    separation: number,
    opts?: SlidingTwoColorOptions,
  ): SlidingTwoColorResult;
  fitPlanckBatch(
    wavelengthNm: Float64Array,
    frames: Float64Array,
    nFrames: number,
    opts?: BatchOptions,
  ): Promise<BatchResult>;
  fitPlanckBatchSync(
    wavelengthNm: Float64Array,
    frames: Float64Array,
    nFrames: number,
    opts?: BatchOptions,
  ): BatchResult;
  slidingTwoColorBatch(
    wavelengthNm: Float64Array,
    frames: Float64Array,
    nFrames: number,
    separation: number,
    opts?: SlidingTwoColorBatchOptions,
  ): Promise<TwoColorBatchResult & { engine: EngineName }>;
  slidingTwoColorBatchSync(
    wavelengthNm: Float64Array,
    frames: Float64Array,
    nFrames: number,
    separation: number,
    opts?: SlidingTwoColorBatchOptions,
  ): TwoColorBatchResult & { engine: EngineName };
  /**
   * Optional (both engines have it; an older addon build may not): the JSON text of a batch of frame results held
   * in columns, as UTF-8 bytes (the native engine: a Node Buffer). The text is byte for byte what JSON.stringify
   * writes for the equivalent frame objects (see FramesJsonInput). Invalid input throws FitArgumentError.
   */
  formatFramesJson?(input: FramesJsonInput): Uint8Array;
  /**
   * Optional (the native engine; its twin is src/analysis/results.ts, which the analyzer runs without it): the
   * per-frame results of one ROI of a Planck batch into `out`, on the calling thread, bit-identical to the
   * TypeScript assembly (flags, fit status, χ²/dof, σT scaled and widened by the misfit refit, the weak test, the
   * two-colour). Invalid input throws FitArgumentError.
   */
  assembleCountsResults?(input: AssembleCountsInput, out: AssembleCountsOutput): void;
}

/**
 * A batch of frame results in columns, for formatFramesJson (NaN or any non-finite value = null).
 *
 * The text: the n frames as JSON array elements separated by ',' (no brackets; a leading ',' when leadingComma,
 * none at all when n = 0), frame f exactly as JSON.stringify writes
 * `{"index":I,"time":T,"power":P,"temperature":X,"temperatureError":E,"chi2":C,"flags":[...],"twoColor":{"mean":M,"std":S}}`
 * with X, E, C and the flags of slot f·nRois (the first ROI), `"twoColor":null` when twoColorMean[f] is not
 * finite, and — when nRois > 1 — one more key `"rois":{K0:{"temperature":X,"temperatureError":E,"chi2":C,"flags":[...]},…}`
 * with Kr = roiKeys[r] and the values of slot f·nRois + r. Every number as String(x) writes it, non-finite as null.
 */
export interface FramesJsonInput {
  /** frames */
  n: number;
  /** ROIs per frame (>= 1); per-ROI columns hold slot f * nRois + r */
  nRois: number;
  /** With nRois > 1: each ROI's object key as JSON text, quotes included (JSON.stringify(name)); else null */
  roiKeys: readonly string[] | null;
  index: Float64Array; // n
  time: Float64Array; // n
  power: Float64Array; // n
  temperature: Float64Array; // n * nRois
  temperatureError: Float64Array; // n * nRois
  chi2: Float64Array; // n * nRois
  /** n * nRois; bit k set = FRAME_FLAG_ORDER[k] (below) */
  flags: Uint8Array;
  /** n; NaN mean = twoColor null */
  twoColorMean: Float64Array;
  twoColorStd: Float64Array;
  /** Start the text with ',' (the frames continue an array already begun) */
  leadingComma: boolean;
}
/**
 * The inputs of assembleCountsResults: one ROI (`roi` of `nRois`) of a Planck batch of `n` frames — the prepared
 * frames, the preparation's per-slot flag bytes (slot f · nRois + roi), the batch fit and two-colour of that ROI,
 * and the rules' settings (the constants and the misfit threshold per dof as src/quality/flags.ts defines them).
 * The arrays may be longer than needed (buffers sized for a larger batch): only the first values are read.
 */
export interface AssembleCountsInput {
  /** The ROI's used pixels (nU), as the batch was fitted on. */
  wavelengthNm: Float64Array;
  /**
   * The prepared frames (frame f from f · nU): the unweighted refit of a misfit frame fits these. Not read (may be
   * absent) when unweightedTemperature is given.
   */
  radiance?: Float64Array;
  mask?: Uint8Array;
  /**
   * The refits already done (analyzeCountsBatch's unweightedTemperature, n frames): used instead of refitting the
   * radiance; NaN is a refit that failed (or was not needed).
   */
  unweightedTemperature?: Float64Array;
  n: number;
  nRois: number;
  roi: number;
  /** The preparation's flags per slot (nonzero = set). */
  sat: Uint8Array;
  cosmic: Uint8Array;
  corrupt: Uint8Array;
  weak: Uint8Array;
  /** The batch fit of this ROI (BatchResult's columns, n frames). */
  status: Uint8Array;
  temperature: Float64Array;
  temperatureError: Float64Array;
  chi2: Float64Array;
  dof: Int32Array;
  scale: Float64Array;
  /** The ROI's sliding two-colour (its columns), or null. */
  twoColor: Pick<TwoColorBatchResult, 'mean' | 'std' | 'count'> | null;
  weights: 'noise' | 'none';
  /** Scale σT by √(χ²/dof) (weighted fits). */
  scaleByChi2: boolean;
  /** WEAK_MAX_RELATIVE_ERROR: σT above this fraction of T is weak. */
  weakMaxRelativeError: number;
  /** MISFIT_MIN_CHI2: χ²/dof from which a frame is flagged misfit. */
  misfitMinChi2: number;
  /** misfitChi2Threshold(dof) at index dof, for dof 0..nU (length ≥ nU + 1). */
  misfitThreshold: Float64Array;
}

/**
 * Where assembleCountsResults writes (a FrameBlock's columns and the fits' scale): every value of the ROI's slots
 * f · nRois + roi (NaN where there is none), for roi 0 twoColorMean/Std[f], and scale[f] (NaN without a fit).
 */
export interface AssembleCountsOutput {
  /** n · nRois */
  temperature: Float64Array;
  temperatureError: Float64Array;
  chi2: Float64Array;
  /** n · nRois; bit k = FRAME_FLAG_ORDER[k] */
  flags: Uint8Array;
  /** n (written by roi 0 only) */
  twoColorMean: Float64Array;
  twoColorStd: Float64Array;
  /** n: the fit's scale (the live spectrum view) */
  scale: Float64Array;
}

/** The frame flags in the order they appear in a frame's "flags" array; bit k of FramesJsonInput.flags = entry k. */
export const FRAME_FLAG_ORDER = ['saturated', 'cosmic', 'corrupt', 'misfit', 'fit-failed', 'weak'] as const;

/** Plan of the per-frame preparation of raw counts (src/quality/prepare.ts, the TypeScript twin of the native one). */
export type { CountsPlan, CountsFrame } from '../quality/prepare';

/**
 * Where analyzeCountsBatch writes the prepared frames (nFrames × pixels each, frame f from f·pixels): radiance,
 * variance and mask, all three or none (none: each frame is prepared into its worker's scratch and stays there).
 * With misfitThreshold (misfitChi2Threshold at index dof, for dof 0..pixels at least), each frame whose weighted fit
 * is beyond it — a temperature (status Ok, finite, > 0), dof > 0 and max(0, χ²/dof) > misfitThreshold[dof], the
 * test of the misfit refit in src/analysis/results.ts — is refitted unweighted where it was prepared, into the
 * result's unweightedTemperature.
 */
export interface CountsBatchOutput {
  radiance?: Float64Array;
  variance?: Float64Array;
  mask?: Uint8Array;
  misfitThreshold?: Float64Array;
}

/**
 * Where countsStageBatchSync writes stage 1 of the preparation (nFrames × pixels each, frame f from f·pixels).
 * Without sig and mask (both absent), only the totals (then required) and the flags.
 */
export interface CountsStageOutput {
  /** Row sums minus the dark, per used pixel. */
  sig?: Float64Array;
  /** 1 where a raw pixel of the ROI is saturated, else 0. */
  mask?: Uint8Array;
  /** Optional (nFrames): each frame's row sums added in pixel order from 0. */
  totals?: Float64Array;
}

/** Options of analyzeCountsBatch (the mask and variance come from the preparation). */
export type CountsBatchOptions = Omit<BatchOptions, 'mask' | 'variance'>;

/** The fits of analyzeCountsBatch, and per frame the preparation's flag bits (PREP_* of src/quality/prepare.ts). */
export interface CountsBatchResult extends BatchResult {
  flags: Uint8Array;
  /** The last frame's prepared radiance and mask (pixels each; empty without frames): the live spectrum. */
  lastRadiance: Float64Array;
  lastMask: Uint8Array;
  /**
   * With out.misfitThreshold: per frame the temperature of the unweighted refit fitPlanck(wl, radiance, {mask})
   * (the single fit's defaults); NaN where the frame is not beyond the threshold or that fit throws.
   */
  unweightedTemperature?: Float64Array;
}

/**
 * Optional engine methods (both engines have them but addFrame and pixelVariances, which only the native one has;
 * an engine without them is still a PhysicsEngine):
 *  analyzeCountsBatch(wl, frames, plan, out, opts?)     → Promise<CountsBatchResult>  (raw counts of one ROI → prepare → fit)
 *  analyzeCountsBatchSync(wl, frames, plan, out, opts?) → CountsBatchResult
 *  countsStageBatchSync(wl, frames, plan, out)          → Uint8Array of PREP_SATURATED | PREP_CORRUPT per frame
 *    (stage 1 alone: src/quality/prepare.ts countsStage of every frame, on the calling thread)
 *  gainRatios(signal, nFrames, response, readVar, lampA, lampB, out) → count (src/quality/noise.ts gainRatios)
 *  addFrame(sum, frame, count), pixelVariances(frames, count, out) → m: the calibration's loops (native only; the
 *    TypeScript twins are in src/calibration and src/quality/noise.ts)
 * wl: the compacted wavelengths of the used pixels (plan.used); frames: one typed array of raw counts per frame.
 */
export interface CountsBatchEngine {
  analyzeCountsBatch?(
    wavelengthNm: Float64Array,
    frames: ArrayLike<import('../quality/prepare').CountsFrame>,
    plan: import('../quality/prepare').CountsPlan,
    out: CountsBatchOutput,
    opts?: CountsBatchOptions,
  ): Promise<CountsBatchResult>;
  analyzeCountsBatchSync?(
    wavelengthNm: Float64Array,
    frames: ArrayLike<import('../quality/prepare').CountsFrame>,
    plan: import('../quality/prepare').CountsPlan,
    out: CountsBatchOutput,
    opts?: CountsBatchOptions,
  ): CountsBatchResult;
  countsStageBatchSync?(
    wavelengthNm: Float64Array,
    frames: ArrayLike<import('../quality/prepare').CountsFrame>,
    plan: import('../quality/prepare').CountsPlan,
    out: CountsStageOutput,
  ): Uint8Array;
  /** The gain estimate's per-pixel ratios (src/quality/noise.ts gainRatios, whose arguments and result it takes). */
  gainRatios?: import('../quality/noise').GainRatios;
  /** sum[p] += frame[p] for p < count (src/calibration/index.ts addFrame: the calibration's frame sums). */
  addFrame?(sum: Float64Array, frame: Float64Array, count: number): void;
  /** The dark's between-frame pixel variances (src/quality/noise.ts pixelVariances, whose arguments it takes). */
  pixelVariances?: import('../quality/noise').PixelVariances;
}

// the radiation constants live with Planck's law (planck.ts); re-exported here for the engines' imports
export { C1, C2 } from './planck';
