/**
 * Frame-quality tests (domain.md §6). A frame is never dropped: these functions only say what is wrong with it
 * and which pixels to mask. Pure: arrays in, numbers/masks out.
 */
import type { SpeDataType } from '../io/types';

/** Full scale of a detector data type (counts at which a pixel is saturated); Infinity for floats. */
export function fullScaleOf(dataType: SpeDataType | string | null | undefined): number {
  switch (dataType) {
    case 'uint16':
      return 65535;
    case 'int16':
      return 32767;
    case 'int32':
      return 2147483647;
    case 'uint32':
      return 4294967295;
    case 'uint8':
      return 255;
    default:
      return Infinity;
  }
}

/** Cosmic test thresholds (in σ of the difference). */
export const COSMIC_SCREEN_SIGMA = 7;
export const COSMIC_CONFIRM_SIGMA = 6;
/** Half-width of the running median used to confirm a spike (window 2·H+1 pixels, centre excluded). */
export const COSMIC_MEDIAN_HALF = 4;

/**
 * Spike (cosmic-ray) pixels of a spectrum `s` (counts above dark, contiguous pixels) with per-pixel noise σ:
 * a cheap screen s_k − mean(s_{k−3}, s_{k+3}) > 7σ·√1.5 (neighbours 3 px away are outside a spike up to 3 px
 * wide), confirmed by s_k − median(s_{k−4..k+4} without k) > 6σ, then dilated by one pixel each side. Within 3 px
 * of the band edges the reference is the line through the pixels 3 and 6 px inwards (threshold 7σ·√6).
 * Sets mask[k] = 1 on spike pixels (other entries untouched); returns the number of spike pixels found
 * (before dilation). `sigmaFloor` bounds σ from below (e.g. a robust scatter of the whole spectrum).
 * Offsets: s from sOff, mask from mOff, sigma from sigmaOff (default sOff). `win`: optional scratch of ≥ 8 doubles.
 * The native twin is cosmicKernel in native/prepare.cc (same loops and order; sigmaFloor 0, σ = √varC).
 */
export function maskCosmics(
  s: Float64Array,
  sigma: Float64Array,
  mask: Uint8Array,
  n = s.length,
  sOff = 0,
  mOff = 0,
  sigmaFloor = 0,
  sigmaOff = sOff,
  win: Float64Array = new Float64Array(2 * COSMIC_MEDIAN_HALF),
): number {
  let found = 0;
  let lastMarked = -10;
  const kIn = COSMIC_SCREEN_SIGMA * Math.sqrt(1.5);
  const kEdge = COSMIC_SCREEN_SIGMA * Math.sqrt(6);
  for (let k = 0; k < n; k++) {
    const v = s[sOff + k];
    const sg = Math.max(sigma[sigmaOff + k], sigmaFloor);
    const interior = k >= 3 && k + 3 < n;
    if (interior) {
      const d = v - 0.5 * (s[sOff + k - 3] + s[sOff + k + 3]);
      if (!(d > kIn * sg)) {
        continue;
      }
      // confirm against the running median of the neighbours
      let m = 0;
      for (let j = k - COSMIC_MEDIAN_HALF; j <= k + COSMIC_MEDIAN_HALF; j++) {
        if (j === k || j < 0 || j >= n) {
          continue;
        }
        win[m++] = s[sOff + j];
      }
      const w = win.subarray(0, m).sort();
      const med = m % 2 ? w[m >> 1] : 0.5 * (w[(m >> 1) - 1] + w[m >> 1]);
      if (!(v - med > COSMIC_CONFIRM_SIGMA * sg)) {
        continue;
      }
    } else {
      // band edge: extrapolate the line through the pixels 3 and 6 away on the inner side
      const dir = k >= 3 ? -1 : 1;
      const a = k + 3 * dir;
      const b = k + 6 * dir;
      if (a < 0 || a >= n || b < 0 || b >= n) {
        continue;
      }
      const d = v - (2 * s[sOff + a] - s[sOff + b]);
      if (!(d > kEdge * sg)) {
        continue;
      }
    }
    found++;
    for (let j = Math.max(0, k - 1, lastMarked + 1); j <= Math.min(n - 1, k + 1); j++) {
      mask[mOff + j] = 1;
    }
    lastMarked = k + 1;
  }
  return found;
}

/** Rule for `weak`: T is withheld when the frame has no real signal or its fit is too uncertain. */
export const WEAK_MIN_SNR = 5;
export const WEAK_MAX_RELATIVE_ERROR = 0.05;

/**
 * χ²/dof above which a fit is flagged `misfit`: residuals over 3× the noise on average. Real bright spectra that are
 * not perfect greybodies reach 2–10 (domain.md §9); a bias left in the counts gives hundreds.
 */
export const MISFIT_MIN_CHI2 = 10;

/**
 * χ²/dof of a weighted fit beyond which the greybody is taken not to describe the data (p ≈ 0.001 for a correct
 * noise model): its σT then also holds the weighting's own effect on T (see docs/analysis.md).
 */
export function misfitChi2Threshold(dof: number): number {
  return 1 + 3.1 * Math.sqrt(2 / Math.max(1, dof));
}

/**
 * Reduced χ², or null without degrees of freedom (≥ 0: a perfect fit's rounding can make χ² a hair negative): what
 * the misfit test compares with misfitChi2Threshold (native/frame.cc reducedChi2 is its twin).
 */
export function reducedChi2(chi2: number, dof: number): number | null {
  return dof > 0 ? Math.max(0, chi2 / dof) : null;
}
