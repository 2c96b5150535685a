/**
 * Noise model of CCD counts (domain.md §4): var(C) ≈ (C − bias)/gain + σ_read² per pixel; the bias is removed
 * by the dark. Summed over n rows: var(ΣC) = S/gain + n·σ_read², S the dark-subtracted row sum. Radiance
 * y = S / R has var(y) = var(S) / R² (+ y²·var(R)/R² from the lamp's own noise).
 *
 * When the user does not give them:
 *  - read noise (counts rms per pixel, incl. dark-current shot noise) comes from the dark frames: the scatter
 *    between dark frames (≥ 2 frames), else the pixel-to-pixel high-pass scatter of the single frame;
 *    with no dark at all it is assumed to be 0 (shot noise only).
 *  - gain (e⁻/count) comes from the data: the high-pass residual h = y_k − (y_{k−1}+y_{k+1})/2 of the radiance
 *    (where the lamp has divided out pixel-to-pixel response) has E[h²] ≈ 1.5·var(y_k); taking the median of
 *    h²R²/1.5/χ²₁-median against the level S gives 1/gain. The CLI then also scales σT by √(χ²/dof), so a
 *    residual error in the estimated gain does not make σT dishonest.
 * Pure: arrays in, numbers out.
 */

export interface NoiseModel {
  /** electrons per count */
  gain: number;
  /** read noise in counts rms per pixel (per row) */
  readNoise: number;
  gainSource: 'given' | 'estimated' | 'assumed';
  readNoiseSource: 'given' | 'dark' | 'assumed' | 'estimated';
}

/** Median of a (copied) array; NaN for empty. */
export function median(values: ArrayLike<number>): number {
  const a = Float64Array.from(values as ArrayLike<number>);
  if (a.length === 0) {
    return NaN;
  }
  a.sort();
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : 0.5 * (a[m - 1] + a[m]);
}

/** Median of χ² with one degree of freedom. */
const CHI2_1_MEDIAN = 0.454936423119572;

/**
 * The between-frame sample variance of each pixel p < count whose value is finite in every frame, in pixel order, into
 * out[0..m); returns m. Per pixel: the sum over the frames in order (from 0), its mean, then the sum of the squared
 * deviations in order, over n − 1. The addon's pixelVariances (native/calibration.cc) is its twin, term for term.
 */
export function pixelVariances(frames: readonly Float64Array[], count: number, out: Float64Array): number {
  const n = frames.length;
  let m = 0;
  for (let p = 0; p < count; p++) {
    let s = 0;
    let ok = true;
    for (let f = 0; f < n; f++) {
      const x = frames[f][p];
      if (!Number.isFinite(x)) {
        ok = false;
        break;
      }
      s += x;
    }
    if (!ok) {
      continue;
    }
    const mean = s / n;
    let s2 = 0;
    for (let f = 0; f < n; f++) {
      const d = frames[f][p] - mean;
      s2 += d * d;
    }
    out[m++] = s2 / (n - 1);
  }
  return m;
}

/** pixelVariances' arguments and result: what an engine's twin of it takes and returns. */
export type PixelVariances = typeof pixelVariances;

/**
 * Read noise (counts rms per pixel) from dark frames (each height×width, row-major). With ≥ 2 frames:
 * the median over pixels of the between-frame sample variance (corrected for the χ² median bias;
 * `variancesOf` computes them: pixelVariances or an engine's twin); with 1 frame: the MAD of the pixel-to-pixel
 * second difference along each row. Non-finite pixels are skipped. Returns null when nothing can be estimated
 * (width < 3 and one frame).
 */
export function estimateReadNoise(
  frames: Float64Array[],
  width: number,
  height: number,
  variancesOf: PixelVariances = pixelVariances,
): number | null {
  const n = frames.length;
  if (n === 0) {
    return null;
  }
  const npx = width * height;
  if (n >= 2) {
    const v = new Float64Array(npx);
    const m = variancesOf(frames, npx, v);
    if (m === 0) {
      return null;
    }
    // sample variance ~ σ²·χ²_{n−1}/(n−1): mean of the central values is close to σ² for hot-pixel-free data;
    // use the median corrected by the median of χ²_{n−1}/(n−1) (Wilson–Hilferty approximation)
    const k = n - 1;
    const chiMed = (k * Math.pow(1 - 2 / (9 * k), 3)) / k;
    return Math.sqrt(median(v.subarray(0, m)) / chiMed);
  }
  if (width < 3) {
    return null;
  }
  const h: number[] = [];
  const f0 = frames[0];
  for (let r = 0; r < height; r++) {
    const o = r * width;
    for (let i = 1; i < width - 1; i++) {
      const d = f0[o + i] - 0.5 * (f0[o + i - 1] + f0[o + i + 1]);
      if (Number.isFinite(d)) {
        h.push(Math.abs(d));
      }
    }
  }
  if (h.length === 0) {
    return null;
  }
  // |h| median = 0.6745·σ_h, σ_h² = 1.5·σ²
  return median(h) / 0.6744897501960817 / Math.sqrt(1.5);
}

