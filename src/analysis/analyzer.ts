/**
 * The shared pipeline: raw frames (counts, height × width) → calibrated radiance per ROI → noise model,
 * saturation / cosmic / corrupt tests → Planck (or Wien / two-colour) fit → FrameResult.
 * Used by `pyrolive analyze`, the live server and the tests. Buffers are allocated once per batch size and
 * reused; the used pixels of each ROI are compacted once (one wavelength grid per ROI).
 */
import type { FrameFlag, FrameResult, RoiResult, SpectrumView } from './types';
import type { BatchResult, PhysicsEngine, TwoColorBatchResult } from '../physics/types';
import type { SpeDataType } from '../io/types';
import { UsageError } from '../errors';
import type { Roi } from '../calibration/rows';
import { validateRois } from '../calibration/rows';
import { emissivityArray } from './expr';
import { fullScaleOf, maskCosmics, WEAK_MAX_RELATIVE_ERROR, WEAK_MIN_SNR } from '../quality/flags';
import {
  boxSmooth, countsStage, dummyFrame, prepScratch, radianceStage, SMOOTH_HALF, PREP_COSMIC, PREP_CORRUPT, PREP_SATURATED, PREP_WEAK,
  type CountsPlan,
} from '../quality/prepare';
import { estimateGain, median, type NoiseModel } from '../quality/noise';
import { planckRadiance } from '../sim/spectrum';

export type Method = 'planck' | 'wien' | 'two-color';

/**
 * One frame of counts (height × width, row-major): a Float64Array, or a view of the detector's own integer/float
 * type (e.g. a Uint16Array over a block read from an SPE file); every value is read as a number.
 */
export type FrameData = Float64Array | Float32Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Uint8Array;

/** Lamp frames averaged (raw counts, not dark-subtracted) and the lamp's radiance on the pixels. */
export interface LampInput {
  /** Mean over the lamp file's frames, height × width, raw counts. */
  counts: Float64Array;
  /** Number of lamp frames averaged (for the noise of the response). */
  frames: number;
  /** Lamp radiance per pixel (length width), NaN where unknown (outside a radiance table). */
  radiance: Float64Array;
  /** Names used in error messages. */
  file?: string;
  radianceFile?: string;
}

export interface DarkInput {
  /** Mean over the dark file's frames, height × width. */
  counts: Float64Array;
  frames: number;
  file?: string;
}

export interface AnalyzerConfig {
  /** Wavelength (nm) of each pixel, length width. */
  wavelength: Float64Array;
  width: number;
  height: number;
  /** Raw detector counts with a lamp calibration; absent: frames are already radiance (plain spectra). */
  lamp?: LampInput | null;
  dark?: DarkInput | null;
  /** ROIs (rows summed). Default: one ROI "all" with every row. */
  rois?: Roi[];
  /** Fit range in nm. Default: the contiguous span where the response is ≥ 5 % of its peak (all pixels for radiance input). */
  range?: [number, number] | null;
  method?: Method;
  /** mathjs expression in `lambda` (nm), or per-pixel values (length width). */
  emissivity?: string | Float64Array | null;
  /** e⁻ per count; estimated from the data when absent. */
  gain?: number | null;
  /** counts rms per pixel; absent: from the dark (see readNoiseFromDark) or 0. */
  readNoise?: number | null;
  /** Read noise already estimated from the dark frames (used when readNoise is absent). */
  readNoiseFromDark?: number | null;
  /** Saturation level in raw counts (default: full scale of dataType). */
  saturation?: number | null;
  dataType?: SpeDataType | null;
  engine?: PhysicsEngine;
  /** Separation in pixels of the sliding two-colour pairs (default 120). */
  twoColorSeparation?: number;
  /** Compute the sliding two-colour for every frame (default true). */
  twoColor?: boolean;
  /** Scale σT by √(χ²/dof) (default: true when the gain is not given, and for radiance input). */
  scaleByChi2?: boolean;
  /** Threads for the native batch (default: engine's choice). */
  threads?: number;
  /** File names for error messages. */
  shotFile?: string;
}

export interface Analyzer {
  readonly engine: PhysicsEngine;
  readonly rois: readonly Roi[];
  /** Fitted wavelength range per ROI, nm. */
  readonly ranges: Record<string, [number, number]>;
  analyzeFrame(counts: FrameData, index: number, time: number | null, power?: number | null): FrameResult;
  analyzeBatch(frames: ArrayLike<FrameData>, indices: ArrayLike<number>, times: ArrayLike<number | null>, powers?: ArrayLike<number | null> | null): Promise<FrameResult[]>;
  /** The last analysed frame's spectrum (first ROI) with its fit, or null. */
  lastSpectrum(): SpectrumView | null;
  /** The noise model in use (gain is fixed after the first frames when estimated). */
  noise(): NoiseModel;
}

