/**
 * replay(shot, power, {rate, loop, …}): a shot (SPE or Andor ASCII) and its laser power log played as a live source.
 *
 * Cold: each subscription opens the file (lazy reader: frames are read one by one as they are emitted, a 2 GB
 * shot is never loaded) and closes it on unsubscribe. At the start of each run the whole power log is emitted
 * (times in s since the shot's first frame; a frame-numbered log is put on the frames' times), then frame i is
 * emitted at i / rate s (default rate: the shot's own frame rate from its clock, else 10/s). The shot is opened
 * (SPE or Andor ASCII), timed (frameClock: frameInterval, time stamps, frame rate, exposure; timeOffset) and its
 * power log read (loadPowerLog) exactly as `analyze` does.
 * With `loop`, a reset is emitted after the last frame and the shot starts over; otherwise the source completes.
 * An unreadable frame is emitted as NaN counts (the analyzer flags it corrupt) and the replay goes on.
 */
import { asyncScheduler, Observable, SchedulerLike, Subscription } from 'rxjs';
import { openFrames } from '../io/open';
import { frameClock, type FrameClockOptions } from '../io/timing';
import { checkClockOptions, loadPowerLog, noFrameTimesError } from '../analysis/run';
import { ConfigError, UsageError } from '../errors';
import type { SpeFile } from '../io/types';
import type { FrameGeometry, SourceItem } from './types';
import { pace } from './pace';

export interface ReplayOptions {
  /** Frames per second (default: the shot's own rate, else 10). */
  rate?: number;
  loop?: boolean;
  /** mathjs expression turning the logged value x into W (needed for a percent log, as in `analyze`). */
  powerExpr?: string | null;
  /** Seconds between frames, overriding the file's clock (as `analyze`'s frameInterval). */
  frameInterval?: number | null;
  /** Time of the first frame in s on the power log's clock (as `analyze`'s timeOffset; default 0). */
  timeOffset?: number | null;
  scheduler?: SchedulerLike;
}

export function geometryOf(f: SpeFile): FrameGeometry {
  return {
    width: f.width,
    height: f.height,
    dataType: f.dataType,
    wavelength: f.wavelength,
    exposureTime: f.exposureTime,
  };
}

/** Frame times as `analyze` gives them (frameClock), and the replay rate. */
interface ReplayClock {
  /** Time of each frame in s: frameClock's, else (no clock) index / rate + timeOffset. */
  times: number[];
  /** Did every frame get a time from frameClock (else a time-based power log cannot be paired)? */
  timed: boolean;
  /** Frames per second of the replay. */
  rate: number;
}

/** The replay's clock of `file` (see ReplayClock). */
export function replayClock(file: SpeFile, options: ReplayOptions & FrameClockOptions = {}): ReplayClock {
  const clock = frameClock(file, { frameInterval: options.frameInterval, timeOffset: options.timeOffset });
  const ownRate = clock.interval !== null && clock.interval > 0 ? 1 / clock.interval : null;
  const rate = options.rate ?? ownRate ?? 10;
  const offset = options.timeOffset ?? 0;
  const times: number[] = [];
  let timed = true;
  for (let i = 0; i < file.frames; i++) {
    const time = clock.timeOf(i);
    if (time === null) {
      timed = false;
    }
    times.push(time ?? offset + i / rate);
  }
  return { times, timed, rate };
}

/**
 * The power log's readings (W, as `analyze` reads it: loadPowerLog) on the frames' clock: a time-based log as it
 * is (frames need times from the file or frameInterval), a frame-numbered log on its frames' times.
 */
