/**
 * The analysis pipeline of `pyrolive analyze` (src/analysis createAnalyzer) wrapped for the live pipeline, and
 * built by the same functions as `analyze` from the same options (src/analysis/run.ts analyzerForCounts /
 * countsAnalyzerConfig: lamp, dark, ROIs, range, method, emissivity, camera, background facts, noise model).
 * For a watched folder the geometry is only known when the first file arrives: `lazyAnalyzer` builds the
 * analyzer at the first frame.
 */
import { createAnalyzer, type Analyzer, type DarkInput, type LampInput } from '../analysis/analyzer';
import {
  analyzerForCounts,
  countsAnalyzerConfig,
  roisFromOptions,
  checkAnalysisOptions,
  type AnalysisOptions,
  type CountsShot,
} from '../analysis/run';
import { ConfigError, InputFileError } from '../errors';
import { getEngine } from '../physics';
import type { FrameResult } from '../analysis/types';
import { concat, defer, from, ignoreElements, type Observable } from 'rxjs';
import type { FrameGeometry, LiveAnalyzer, LiveFrame, SourceItem } from './types';
import { openFrames } from '../io/open';
import { frameClock, type FrameClockOptions } from '../io/timing';

/**
 * The analysis options shared with `pyrolive analyze` (`threads`: worker threads of a native batch, default 1
 * live: a backlog batch runs beside the event loop without competing for every core; see docs/live.md).
 */
export type LiveAnalysisOptions = AnalysisOptions;
export { roisFromOptions, checkAnalysisOptions };

/** The options as the live path runs them: one worker thread per native batch unless given, the default engine. */
function liveOptions(options: LiveAnalysisOptions): LiveAnalysisOptions {
  return { ...options, threads: options.threads ?? 1, engine: options.engine ?? getEngine() };
}

/**
 * The Analyzer of a recorded shot (SPE or Andor ASCII; its lamp and dark files read here), built by the very
 * function `analyze` uses (analyzerForCounts: same lamp, dark, ROIs, camera and background facts, warnings).
 */
export function shotAnalyzer(
  options: LiveAnalysisOptions,
  shotPath: string,
): { analyzer: Analyzer; warnings: string[] } {
  if (!options.calibration) {
    throw new ConfigError(
      'calibration',
      `is needed for the raw counts of ${shotPath}: a lamp file with a lamp ` + 'temperature or a lamp spectrum',
    );
  }
  const shot = openFrames(shotPath);
  try {
    const warnings: string[] = [];
    const analyzer = analyzerForCounts(shot, liveOptions(options), warnings);
    return { analyzer, warnings };
  } finally {
    shot.close();
  }
}

/**
 * An Analyzer for frames of `geometry`: from a ready calibration (the simulator's), with the config `analyze`
 * would build (countsAnalyzerConfig); without one, that of the shot file `shotName` (shotAnalyzer).
 */
export function buildAnalyzer(
  options: LiveAnalysisOptions,
  geometry: FrameGeometry,
  shotName: string,
  ready?: { lamp: LampInput; dark: DarkInput | null; readNoiseFromDark: number | null },
): { analyzer: Analyzer; warnings: string[] } {
  if (!ready) {
    return shotAnalyzer(options, shotName);
  }
  if (!geometry.wavelength || geometry.wavelength.length !== geometry.width) {
    throw new InputFileError(
      shotName,
      'has no wavelength calibration (no XML wavelength list, no x-calibration polynomial)',
    );
  }
  const shot: CountsShot = {
    path: shotName,
    width: geometry.width,
    height: geometry.height,
    dataType: geometry.dataType,
    wavelength: geometry.wavelength,
  };
  const calibration = { lamp: ready.lamp, dark: ready.dark, readNoise: ready.readNoiseFromDark };
  return { analyzer: createAnalyzer(countsAnalyzerConfig(shot, calibration, liveOptions(options))), warnings: [] };
}

/** Frames per chunk of `analyze` (analyzeFiles' default chunkFrames): its noise model comes from the first one. */
export const ANALYZE_CHUNK_FRAMES = 1024;

/**
 * Sets up the analyzer's noise model from the same frames `analyze` uses for the same shot, so that the live
 * fits (T, σ, χ²/dof) are those of `analyze`. `analyze` hands the shot to analyzeBatch in chunks and the gain
 * (electrons per count, when not given) is estimated on the first chunk — the brightest of its first 1024
 * frames; a live analyzer fed frame by frame would estimate it from the first frame alone (different σ and
 * χ²/dof for the whole shot). `firstChunk`: the shot's first ANALYZE_CHUNK_FRAMES frames (fewer if it has
 * fewer); the results are discarded.
 */
export async function primeAnalyzer(
  analyzer: Analyzer,
  firstChunk: { counts: Float64Array[]; indices: number[]; times: (number | null)[] },
): Promise<void> {
  if (firstChunk.counts.length === 0) {
    return;
  }
  await analyzer.analyzeBatch(firstChunk.counts, firstChunk.indices, firstChunk.times);
}