interface RoiPlan {
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

interface Buffers {
  cap: number;
  y: Float64Array[];       // per ROI, cap × nU
  v: Float64Array[];
  m: Uint8Array[];
  sig: Float64Array[];
  sat: Uint8Array;         // per frame per ROI: saturated
  cosmic: Uint8Array;
  corrupt: Uint8Array;
  weak: Uint8Array;
}

const RESPONSE_USABLE_FRACTION = 0.05;
/**
 * Frames per native batch call within analyzeBatch: small enough that a sub-batch's radiance, variance and mask
 * (~1 MB for 700 px) are still in the cache when a worker reads them, large enough to amortise a call; below the
 * native engine's threading threshold, so each call runs on one libuv pool thread and the calls run in parallel.
 */
const FIT_SUB_BATCH = 128;

/** Concatenates the results of consecutive sub-batches (n frames in all). */
function mergeBatches(parts: BatchResult[], n: number): BatchResult {
  if (parts.length === 1) return parts[0];
  const out: BatchResult = {
    temperature: new Float64Array(n), temperatureError: new Float64Array(n), scale: new Float64Array(n),
    chi2: new Float64Array(n), dof: new Int32Array(n), iterations: new Int32Array(n), status: new Uint8Array(n),
    engine: parts[0].engine,
  };
  const tc: TwoColorBatchResult | undefined = parts[0].twoColor
    ? { mean: new Float64Array(n), std: new Float64Array(n), count: new Int32Array(n) } : undefined;
  let at = 0;
  for (const p of parts) {
    out.temperature.set(p.temperature, at); out.temperatureError.set(p.temperatureError, at); out.scale.set(p.scale, at);
    out.chi2.set(p.chi2, at); out.dof.set(p.dof, at); out.iterations.set(p.iterations, at); out.status.set(p.status, at);
    if (tc && p.twoColor) { tc.mean.set(p.twoColor.mean, at); tc.std.set(p.twoColor.std, at); tc.count.set(p.twoColor.count, at); }
    at += p.temperature.length;
  }
  if (tc) out.twoColor = tc;
  return out;
}
export function createAnalyzer(config: AnalyzerConfig): Analyzer {
  const { wavelength, width, height } = config;
  if (!(width > 0 && height > 0) || wavelength.length !== width) {
    throw new UsageError(`analyzer: wavelength length ${wavelength.length} does not match the frame width ${width}`);
  }
  const shotName = config.shotFile ?? 'shot';
  const method: Method = config.method ?? 'planck';
  if (!['planck', 'wien', 'two-color'].includes(method)) throw new UsageError(`--method: expected planck, wien or two-color, got "${method}"`);
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const engine: PhysicsEngine = config.engine ?? (require('../physics') as { getEngine(): PhysicsEngine }).getEngine();
  const calibrated = !!config.lamp;
  const rois: Roi[] = config.rois && config.rois.length ? config.rois : [{ name: 'all', first: 0, last: height - 1 }];
  validateRois(rois, height, shotName);
  const lamp = config.lamp ?? null;
  const dark = config.dark ?? null;
  if (lamp && lamp.counts.length !== width * height) throw new UsageError(`${lamp.file ?? 'lamp'}: lamp frames are not ${height} × ${width} like ${shotName}`);
  if (dark && dark.counts.length !== width * height) throw new UsageError(`${dark.file ?? 'dark'}: dark frames are not ${height} × ${width} like ${shotName}`);
  if (config.gain != null && !(config.gain > 0 && Number.isFinite(config.gain))) throw new UsageError(`--gain must be a positive number of electrons per count (got ${config.gain})`);
  if (config.readNoise != null && !(config.readNoise >= 0 && Number.isFinite(config.readNoise))) throw new UsageError(`--read-noise must be a non-negative number of counts (got ${config.readNoise})`);
  if (config.saturation != null && !(config.saturation > 0)) throw new UsageError(`--saturation must be a positive number of counts (got ${config.saturation})`);
  const saturation = config.saturation ?? (calibrated ? fullScaleOf(config.dataType ?? null) : Infinity);

  const noise: NoiseModel = {
    gain: config.gain ?? 1,
    readNoise: config.readNoise ?? config.readNoiseFromDark ?? 0,
    gainSource: config.gain != null ? 'given' : 'assumed',
    readNoiseSource: config.readNoise != null ? 'given' : config.readNoiseFromDark != null ? 'dark' : 'assumed',
  };
  let gainLocked = !calibrated || config.gain != null;
  let gainAttempts = 0;
  const scaleByChi2 = config.scaleByChi2 ?? (!calibrated || config.gain == null);
  const nDark = dark ? Math.max(1, dark.frames) : 0;

  // ---- wavelength range and per-ROI plans -------------------------------------------------------------
  let wmin = Infinity; let wmax = -Infinity;
  for (const w of wavelength) { if (w < wmin) wmin = w; if (w > wmax) wmax = w; }
  if (config.range) {
    const [lo, hi] = config.range;
    if (!(lo < hi) || !Number.isFinite(lo) || !Number.isFinite(hi)) throw new UsageError(`--range: expected LO:HI in nm with LO < HI, got ${lo}:${hi}`);
    if (lo < wmin - 1e-9 || hi > wmax + 1e-9) {
      throw new UsageError(`${shotName}: --range ${lo}:${hi} nm is outside the data (${wmin.toFixed(1)}–${wmax.toFixed(1)} nm)`);
    }
  }
  let emis: Float64Array | null = null;
  if (config.emissivity != null) {
    if (typeof config.emissivity === 'string') {
      // evaluate over the pixels to be fitted only (checked below, after the range is known)
      emis = null;
    } else {
      if (config.emissivity.length !== width) throw new UsageError(`emissivity: ${config.emissivity.length} values for ${width} pixels`);
      emis = config.emissivity;
    }
  }

  const plans: RoiPlan[] = rois.map((roi) => {
    const rows = roi.last - roi.first + 1;
    const darkSum = new Float64Array(width);
    if (dark) for (let r = roi.first; r <= roi.last; r++) for (let i = 0; i < width; i++) darkSum[i] += dark.counts[r * width + i];
    let resp: Float64Array | null = null;
    let lampSig: Float64Array | null = null;
    if (lamp) {
      lampSig = new Float64Array(width);
      resp = new Float64Array(width);
      for (let r = roi.first; r <= roi.last; r++) for (let i = 0; i < width; i++) lampSig[i] += lamp.counts[r * width + i];
      for (let i = 0; i < width; i++) {
        lampSig[i] -= darkSum[i];
        resp[i] = lampSig[i] / lamp.radiance[i];
      }
    }
    // used pixels
    const ok = new Uint8Array(width);
    if (config.range) {
      const [lo, hi] = config.range;
      let any = false; let covered = true;
      for (let i = 0; i < width; i++) {
        if (wavelength[i] >= lo && wavelength[i] <= hi) {
          any = true;
          if (resp && !Number.isFinite(lamp!.radiance[i])) { covered = false; continue; }
          if (!resp || (resp[i] > 0 && Number.isFinite(resp[i]))) ok[i] = 1;
        }
      }
      if (!any) throw new UsageError(`${shotName}: --range ${lo}:${hi} nm contains no pixel of the data`);
      if (!covered) {
        throw new UsageError(`${lamp!.radianceFile ?? lamp!.file ?? 'lamp'}: the lamp radiance does not cover --range ${lo}:${hi} nm`);
      }
    } else if (resp) {
      let peak = 0; let at = -1;
      for (let i = 0; i < width; i++) if (Number.isFinite(resp[i]) && resp[i] > peak) { peak = resp[i]; at = i; }
      if (at < 0) throw new UsageError(`${lamp!.file ?? 'lamp'}: the lamp gives no positive response on rows ${roi.first}:${roi.last} (is it dark-subtracted twice, or the wrong file?)`);
      let a = at; let b = at;
      while (a > 0 && resp[a - 1] >= RESPONSE_USABLE_FRACTION * peak) a--;
      while (b < width - 1 && resp[b + 1] >= RESPONSE_USABLE_FRACTION * peak) b++;
      for (let i = a; i <= b; i++) ok[i] = 1;
    } else {
      ok.fill(1);
    }
    let nU = 0;
    for (let i = 0; i < width; i++) nU += ok[i];
    if (nU < 8) throw new UsageError(`${shotName}: only ${nU} usable pixels in the fit range on rows ${roi.first}:${roi.last}`);
    const used = new Int32Array(nU);
    for (let i = 0, k = 0; i < width; i++) if (ok[i]) used[k++] = i;
    const wl = Float64Array.from(used, (i) => wavelength[i]);
    const den = new Float64Array(nU);
    for (let k = 0; k < nU; k++) den[k] = resp ? resp[used[k]] : 1;
    return {
      roi, rows, used, wl, den,
      darkSum: Float64Array.from(used, (i) => darkSum[i]),
      relVarDen: new Float64Array(nU),
      invDen: new Float64Array(nU),
      invDen2: new Float64Array(nU),
      lampSig: lampSig ? Float64Array.from(used, (i) => lampSig![i]) : null,
      cp: null as unknown as CountsPlan,
    };
  });

  if (typeof config.emissivity === 'string') {
    // validate over every used pixel of every ROI, then fold into den
    for (const p of plans) {
      const e = emissivityArray(config.emissivity, p.wl);
      for (let k = 0; k < p.den.length; k++) p.den[k] *= e[k];
    }
  } else if (emis) {
    for (const p of plans) {
      for (let k = 0; k < p.den.length; k++) {
        const e = emis[p.used[k]];
        if (!(e > 0) || !Number.isFinite(e)) throw new UsageError(`emissivity must be positive and finite (${e} at ${p.wl[k].toFixed(1)} nm)`);
        p.den[k] *= e;
      }
    }
  }

  for (const p of plans) {
    for (let k = 0; k < p.den.length; k++) { p.invDen[k] = 1 / p.den[k]; p.invDen2[k] = p.invDen[k] * p.invDen[k]; }
  }

  for (const p of plans) {
    p.cp = {
      width, height, first: p.roi.first, last: p.roi.last, used: p.used, darkSum: p.darkSum, invDen: p.invDen, invDen2: p.invDen2,
      relVarDen: p.relVarDen, saturation, invGain: 1, readVar: 0,
    };
  }
  const updateLampNoise = () => {
    for (const p of plans) {
      p.cp.invGain = 1 / noise.gain;
      p.cp.readVar = p.rows * noise.readNoise * noise.readNoise * (1 + (nDark ? 1 / nDark : 0));
    }
    if (!lamp) return;
    const rn2 = noise.readNoise * noise.readNoise;
    for (const p of plans) {
      const ls = p.lampSig!;
      for (let k = 0; k < ls.length; k++) {
        const v = (Math.max(ls[k], 0) / noise.gain + p.rows * rn2) / Math.max(1, lamp.frames) + (nDark ? p.rows * rn2 / nDark : 0);
        p.relVarDen[k] = ls[k] > 0 ? v / (ls[k] * ls[k]) : 0;
      }
    }
  };
  updateLampNoise();

  const ranges: Record<string, [number, number]> = {};
  for (const p of plans) ranges[p.roi.name] = [p.wl[0], p.wl[p.wl.length - 1]];
  const sep0 = config.twoColorSeparation ?? 120;
  const doTwoColor = config.twoColor ?? true;

  // ---- buffers ----------------------------------------------------------------------------------------
  // three buffer sets: two alternating for batches (one preparing while the other fits), one for analyzeFrame
  const nR = plans.length;
  const bufs: (Buffers | null)[] = [null, null, null];
  const getBuffers = (n: number, slot: number): Buffers => {
    const old = bufs[slot];
    if (old && old.cap >= n) return old;
    const cap = Math.max(n, old ? old.cap : 0);
    const b: Buffers = {
      cap,
      y: plans.map((p) => new Float64Array(cap * p.used.length)),
      v: plans.map((p) => new Float64Array(cap * p.used.length)),
      m: plans.map((p) => new Uint8Array(cap * p.used.length)),
      sig: plans.map((p) => new Float64Array(cap * p.used.length)),
      sat: new Uint8Array(cap * nR),
      cosmic: new Uint8Array(cap * nR),
      corrupt: new Uint8Array(cap * nR),
      weak: new Uint8Array(cap * nR),
    };
    bufs[slot] = b;
    return b;
  };
  const busy = [false, false];
  const nMax = Math.max(...plans.map((p) => p.used.length));
  const sc = prepScratch(nMax);
  const smooth = sc.smooth; const sigma = sc.sigma; const varC = sc.varC;
  const sigScratch = sc.sig;

  /**
   * Stage 1 of a frame for one ROI: sum rows, subtract dark, saturation and corrupt tests → sig (from sOff: the
   * batch's buffer while the gain is estimated, else a per-frame scratch that stays in the cache).
   */
  function stageCounts(counts: FrameData, pi: number, f: number, b: Buffers, sig: Float64Array, sOff: number): void {
    const fl = countsStage(plans[pi].cp, counts, sig, sOff, b.m[pi], f * plans[pi].used.length);
    b.sat[f * nR + pi] = fl & PREP_SATURATED ? 1 : 0;
    b.corrupt[f * nR + pi] = fl & PREP_CORRUPT ? 1 : 0;
  }

  /** Stage 2: noise, cosmics, radiance and variance (sig from sOff, see stageCounts). Needs the gain. */
  function stageRadiance(pi: number, f: number, b: Buffers, sig: Float64Array, sOff: number): void {
    const p = plans[pi];
    const nU = p.used.length;
    const off = f * nU;
    const m = b.m[pi]; const y = b.y[pi]; const v = b.v[pi];
    const invDen = p.invDen; const invDen2 = p.invDen2; const rvd = p.relVarDen;
    b.cosmic[f * nR + pi] = 0; b.weak[f * nR + pi] = 0;
    if (b.corrupt[f * nR + pi]) {
      // keep the batch valid: a flat dummy spectrum, all masked
      dummyFrame(nU, y, v, m, off);
      return;
    }
    if (calibrated) {
      // the one definition of the arithmetic (src/quality/prepare.ts; native twin: analyzeCountsBatch)
      const fl = radianceStage(p.cp, sig, sOff, y, v, m, off, sc);
      b.cosmic[f * nR + pi] = fl & PREP_COSMIC ? 1 : 0;
      b.weak[f * nR + pi] = fl & PREP_WEAK ? 1 : 0;
      return;
    }
    // smoothed level for the robust scatter (a box of 5 pixels)
    boxSmooth(sig, sOff, nU, SMOOTH_HALF, smooth);
    let floor = 0;
    {
      // radiance input has no noise model: robust scatters of the second difference, absolute and relative to
      // the level, set σ for the cosmic test (the larger of the two: constant or proportional noise)
      const h = new Float64Array(Math.max(0, nU - 2));
      const hr = new Float64Array(Math.max(0, nU - 2));
      for (let k = 1; k < nU - 1; k++) {
        h[k - 1] = Math.abs(sig[sOff + k] - 0.5 * (sig[sOff + k - 1] + sig[sOff + k + 1]));
        hr[k - 1] = smooth[k] !== 0 ? h[k - 1] / Math.abs(smooth[k]) : 0;
      }
      const c = 1 / 0.6745 / Math.sqrt(1.5);
      floor = h.length ? median(h) * c : 0;
      const rel = hr.length ? median(hr) * c : 0;
      let top = 0;
      for (let k = 0; k < nU; k++) top = Math.max(top, Math.abs(smooth[k]));
      for (let k = 0; k < nU; k++) {
        sigma[k] = Math.max(floor, rel * Math.abs(smooth[k]), 1e-9 * top, 1e-300);
        varC[k] = sigma[k] * sigma[k];
        smooth[k] = 0; // no lamp term
      }
    }
    const nc = maskCosmics(sig, sigma, m, nU, sOff, off, floor, 0, sc.win);
    if (nc > 0) b.cosmic[f * nR + pi] = 1;
    let sSum = 0; let vSum = 0;
    {
      for (let k = 0; k < nU; k++) {
        const sk = sig[sOff + k];
        y[off + k] = sk * invDen[k];
        const sm = smooth[k];
        v[off + k] = (varC[k] + sm * sm * rvd[k]) * invDen2[k];
        if (m[off + k] === 0) { sSum += sk; vSum += varC[k]; }
      }
    }
    // weak: no signal worth a fit (total SNR of the unmasked pixels below WEAK_MIN_SNR)
    if (!(sSum > WEAK_MIN_SNR * Math.sqrt(vSum))) b.weak[f * nR + pi] = 1;
  }

  function maybeEstimateGain(n: number, b: Buffers): void {
    if (gainLocked) return;
    // the brightest non-corrupt frames of the first ROI
    const p = plans[0];
    const nU = p.used.length;
    const cand: { f: number; s: number }[] = [];
    for (let f = 0; f < n; f++) {
      if (b.corrupt[f * nR]) continue;
      let s = 0;
      for (let k = 0; k < nU; k++) s += b.sig[0][f * nU + k];
      if (s > 0) cand.push({ f, s });
    }
    cand.sort((a, c) => c.s - a.s);
    const pick = cand.slice(0, 32);
    if (pick.length === 0) { if (++gainAttempts >= 64) gainLocked = true; return; }
    const sigs = new Float64Array(pick.length * nU);
    pick.forEach((c, j) => sigs.set(b.sig[0].subarray(c.f * nU, (c.f + 1) * nU), j * nU));
    const rn2 = noise.readNoise * noise.readNoise;
    const lampNoise = lamp && p.lampSig
      ? { signal: p.lampSig, frames: Math.max(1, lamp.frames), readVar: p.rows * rn2 * (1 + (nDark ? Math.max(1, lamp.frames) / nDark : 0)) }
      : null;
    const g = estimateGain(sigs, pick.length, p.den, p.rows, noise.readNoise, lampNoise);
    // keep trying on later batches while the frames are too faint to show shot noise (gain 1 meanwhile; σT is
    // scaled by √(χ²/dof) anyway)
    if (g !== null) { noise.gain = g; noise.gainSource = 'estimated'; gainLocked = true; }
    else if (++gainAttempts >= 64) gainLocked = true;
    updateLampNoise();
  }

  /** Separation of the sliding two-colour pairs of a ROI (pixels of its compacted grid). */
  const sepOf = (pi: number): number => Math.max(1, Math.min(sep0, Math.floor(plans[pi].used.length / 2)));
  /** Whether a ROI needs the sliding two-colour: FrameResult carries the first ROI's; method two-color needs all. */
  const wantsTwoColor = (pi: number): boolean => (doTwoColor && pi === 0) || method === 'two-color';

  /** The batch two-colour of the ROIs that need it (null elsewhere), from the Planck batch results when given. */
  function twoColors(n: number, b: Buffers, fits: (BatchResult | null)[]): (TwoColorBatchResult | null)[] {
    return plans.map((p, pi) => {
      if (!wantsTwoColor(pi)) return null;
      const given = fits[pi]?.twoColor;
      if (given) return given;
      const nU = p.used.length;
      return engine.slidingTwoColorBatchSync(p.wl, b.y[pi].subarray(0, n * nU), n, sepOf(pi), { mask: b.m[pi].subarray(0, n * nU), threads: config.threads });
    });
  }

  /** The same, off the event loop (methods wien and two-color: no Planck batch to carry it). */
  function twoColorsAsync(n: number, b: Buffers): Promise<(TwoColorBatchResult | null)[]> {
    return Promise.all(plans.map((p, pi) => {
      if (!wantsTwoColor(pi)) return null;
      const nU = p.used.length;
      return engine.slidingTwoColorBatch(p.wl, b.y[pi].subarray(0, n * nU), n, sepOf(pi), { mask: b.m[pi].subarray(0, n * nU), threads: config.threads });
    }));
  }

  let last: { pi: 0; f: number; T: number; scale: number; index: number; y: Float64Array; m: Uint8Array } | null = null;

  function results(n: number, b: Buffers, fits: (BatchResult | null)[], tcs: (TwoColorBatchResult | null)[], indices: ArrayLike<number>, times: ArrayLike<number | null>, powers: ArrayLike<number | null> | null | undefined): FrameResult[] {
    const out: FrameResult[] = new Array(n);
    for (let f = 0; f < n; f++) {
      const per: RoiResult[] = [];
      let tc: { mean: number; std: number } | null = null;
      for (let pi = 0; pi < nR; pi++) {
        const p = plans[pi]; const nU = p.used.length;
        const flags: FrameFlag[] = [];
        const slot = f * nR + pi;
        if (b.sat[slot]) flags.push('saturated');
        if (b.cosmic[slot]) flags.push('cosmic');
        let T: number | null = null; let dT: number | null = null; let chi2: number | null = null;
        // views of this frame's spectrum only where needed (Wien fit, last spectrum): no garbage per frame
        const yf = (): Float64Array => b.y[pi].subarray(f * nU, (f + 1) * nU);
        const mf = (): Uint8Array => b.m[pi].subarray(f * nU, (f + 1) * nU);
        let scale = NaN;
        if (b.corrupt[slot]) {
          flags.length = 0;
          flags.push('corrupt');
        } else if (b.weak[slot]) {
          flags.push('weak');
        } else {
          const tcr = tcs[pi];
          let twoc: { mean: number; std: number } | null = null;
          if (tcr && tcr.count[f] > 0 && Number.isFinite(tcr.mean[f])) {
            twoc = { mean: tcr.mean[f], std: Number.isFinite(tcr.std[f]) ? tcr.std[f] : 0 };
          }
          if (pi === 0) tc = twoc;
          if (method === 'two-color') {
            if (twoc) { T = twoc.mean; dT = twoc.std; } else flags.push('fit-failed');
          } else if (method === 'wien') {
            try {
              const r = engine.fitWien(p.wl, yf(), { variance: b.v[pi].subarray(f * nU, (f + 1) * nU), mask: mf() });
              if (Number.isFinite(r.temperature) && r.temperature > 0) {
                T = r.temperature; dT = r.temperatureError; chi2 = r.dof > 0 ? r.chi2 / r.dof : null; scale = r.scale;
                if (scaleByChi2 && chi2 !== null && dT !== null) dT *= Math.sqrt(chi2);
              } else flags.push('fit-failed');
            } catch { flags.push('fit-failed'); }
          } else {
            const fit = fits[pi]!;
            const st = fit.status[f];
            if (st === 0 && Number.isFinite(fit.temperature[f]) && fit.temperature[f] > 0) {
              T = fit.temperature[f]; dT = fit.temperatureError[f];
              chi2 = fit.dof[f] > 0 ? fit.chi2[f] / fit.dof[f] : null;
              scale = fit.scale[f];
              // with variance given the engine reports the absolute σT: rescale when the gain is not known
              if (scaleByChi2 && chi2 !== null) dT *= Math.sqrt(chi2);
            } else if (st === 1) {
              flags.push('corrupt');
            } else if (st === 3) {
              flags.push('weak');
            } else {
              flags.push('fit-failed');
            }
          }
          if (T !== null && dT !== null && !(dT <= WEAK_MAX_RELATIVE_ERROR * T)) {
            flags.push('weak'); T = null; dT = null;
          }
        }
        if (T === null) { dT = null; }
        per.push({ temperature: T, temperatureError: dT, chi2, flags });
        if (pi === 0 && f === n - 1) last = { pi: 0, f, T: T ?? NaN, scale, index: indices[f], y: Float64Array.from(yf()), m: Uint8Array.from(mf()) };
      }
      const first = per[0];
      const fr: FrameResult = {
        index: indices[f],
        time: times[f] ?? null,
        power: powers ? (powers[f] ?? null) : null,
        temperature: first.temperature,
        temperatureError: first.temperatureError,
        chi2: first.chi2,
        flags: first.flags,
        twoColor: tc,
      };
      if (fr.power !== null && !Number.isFinite(fr.power)) fr.power = null;
      if (nR > 1) {
        fr.rois = {};
        plans.forEach((p, pi) => { fr.rois![p.roi.name] = per[pi]; });
      }
      out[f] = fr;
    }
    return out;
  }

  /**
   * Checks the frames; while the gain is still to be estimated, runs stage 1 on all of them (the estimate needs the
   * batch's row sums) and estimates it. Returns whether stage 1 is done (else prepareRange does it per frame).
   */
  function prepareStart(frames: ArrayLike<FrameData>, n: number, b: Buffers): boolean {
    for (let f = 0; f < n; f++) {
      const c = frames[f];
      if (!c || c.length !== width * height) {
        throw new UsageError(`${shotName}: frame ${f} has ${c ? c.length : 0} values, expected ${height} × ${width}`);
      }
    }
    if (gainLocked) return false;
    for (let f = 0; f < n; f++) for (let pi = 0; pi < nR; pi++) stageCounts(frames[f], pi, f, b, b.sig[pi], f * plans[pi].used.length);
    maybeEstimateGain(n, b);
    return true;
  }

  /** Stages 1 (unless done) and 2 of frames s0..s1−1, frame by frame (the row sums stay in the cache). */
  function prepareRange(frames: ArrayLike<FrameData>, s0: number, s1: number, b: Buffers, counted: boolean): void {
    for (let f = s0; f < s1; f++) {
      for (let pi = 0; pi < nR; pi++) {
        if (counted) {
          stageRadiance(pi, f, b, b.sig[pi], f * plans[pi].used.length);
        } else {
          stageCounts(frames[f], pi, f, b, sigScratch, 0);
          stageRadiance(pi, f, b, sigScratch, 0);
        }
      }
    }
  }

  function prepare(frames: ArrayLike<FrameData>, n: number, slot: number): Buffers {
    const b = getBuffers(n, slot);
    prepareRange(frames, 0, n, b, prepareStart(frames, n, b));
    return b;
  }

  function batchOpts(pi: number, n: number, b: Buffers, s0 = 0) {
    const nU = plans[pi].used.length;
    return {
      variance: b.v[pi].subarray(s0 * nU, (s0 + n) * nU),
      mask: b.m[pi].subarray(s0 * nU, (s0 + n) * nU),
      threads: config.threads,
      // the sliding two-colour in the same native pass over each frame
      twoColorSeparation: wantsTwoColor(pi) ? sepOf(pi) : undefined,
    };
  }

  const analyzer: Analyzer = {
    engine,
    rois,
    ranges,
    analyzeFrame(counts, index, time, power = null) {
      const b = prepare([counts], 1, 2);
      const fits = method === 'planck'
        ? plans.map((p, pi) => engine.fitPlanckBatchSync(p.wl, b.y[pi].subarray(0, p.used.length), 1, batchOpts(pi, 1, b)))
        : plans.map(() => null);
      return results(1, b, fits, twoColors(1, b, fits), [index], [time], [power])[0];
    },
    async analyzeBatch(frames, indices, times, powers = null) {
      const n = frames.length;
      if (n === 0) return [];
      const slot = busy[0] ? (busy[1] ? -1 : 1) : 0;
      if (slot < 0) throw new UsageError('analyzeBatch: at most two batches may be in flight (await one first)');
      busy[slot] = true;
      let b: Buffers;
      if (method === 'planck' && calibrated && gainLocked && engine.analyzeCountsBatch) {
        // The whole preparation and the fits on the engine's worker threads (analyzeCountsBatch, one call per ROI):
        // the main thread only hands the frames over and builds the results.
        try {
          b = getBuffers(n, slot);
          for (let f = 0; f < n; f++) {
            const c = frames[f];
            if (!c || c.length !== width * height) {
              throw new UsageError(`${shotName}: frame ${f} has ${c ? c.length : 0} values, expected ${height} × ${width}`);
            }
          }
          const list = Array.isArray(frames) ? frames as FrameData[] : Array.from(frames);
          const settled = await Promise.allSettled(plans.map((p, pi) => {
            const nU = p.used.length;
            return engine.analyzeCountsBatch!(p.wl, list, p.cp, {
              radiance: b.y[pi].subarray(0, n * nU), variance: b.v[pi].subarray(0, n * nU), mask: b.m[pi].subarray(0, n * nU),
            }, { threads: config.threads, twoColorSeparation: wantsTwoColor(pi) ? sepOf(pi) : undefined });
          }));
          // (all settled: no native job still writes into the buffers when the slot is freed)
          const fits = settled.map((r) => { if (r.status === 'rejected') throw r.reason; return r.value; });
          fits.forEach((r, pi) => {
            for (let f = 0; f < n; f++) {
              const fl = r.flags[f]; const slot2 = f * nR + pi;
              b.sat[slot2] = fl & PREP_SATURATED ? 1 : 0; b.cosmic[slot2] = fl & PREP_COSMIC ? 1 : 0;
              b.corrupt[slot2] = fl & PREP_CORRUPT ? 1 : 0; b.weak[slot2] = fl & PREP_WEAK ? 1 : 0;
            }
          });
          return results(n, b, fits, twoColors(n, b, fits), indices, times, powers);
        } finally {
          busy[slot] = false;
        }
      }
      if (method === 'planck') {
        // Sub-batches: each is prepared and handed to the native fits (with the first ROI's two-colour in the same
        // pass) while the next is prepared; their buffers are still in the cache when a worker thread reads them.
        const parts: Promise<BatchResult[]>[] = [];
        try {
          b = getBuffers(n, slot);
          const counted = prepareStart(frames, n, b);
          for (let s0 = 0; s0 < n; s0 += FIT_SUB_BATCH) {
            const s1 = Math.min(n, s0 + FIT_SUB_BATCH);
            prepareRange(frames, s0, s1, b, counted);
            const m = s1 - s0;
            parts.push(Promise.all(plans.map((p, pi) => engine.fitPlanckBatch(p.wl, b.y[pi].subarray(s0 * p.used.length, s1 * p.used.length), m, batchOpts(pi, m, b, s0)))));
          }
        } catch (e) {
          await Promise.allSettled(parts); // the buffers are free only once no native job reads them
          busy[slot] = false;
          throw e;
        }
        try {
          const settled = await Promise.allSettled(parts);
          const fits = plans.map((_p, pi) => mergeBatches(settled.map((r) => {
            if (r.status === 'rejected') throw r.reason;
            return r.value[pi];
          }), n));
          return results(n, b, fits, twoColors(n, b, fits), indices, times, powers);
        } finally {
          busy[slot] = false;
        }
      }
      try { b = prepare(frames, n, slot); } catch (e) { busy[slot] = false; throw e; }
      try {
        const fits = plans.map(() => null);
        return results(n, b, fits, await twoColorsAsync(n, b), indices, times, powers);
      } finally {
        busy[slot] = false;
      }
    },
    lastSpectrum() {
      if (!last) return null;
      const p = plans[0];
      const fit = new Float64Array(p.wl.length);
      if (Number.isFinite(last.T) && Number.isFinite(last.scale)) {
        for (let k = 0; k < fit.length; k++) fit[k] = last.scale * planckRadiance(p.wl[k], last.T);
      } else fit.fill(NaN);
      return { index: last.index, wavelength: p.wl, radiance: last.y, fit, mask: last.m };
    },
    noise() { return { ...noise }; },
  };
  return analyzer;
}