/**
 * Gain (e⁻/count) from frames of dark-subtracted row sums `signal` (nFrames × n) on a grid whose response
 * (counts per radiance unit, per pixel, length n) is `response`; `rows` rows were summed, each with read noise
 * `readNoise`; `lamp` (dark-subtracted lamp row sums averaged over `frames`, per pixel) accounts for the noise
 * the lamp puts into the response. Uses pixels whose three neighbours have positive, finite signal. Returns null when there are
 * too few usable pixels or no detectable shot noise. `ratiosOf` computes the per-pixel estimates (an engine's twin
 * of gainRatios).
 */
export function estimateGain(
  signal: Float64Array,
  nFrames: number,
  response: Float64Array,
  rows: number,
  readNoise: number,
  lamp?: { signal: Float64Array; frames: number; readVar: number } | null,
  ratiosOf: GainRatios = gainRatios,
): number | null {
  const n = response.length;
  const readVar = rows * readNoise * readNoise;
  // the response comes from a lamp with its own shot noise: var(h)·R² also holds S²·var(R)/R², with
  // var(R)/R² = (L/g + readVarLamp) / (frames·L²) for lamp counts L — linear in 1/g like the rest
  const lampA = new Float64Array(n);
  const lampB = new Float64Array(n);
  if (lamp) {
    for (let k = 0; k < n; k++) {
      const L = lamp.signal[k];
      if (L > 0) {
        lampA[k] = 1 / (lamp.frames * L);
        lampB[k] = lamp.readVar / (lamp.frames * L * L);
      }
    }
  }
  const ratios = new Float64Array(nFrames * n);
  const count = ratiosOf(signal, nFrames, response, readVar, lampA, lampB, ratios);
  if (count < 50) {
    return null;
  }
  const invGain = median(ratios.subarray(0, count));
  if (!(invGain > 0) || !Number.isFinite(invGain)) {
    return null;
  }
  return 1 / invGain;
}

/**
 * estimateGain's per-pixel estimates of 1/gain into `out` (in frame and pixel order; `out` holds nFrames × pixels);
 * returns how many. `lampA`, `lampB`: the lamp's share of the variance per pixel (zero without a lamp). A loop of its
 * own: the batches that are too faint return before the median. The native engine has a twin (native/gain.cc: the
 * same doubles), which the analyzer passes to estimateGain: this loop runs cold on the main thread for each of a
 * run's first batches.
 */
export function gainRatios(
  signal: Float64Array,
  nFrames: number,
  response: Float64Array,
  readVar: number,
  lampA: Float64Array,
  lampB: Float64Array,
  out: Float64Array,
): number {
  const n = response.length;
  let count = 0;
  for (let f = 0; f < nFrames; f++) {
    const o = f * n;
    for (let k = 2; k < n - 2; k++) {
      const s0 = signal[o + k - 1];
      const s1 = signal[o + k];
      const s2 = signal[o + k + 1];
      // the level from 5 pixels (dividing by the noisy pixel itself biases the ratio), and only where shot noise
      // dominates the read noise: at low levels the ratio is all read noise and tells nothing about the gain
      const level = (signal[o + k - 2] + s0 + s1 + s2 + signal[o + k + 2]) / 5;
      if (!(level >= 10 * readVar + 100)) {
        continue;
      }
      const r0 = response[k - 1];
      const r1 = response[k];
      const r2 = response[k + 1];
      if (!(s1 > 0 && s0 > 0 && s2 > 0 && r0 > 0 && r1 > 0 && r2 > 0)) {
        continue;
      }
      if (!Number.isFinite(s0 + s1 + s2)) {
        continue;
      }
      const h = s1 / r1 - 0.5 * (s0 / r0 + s2 / r2);
      // E[h²]·R² ≈ 1.5·var(S) when the response and the signal vary slowly from pixel to pixel
      const q = (h * r1 * (h * r1)) / 1.5;
      // median(q) = var(S) = S/g + readVar: collect the per-pixel estimate scaled back from the χ²₁ median
      out[count++] = (q / CHI2_1_MEDIAN - readVar - level * level * lampB[k]) / (level + level * level * lampA[k]);
    }
  }
  return count;
}

/** gainRatios' arguments and result: what an engine's twin of it takes and returns. */
export type GainRatios = typeof gainRatios;

