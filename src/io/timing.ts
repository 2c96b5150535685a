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
  /** Mean seconds between frames, or null. */
  interval: number | null;
  source: FrameTimeSource;
}

type ClockInfo = Pick<SpeInfo, 'frames' | 'frameTimes' | 'exposureTime'> &
  Partial<Pick<SpeInfo, 'frameRate' | 'stamps'>>;

/**
 * Frame i's time stamp, or null when the file has none: its on-demand `stamps` when it has them (so that building
 * the clock reads only the first and last stamp), else its `frameTimes` array.
 */
function stampLookup(file: ClockInfo): ((i: number) => number) | null {
  if (file.frames <= 0) {
    return null;
  }
  if (file.stamps !== undefined) {
    const stamps = file.stamps;
    return stamps && stamps.frames >= file.frames ? (i) => stamps.at(i) : null;
  }
  const times = file.frameTimes;
  return times && times.length >= file.frames ? (i) => times[i] : null;
}

/** The clock of a file's frames (see the module comment for the order). */
export function frameClock(file: ClockInfo, options: FrameClockOptions = {}): FrameClock {
  const offset = options.timeOffset ?? 0;
  const even = (interval: number, source: FrameTimeSource): FrameClock => ({
    timeOf: (i) => i * interval + offset,
    interval,
    source,
  });
  if (options.frameInterval != null && options.frameInterval > 0) {
    return even(options.frameInterval, 'frameInterval');
  }
  const stampOf = stampLookup(file);
  const first = stampOf ? stampOf(0) : NaN;
  if (stampOf && Number.isFinite(first)) {
    const last = stampOf(file.frames - 1);
    const interval = file.frames > 1 && Number.isFinite(last) ? (last - first) / (file.frames - 1) : null;
    return {
      timeOf: (i) => {
        const stamp = stampOf(i);
        return Number.isFinite(stamp) ? stamp - first + offset : null;
      },
      interval,
      source: 'timestamps',
    };
  }
  if (file.frameRate != null && file.frameRate > 0) {
    return even(1 / file.frameRate, 'frameRate');
  }
  if (file.exposureTime != null && file.exposureTime > 0) {
    return even(file.exposureTime, 'exposure');
  }
  return { timeOf: () => null, interval: null, source: 'none' };
}
