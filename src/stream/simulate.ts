/**
 * simulate(options): the simulator (src/sim/shot.ts) as an endless live source, and the calibration (lamp,
 * dark) that goes with it, so the real analysis pipeline runs on it.
 *
 * One cycle is a simulated heating shot (laser power ramped in steps, temperature following it with a plateau);
 * frame i is emitted at i / rate s (default rate: real time, 1 / frameInterval) with its simulated time
 * i × frameInterval, and the power controller's log is emitted just ahead of the frames (each reading before
 * the first frame it can pair with). After the last frame a reset is emitted and the next cycle (seed + cycle)
 * starts, forever or for `cycles` cycles. Frames are computed on demand (each frame has its own seeded Rng), so
 * memory stays flat; `cacheFrames` keeps the first cycle's frames and replays them (for benchmarks).
 */
import { asyncScheduler, Observable, SchedulerLike, Subscription } from 'rxjs';
import { resolveShotOptions, simulateShot, type ShotOptions, type SimulatedShot } from '../sim/shot';
import { greybodyLampRadiance } from '../calibration/lamp';
import { estimateReadNoise } from '../quality/noise';
import { UsageError } from '../errors';
import { writeSpe } from '../io/speWriter';
import type { DarkInput, LampInput } from '../analysis/analyzer';
import type { FrameGeometry, SourceItem } from './types';
import { pace } from './pace';

export interface SimulateOptions extends ShotOptions {
  /** Frames per second (default 1 / frameInterval: simulated time runs at real time). */
  rate?: number;
  /** Number of cycles (default Infinity). */
  cycles?: number;
  /** Keep the first cycle's frames in memory and reuse them (default false). */
  cacheFrames?: boolean;
  scheduler?: SchedulerLike;
}

/**
 * The heating shot of `pyrolive demo` and `serve --simulate`: 50 frames/s, 8 rows × 1340 pixels, power stepped
 * from 5 to 45 W over 30 s (0.27 W every 0.2 s), T = 1100 K + 50 K/W with a plateau from 25 W (reached at 15 s,
 * 2350 K) to 31 W where the slope drops to a tenth; then the shot starts over.
 */
export function demoShotOptions(overrides: ShotOptions = {}): ShotOptions {
  return {
    frames: 1500,
    frameInterval: 0.02,
    exposureTime: 0.015,
    rows: 8,
    width: 1340,
    framesPerStep: 10,
    powerStart: 5,
    powerEnd: 45,
    t0: 1100,
    slope: 50,
    plateau: { start: 25, width: 6, slopeFraction: 0.1 },
    cosmicRate: 0.01,
    seed: 1,
    ...overrides,
  };
}

export interface SimulatedCalibration {
  geometry: FrameGeometry;
  wavelength: Float64Array;
  width: number;
  height: number;
  lamp: LampInput;
  dark: DarkInput;
  readNoiseFromDark: number | null;
}

/** Lamp (greybody at the shot's lamp temperature) and dark of the simulated detector, as the analyzer wants them. */
export function simulatedCalibration(options: ShotOptions = {}): SimulatedCalibration {
  const shot = simulateShot({ ...options, frames: 1 });
  const o = shot.options;
  const n = o.width * o.rows;
  const lampMean = new Float64Array(n);
  for (let k = 0; k < o.lamp.frames; k++) {
    const f = shot.lampFrame(k);
    for (let p = 0; p < n; p++) {
      lampMean[p] += f[p] / o.lamp.frames;
    }
  }
  const darks: Float64Array[] = [];
  const darkMean = new Float64Array(n);
  for (let k = 0; k < o.dark.frames; k++) {
    const f = shot.darkFrame(k);
    darks.push(f);
    for (let p = 0; p < n; p++) {
      darkMean[p] += f[p] / o.dark.frames;
    }
  }
  return {
    geometry: geometryOfShot(shot),
    wavelength: shot.wavelength,
    width: o.width,
    height: o.rows,
    lamp: {
      counts: lampMean,
      frames: o.lamp.frames,
      radiance: greybodyLampRadiance(shot.wavelength, o.lamp.temperature),
      file: 'simulated lamp',
    },
    dark: { counts: darkMean, frames: o.dark.frames, file: 'simulated dark' },
    readNoiseFromDark: estimateReadNoise(darks, o.width, o.rows),
  };
}

/** The first chunk of frames of the simulated shot (cycle 0) as `analyze` would read its recording (see
 * primeAnalyzer in ./analyzer.ts). */
export function firstChunkOfShot(
  options: ShotOptions,
  frames = 1024,
): { counts: Float64Array[]; indices: number[]; times: number[] } {
  const shot = simulateShot(options);
  const n = Math.min(frames, shot.options.frames);
  const counts: Float64Array[] = [];
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    counts.push(shot.frame(i));
    times.push(shot.truth.time[i]);
  }
  return { counts, indices: counts.map((_c, i) => i), times };
}