/** Variance of a row sum as a straight line in its level: var(S) = readVar + invGain · max(S, 0). */
export interface NoiseLine {
  /** counts per electron (the slope); excess noise of intensified / EM cameras is folded in */
  invGain: number;
  /** variance of a row sum at zero level (read noise, background and its subtraction) */
  readVar: number;
}

/** Options of estimateNoiseLine: a term that is known is held fixed, the other one fitted. */
export interface NoiseLineOptions {
  fixedInvGain?: number | null;
  fixedReadVar?: number | null;
  /** The lamp's row sums (per pixel) averaged over `frames`: its shot noise is in the response. */
  lamp?: { signal: Float64Array; frames: number } | null;
}

/** Fewest pixels, and pixels per level bin, for estimateNoiseLine. */
const NOISE_LINE_MIN_PIXELS = 40;
const NOISE_LINE_PIXELS_PER_BIN = 40;
const NOISE_LINE_MAX_BINS = 12;
/** The smallest slope kept (counts per electron): a flat noise floor, gain effectively infinite. */
export const MIN_INV_GAIN = 1e-9;

interface LevelVariance {
  /** max(level, 0) plus the lamp's share, per pixel */
  x: number;
  /** the pixel's variance estimate (from the high-pass residual), minus nothing */
  z: number;
}

/** Per pixel: the level (5-pixel mean) and the χ²₁-median-corrected variance estimate of the row sum. */
function levelVariances(
  signal: Float64Array,
  nFrames: number,
  response: Float64Array,
  lamp: NoiseLineOptions['lamp'],
): LevelVariance[] {
  const n = response.length;
  const points: LevelVariance[] = [];
  for (let f = 0; f < nFrames; f++) {
    const o = f * n;
    for (let k = 2; k < n - 2; k++) {
      const r0 = response[k - 1];
      const r1 = response[k];
      const r2 = response[k + 1];
      const s0 = signal[o + k - 1];
      const s1 = signal[o + k];
      const s2 = signal[o + k + 1];
      const level = (signal[o + k - 2] + s0 + s1 + s2 + signal[o + k + 2]) / 5;
      if (!(r0 > 0 && r1 > 0 && r2 > 0) || !Number.isFinite(level + s0 + s1 + s2)) {
        continue;
      }
      const h = s1 / r1 - 0.5 * (s0 / r0 + s2 / r2);
      const z = (h * r1 * (h * r1)) / 1.5 / CHI2_1_MEDIAN;
      const positive = Math.max(level, 0);
      const L = lamp ? lamp.signal[k] : 0;
      // the lamp's shot noise in R adds S²/(frames·L) in the same counts-per-electron units
      const lampShare = L > 0 ? (positive * positive) / (lamp!.frames * L) : 0;
      points.push({ x: positive + lampShare, z });
    }
  }
  return points;
}

/** Median variance and mean x of equal-count bins of the points sorted by x. */
function binnedVariances(points: LevelVariance[]): { x: number; z: number; count: number }[] {
  points.sort((a, b) => a.x - b.x);
  const bins = Math.max(1, Math.min(NOISE_LINE_MAX_BINS, Math.floor(points.length / NOISE_LINE_PIXELS_PER_BIN)));
  const out: { x: number; z: number; count: number }[] = [];
  for (let j = 0; j < bins; j++) {
    const from = Math.floor((j * points.length) / bins);
    const to = Math.floor(((j + 1) * points.length) / bins);
    const slice = points.slice(from, to);
    let sumX = 0;
    for (const p of slice) {
      sumX += p.x;
    }
    out.push({ x: sumX / slice.length, z: median(slice.map((p) => p.z)), count: slice.length });
  }
  return out;
}

/**
 * Relative variance of the median of n values of χ²₁ (scaled to its median): 1 / (4·n·pdf(m)²) / m² = 5.44 / n,
 * times 1.9 because neighbouring second differences share pixels (their squares correlate by 0.44 each side).
 */
const MEDIAN_VARIANCE_FACTOR = 5.44 * 1.9;
/** A fitted slope below this many standard errors is taken as no shot noise at all. */
const NOISE_LINE_SLOPE_SIGMAS = 2;

interface Bin {
  x: number;
  z: number;
  count: number;
}

/** Weighted mean of z − slope·x over the bins. */
function weightedMean(bins: Bin[], weights: number[], slope: number): number {
  let sw = 0;
  let swz = 0;
  bins.forEach((bin, j) => {
    sw += weights[j];
    swz += weights[j] * (bin.z - slope * bin.x);
  });
  return swz / sw;
}

