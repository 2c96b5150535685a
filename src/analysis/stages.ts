/**
 * The per-frame preparation on the main thread: stage 1 (rows summed, dark subtracted, saturation and corrupt
 * tests) and stage 2 (noise, cosmics, radiance and variance, weak test). For counts with a lamp both stages are
 * src/quality/prepare.ts (the twin of the native analyzeCountsBatch); radiance input has no noise model and gets
 * a robust scatter here.
 */
import type { FrameData } from './types';
import type { ResolvedConfig } from './config';
import type { RoiPlan } from './plans';
import type { Buffers, BufferPool } from './buffers';
import type { GainEstimator } from './gain';
import { FitArgumentError, UsageError } from '../errors';
import { maskCosmics, WEAK_MIN_SNR } from '../quality/flags';
import {
  boxSmooth,
  countsStage,
  dummyFrame,
  prepScratch,
  radianceStage,
  SMOOTH_HALF,
  PREP_COSMIC,
  PREP_CORRUPT,
  PREP_SATURATED,
  PREP_WEAK,
  type PrepScratch,
} from '../quality/prepare';
import { median } from '../quality/noise';
import { declaredFrameLength } from '../physics/stridedFrames';

/**
 * The least σ of radiance input relative to its level. A smooth, noise-free spectrum (a fit exported as data)
 * has second differences of pure curvature, which the robust scatter would take for noise and the cosmic test
 * for spikes; no real spectrum is known better than 1e-4 of its level (a 4-digit export).
 */
const RADIANCE_MIN_RELATIVE_SIGMA = 1e-4;

/** Median absolute deviation → σ of a normal, and the √1.5 of a second difference. */
const MAD_TO_SIGMA_OF_SECOND_DIFFERENCE = 1 / 0.6745 / Math.sqrt(1.5);

/** The first n frames as an array (the frames themselves when they are one). */
function frameList(frames: ArrayLike<FrameData>, n: number): FrameData[] {
  return Array.isArray(frames) && frames.length === n ? (frames as FrameData[]) : Array.from(frames).slice(0, n);
}

/** Flags set by stage 1 (countsStage) and stage 2 (radianceStage). */
const STAGE1_BITS = PREP_SATURATED | PREP_CORRUPT;
const STAGE2_BITS = PREP_COSMIC | PREP_WEAK;
const ALL_BITS = STAGE1_BITS | STAGE2_BITS;

/**
 * Writes a frame's PREP_* bits into the buffers' flag bytes of one slot (frame f · nRois + roi); only the flags in
 * `decided` (default: all) are written, the others are left as they are.
 */
export function decodePrepFlags(bits: number, b: Buffers, slot: number, decided = ALL_BITS): void {
  if (decided & PREP_SATURATED) {
    b.sat[slot] = bits & PREP_SATURATED ? 1 : 0;
  }
  if (decided & PREP_COSMIC) {
    b.cosmic[slot] = bits & PREP_COSMIC ? 1 : 0;
  }
  if (decided & PREP_CORRUPT) {
    b.corrupt[slot] = bits & PREP_CORRUPT ? 1 : 0;
  }
  if (decided & PREP_WEAK) {
    b.weak[slot] = bits & PREP_WEAK ? 1 : 0;
  }
}

/**
 * decodePrepFlags of frames 0..n−1 of ROI `roi` (slot f·nRois + roi) from one byte of bits per frame: one loop per
 * flag decided, with the same store for every frame whatever its bits (a flag first seen late in a shot does not
 * send the optimised loop back to the interpreter).
 */
export function decodePrepFlagsOf(
  bits: Uint8Array,
  n: number,
  b: Buffers,
  nRois: number,
  roi: number,
  decided = ALL_BITS,
): void {
  const columns: [number, Uint8Array][] = [
    [PREP_SATURATED, b.sat],
    [PREP_COSMIC, b.cosmic],
    [PREP_CORRUPT, b.corrupt],
    [PREP_WEAK, b.weak],
  ];
  for (const [flag, column] of columns) {
    if (decided & flag) {
      decodeFlag(bits, n, flag, column, nRois, roi);
    }
  }
}

/** column[f·nRois + roi] = 1 where frame f's bits hold `flag`, else 0. */
function decodeFlag(bits: Uint8Array, n: number, flag: number, column: Uint8Array, nRois: number, roi: number): void {
  const shift = Math.log2(flag);
  for (let f = 0; f < n; f++) {
    column[f * nRois + roi] = (bits[f] >> shift) & 1;
  }
}

/** Throws unless every frame has height × width values. */
export function checkFrames(cfg: ResolvedConfig, frames: ArrayLike<FrameData>, n: number): void {
  // (frames the chunk reader declared strided all have one length: no loop)
  if (n <= frames.length && declaredFrameLength(frames) === cfg.width * cfg.height) {
    return;
  }
  for (let f = 0; f < n; f++) {
    const counts = frames[f];
    if (!counts || counts.length !== cfg.width * cfg.height) {
      const got = counts ? counts.length : 0;
      throw new UsageError(`${cfg.shotName}: frame ${f} has ${got} values, expected ${cfg.height} × ${cfg.width}`);
    }
  }
}

