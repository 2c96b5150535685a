/**
 * The bounded history behind the charts: columnar Float64Arrays (what uPlot draws fastest), appended in arrival
 * order. When full, the older half is thinned to every second point (in place), so the charts always span the
 * whole run — full resolution for the recent frames, coarser further back — memory is fixed whatever the run
 * length, and appends stay O(1) amortised. A frame marked `gap` (a pause in time, e.g. between two files of a
 * watched folder) is preceded by a break row (temperature and power NaN), where the charts break their lines.
 */
import type { FrameMessage } from '../../src/protocol';

export const HISTORY = 6000;

export class History {
  readonly capacity: number;
  length = 0;
  readonly index: Float64Array;
  readonly time: Float64Array;
  readonly temperature: Float64Array;
  readonly sigma: Float64Array;
  /** NaN where no power is known. */
  readonly power: Float64Array;
  /** 1 when the frame carries a quality flag (cosmic, saturated ...). */
  readonly flagged: Uint8Array;
  /**
   * Double-sided (several ROIs): the names of the ROIs after the first (whose temperature is `temperature`), and
   * one temperature column for each, NaN where that ROI had none. Empty with a single ROI. Set by setRois.
   */
  roiNames: string[] = [];
  roiTemperature: Float64Array[] = [];
  /** Bumped on every change, so renderers know when to redraw. */
  version = 0;
  /** Break rows held (gaps in time): when 0 no column needs its NaNs turned into line breaks. */
  breaks = 0;

  constructor(capacity = HISTORY) {
    this.capacity = capacity;
    this.index = new Float64Array(capacity);
    this.time = new Float64Array(capacity);
    this.temperature = new Float64Array(capacity);
    this.sigma = new Float64Array(capacity);
    this.power = new Float64Array(capacity);
    this.flagged = new Uint8Array(capacity);
  }

  /**
   * The ROIs to keep a temperature column for, beyond the first (e.g. ['US'] when the run has DS and US). Columns
   * of names kept are kept; new ones start as NaN for the frames already held.
   */
  setRois(extra: readonly string[]): void {
    if (extra.length === this.roiNames.length && extra.every((n, k) => n === this.roiNames[k])) {
      return;
    }
    this.roiTemperature = extra.map((name) => {
      const old = this.roiNames.indexOf(name);
      return old >= 0 ? this.roiTemperature[old] : new Float64Array(this.capacity).fill(NaN);
    });
    this.roiNames = extra.slice();
    this.version++;
  }

  clear(): void {
    this.length = 0;
    this.breaks = 0;
    this.version++;
  }

  /** Frames without a temperature (withheld: corrupt, weak, fit-failed) are not plotted. */
  push(f: FrameMessage): void {
    if (f.gap && this.length > 0) {
      this.pushBreak(f);
    }
    if (f.temperature === null || !Number.isFinite(f.temperature)) {
      return;
    }
    if (this.length === this.capacity) {
      this.thinOlderHalf();
    }
    const i = this.length++;
    this.index[i] = f.index;
    this.time[i] = f.time ?? f.index;
    this.temperature[i] = f.temperature;
    this.sigma[i] = f.temperatureError ?? 0;
    this.power[i] = f.power ?? NaN;
    this.flagged[i] = f.flags.length > 0 ? 1 : 0;
    const names = this.roiNames;
    for (let k = 0; k < names.length; k++) {
      const t = f.rois?.[names[k]]?.temperature;
      this.roiTemperature[k][i] = t !== null && t !== undefined && Number.isFinite(t) ? t : NaN;
    }
    this.version++;
  }

  /** A row that is no point: NaN temperature and power between the last frame and `next` (a line break). */
  private pushBreak(next: FrameMessage): void {
    if (this.length === this.capacity) {
      this.thinOlderHalf();
    }
    const last = this.length - 1;
    if (Number.isNaN(this.temperature[last])) {
      return; // already a break
    }
    const i = this.length++;
    const nextTime = next.time ?? next.index;
    this.index[i] = this.index[last];
    this.time[i] = (this.time[last] + nextTime) / 2;
    this.temperature[i] = NaN;
    this.sigma[i] = 0;
    this.power[i] = NaN;
    this.flagged[i] = 0;
    for (const col of this.roiTemperature) {
      col[i] = NaN;
    }
    this.breaks++;
  }

  /** Keeps every second point of the older half. */
  private thinOlderHalf(): void {
    const half = this.length >> 1;
    const cols = [
      this.index,
      this.time,
      this.temperature,
      this.sigma,
      this.power,
      this.flagged,
      ...this.roiTemperature,
    ];
    let w = 0;
    for (let r = 0; r < half; r += 2) {
      for (const a of cols) {
        a[w] = a[r];
      }
      w++;
    }
    for (const a of cols) {
      a.copyWithin(w, half, this.length);
    }
    this.length = w + (this.length - half);
  }

  /** The time of the first kept frame with index ≥ frameIndex (for placing events on the time axis), or null. */
  timeAtIndex(frameIndex: number): number | null {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.index[mid] < frameIndex) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo < this.length ? this.time[lo] : null;
  }
}
