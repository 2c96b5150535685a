/**
 * What the detector learns from the power readings alone: whether frames are dense (many frames per binWidth of
 * power, so they are merged into bins), the power noise σP of the read-back, and the smoothed power that decides
 * where a bin ends. See docs/detect.md (Dense frames, Power noise).
 */
import { selectInPlace } from './stats';

/** Changes between consecutive distinct readings kept for the power noise (a power of two: a ring buffer). */
const NOISE_READINGS = 256;
/** Frames over which the frame density is judged. */
const DENSITY_FRAMES = 30;
/** Most readings the smoothed power averages. */
const MAX_SMOOTHING = 32;
/** The bin rule's tolerance: a bin ends when the smoothed power has moved by binWidth, which must be this many
 * standard deviations of the difference of two smoothed values (so that reading noise alone does not end it). */
const BIN_EDGE_SIGMAS = 4;

/** Robust σ of a reading from the changes between consecutive readings: 1.4826 × MAD / √2, the MAD taken about
 * the median change (so a steady ramp does not count). 0 with fewer than 8 changes. */
export function readingNoise(changes: Float64Array, count: number): number {
  if (count < 8) {
    return 0;
  }
  const values = changes.slice(0, count);
  const median = selectInPlace(values, count, count >> 1);
  for (let i = 0; i < count; i++) {
    values[i] = Math.abs(values[i] - median);
  }
  return (1.4826 * selectInPlace(values, count, count >> 1)) / Math.SQRT2;
}

export class PowerReadings {
  /** Dense: the mean |ΔP| between the last DENSITY_FRAMES frames fell below binWidth / 2 (from 10 frames on) and
   * has not exceeded binWidth since. */
  dense = false;
  /** σP as last estimated (every 8 readings up to 32, every 32 up to 256, then every 128), W. */
  noise = 0;
  /** The mean of the last `smoothing` readings, W (NaN before the first). */
  smoothed = NaN;
  /** Readings the smoothed power averages: enough that binWidth is BIN_EDGE_SIGMAS × the σ of the difference of
   * two smoothed values, σP·√(2/m); 1 (the latest reading) when the readings are exact. */
  smoothing = 1;
  private steps = new Float64Array(DENSITY_FRAMES);
  private stepCount = 0;
  private stepSum = 0;
  private changes = new Float64Array(NOISE_READINGS);
  private changeCount = 0;
  private recent = new Float64Array(MAX_SMOOTHING);
  private readingCount = 0;
  private lastPower = NaN;

  constructor(private readonly binWidth: number) {}

  /** The power noise σP (W) from the last 256 changes between distinct consecutive readings, estimated now. */
  get currentNoise(): number {
    return this.estimateNoise();
  }

  /**
   * Takes the power of the next usable frame (frames paired to the same reading repeat it).
   *
   * One function for the per-frame work, the steps' ring and the smoothed power inline, not helpers: each helper,
   * run at every frame, was optimised on its own and then again inlined here and in the detector's push (issue 12,
   * the cold cost of `analyze --power`). Only the noise re-estimate (1 reading in 8 to 128) is a call.
   */
  push(power: number): void {
    const lastPower = this.lastPower;
    const hasLast = Number.isFinite(lastPower);
    if (hasLast) {
      // the last DENSITY_FRAMES steps and their running sum, re-summed in full each time the ring wraps (so that
      // rounding does not accumulate)
      const step = Math.abs(power - lastPower);
      const slot = this.stepCount % DENSITY_FRAMES;
      this.stepSum += step - (this.stepCount >= DENSITY_FRAMES ? this.steps[slot] : 0);
      this.steps[slot] = step;
      this.stepCount++;
      if (slot === DENSITY_FRAMES - 1) {
        let sum = 0;
        for (let k = 0; k < DENSITY_FRAMES; k++) {
          sum += this.steps[k];
        }
        this.stepSum = sum;
      }
    }
    if (!(power === lastPower)) {
      // a new reading: the changes between readings (for σP) and the smoothed power
      this.recent[this.readingCount++ % MAX_SMOOTHING] = power;
      if (hasLast) {
        this.changes[this.changeCount++ & (NOISE_READINGS - 1)] = power - lastPower;
        const count = this.changeCount;
        // σP and the smoothing re-estimated every 8 changes up to 32, every 32 up to 256, then every 128
        if (count >= 8 && count % (count <= 32 ? 8 : count <= NOISE_READINGS ? 32 : 128) === 0) {
          this.reestimateNoise();
        }
      }
      const averaged = Math.min(this.smoothing, this.readingCount);
      let sum = 0;
      for (let k = 1; k <= averaged; k++) {
        sum += this.recent[(this.readingCount - k) % MAX_SMOOTHING];
      }
      this.smoothed = sum / averaged;
    }
    this.lastPower = power;
    // hysteresis: dense from a mean step below binWidth / 2 (the mean |ΔP| over the last DENSITY_FRAMES frames), no
    // longer dense above binWidth (read-back noise of about binWidth / 2 would otherwise flip the state from frame
    // to frame, mixing bins with single frames)
    const meanStep = this.stepCount >= 10 ? this.stepSum / Math.min(this.stepCount, DENSITY_FRAMES) : Infinity;
    this.dense = meanStep < (this.dense ? this.binWidth : this.binWidth / 2);
  }

  private estimateNoise(): number {
    return readingNoise(this.changes, Math.min(this.changeCount, NOISE_READINGS));
  }

  /** σP and the smoothing from the changes kept. A method of its own, called from push: the optimising compiler sees
   * that the call is rare (1 reading in 8 to 128) and leaves it, with both selections, out of the per-frame code. */
  private reestimateNoise(): void {
    this.noise = this.estimateNoise();
    this.smoothing = smoothingFor(this.noise, this.binWidth);
  }
}

/** Readings to average so that binWidth ≥ BIN_EDGE_SIGMAS × σP·√(2/m): m ≥ 2·(BIN_EDGE_SIGMAS·σP/binWidth)². */
function smoothingFor(noise: number, binWidth: number): number {
  if (!(binWidth > 0) || !(noise > 0)) {
    return 1;
  }
  const ratio = (BIN_EDGE_SIGMAS * noise) / binWidth;
  return Math.min(MAX_SMOOTHING, Math.max(1, Math.ceil(2 * ratio * ratio)));
}
