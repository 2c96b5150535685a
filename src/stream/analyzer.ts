/**
 * The analysis pipeline of `pyrolive analyze` (src/analysis createAnalyzer) wrapped for the live pipeline, and
 * built from the same options as `analyze` (lamp, dark, ROIs, range, method, emissivity, noise model).
 * For a watched folder the geometry is only known when the first file arrives: `lazyAnalyzer` builds the
 * analyzer at the first frame.
 */
import {
  createAnalyzer,
  type Analyzer,
  type AnalyzerConfig,
  type DarkInput,
  type LampInput,
} from '../analysis/analyzer';
import { loadCalibration } from '../calibration';
import { roisFromOptions, checkAnalysisOptions, type AnalysisOptions } from '../analysis/run';
import { UsageError } from '../errors';
import type { SpeFile } from '../io/types';
import { getEngine } from '../physics';
import type { FrameResult } from '../analysis/types';
import { concat, defer, from, ignoreElements, type Observable } from 'rxjs';
import type { FrameGeometry, LiveAnalyzer, LiveFrame, SourceItem } from './types';
import { openSpe } from '../io/spe';
import { frameTimesOf } from './replay';

/**
 * The analysis options shared with `pyrolive analyze` (`threads`: worker threads of a native batch, default 1
 * live: a backlog batch runs beside the event loop without competing for every core; see docs/live.md).
 */
export type LiveAnalysisOptions = AnalysisOptions;
export { roisFromOptions, checkAnalysisOptions };

/**
 * An Analyzer for frames of `geometry` from the analyze options (lamp/dark files read here), or from a
 * ready calibration (the simulator's). Raw counts need a calibration.
 */
export function buildAnalyzer(
  o: LiveAnalysisOptions,
  geometry: FrameGeometry,
  shotName: string,
  ready?: { lamp: LampInput; dark: DarkInput | null; readNoiseFromDark: number | null },
): { analyzer: Analyzer; warnings: string[] } {
  const warnings: string[] = [];
  if (!geometry.wavelength || geometry.wavelength.length !== geometry.width) {
    throw new UsageError(
      `${shotName}: has no wavelength calibration (no XML wavelength list, no x-calibration polynomial)`,
    );
  }
  let lamp = ready?.lamp ?? null;
  let dark = ready?.dark ?? null;
  let readNoiseFromDark = ready?.readNoiseFromDark ?? null;
  if (!ready) {
    if (!o.calibration) {
      throw new UsageError(
        'live frames are raw detector counts: give --calibration LAMP.spe with --lamp-temperature K or --lamp-spectrum FILE (and --background DARK.spe)',
      );
    }
    // loadCalibration only looks at the shot's path, size and wavelengths
    const shotLike = {
      path: shotName,
      width: geometry.width,
      height: geometry.height,
      wavelength: geometry.wavelength,
    } as unknown as SpeFile;
    const cal = loadCalibration(shotLike, {
      lampPath: o.calibration,
      lampTemperature: o.lampTemperature,
      lampSpectrum: o.lampSpectrum,
      tungsten: o.tungsten,
      darkPath: o.background,
    });
    warnings.push(...cal.warnings);
    lamp = cal.lamp;
    dark = cal.dark;
    readNoiseFromDark = cal.readNoise;
    if (!o.background) {
      warnings.push(
        'no --background: the counts are taken as free of bias and dark (subtract a dark for honest temperatures)',
      );
    }
  }
  const config: AnalyzerConfig = {
    wavelength: geometry.wavelength,
    width: geometry.width,
    height: geometry.height,
    lamp,
    dark,
    rois: roisFromOptions(o, geometry.height),
    range: o.range ?? null,
    method: o.method,
    emissivity: o.emissivity ?? null,
    gain: o.gain ?? null,
    readNoise: o.readNoise ?? null,
    readNoiseFromDark,
    saturation: o.saturation ?? null,
    dataType: geometry.dataType,
    engine: o.engine ?? getEngine(),
    shotFile: shotName,
    twoColor: o.twoColor,
    threads: o.threads ?? 1,
    weights: o.weights,
  };
  return { analyzer: createAnalyzer(config), warnings };
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
    (geometry, origin) => {
      const built = buildAnalyzer(options, geometry, origin);
      built.warnings.forEach(warn);
      try {
        const chunk = firstChunkOf(origin);
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

/** The first chunk of frames of an SPE shot as `analyze` reads it (see primeAnalyzer). */
export function firstChunkOf(shotPath: string): {
  counts: Float64Array[];
  indices: number[];
  times: (number | null)[];
} {
  const spe = openSpe(shotPath);
  try {
    const n = Math.min(spe.frames, ANALYZE_CHUNK_FRAMES);
    const times = frameTimesOf(spe).slice(0, n);
    const counts: Float64Array[] = [];
    for (let i = 0; i < n; i++) {
      counts.push(spe.readFrame(i));
    }
    return { counts, indices: counts.map((_c, i) => i), times };
  } finally {
    spe.close();
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
