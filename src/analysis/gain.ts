/**
 * The gain of raw counts, estimated from the data when it is not given (src/quality/noise.ts estimateGain): from
 * the brightest frames of each batch until one batch shows shot noise, then locked for the rest of the run.
 */
import type { ResolvedConfig } from './config';
import type { Buffers } from './buffers';
import { applyNoise, type RoiPlan } from './plans';
import { estimateGain, estimateNoiseLine, type NoiseModel } from '../quality/noise';

/** Batches tried before the gain stays at its assumed value. */
const MAX_ATTEMPTS = 64;
/** Brightest frames of a batch used for the estimate. */
const FRAMES_USED = 32;

/**
 * The frames f < n with the largest positive totals[f], at most `keep`, brightest first, ties in frame order (what a
 * stable sort of the candidates by total gives); frames with skip[f · stride] set are left out. The keep-th largest
 * total comes from a typed-array sort (a builtin), then one pass takes the frames above it and those equal to it:
 * this runs cold on the main thread for a run's first batches, where a loop that does more per frame is both slow
 * (interpreted) and then compiled by V8's optimiser (~9 ms for a kept-sorted scan).
 */
export function brightestOf(totals: Float64Array, n: number, skip: Uint8Array, stride: number, keep: number): number[] {
  // the candidates' totals, NaN for the frames left out (a typed-array sort puts NaN last)
  const candidate = totals.slice(0, n);
  let count = 0;
  for (let f = 0; f < n; f++) {
    if (skip[f * stride] || !(candidate[f] > 0)) {
      candidate[f] = NaN;
    } else {
      count++;
    }
  }
  if (count === 0 || keep <= 0) {
    return [];
  }
  const threshold = candidate.slice().sort()[Math.max(0, count - keep)];
  const brighter: number[] = [];
  const equal: number[] = [];
  for (let f = 0; f < n; f++) {
    const total = candidate[f];
    if (total > threshold) {
      brighter.push(f);
    } else if (total === threshold && equal.length < keep) {
      equal.push(f);
    }
  }
  // fewer than `keep` are above the threshold: brightest first, ties in frame order, then the equal ones
  brighter.sort((a, b) => candidate[b] - candidate[a] || a - b);
  return brighter.concat(equal.slice(0, keep - brighter.length));
}

export class GainEstimator {
  private lockedNow: boolean;
  private attempts = 0;

  constructor(
    private readonly cfg: ResolvedConfig,
    private readonly plans: RoiPlan[],
    private readonly noise: NoiseModel,
  ) {
    this.lockedNow = cfg.gainKnown;
  }

  /** Whether the gain is fixed (given, estimated, or given up on). */
  get locked(): boolean {
    return this.lockedNow;
  }

  /**
   * The brightest non-corrupt frames of the first ROI (by the total of its row sums, added in pixel order: given in
   * `totals` by the engine's stage 1, else summed here), at most FRAMES_USED.
   */
  private brightestFrames(n: number, b: Buffers, totals: Float64Array | null): number[] {
    const nRois = this.plans.length;
    if (totals === null) {
      const nU = this.plans[0].used.length;
      const sig = b.sig[0];
      totals = new Float64Array(n);
      for (let f = 0; f < n; f++) {
        let sum = 0;
        for (let k = 0; k < nU; k++) {
          sum += sig[f * nU + k];
        }
        totals[f] = sum;
      }
    }
    return brightestOf(totals, n, b.corrupt, nRois, FRAMES_USED);
  }

  private giveUpAfterTooManyAttempts(): void {
    this.attempts++;
    if (this.attempts >= MAX_ATTEMPTS) {
      this.lockedNow = true;
    }
  }

  /**
   * The noise terms are about to change: each plan gets a fresh relVarDen (and counts plan) for applyNoise to
   * fill, so that a batch still being prepared on the native worker threads keeps reading the terms it was
   * handed (applyNoise writes relVarDen in place).
   */
  private detachNoiseTerms(): void {
    for (const plan of this.plans) {
      plan.relVarDen = Float64Array.from(plan.relVarDen);
      plan.cp = { ...plan.cp, relVarDen: plan.relVarDen };
    }
  }

