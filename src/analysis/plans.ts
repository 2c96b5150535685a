/**
 * Per-ROI plans: which pixels are fitted (the range, or where the lamp responds), the compacted wavelength grid,
 * the divisor den = response × emissivity, the dark's row sum, and the plan the per-frame preparation runs
 * (src/quality/prepare.ts, native analyzeCountsBatch). Built once per analyzer; applyNoise updates the noise terms.
 */
import type { ResolvedConfig } from './config';
import { ConfigError, UsageError } from '../errors';
import type { Roi } from '../calibration/rows';
import { emissivityArray } from './expr';
import type { CountsPlan } from '../quality/prepare';
import type { NoiseModel } from '../quality/noise';

export interface RoiPlan {
  roi: Roi;
  rows: number;
  /** full-width pixel index of each used pixel */
  used: Int32Array;
  wl: Float64Array;
  /** y = S / den; den = R·ε (1 for radiance input) */
  den: Float64Array;
  darkSum: Float64Array;
  /** lamp's relative variance of R per pixel (set when the noise model is known) */
  relVarDen: Float64Array;
  invDen: Float64Array;
  invDen2: Float64Array;
  lampSig: Float64Array | null;
  /** What the per-frame preparation (src/quality/prepare.ts, native analyzeCountsBatch) needs; gain terms updated. */
  cp: CountsPlan;
}

/** The lowest response, relative to its peak, that the default range keeps. */
const RESPONSE_USABLE_FRACTION = 0.05;
/** Variance of rounding to whole counts (uniform over one count). */
const QUANTISATION_VARIANCE = 1 / 12;
/** Fewest pixels a ROI may fit. */
const MIN_USED_PIXELS = 8;

/** Sum over the rows first..last of a height × width frame, per pixel. */
function rowSum(frame: Float64Array, width: number, first: number, last: number): Float64Array {
  const sum = new Float64Array(width);
  for (let row = first; row <= last; row++) {
    const offset = row * width;
    for (let i = 0; i < width; i++) {
      sum[i] += frame[offset + i];
    }
  }
  return sum;
}

/** Index of the pixel whose wavelength is nearest to `nm` (the first of equals). */
function nearestPixel(wavelength: Float64Array, nm: number): number {
  let best = 0;
  for (let i = 1; i < wavelength.length; i++) {
    if (Math.abs(wavelength[i] - nm) < Math.abs(wavelength[best] - nm)) {
      best = i;
    }
  }
  return best;
}

/** The pixels inside the configured range (and covered by the lamp, where it responds). */
function pixelsInRange(cfg: ResolvedConfig, range: [number, number], response: Float64Array | null): Uint8Array {
  const { wavelength, width, lamp, shotName } = cfg;
  const [lo, hi] = range;
  const ok = new Uint8Array(width);
  let any = false;
  let covered = true;
  for (let i = 0; i < width; i++) {
    if (!(wavelength[i] >= lo && wavelength[i] <= hi)) {
      continue;
    }
    any = true;
    if (response && !Number.isFinite(lamp!.radiance[i])) {
      covered = false;
      continue;
    }
    if (!response || (response[i] > 0 && Number.isFinite(response[i]))) {
      ok[i] = 1;
    }
  }
  if (!any) {
    throw new ConfigError('range', `${lo}:${hi} nm contains no pixel of ${shotName}`);
  }
  // each end snaps to the pixel nearest to it (as T-Rax and PyRadiant do), which may lie just outside
  for (const bound of [lo, hi]) {
    const nearest = nearestPixel(wavelength, bound);
    const usable = !response || (response[nearest] > 0 && Number.isFinite(response[nearest]));
    if (usable) {
      ok[nearest] = 1;
    }
  }
  if (!covered) {
    const lampName = lamp!.radianceFile ?? lamp!.file ?? 'lamp';
    throw new ConfigError('range', `${lo}:${hi} nm is not covered by the lamp radiance of ${lampName}`);
  }
  return ok;
}

/** The default range: the contiguous span around the response's peak where it is ≥ 5 % of the peak. */
function pixelsWhereLampResponds(cfg: ResolvedConfig, roi: Roi, response: Float64Array): Uint8Array {
  const ok = new Uint8Array(cfg.width);
  let peak = 0;
  let at = -1;
  for (let i = 0; i < response.length; i++) {
    if (Number.isFinite(response[i]) && response[i] > peak) {
      peak = response[i];
      at = i;
    }
  }
  if (at < 0) {
    throw new UsageError(
      `${cfg.lamp!.file ?? 'lamp'}: the lamp gives no positive response on rows ${roi.first}:${roi.last}` +
        ' (is it dark-subtracted twice, or the wrong file?)',
    );
  }
  let lo = at;
  let hi = at;
  while (lo > 0 && response[lo - 1] >= RESPONSE_USABLE_FRACTION * peak) {
    lo--;
  }
  while (hi < response.length - 1 && response[hi + 1] >= RESPONSE_USABLE_FRACTION * peak) {
    hi++;
  }
  ok.fill(1, lo, hi + 1);
  return ok;
}

