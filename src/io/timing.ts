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

type ClockInfo = Pick<SpeInfo, 'frames' | 'frameTimes' | 'exposureTime'> & { frameRate?: number | null };

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
  const stamps = file.frameTimes && file.frameTimes.length >= file.frames && file.frames > 0 ? file.frameTimes : null;
  if (stamps && Number.isFinite(stamps[0])) {
    const first = stamps[0];
    const last = stamps[file.frames - 1];
    const interval = file.frames > 1 && Number.isFinite(last) ? (last - first) / (file.frames - 1) : null;
    return {
      timeOf: (i) => (Number.isFinite(stamps[i]) ? stamps[i] - first + offset : null),
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