function powerReadings(
  shotPath: string,
  powerPath: string | null,
  options: ReplayOptions,
  clock: ReplayClock,
): { time: number; power: number }[] {
  if (!powerPath) {
    if (options.powerExpr) {
      throw new ConfigError('powerExpr', 'needs a power log (power)');
    }
    return [];
  }
  const log = loadPowerLog({ power: powerPath, powerExpr: options.powerExpr });
  if (!log) {
    return [];
  }
  if (log.kind === 'time' && !clock.timed) {
    throw noFrameTimesError(shotPath, powerPath);
  }
  const readings: { time: number; power: number }[] = [];
  for (let k = 0; k < log.key.length; k++) {
    const power = log.power[k];
    let time = log.key[k];
    if (log.kind === 'frame') {
      const index = Math.round(time);
      if (index < 0 || index >= clock.times.length) {
        continue;
      }
      time = clock.times[index];
    }
    if (Number.isFinite(time) && Number.isFinite(power)) {
      readings.push({ time, power });
    }
  }
  return readings;
}

/** Checks the shot, its power log and the options before anything runs (one-line errors at the command line). */
function checkReplay(shotPath: string, powerPath: string | null, options: ReplayOptions): void {
  if (options.rate !== undefined && !(options.rate > 0 && Number.isFinite(options.rate))) {
    throw new ConfigError('rate', `must be a positive number of frames per second (got ${options.rate})`);
  }
  checkClockOptions(options);
  const file = openFrames(shotPath);
  try {
    powerReadings(shotPath, powerPath, options, replayClock(file, options));
  } finally {
    file.close();
  }
}

export function replay(
  shotPath: string,
  powerPath: string | null,
  options: ReplayOptions = {},
): Observable<SourceItem> {
  const scheduler = options.scheduler ?? asyncScheduler;
  // fail early (at the command line) on a bad shot or power log, before anything runs
  checkReplay(shotPath, powerPath, options);
  return new Observable<SourceItem>((subscriber) => {
    let file: SpeFile;
    try {
      file = openFrames(shotPath);
    } catch (e) {
      subscriber.error(e);
      return undefined;
    }
    const f = file;
    let closed = false;
    const close = () => {
      if (!closed) {
        closed = true;
        try {
          f.close();
        } catch {
          /* closed */
        }
      }
    };
    if (f.frames === 0) {
      close();
      subscriber.error(new UsageError(`${shotPath}: no frames to replay`));
      return undefined;
    }
    const geometry = geometryOf(f);
    const clock = replayClock(f, options);
    const { times, rate } = clock;
    let readings: { time: number; power: number }[] = [];
    try {
      readings = powerReadings(shotPath, powerPath, options, clock);
    } catch (e) {
      close();
      subscriber.error(e);
      return undefined;
    }
    const blank = new Float64Array(f.width * f.height).fill(NaN);
    const origin = shotPath;
    let run = 0;
    // only the current run's pacing and the pending start of the next are held: nothing of a run outlives it
    let runSub: Subscription | null = null;
    let nextStart: Subscription | null = null;
    const step = (i: number): boolean => {
      if (i >= f.frames) {
        return false;
      }
      let counts: Float64Array;
      try {
        counts = f.readFrame(i);
      } catch {
        counts = blank.slice();
      }
      subscriber.next({ kind: 'frame', frame: { index: i, time: times[i], counts, geometry, origin } });
      return i + 1 < f.frames;
    };
    const endRun = () => {
      if (options.loop && !subscriber.closed) {
        run++;
        subscriber.next({ kind: 'reset', reason: `replay of ${shotPath} starts over (loop ${run})` });
        nextStart = scheduler.schedule(() => {
          if (!subscriber.closed) {
            startRun();
          }
        });
      } else {
        // a one-frame shot ends inside subscribe: the live pipeline replays that end to the ingested readings
        // subscribed after it (stampedSource), so no deferral is needed here
        close();
        subscriber.complete();
      }
    };
    const startRun = () => {
      nextStart = null;
      for (const r of readings) {
        subscriber.next({ kind: 'power', reading: { time: r.time, power: r.power } });
      }
      runSub?.unsubscribe();
      runSub = pace(rate, scheduler, step, endRun);
    };
    startRun();
    return () => {
      runSub?.unsubscribe();
      nextStart?.unsubscribe();
      close();
      readings = [];
    };
  });
}
