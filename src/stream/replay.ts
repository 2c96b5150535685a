/**
 * replay(shot, power, {rate, loop}): an SPE shot and its laser power log played as a live source.
 *
 * Cold: each subscription opens the file (lazy reader: frames are read one by one as they are emitted, a 2 GB
 * shot is never loaded) and closes it on unsubscribe. At the start of each run the whole power log is emitted
 * (times in s since the shot's first frame; a frame-numbered log is put on the frames' times), then frame i is
 * emitted at i / rate s (default rate: the shot's own frame rate from its time stamps or exposure, else 10/s).
 * With `loop`, a reset is emitted after the last frame and the shot starts over; otherwise the source completes.
 * An unreadable frame is emitted as NaN counts (the analyzer flags it corrupt) and the replay goes on.
 */
import { asyncScheduler, Observable, SchedulerLike, Subscription } from 'rxjs';
import { openSpe } from '../io/spe';
import { readPowerLog } from '../io/tables';
import { compilePowerExpr } from '../analysis/expr';
import { UsageError } from '../errors';
import type { SpeFile } from '../io/types';
import type { FrameGeometry, SourceItem } from './types';
import { pace } from './pace';

export interface ReplayOptions {
  /** Frames per second (default: the shot's own rate, else 10). */
  rate?: number;
  loop?: boolean;
  /** mathjs expression turning the logged value x into W. */
  powerExpr?: string | null;
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

/** Time (s from the first frame) of each frame: time stamps, else index × exposure, else null. */
export function frameTimesOf(f: SpeFile): (number | null)[] {
  const ft = f.frameTimes && f.frameTimes.length >= f.frames ? f.frameTimes : null;
  const period = f.exposureTime && f.exposureTime > 0 ? f.exposureTime : null;
  const out: (number | null)[] = new Array(f.frames);
  for (let i = 0; i < f.frames; i++) {
    out[i] = ft ? ft[i] - ft[0] : period ? i * period : null;
  }
  return out;
}

/** The shot's own frame rate (frames/s), or null. */
export function nativeRate(times: (number | null)[]): number | null {
  const n = times.length;
  if (n < 2 || times[0] === null || times[n - 1] === null) {
    return null;
  }
  const span = (times[n - 1] as number) - (times[0] as number);
  return span > 0 ? (n - 1) / span : null;
}

export function replay(
  shotPath: string,
  powerPath: string | null,
  options: ReplayOptions = {},
): Observable<SourceItem> {
  if (options.rate !== undefined && !(options.rate > 0 && Number.isFinite(options.rate))) {
    throw new UsageError(`--rate must be a positive number of frames per second (got ${options.rate})`);
  }
  const scheduler = options.scheduler ?? asyncScheduler;
  // fail early (at the command line) on a bad shot or power log, before anything runs
  openSpe(shotPath).close();
  if (powerPath) {
    readPowerLog(powerPath);
  }
  if (options.powerExpr) {
    compilePowerExpr(options.powerExpr);
  }
  return new Observable<SourceItem>((subscriber) => {
    let file: SpeFile;
    try {
      file = openSpe(shotPath);
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
    const times = frameTimesOf(f);
    const rate = options.rate ?? nativeRate(times) ?? 10;
    // frames without times get index / rate
    for (let i = 0; i < times.length; i++) {
      if (times[i] === null) {
        times[i] = i / rate;
      }
    }
    let readings: { time: number; power: number }[] = [];
    try {
      if (powerPath) {
        const log = readPowerLog(powerPath);
        const conv = options.powerExpr ? compilePowerExpr(options.powerExpr) : null;
        for (let k = 0; k < log.key.length; k++) {
          let p = log.power[k];
          if (conv) {
            p = conv(p);
          }
          if (!Number.isFinite(p)) {
            continue;
          }
          let t = log.key[k];
          if (log.kind === 'frame') {
            const idx = Math.round(t);
            if (idx < 0 || idx >= f.frames) {
              continue;
            }
            t = times[idx] as number;
          }
          if (Number.isFinite(t)) {
            readings.push({ time: t, power: p });
          }
        }
      } else if (options.powerExpr) {
        throw new UsageError('--power-expr needs a --power log');
      }
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