  /** Read-noise variance of a row sum per unit of the per-pixel read noise squared (dark's share included). */
  private readVarPerNoise2(): number {
    const nDark = this.cfg.darkFrames;
    return this.plans[0].rows * (1 + (nDark ? 1 / nDark : 0));
  }

  /** Noise model `estimate`: slope and floor of the row sums' variance from the data (given terms held fixed). */
  private updateNoiseLine(signals: Float64Array, frames: number): void {
    const plan = this.plans[0];
    const noise = this.noise;
    const lamp = this.cfg.lamp;
    const line = estimateNoiseLine(signals, frames, plan.den, {
      fixedInvGain: noise.gainSource === 'given' ? 1 / noise.gain : null,
      fixedReadVar:
        noise.readNoiseSource === 'given' ? noise.readNoise * noise.readNoise * this.readVarPerNoise2() : null,
      lamp: lamp && plan.lampSig ? { signal: plan.lampSig, frames: Math.max(1, lamp.frames) } : null,
    });
    if (line === null) {
      this.giveUpAfterTooManyAttempts();
      return;
    }
    if (noise.gainSource !== 'given') {
      noise.gain = 1 / line.invGain;
      noise.gainSource = 'estimated';
    }
    if (noise.readNoiseSource !== 'given') {
      noise.readNoise = Math.sqrt(line.readVar / this.readVarPerNoise2());
      noise.readNoiseSource = 'estimated';
    }
    this.lockedNow = true;
    this.detachNoiseTerms();
    applyNoise(this.plans, noise, this.cfg);
  }

  /**
   * Tries an estimate from the row sums of stage 1 (b.sig of n frames; `totals`: the first ROI's per-frame totals of
   * them in pixel order, when stage 1 gave them); updates the plans' noise terms. `signalsOf`, when given, computes
   * the first ROI's row sums of the picked frames (frame j's from j · pixels) instead of reading them from b.sig.
   */
  update(
    n: number,
    b: Buffers,
    totals: Float64Array | null = null,
    signalsOf: ((picked: readonly number[]) => Float64Array) | null = null,
  ): void {
    if (this.lockedNow) {
      return;
    }
    const plan = this.plans[0];
    const nU = plan.used.length;
    const picked = this.brightestFrames(n, b, totals);
    if (picked.length === 0) {
      this.giveUpAfterTooManyAttempts();
      return;
    }
    const signals = signalsOf ? signalsOf(picked) : new Float64Array(picked.length * nU);
    if (!signalsOf) {
      picked.forEach((frame, j) => signals.set(b.sig[0].subarray(frame * nU, (frame + 1) * nU), j * nU));
    }
    if (this.cfg.noiseModel === 'estimate') {
      this.updateNoiseLine(signals, picked.length);
      return;
    }
    const noise = this.noise;
    const lamp = this.cfg.lamp;
    const nDark = this.cfg.darkFrames;
    const readVar1 = noise.readNoise * noise.readNoise;
    const lampNoise =
      lamp && plan.lampSig
        ? {
            signal: plan.lampSig,
            frames: Math.max(1, lamp.frames),
            readVar: plan.rows * readVar1 * (1 + (nDark ? Math.max(1, lamp.frames) / nDark : 0)),
          }
        : null;
    const gain = estimateGain(
      signals,
      picked.length,
      plan.den,
      plan.rows,
      noise.readNoise,
      lampNoise,
      this.cfg.engine.gainRatios,
    );
    // keep trying on later batches while the frames are too faint to show shot noise (gain 1 meanwhile; σT is
    // scaled by √(χ²/dof) anyway)
    if (gain !== null) {
      noise.gain = gain;
      noise.gainSource = 'estimated';
      this.lockedNow = true;
    } else {
      this.giveUpAfterTooManyAttempts();
    }
    this.detachNoiseTerms();
    applyNoise(this.plans, noise, this.cfg);
  }
}
