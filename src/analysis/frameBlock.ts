/**
 * FrameBlock: the results of a batch of frames in columns (typed arrays), as the analyzer assembles them. A run of
 * `analyze` writes them out as JSON straight from the columns (the engine's formatFramesJson: natively where the
 * addon is loaded), so no object is built per frame; `frame(f)` / `toResults()` give the FrameResult objects of the
 * API, the live path and the CSV. One definition of a frame's values: the objects are read from the columns.
 *
 * Null is NaN in every column (a time, a power, a withheld temperature, a frame without a two-colour mean).
 */
import type { FrameFlag, FrameResult, RoiResult } from './types';
import type { FramesJsonInput, PhysicsEngine } from '../physics/types';
import { FRAME_FLAG_ORDER } from '../physics/types';
import { jsEngine } from '../physics/jsEngine';

/** The bit of each flag in a FrameBlock's flags column (bit k = FRAME_FLAG_ORDER[k]). */
export const FLAG_BIT: Readonly<Record<FrameFlag, number>> = Object.freeze(
  Object.fromEntries(FRAME_FLAG_ORDER.map((flag, k) => [flag, 1 << k])) as Record<FrameFlag, number>,
);

/** The flags of a bit set, in FRAME_FLAG_ORDER (the order the analyzer has always listed them in). */
export function flagNames(bits: number): FrameFlag[] {
  const names: FrameFlag[] = [];
  for (let k = 0; bits !== 0 && k < FRAME_FLAG_ORDER.length; k++) {
    if (bits & (1 << k)) {
      names.push(FRAME_FLAG_ORDER[k]);
    }
  }
  return names;
}

function orNull(x: number): number | null {
  return Number.isNaN(x) ? null : x;
}

export class FrameBlock {
  readonly index: Float64Array;
  readonly time: Float64Array;
  readonly power: Float64Array;
  /** Per ROI: slot f · nRois + r. */
  readonly temperature: Float64Array;
  readonly temperatureError: Float64Array;
  readonly chi2: Float64Array;
  readonly flags: Uint8Array;
  /** Of the first ROI, per frame. */
  readonly twoColorMean: Float64Array;
  readonly twoColorStd: Float64Array;
  readonly nRois: number;

  /**
   * An empty block of `n` frames (every value null, no flags) for the ROIs named `roiNames`; `engine` formats its
   * JSON (the TypeScript twin when it has no formatter).
   */
  constructor(
    readonly length: number,
    readonly roiNames: readonly string[],
    private readonly engine: Pick<PhysicsEngine, 'formatFramesJson'> = jsEngine,
  ) {
    if (!(Number.isInteger(length) && length >= 0) || roiNames.length < 1) {
      throw new RangeError(`FrameBlock: ${length} frames × ${roiNames.length} ROIs`);
    }
    const slots = length * roiNames.length;
    this.nRois = roiNames.length;
    this.index = new Float64Array(length);
    this.time = new Float64Array(length).fill(NaN);
    this.power = new Float64Array(length).fill(NaN);
    this.temperature = new Float64Array(slots).fill(NaN);
    this.temperatureError = new Float64Array(slots).fill(NaN);
    this.chi2 = new Float64Array(slots).fill(NaN);
    this.flags = new Uint8Array(slots);
    this.twoColorMean = new Float64Array(length).fill(NaN);
    this.twoColorStd = new Float64Array(length).fill(NaN);
  }

  /** The power of frame f: a number (null or non-finite: none). */
  setPower(f: number, power: number | null): void {
    this.power[f] = power !== null && Number.isFinite(power) ? power : NaN;
  }

  /** Frame f's result object (a new one at every call). */
  frame(f: number): FrameResult {
    const frame: FrameResult = {
      index: this.index[f],
      time: orNull(this.time[f]),
      power: orNull(this.power[f]),
      ...this.roi(f * this.nRois),
      twoColor: Number.isNaN(this.twoColorMean[f]) ? null : { mean: this.twoColorMean[f], std: this.twoColorStd[f] },
    };
    if (this.nRois > 1) {
      const rois: Record<string, RoiResult> = {};
      for (let r = 0; r < this.nRois; r++) {
        rois[this.roiNames[r]] = this.roi(f * this.nRois + r);
      }
      frame.rois = rois;
    }
    return frame;
  }

  /** Every frame's result object. */
  toResults(): FrameResult[] {
    const out: FrameResult[] = new Array(this.length);
    for (let f = 0; f < this.length; f++) {
      out[f] = this.frame(f);
    }
    return out;
  }

  /**
   * The frames as JSON array elements (UTF-8), each exactly `JSON.stringify(this.frame(f))`, joined by commas and
   * preceded by one when `leadingComma` (they continue an array already begun).
   */
  json(leadingComma: boolean): Uint8Array {
    if (!this.plainRoiKeys) {
      // ROI names that an object orders otherwise (array indices first) or merges (duplicates): the objects' text
      const text = JSON.stringify(this.toResults()).slice(1, -1);
      return new TextEncoder().encode(leadingComma && this.length > 0 ? ',' + text : text);
    }
    const input: FramesJsonInput = {
      n: this.length,
      nRois: this.nRois,
      roiKeys: this.nRois > 1 ? this.roiNames.map((name) => JSON.stringify(name)) : null,
      index: this.index,
      time: this.time,
      power: this.power,
      temperature: this.temperature,
      temperatureError: this.temperatureError,
      chi2: this.chi2,
      flags: this.flags,
      twoColorMean: this.twoColorMean,
      twoColorStd: this.twoColorStd,
      leadingComma,
    };
    const format = this.engine.formatFramesJson ?? jsEngine.formatFramesJson;
    return format!(input);
  }

  /**
   * Whether the ROI names are object keys in column order (JSON.stringify lists array-index keys such as "0" or "12"
   * first, and an object holds a duplicate name once): always so with one ROI.
   */
  private get plainRoiKeys(): boolean {
    if (this.nRois === 1) {
      return true;
    }
    const arrayIndex = /^(0|[1-9]\d*)$/;
    return (
      new Set(this.roiNames).size === this.nRois &&
      this.roiNames.every((name) => !(arrayIndex.test(name) && Number(name) < 2 ** 32 - 1))
    );
  }

  private roi(slot: number): RoiResult {
    return {
      temperature: orNull(this.temperature[slot]),
      temperatureError: orNull(this.temperatureError[slot]),
      chi2: orNull(this.chi2[slot]),
      flags: flagNames(this.flags[slot]),
    };
  }
}