export class FramePreparer {
  private readonly scratch: PrepScratch;

  constructor(
    private readonly cfg: ResolvedConfig,
    private readonly plans: readonly RoiPlan[],
    private readonly pool: BufferPool,
    private readonly gain: GainEstimator,
  ) {
    this.scratch = prepScratch(Math.max(...plans.map((plan) => plan.used.length)));
  }

  /**
   * Stage 1 of a frame for one ROI: sum rows, subtract dark, saturation and corrupt tests → sig (from sOff: the
   * batch's buffer while the gain is estimated, else a per-frame scratch that stays in the cache).
   */
  stageCounts(counts: FrameData, pi: number, f: number, b: Buffers, sig: Float64Array, sOff: number): void {
    const plan = this.plans[pi];
    const bits = countsStage(plan.cp, counts, sig, sOff, b.m[pi], f * plan.used.length);
    decodePrepFlags(bits, b, f * this.plans.length + pi, STAGE1_BITS);
  }

  /** Stage 2: noise, cosmics, radiance and variance (sig from sOff, see stageCounts). Needs the gain. */
  stageRadiance(pi: number, f: number, b: Buffers, sig: Float64Array, sOff: number): void {
    const plan = this.plans[pi];
    const nU = plan.used.length;
    const off = f * nU;
    const slot = f * this.plans.length + pi;
    decodePrepFlags(0, b, slot, STAGE2_BITS);
    if (b.corrupt[slot]) {
      // keep the batch valid: a flat dummy spectrum, all masked
      dummyFrame(nU, b.y[pi], b.v[pi], b.m[pi], off);
      return;
    }
    if (this.cfg.calibrated) {
      // the one definition of the arithmetic (src/quality/prepare.ts; native twin: analyzeCountsBatch)
      const bits = radianceStage(plan.cp, sig, sOff, b.y[pi], b.v[pi], b.m[pi], off, this.scratch);
      decodePrepFlags(bits, b, slot, STAGE2_BITS);
      return;
    }
    this.stagePlainRadiance(plan, pi, f, b, sig, sOff);
  }

  /**
   * Stage 2 of radiance input (no noise model): robust scatters of the second difference, absolute and relative
   * to the level, set σ (the larger of the two: constant or proportional noise) for the cosmic test and the weights.
   */
  private stagePlainRadiance(plan: RoiPlan, pi: number, f: number, b: Buffers, sig: Float64Array, sOff: number): void {
    const nU = plan.used.length;
    const off = f * nU;
    const { smooth, sigma, varC } = this.scratch;
    const m = b.m[pi];
    const y = b.y[pi];
    const v = b.v[pi];
    boxSmooth(sig, sOff, nU, SMOOTH_HALF, smooth);
    const absolute = new Float64Array(Math.max(0, nU - 2));
    const relative = new Float64Array(Math.max(0, nU - 2));
    for (let k = 1; k < nU - 1; k++) {
      absolute[k - 1] = Math.abs(sig[sOff + k] - 0.5 * (sig[sOff + k - 1] + sig[sOff + k + 1]));
      relative[k - 1] = smooth[k] !== 0 ? absolute[k - 1] / Math.abs(smooth[k]) : 0;
    }
    const floor = absolute.length ? median(absolute) * MAD_TO_SIGMA_OF_SECOND_DIFFERENCE : 0;
    const rel = relative.length ? median(relative) * MAD_TO_SIGMA_OF_SECOND_DIFFERENCE : 0;
    let top = 0;
    for (let k = 0; k < nU; k++) {
      top = Math.max(top, Math.abs(smooth[k]));
    }
    for (let k = 0; k < nU; k++) {
      sigma[k] = Math.max(
        floor,
        rel * Math.abs(smooth[k]),
        RADIANCE_MIN_RELATIVE_SIGMA * Math.abs(smooth[k]),
        1e-9 * top,
        1e-300,
      );
      varC[k] = sigma[k] * sigma[k];
    }
    const slot = f * this.plans.length + pi;
    if (maskCosmics(sig, sigma, m, nU, sOff, off, floor, 0, this.scratch.win) > 0) {
      b.cosmic[slot] = 1;
    }
    let sSum = 0;
    let vSum = 0;
    for (let k = 0; k < nU; k++) {
      const sk = sig[sOff + k];
      y[off + k] = sk * plan.invDen[k];
      v[off + k] = varC[k] * plan.invDen2[k];
      if (m[off + k] === 0) {
        sSum += sk;
        vSum += varC[k];
      }
    }
    // weak: no signal worth a fit (total SNR of the unmasked pixels below WEAK_MIN_SNR)
    if (!(sSum > WEAK_MIN_SNR * Math.sqrt(vSum))) {
      b.weak[slot] = 1;
    }
  }