/**
 * The source, started once `priming` (primeAnalyzer) has settled: the server can start at once while the
 * analyzer's noise model is being set up (a failed priming ends the source with its error).
 */
export function afterPriming(priming: () => Promise<void>, source: Observable<SourceItem>): Observable<SourceItem> {
  return concat(defer(() => from(priming())).pipe(ignoreElements()), source);
}

/**
 * The analyzer of a watched folder: built at the first frame from its file's geometry, its noise model set from
 * that file's first chunk as `analyze` of the file sets it (primeAnalyzer). The chunk's batch is started at
 * once — its preparation, where the gain is estimated, runs before analyzeBatch returns — and its results are
 * discarded; the live frames fit beside it (fitFrames has at most one batch of its own in flight).
 */
export function watchAnalyzer(options: LiveAnalysisOptions, warn: (line: string) => void): LiveAnalyzer {
  return lazyAnalyzer(
    (_geometry, origin) => {
      const built = shotAnalyzer(options, origin);
      built.warnings.forEach(warn);
      try {
        const chunk = firstChunkOf(origin, { frameInterval: options.frameInterval });
        primeAnalyzer(built.analyzer, chunk).catch((e) =>
          warn(`${origin}: noise model from the first frames: ${(e as Error).message}`),
        );
      } catch (e) {
        warn(`${origin}: noise model from the first frames: ${(e as Error).message}`);
      }
      return liveAnalyzer(built.analyzer);
    },
    { onError: (m) => warn(`cannot analyse the watched frames: ${m}`) },
  );
}

/** The first chunk of frames of a shot (SPE or Andor ASCII) as `analyze` reads and times it (see primeAnalyzer). */
export function firstChunkOf(
  shotPath: string,
  clockOptions: FrameClockOptions = {},
): {
  counts: Float64Array[];
  indices: number[];
  times: (number | null)[];
} {
  const shot = openFrames(shotPath);
  try {
    const n = Math.min(shot.frames, ANALYZE_CHUNK_FRAMES);
    const clock = frameClock(shot, clockOptions);
    const counts: Float64Array[] = [];
    const times: (number | null)[] = [];
    for (let i = 0; i < n; i++) {
      counts.push(shot.readFrame(i));
      times.push(clock.timeOf(i));
    }
    return { counts, indices: counts.map((_c, i) => i), times };
  } finally {
    shot.close();
  }
}

/** Wraps an Analyzer for fitFrames. */
export function liveAnalyzer(a: Analyzer): LiveAnalyzer {
  const first = a.rois[0]?.name;
  return {
    analyzeFrame: (f: LiveFrame): FrameResult => a.analyzeFrame(f.counts, f.index, f.time),
    analyzeBatch: (frames: LiveFrame[]) =>
      a.analyzeBatch(
        frames.map((f) => f.counts),
        frames.map((f) => f.index),
        frames.map((f) => f.time),
      ),
    spectrum: () => a.lastSpectrum(),
    range: first && a.ranges[first] ? a.ranges[first] : null,
    rois: a.rois.map((r) => r.name),
  };
}

/**
 * An analyzer built at the first frame (from its geometry). If building fails (e.g. a lamp of another size),
 * `onError` is told once and every frame is flagged corrupt, the rest of the run goes on.
 */
export function lazyAnalyzer(
  build: (geometry: FrameGeometry, origin: string) => LiveAnalyzer,
  hooks: { onReady?: (a: LiveAnalyzer) => void; onError?: (message: string) => void } = {},
): LiveAnalyzer {
  let inner: LiveAnalyzer | null = null;
  let failed: string | null = null;
  const get = (f: LiveFrame): LiveAnalyzer | null => {
    if (inner || failed) {
      return inner;
    }
    try {
      inner = build(f.geometry, f.origin ?? 'live frames');
      self.range = inner.range ?? null;
      self.rois = inner.rois;
      hooks.onReady?.(inner);
    } catch (e) {
      failed = (e as Error).message;
      hooks.onError?.(failed);
    }
    return inner;
  };
  const fail = (f: LiveFrame): FrameResult => ({
    index: f.index,
    time: f.time,
    power: null,
    temperature: null,
    temperatureError: null,
    chi2: null,
    flags: ['corrupt'],
    twoColor: null,
  });
  const self: LiveAnalyzer = {
    analyzeFrame: (f) => {
      const a = get(f);
      return a ? a.analyzeFrame(f) : fail(f);
    },
    analyzeBatch: (frames) => {
      const a = get(frames[0]);
      return a ? a.analyzeBatch(frames) : Promise.resolve(frames.map(fail));
    },
    spectrum: (f, r) => inner?.spectrum?.(f, r) ?? null,
    range: null,
    rois: [],
  };
  return self;
}
