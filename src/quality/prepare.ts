/**
 * Per-frame preparation of raw detector counts for the fit (domain.md §4–§6), for one ROI of a lamp-calibrated
 * shot: rows summed over the used pixels, dark subtracted, saturation and corrupt tests (stage 1); then the
 * smoothed level, the noise model's variance, the cosmic test/mask, the radiance y = S/den and its variance, the
 * weak test (stage 2). Pure: arrays in, numbers out.
 *
 * This is the reference of the native `analyzeCountsBatch` (native/prepare.cc): the same loops, the same order of
 * operations, the same constants, so both give bit-identical radiance, variance, mask and flags. Keep them in sync.
 */
import { COSMIC_MEDIAN_HALF, maskCosmics, WEAK_MIN_SNR } from './flags';

/** Flag bits of a prepared frame (per ROI). */
export const PREP_SATURATED = 1;
export const PREP_COSMIC = 2;
export const PREP_CORRUPT = 4;
export const PREP_WEAK = 8;

/** Half-width of the box smoothing of the level used for the variance (5 pixels). */
export const SMOOTH_HALF = 2;

/** Frame of counts: any typed array, read as numbers. */
export type CountsFrame =
  Float64Array | Float32Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Uint8Array;

/** Everything the preparation of one ROI needs (constant over a run once the gain is known). */
export interface CountsPlan {
  /** Frame width (pixels per row); a frame is rows × width, row-major. */
  width: number;
  /** Rows per frame (a frame has width × height values). */
  height: number;
  /** First and last row of the ROI (0-based, inclusive). */
  first: number;
  last: number;
  /** Full-width pixel index of each used pixel (nU). */
  used: Int32Array;
  /** Dark summed over the ROI's rows, per used pixel (zeros without a dark). */
  darkSum: Float64Array;
  /** 1/den and 1/den² per used pixel (den = response × emissivity). */
  invDen: Float64Array;
  invDen2: Float64Array;
  /** The lamp's relative variance of den per used pixel. */
  relVarDen: Float64Array;
  /** Raw counts at or above this level are saturated (Infinity: none). */
  saturation: number;
  /** 1/gain (counts per electron). */
  invGain: number;
  /** Read-noise variance of a row sum, dark's included: rows·σ²·(1 + 1/nDark). */
  readVar: number;
}

/** Scratch rows of nU doubles (reused between frames). */
export interface PrepScratch {
  sig: Float64Array;
  smooth: Float64Array;
  sigma: Float64Array;
  varC: Float64Array;
  win: Float64Array;
}

export function prepScratch(nU: number): PrepScratch {
  return {
    sig: new Float64Array(nU),
    smooth: new Float64Array(nU),
    sigma: new Float64Array(nU),
    varC: new Float64Array(nU),
    win: new Float64Array(2 * COSMIC_MEDIAN_HALF),
  };
}

/** Mean of s[off+k−h..off+k+h] cut to [off, off+n) (an end pixel's window), summed in pixel order. */
function partialMean(s: Float64Array, off: number, n: number, h: number, k: number): number {
  const lo = Math.max(0, k - h);
  const hi = Math.min(n - 1, k + h);
  let acc = 0;
  for (let j = lo; j <= hi; j++) {
    acc += s[off + j];
  }
  return acc / (hi - lo + 1);
}

/**
 * Mean over 2·h+1 pixels (fewer at the ends) of s[off..off+n) into out[0..n). Each interior mean is summed directly
 * in pixel order, as in the native twin (where a running sum's chain of dependent additions would not vectorise,
 * and it drifts).
 */
export function boxSmooth(s: Float64Array, off: number, n: number, h: number, out: Float64Array): void {
  const inv = 1 / (2 * h + 1);
  let k = 0;
  for (; k < n && k < h; k++) {
    out[k] = partialMean(s, off, n, h, k);
  }
  for (; k + h < n; k++) {
    let acc = s[off + k - h];
    for (let j = k - h + 1; j <= k + h; j++) {
      acc += s[off + j];
    }
    out[k] = acc * inv;
  }
  for (; k < n; k++) {
    out[k] = partialMean(s, off, n, h, k);
  }
}

/**
 * Stage 1: rows summed over the used pixels, dark subtracted → sig[sOff..sOff+nU); mask[mOff+k] = 1 where a raw
 * pixel of the ROI is saturated, else 0. Returns PREP_SATURATED | PREP_CORRUPT (NaN/Inf anywhere in the sums).
 */