function indicesOf(ok: Uint8Array): Int32Array {
  let count = 0;
  for (const flag of ok) {
    count += flag;
  }
  const used = new Int32Array(count);
  let k = 0;
  for (let i = 0; i < ok.length; i++) {
    if (ok[i]) {
      used[k++] = i;
    }
  }
  return used;
}

/** Folds the emissivity (expression or per-pixel values) into den of every plan. */
function applyEmissivity(cfg: ResolvedConfig, plans: RoiPlan[]): void {
  const emissivity = cfg.emissivity;
  if (emissivity == null) {
    return;
  }
  for (const plan of plans) {
    const values = typeof emissivity === 'string' ? emissivityArray(emissivity, plan.wl) : null;
    for (let k = 0; k < plan.den.length; k++) {
      if (values) {
        plan.den[k] *= values[k];
        continue;
      }
      const e = (emissivity as Float64Array)[plan.used[k]];
      if (!(e > 0) || !Number.isFinite(e)) {
        throw new ConfigError('emissivity', `must be positive and finite (${e} at ${plan.wl[k].toFixed(1)} nm)`);
      }
      plan.den[k] *= e;
    }
  }
}

function buildPlan(cfg: ResolvedConfig, roi: Roi): RoiPlan {
  const { width, height, lamp, dark } = cfg;
  const rows = roi.last - roi.first + 1;
  const darkSum = dark ? rowSum(dark.counts, width, roi.first, roi.last) : new Float64Array(width);
  let response: Float64Array | null = null;
  let lampSig: Float64Array | null = null;
  if (lamp) {
    lampSig = rowSum(lamp.counts, width, roi.first, roi.last);
    response = new Float64Array(width);
    for (let i = 0; i < width; i++) {
      lampSig[i] -= darkSum[i];
      response[i] = lampSig[i] / lamp.radiance[i];
    }
  }
  let ok: Uint8Array;
  if (cfg.range) {
    ok = pixelsInRange(cfg, cfg.range, response);
  } else if (response) {
    ok = pixelsWhereLampResponds(cfg, roi, response);
  } else {
    ok = new Uint8Array(width).fill(1);
  }
  const used = indicesOf(ok);
  const nU = used.length;
  if (nU < MIN_USED_PIXELS) {
    throw new UsageError(`${cfg.shotName}: only ${nU} usable pixels in the fit range on rows ${roi.first}:${roi.last}`);
  }
  const den = Float64Array.from(used, (i) => (response ? response[i] : 1));
  const planDark = Float64Array.from(used, (i) => darkSum[i]);
  const relVarDen = new Float64Array(nU);
  const invDen = new Float64Array(nU);
  const invDen2 = new Float64Array(nU);
  return {
    roi,
    rows,
    used,
    den,
    relVarDen,
    invDen,
    invDen2,
    wl: Float64Array.from(used, (i) => cfg.wavelength[i]),
    darkSum: planDark,
    lampSig: lampSig ? Float64Array.from(used, (i) => lampSig![i]) : null,
    cp: {
      width,
      height,
      first: roi.first,
      last: roi.last,
      used,
      darkSum: planDark,
      invDen,
      invDen2,
      relVarDen,
      saturation: cfg.saturation,
      invGain: 1,
      readVar: 0,
    },
  };
}

/** One plan per ROI (throws where a ROI has too few usable pixels or the range is not covered). */
export function buildRoiPlans(cfg: ResolvedConfig): RoiPlan[] {
  const plans = cfg.rois.map((roi) => buildPlan(cfg, roi));
  applyEmissivity(cfg, plans);
  for (const plan of plans) {
    for (let k = 0; k < plan.den.length; k++) {
      plan.invDen[k] = 1 / plan.den[k];
      plan.invDen2[k] = plan.invDen[k] * plan.invDen[k];
    }
  }
  return plans;
}

/** Sets the noise terms of every plan: the gain and read noise of the counts, the lamp's noise on den. */
export function applyNoise(plans: RoiPlan[], noise: NoiseModel, cfg: ResolvedConfig): void {
  const nDark = cfg.darkFrames;
  const readVar1 = noise.readNoise * noise.readNoise;
  for (const plan of plans) {
    plan.cp.invGain = 1 / noise.gain;
    // never below the digitisation noise of integer counts (1/12 per pixel): a zero variance is no model of data
    plan.cp.readVar = Math.max(plan.rows * readVar1 * (1 + (nDark ? 1 / nDark : 0)), plan.rows * QUANTISATION_VARIANCE);
  }
  const lamp = cfg.lamp;
  if (!lamp) {
    return;
  }
  const lampFrames = Math.max(1, lamp.frames);
  for (const plan of plans) {
    const lampSig = plan.lampSig!;
    const darkVar = nDark ? (plan.rows * readVar1) / nDark : 0;
    for (let k = 0; k < lampSig.length; k++) {
      const variance = (Math.max(lampSig[k], 0) / noise.gain + plan.rows * readVar1) / lampFrames + darkVar;
      plan.relVarDen[k] = lampSig[k] > 0 ? variance / (lampSig[k] * lampSig[k]) : 0;
    }
  }
}
