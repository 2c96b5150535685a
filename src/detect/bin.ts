/**
 * The open bin of dense frames (docs/detect.md, Dense frames): the frames of one power step, kept as running sums
 * and a column of temperatures, so that a frame costs three additions and one store (no arrays of numbers that
 * grow per frame, no pass over the frames when the bin is summarised but the median's).
 */
import { medianInPlace } from './stats';

/** What a bin stands for in the analysis: one point. */
export interface BinSummary {
  power: number;
  temperature: number;
  weight: number;
  frames: number;
}

/** Temperatures a bin holds before its column grows (a ramp's bins have tens of frames). */
const INITIAL_FRAMES = 256;

export class OpenBin {
  /** The smoothed power when the bin opened, W (NaN before the first bin). */
  start = NaN;
  /** Frames in the bin (0 before the first bin). */
  frames = 0;
  // sums in arrival order: the same additions, in the same order, as a loop over the frames
  private weightSum = 0;
  private powerSum = 0;
  private weightedTemperatureSum = 0;
  private temperatures = new Float64Array(INITIAL_FRAMES);

  /** Starts a new bin with its first frame. */
  open(start: number, power: number, temperature: number, weight: number): void {
    this.start = start;
    this.frames = 0;
    this.weightSum = 0;
    this.powerSum = 0;
    this.weightedTemperatureSum = 0;
    this.add(power, temperature, weight);
  }

  /** Adds a frame. */
  add(power: number, temperature: number, weight: number): void {
    const k = this.frames;
    if (k === this.temperatures.length) {
      this.grow();
    }
    this.temperatures[k] = temperature;
    this.frames = k + 1;
    this.weightSum += weight;
    this.powerSum += power;
    this.weightedTemperatureSum += weight * temperature;
  }

  /** Representative of the bin: mean power; temperature = weighted mean for one or two frames, median for three or
   * more (robust to an outlier frame); weight = Σ weights × the efficiency of that estimator (median: ≈ 0.637 +
   * 0.36/k of the mean's). The median is selected in place: it reorders the bin's temperatures, which changes no
   * later median (a median does not depend on the order of the values). */
  summary(): BinSummary {
    const k = this.frames;
    const power = this.powerSum / k;
    const weightSum = this.weightSum;
    if (k <= 2) {
      return { power, temperature: this.weightedTemperatureSum / weightSum, weight: weightSum, frames: k };
    }
    const median = medianInPlace(this.temperatures, k);
    return { power, temperature: median, weight: weightSum * Math.min(1, 0.637 + 0.36 / k), frames: k };
  }

  /** A rare call (a power step of more than 256 frames), kept out of add(). */
  private grow(): void {
    const grown = new Float64Array(2 * this.temperatures.length);
    grown.set(this.temperatures);
    this.temperatures = grown;
  }
}