export function countsStage(
  p: CountsPlan,
  counts: CountsFrame,
  sig: Float64Array,
  sOff: number,
  mask: Uint8Array,
  mOff: number,
): number {
  const nU = p.used.length;
  const width = p.width;
  const saturation = p.saturation;
  const used = p.used;
  const darkSum = p.darkSum;
  const r0 = p.first;
  const r1 = p.last;
  let anySat = 0;
  let total = 0;
  for (let k = 0; k < nU; k++) {
    const px = used[k];
    let s = 0;
    let sat = 0;
    for (let r = r0; r <= r1; r++) {
      const v = counts[r * width + px];
      s += v;
      if (v >= saturation) {
        sat = 1;
      }
    }
    mask[mOff + k] = sat;
    anySat |= sat;
    const d = s - darkSum[k];
    sig[sOff + k] = d;
    total += d;
  }
  return (anySat ? PREP_SATURATED : 0) | (Number.isFinite(total) ? 0 : PREP_CORRUPT);
}

/**
 * Stage 2 of a calibrated frame: from the row sums sig[sOff..), the radiance y and variance v (from off) and the
 * cosmic mask; returns PREP_COSMIC | PREP_WEAK. A corrupt frame (stage 1) must not come here: see dummyFrame.
 */
export function radianceStage(
  p: CountsPlan,
  sig: Float64Array,
  sOff: number,
  y: Float64Array,
  v: Float64Array,
  mask: Uint8Array,
  off: number,
  sc: PrepScratch,
): number {
  const nU = p.used.length;
  const invDen = p.invDen;
  const invDen2 = p.invDen2;
  const rvd = p.relVarDen;
  const invG = p.invGain;
  const readVar = p.readVar;
  const smooth = sc.smooth;
  const sigma = sc.sigma;
  const varC = sc.varC;
  boxSmooth(sig, sOff, nU, SMOOTH_HALF, smooth);
  for (let k = 0; k < nU; k++) {
    const sm = smooth[k] > 0 ? smooth[k] : 0;
    const vc = sm * invG + readVar;
    varC[k] = vc;
    sigma[k] = Math.sqrt(vc);
    y[off + k] = sig[sOff + k] * invDen[k];
    // var(y) = var(S)/R² + (S/R)²·var(R)/R²  (the lamp's own noise), with S smoothed
    v[off + k] = (vc + sm * sm * rvd[k]) * invDen2[k];
  }
  let flags = maskCosmics(sig, sigma, mask, nU, sOff, off, 0, 0, sc.win) > 0 ? PREP_COSMIC : 0;
  let sSum = 0;
  let vSum = 0;
  for (let k = 0; k < nU; k++) {
    if (mask[off + k] === 0) {
      sSum += sig[sOff + k];
      vSum += varC[k];
    }
  }
  if (!(sSum > WEAK_MIN_SNR * Math.sqrt(vSum))) {
    flags |= PREP_WEAK;
  }
  return flags;
}

/** A corrupt frame's place in a batch: a flat dummy spectrum, all masked (the fit reports too few pixels). */
export function dummyFrame(nU: number, y: Float64Array, v: Float64Array, mask: Uint8Array, off: number): void {
  for (let k = 0; k < nU; k++) {
    y[off + k] = 1;
    v[off + k] = 1;
    mask[off + k] = 1;
  }
}

/** Stages 1 and 2 of one frame into y, v, mask from off (nU each); returns its flag bits. */
export function prepareCountsFrame(
  p: CountsPlan,
  counts: CountsFrame,
  y: Float64Array,
  v: Float64Array,
  mask: Uint8Array,
  off: number,
  sc: PrepScratch,
): number {
  const nU = p.used.length;
  const f1 = countsStage(p, counts, sc.sig, 0, mask, off);
  if (f1 & PREP_CORRUPT) {
    dummyFrame(nU, y, v, mask, off);
    return f1;
  }
  return f1 | radianceStage(p, sc.sig, 0, y, v, mask, off, sc);
}

/** prepareCountsFrame over frames[0..n) (frame f at f·nU); flags[f] = its bits. */
export function prepareCountsBatch(
  p: CountsPlan,
  frames: ArrayLike<CountsFrame>,
  n: number,
  y: Float64Array,
  v: Float64Array,
  mask: Uint8Array,
  flags: Uint8Array,
  sc: PrepScratch = prepScratch(p.used.length),
): void {
  const nU = p.used.length;
  for (let f = 0; f < n; f++) {
    flags[f] = prepareCountsFrame(p, frames[f], y, v, mask, f * nU, sc);
  }
}
