/**
 * The time of each frame of a shot, from what the file says, or from the user: a frame interval given by the
 * user (who knows better) → the file's time stamps (LightField frame tracking) → its frame rate (LightField
 * FrameRate, Andor kinetic cycle time) → its exposure time → none. `timeOffset` is the time of frame 0 (s, on
 * the power log's clock; default 0).
 */
import type { SpeInfo } from './types';

export interface FrameClockOptions {
  /** Seconds between frames; overrides the file. */
  frameInterval?: number | null;
  /** Time of frame 0 in s (default 0). */
  timeOffset?: number | null;
}

export type FrameTimeSource = 'frameInterval' | 'timestamps' | 'frameRate' | 'exposure' | 'none';

export interface FrameClock {
  /** Time of frame i in s, or null when nothing gives one. */
  timeOf(i: number): number | null;
  /**
   * The times of frames from..to−1 into out[0..to−from), NaN where timeOf gives null: the same values, in one call
   * for a chunk of frames (no call per frame).
   */
  timesInto(from: number, to: number, out: Float64Array): void;
  /** Mean seconds between frames, or null. */
  interval: number | null;
  source: FrameTimeSource;
}

type ClockInfo = Pick<SpeInfo, 'frames' | 'frameTimes' | 'exposureTime'> &
  Partial<Pick<SpeInfo, 'frameRate' | 'stamps'>>;

/** A file's time stamps: one frame's, or those of a run of frames into an array (NaN where there is none). */
interface StampLookup {
  at(i: number): number;
  into(from: number, count: number, out: Float64Array): void;
}

/** The stamps of a file's `frameTimes` array (read whole at open). */
class TimesArrayLookup implements StampLookup {
  constructor(private readonly times: ArrayLike<number>) {}

  at(i: number): number {
    return i >= 0 && i < this.times.length ? this.times[i] : NaN;
  }

  into(from: number, count: number, out: Float64Array): void {
    for (let k = 0; k < count; k++) {
      out[k] = this.at(from + k);
    }
  }
}

/**
 * A file's time stamps, or null when it has none: its on-demand `stamps` when it has them (so that building the
 * clock reads only the first and last stamp), else its `frameTimes` array.
 */
function stampLookup(file: ClockInfo): StampLookup | null {
  if (file.frames <= 0) {
    return null;
  }
  if (file.stamps !== undefined) {
    const stamps = file.stamps;
    return stamps && stamps.frames >= file.frames ? stamps : null;
  }
  const times = file.frameTimes;
  return times && times.length >= file.frames ? new TimesArrayLookup(times) : null;
}

/** A clock of evenly spaced frames: frame i at i·interval + offset. */
function evenClock(interval: number, offset: number, source: FrameTimeSource): FrameClock {
  return {
    timeOf: (i) => i * interval + offset,
    timesInto: (from, to, out) => {
      for (let i = from; i < to; i++) {
        out[i - from] = i * interval + offset;
      }
    },
    interval,
    source,
  };
}

/** A clock of time stamps: frame i at its stamp minus the first frame's, plus offset (none where not finite). */
function stampClock(stamps: StampLookup, frames: number, offset: number): FrameClock {
  const first = stamps.at(0);
  const last = stamps.at(frames - 1);
  const interval = frames > 1 && Number.isFinite(last) ? (last - first) / (frames - 1) : null;
  return {
    timeOf: (i) => {
      const stamp = stamps.at(i);
      return Number.isFinite(stamp) ? stamp - first + offset : null;
    },
    timesInto: (from, to, out) => {
      const count = to - from;
      stamps.into(from, count, out);
      for (let k = 0; k < count; k++) {
        const stamp = out[k];
        out[k] = Number.isFinite(stamp) ? stamp - first + offset : NaN;
      }
    },
    interval,
    source: 'timestamps',
  };
}

/** The clock of a file's frames (see the module comment for the order). */
export function frameClock(file: ClockInfo, options: FrameClockOptions = {}): FrameClock {
  const offset = options.timeOffset ?? 0;
  if (options.frameInterval != null && options.frameInterval > 0) {
    return evenClock(options.frameInterval, offset, 'frameInterval');
  }
  const stamps = stampLookup(file);
  if (stamps && Number.isFinite(stamps.at(0))) {
    return stampClock(stamps, file.frames, offset);
  }
  if (file.frameRate != null && file.frameRate > 0) {
    return evenClock(1 / file.frameRate, offset, 'frameRate');
  }
  if (file.exposureTime != null && file.exposureTime > 0) {
    return evenClock(file.exposureTime, offset, 'exposure');
  }
  return {
    timeOf: () => null,
    timesInto: (from, to, out) => {
      out.fill(NaN, 0, to - from);
    },
    interval: null,
    source: 'none',
  };
}