/** firstChunkOfShot without holding the event loop: frames are simulated 32 at a time between turns. */
export async function firstChunkOfShotAsync(
  options: ShotOptions,
  frames = 1024,
): Promise<{ counts: Float64Array[]; indices: number[]; times: number[] }> {
  const shot = simulateShot(options);
  const n = Math.min(frames, shot.options.frames);
  const counts: Float64Array[] = [];
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 32 === 0) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    counts.push(shot.frame(i));
    times.push(shot.truth.time[i]);
  }
  return { counts, indices: counts.map((_c, i) => i), times };
}

function geometryOfShot(shot: SimulatedShot): FrameGeometry {
  const o = shot.options;
  return {
    width: o.width,
    height: o.rows,
    dataType: 'uint16',
    wavelength: shot.wavelength,
    exposureTime: o.exposureTime,
  };
}

export function simulate(options: SimulateOptions = {}): Observable<SourceItem> {
  const resolved = resolveShotOptions(options); // validates (UsageError) before anything runs
  const rate = options.rate ?? 1 / resolved.frameInterval;
  if (!(rate > 0 && Number.isFinite(rate))) {
    throw new UsageError(`--rate must be a positive number of frames per second (got ${options.rate})`);
  }
  const cycles = options.cycles ?? Infinity;
  const scheduler = options.scheduler ?? asyncScheduler;
  return new Observable<SourceItem>((subscriber) => {
    // only the current cycle's pacing and the pending start of the next are held: nothing of a cycle outlives it
    let cycleSub: Subscription | null = null;
    let nextStart: Subscription | null = null;
    let cache: Float64Array[] | null = options.cacheFrames ? [] : null;
    const startCycle = (cycle: number) => {
      nextStart = null;
      const shot = simulateShot({ ...options, seed: (options.seed ?? 1) + (cache ? 0 : cycle) });
      const o = shot.options;
      const geometry = geometryOfShot(shot);
      const log = shot.powerLog;
      const lookahead = o.frameInterval + 1 / o.powerLogRate;
      let k = 0;
      const step = (i: number): boolean => {
        const t = shot.truth.time[i];
        while (k < log.time.length && log.time[k] <= t + lookahead) {
          subscriber.next({ kind: 'power', reading: { time: log.time[k], power: log.power[k] } });
          k++;
        }
        let counts: Float64Array;
        if (cache && cache[i]) {
          counts = cache[i];
        } else {
          counts = shot.frame(i);
          if (cache) {
            cache[i] = counts;
          }
        }
        subscriber.next({ kind: 'frame', frame: { index: i, time: t, counts, geometry, origin: 'simulator' } });
        return i + 1 < o.frames;
      };
      const endCycle = () => {
        if (subscriber.closed) {
          return;
        }
        if (cycle + 1 >= cycles) {
          subscriber.complete();
          return;
        }
        subscriber.next({ kind: 'reset', reason: `simulated shot ${cycle + 2} starts` });
        nextStart = scheduler.schedule(() => {
          if (!subscriber.closed) {
            startCycle(cycle + 1);
          }
        });
      };
      cycleSub?.unsubscribe();
      cycleSub = pace(rate, scheduler, step, endCycle);
    };
    startCycle(0);
    return () => {
      cycleSub?.unsubscribe();
      nextStart?.unsubscribe();
      cache = null;
    };
  });
}

/**
 * Writes the simulated detector's lamp and dark frames as lamp.spe and dark.spe into `dir` (next to a recording),
 * so that the recording can be post-processed with
 * `pyrolive analyze frames.spe --calibration lamp.spe --lamp-temperature T --background dark.spe --power power.csv`.
 * Returns the lamp temperature to give.
 */
export function writeSimulatedCalibration(
  options: ShotOptions,
  dir: string,
): { lamp: string; dark: string; lampTemperature: number } {
  const shot = simulateShot({ ...options, frames: 1 });
  const o = shot.options;
  const lamp = `${dir}/lamp.spe`;
  const dark = `${dir}/dark.spe`;
  writeSpe(lamp, {
    width: o.width,
    height: o.rows,
    wavelength: shot.wavelength,
    exposureTime: o.lamp.exposureTime,
    frames: Array.from({ length: o.lamp.frames }, (_v, k) => shot.lampFrame(k)),
    comment: 'simulated calibration lamp',
  });
  writeSpe(dark, {
    width: o.width,
    height: o.rows,
    wavelength: shot.wavelength,
    exposureTime: o.exposureTime,
    frames: Array.from({ length: o.dark.frames }, (_v, k) => shot.darkFrame(k)),
    comment: 'simulated dark',
  });
  return { lamp, dark, lampTemperature: o.lamp.temperature };
}