/** Weighted slope of z − intercept through the origin, and its variance (weights = 1/variance). */
function slopeThrough(bins: Bin[], weights: number[], intercept: number): { b: number; variance: number } {
  let sxx = 0;
  let sxz = 0;
  bins.forEach((bin, j) => {
    sxx += weights[j] * bin.x * bin.x;
    sxz += weights[j] * bin.x * (bin.z - intercept);
  });
  return sxx > 0 ? { b: sxz / sxx, variance: 1 / sxx } : { b: 0, variance: Infinity };
}

/**
 * Weighted least squares of z = a + b·x over the bins with a and b ≥ 0 (a term given is held fixed); slopeVariance
 * is the variance of b when the weights are 1/variance.
 */
function fitNoiseLine(
  bins: Bin[],
  weights: number[],
  fixedA: number | null,
  fixedB: number | null,
): { a: number; b: number; slopeVariance: number } {
  if (fixedB !== null) {
    return { a: Math.max(0, weightedMean(bins, weights, fixedB)), b: fixedB, slopeVariance: 0 };
  }
  if (fixedA !== null) {
    const through = slopeThrough(bins, weights, fixedA);
    return { a: fixedA, b: Math.max(0, through.b), slopeVariance: through.variance };
  }
  let sw = 0;
  let sx = 0;
  let sz = 0;
  bins.forEach((bin, j) => {
    sw += weights[j];
    sx += weights[j] * bin.x;
    sz += weights[j] * bin.z;
  });
  const mx = sx / sw;
  const mz = sz / sw;
  let sxx = 0;
  let sxz = 0;
  bins.forEach((bin, j) => {
    sxx += weights[j] * (bin.x - mx) * (bin.x - mx);
    sxz += weights[j] * (bin.x - mx) * (bin.z - mz);
  });
  const b = sxx > 0 ? sxz / sxx : 0;
  const slopeVariance = sxx > 0 ? 1 / sxx : Infinity;
  if (b <= 0) {
    return { a: Math.max(0, weightedMean(bins, weights, 0)), b: 0, slopeVariance };
  }
  const a = mz - b * mx;
  if (a < 0) {
    const through = slopeThrough(bins, weights, 0);
    return { a: 0, b: Math.max(0, through.b), slopeVariance: through.variance };
  }
  return { a, b, slopeVariance };
}

/**
 * The noise of row sums estimated from the data alone (domain.md §9: intensified / EM cameras, background-corrected
 * frames, no dark): the high-pass residual of the radiance gives a variance estimate per pixel (as estimateGain);
 * the pixels are binned by level and a straight line var = readVar + invGain·level is fitted to the bins' medians
 * (weights count/median², both terms ≥ 0). Negative levels (background-corrected data) count as level 0.
 * `signal`: nFrames × n row sums; `response`: counts per radiance unit per pixel. Null when too few pixels.
 */
export function estimateNoiseLine(
  signal: Float64Array,
  nFrames: number,
  response: Float64Array,
  options: NoiseLineOptions = {},
): NoiseLine | null {
  const points = levelVariances(signal, nFrames, response, options.lamp ?? null);
  if (points.length < NOISE_LINE_MIN_PIXELS) {
    return null;
  }
  const bins = binnedVariances(points).filter((bin) => bin.z > 0 && Number.isFinite(bin.z));
  if (bins.length === 0) {
    return null;
  }
  const fixedB = options.fixedInvGain ?? null;
  const fixedA = options.fixedReadVar ?? null;
  // pass 1 weighs the bins by their counts; pass 2 by count / (its model variance)², so that the bins' own noise
  // does not weigh them (a bin whose median came out low would otherwise pull the line down)
  let line = fitNoiseLine(
    bins,
    bins.map((bin) => bin.count),
    fixedA,
    fixedB,
  );
  const weights = bins.map((bin) => {
    const model = Math.max(line.a + line.b * bin.x, 1e-12 * bin.z, 1e-300);
    return bin.count / (MEDIAN_VARIANCE_FACTOR * model * model);
  });
  line = fitNoiseLine(bins, weights, fixedA, fixedB);
  let a = line.a;
  let b = line.b;
  if (fixedB === null && b < NOISE_LINE_SLOPE_SIGMAS * Math.sqrt(line.slopeVariance)) {
    // no detectable shot noise (a weak frame): a flat floor
    b = 0;
    a = fixedA ?? weightedMean(bins, weights, 0);
  }
  b = Math.max(b, MIN_INV_GAIN);
  if (!(a >= 0) || !Number.isFinite(a) || !Number.isFinite(b) || (a === 0 && b === MIN_INV_GAIN)) {
    return null;
  }
  return { invGain: b, readVar: a };
}