  /**
   * Checks the frames; while the gain is still to be estimated, runs stage 1 on all of them (the estimate needs the
   * batch's row sums) and estimates it. Returns whether stage 1 is done (else prepareRange does it per frame).
   */
  start(frames: ArrayLike<FrameData>, n: number, b: Buffers): boolean {
    checkFrames(this.cfg, frames, n);
    if (this.gain.locked) {
      return false;
    }
    this.countAndEstimate(frames, n, b);
    return true;
  }

  /**
   * Stage 1 of every frame and ROI into the batch's row sums (b.sig), then one attempt at the gain from them.
   * The frames must have been checked (checkFrames) and the gain not be locked yet.
   */
  countAndEstimate(frames: ArrayLike<FrameData>, n: number, b: Buffers): void {
    // the first ROI's per-frame totals of its row sums, for the gain's choice of the brightest frames
    const totals = new Float64Array(n);
    let totalsDone = false;
    for (let pi = 0; pi < this.plans.length; pi++) {
      if (this.countsInEngine(frames, n, b, pi, pi === 0 ? totals : null)) {
        totalsDone ||= pi === 0;
        continue;
      }
      const nU = this.plans[pi].used.length;
      for (let f = 0; f < n; f++) {
        this.stageCounts(frames[f], pi, f, b, b.sig[pi], f * nU);
      }
    }
    this.gain.update(n, b, totalsDone ? totals : null);
  }

  /**
   * The gain attempt of a batch that the engine then prepares whole (analyzeCountsBatch): the engine's stage 1 of the
   * first ROI gives each frame's total and flags only, and the row sums of the brightest frames alone are computed
   * for the estimate — the values countAndEstimate's b.sig holds for them, without writing the whole batch's row
   * sums (~6 MB for 1,024 frames). countAndEstimate when the engine has no countsStageBatchSync or refuses.
   */
  estimateBeforeEngine(frames: ArrayLike<FrameData>, n: number, b: Buffers): void {
    const engine = this.cfg.engine;
    const plan = this.plans[0];
    const list = frameList(frames, n);
    const totals = new Float64Array(n);
    let bits: Uint8Array;
    try {
      if (!engine.countsStageBatchSync) {
        this.countAndEstimate(frames, n, b);
        return;
      }
      bits = engine.countsStageBatchSync(plan.wl, list, plan.cp, { totals });
    } catch (e) {
      if (e instanceof FitArgumentError) {
        this.countAndEstimate(frames, n, b);
        return;
      }
      throw e;
    }
    decodePrepFlagsOf(bits, n, b, this.plans.length, 0, STAGE1_BITS);
    this.gain.update(n, b, totals, (picked) => {
      const nU = plan.used.length;
      const out = { sig: new Float64Array(picked.length * nU), mask: new Uint8Array(picked.length * nU) };
      engine.countsStageBatchSync!(
        plan.wl,
        picked.map((f) => list[f]),
        plan.cp,
        out,
      );
      return out.sig;
    });
  }

  /**
   * Stage 1 of ROI pi for frames 0..n−1 in the engine's countsStageBatchSync (the native twin of countsStage: the
   * same row sums, masks and flags, ~2.5× faster; with `totals`, each frame's in-order total of its row sums too),
   * when the engine has one. False when it has none or refuses the arguments (it also checks that the plan's terms
   * are finite, which the TypeScript stage does not need): the TypeScript stage then does it.
   */
  private countsInEngine(
    frames: ArrayLike<FrameData>,
    n: number,
    b: Buffers,
    pi: number,
    totals: Float64Array | null,
  ): boolean {
    const engine = this.cfg.engine;
    if (!engine.countsStageBatchSync) {
      return false;
    }
    const plan = this.plans[pi];
    const nU = plan.used.length;
    const list = frameList(frames, n);
    const out = {
      sig: b.sig[pi].subarray(0, n * nU),
      mask: b.m[pi].subarray(0, n * nU),
      totals: totals ?? undefined,
    };
    let bits: Uint8Array;
    try {
      bits = engine.countsStageBatchSync(plan.wl, list, plan.cp, out);
    } catch (e) {
      if (e instanceof FitArgumentError) {
        return false;
      }
      throw e;
    }
    decodePrepFlagsOf(bits, n, b, this.plans.length, pi, STAGE1_BITS);
    return true;
  }

  /** Stages 1 (unless done) and 2 of frames s0..s1−1, frame by frame (the row sums stay in the cache). */
  range(frames: ArrayLike<FrameData>, s0: number, s1: number, b: Buffers, counted: boolean): void {
    const sigScratch = this.scratch.sig;
    for (let f = s0; f < s1; f++) {
      for (let pi = 0; pi < this.plans.length; pi++) {
        if (counted) {
          this.stageRadiance(pi, f, b, b.sig[pi], f * this.plans[pi].used.length);
        } else {
          this.stageCounts(frames[f], pi, f, b, sigScratch, 0);
          this.stageRadiance(pi, f, b, sigScratch, 0);
        }
      }
    }
  }

  /** Both stages of n frames into the buffers of a slot. */
  prepare(frames: ArrayLike<FrameData>, n: number, slot: number): Buffers {
    const b = this.pool.get(n, slot);
    this.range(frames, 0, n, b, this.start(frames, n, b));
    return b;
  }
}
