/**
 * `analyzeFiles`: the whole post-processing run behind `pyrolive analyze` (and its benchmark): open the shot(s)
 * (SPE or Andor ASCII, src/io/open.ts), load the calibration, stream the frames in chunks through the Analyzer
 * (reading the next chunk while the native batch fits the current one), give each frame its time (src/io/timing.ts),
 * pair the laser power (no power outside the log's span), run the slope-change detector.
 */
import type { CameraInfo, SpeFile } from '../io/types';
import { checkFileExists, isAndorAscii, openFrames } from '../io/open';
import { frameClock, type FrameClock } from '../io/timing';
import { readPlainSpectra, readPowerLog, type PowerLog } from '../io/tables';
import { ConfigError, DetectInputError, InputFileError, UsageError } from '../errors';
import type { OfflineDetection } from '../detect';
import type { FrameResult } from './types';
import { flagNames, type FrameBlock } from './frameBlock';
import type { PhysicsEngine } from '../physics/types';
import { getEngine } from '../physics/engine';
import {
  createAnalyzer,
  type Analyzer,
  type AnalyzerConfig,
  type DarkInput,
  type FrameData,
  type LampInput,
  type Method,
} from './analyzer';
import { loadCalibration, shotWavelength } from '../calibration';
import { parseRoi, parseRowRange, type Roi } from '../calibration/rows';
import { PowerPairing, powerLogSpan } from './power';
import { compilePowerExpr } from './expr';
import { ChunkReader } from './frames';
import type { NoiseModel } from '../quality/noise';

export interface AnalyzeOptions {
  shots: string[];
  calibration?: string | null;
  lampTemperature?: number | null;
  lampSpectrum?: string | null;
  tungsten?: boolean;
  background?: string | null;
  power?: string | null;
  powerExpr?: string | null;
  /** `A:B` */
  rows?: string | null;
  /** `NAME=A:B`, several */
  roi?: string[] | null;
  range?: [number, number] | null;
  method?: Method;
  emissivity?: string | null;
  gain?: number | null;
  readNoise?: number | null;
  saturation?: number | null;
  /** Frames per chunk (default 1024). */
  chunkFrames?: number;
  twoColor?: boolean;
  /** Seconds between frames, overriding the file's time stamps / frame rate / exposure (or where it has none). */
  frameInterval?: number | null;
  /** Time of the first frame in s on the power log's clock (default 0). */
  timeOffset?: number | null;
  /** Fit weights: 'noise' (1/variance, the default) or 'none' (unweighted, as T-Rax/PyRadiant); see the analyzer. */
  weights?: 'none' | 'noise';
  /** Worker threads of the native batch (default: the engine's choice, all cores). */
  threads?: number;
  engine?: PhysicsEngine;
  onProgress?: (done: number, total: number) => void;
  /** Called once the total number of frames is known. */
  onStart?: (total: number) => void;
}

export interface AnalyzeOutput {
  engine: 'native' | 'js';
  frames: FrameResult[];
  events: unknown[];
  noise: NoiseModel | null;
  ranges: Record<string, [number, number]>;
  rois: string[];
  warnings: string[];
}

/**
 * Where analyzeFilesTo puts the frame results while the run goes on: `begin` once before the first frames (also for
 * a run without frames), then `frames` for every chunk in frame order, power already paired, in columns
 * (`chunk.toResults()` gives the objects). A promise returned is awaited before the run goes on (a slow output holds
 * the run back instead of piling results up in memory).
 */
export interface FrameSink {
  begin(engine: 'native' | 'js'): void | Promise<void>;
  frames(chunk: FrameBlock): void | Promise<void>;
}

/** What analyzeFilesTo returns: everything of AnalyzeOutput but the frames, which went to the sink. */
export type AnalyzeSummary = Omit<AnalyzeOutput, 'frames'> & { frameCount: number };

/** Parse `LO:HI` (nm). */
export function parseRange(text: string): [number, number] {
  const m = /^\s*([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)\s*[:,]\s*([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)\s*$/.exec(text);
  if (!m) {
    throw new UsageError(`--range: expected LO:HI in nm (e.g. 570:830), got "${text}"`);
  }
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  if (!(lo > 0) || !(hi > lo)) {
    throw new UsageError(`--range: expected 0 < LO < HI in nm, got "${text}"`);
  }
  return [lo, hi];
}

/** The calibration and fit options shared by `analyze` and the live path (`serve`). */
export type AnalysisOptions = Omit<
  AnalyzeOptions,
  'shots' | 'power' | 'powerExpr' | 'chunkFrames' | 'onProgress' | 'onStart'
>;

/** The ROIs the options ask for: --roi NAME=A:B (several), or --rows A:B, or all rows summed. */
export function roisFromOptions(o: Pick<AnalysisOptions, 'rows' | 'roi'>, height: number): Roi[] {
  if (o.rows && o.roi && o.roi.length) {
    throw new UsageError('give either --rows A:B or --roi NAME=A:B, not both');
  }
  if (o.roi && o.roi.length) {
    return o.roi.map(parseRoi);
  }
  if (o.rows) {
    const [a, b] = parseRowRange(o.rows);
    return [{ name: 'rows', first: a, last: b }];
  }
  return [{ name: 'all', first: 0, last: height - 1 }];
}

/** Checks the option combinations that do not depend on the frames (before anything starts). */
export function checkAnalysisOptions(o: AnalysisOptions): void {
  checkClockOptions(o);
  if (!o.calibration && (o.lampTemperature != null || o.lampSpectrum || o.background)) {
    throw new UsageError('--lamp-temperature, --lamp-spectrum and --background need --calibration LAMP.spe');
  }
  if (o.rows && o.roi && o.roi.length) {
    throw new UsageError('give either --rows A:B or --roi NAME=A:B, not both');
  }
}

/** frameInterval and timeOffset (src/io/timing.ts) are numbers of seconds. */
export function checkClockOptions(options: Pick<AnalysisOptions, 'frameInterval' | 'timeOffset'>): void {
  if (options.frameInterval != null && !(options.frameInterval > 0 && Number.isFinite(options.frameInterval))) {
    throw new ConfigError('frameInterval', `must be a positive number of seconds (got ${options.frameInterval})`);
  }
  if (options.timeOffset != null && !Number.isFinite(options.timeOffset)) {
    throw new ConfigError('timeOffset', `must be a finite number of seconds (got ${options.timeOffset})`);
  }
}

/**
 * The slope-change events of a run's power–temperature curve (frames with both), by src/detect's offline detection:
 * each chunk's points are pushed while the next chunks are being fitted; the offline refinement runs at the end.
 */
/** The flags of a frame without any: one shared empty list, never changed (every point pushed has the same shape). */
const NO_FLAGS: string[] = [];

class EventFeed {
  constructor(private readonly detection: OfflineDetection) {}

  add(block: FrameBlock): void {
    // the columns read once, before the loop (no property read of the block in the per-point code)
    const { length, nRois, index, power, temperature, temperatureError, flags } = block;
    for (let f = 0; f < length; f++) {
      const slot = f * nRois;
      if (Number.isNaN(power[f]) || Number.isNaN(temperature[slot])) {
        continue;
      }
      const error = temperatureError[slot];
      this.detection.push({
        index: index[f],
        power: power[f],
        temperature: temperature[slot],
        temperatureError: Number.isNaN(error) ? null : error,
        flags: flags[slot] !== 0 ? flagNames(flags[slot]) : NO_FLAGS,
      });
    }
  }

  /** The events; none (not an error of the analysis) when too few points are usable. */
  finish(): unknown[] {
    try {
      return this.detection.finish().events;
    } catch (e) {
      if (e instanceof DetectInputError) {
        return [];
      }
      throw e;
    }
  }
}

/** The event feed of a run with a power log (src/detect is loaded only then). */
async function eventFeedFor(powerLog: PowerLog | null): Promise<EventFeed | null> {
  if (!powerLog) {
    return null;
  }
  const detect = await import('../detect');
  return new EventFeed(new detect.OfflineDetection());
}

/**
 * What run.ts tells the analyzer about the shot beyond AnalyzerConfig (contract with the noise model): the camera
 * (intensified / electron-multiplying cameras add excess noise), whether the acquisition software already
 * subtracted a background, and the fit weights.
 */
export interface ShotFactsConfig {
  camera: CameraInfo | null;
  backgroundCorrected: boolean;
  weights?: 'none' | 'noise';
}

/** Every named input file exists: "no such file" comes before any other complaint about it. */
function checkInputsExist(options: AnalyzeOptions): void {
  const named = [...options.shots, options.calibration, options.background, options.lampSpectrum, options.power];
  for (const file of named) {
    if (file) {
      checkFileExists(file);
    }
  }
}

/** Checks that need no file contents: at least one shot, files exist, option combinations. */
function checkRunOptions(options: AnalyzeOptions): void {
  if (!options.shots || options.shots.length === 0) {
    throw new UsageError('analyze: give at least one shot file');
  }
  checkInputsExist(options);
  if (options.powerExpr && !options.power) {
    throw new ConfigError('powerExpr', 'needs a power log (power)');
  }
  checkAnalysisOptions(options);
}

/**
 * The power log in W (a percentage only with a power expression, which then turns every reading into W); shared
 * by `analyze` and the live replay.
 */
export function loadPowerLog(options: Pick<AnalyzeOptions, 'power' | 'powerExpr'>): PowerLog | null {
  if (!options.power) {
    return null;
  }
  const powerFn = options.powerExpr ? compilePowerExpr(options.powerExpr) : null;
  const log = readPowerLog(options.power, { allowPercent: powerFn !== null });
  if (!powerFn) {
    return log;
  }
  for (let i = 0; i < log.power.length; i++) {
    const watts = powerFn(log.power[i]);
    if (!Number.isFinite(watts)) {
      throw new ConfigError(
        'powerExpr',
        `"${options.powerExpr}" gives ${watts} for the logged value ${log.power[i]} ` + `of ${options.power}`,
      );
    }
    log.power[i] = watts;
  }
  return log;
}

/**
 * The power of every frame from a whole log (by time, or by frame number for a frame log), chunk by chunk as the
 * run goes; counts the frames outside the log's span for the one warning at the end.
 */
class RunPower {
  private readonly pairing: PowerPairing;
  private outside = 0;
  private total = 0;

  constructor(
    private readonly log: PowerLog,
    private readonly file: string,
  ) {
    this.pairing = new PowerPairing(log);
  }

  /** Sets the power of each frame (none outside the log's span); a time log needs every frame's time. */
  attach(frames: FrameBlock, shot: string): void {
    const byFrame = this.log.kind === 'frame';
    if (!byFrame && frames.time.some((t) => Number.isNaN(t))) {
      throw noFrameTimesError(shot, this.file);
    }
    for (let i = 0; i < frames.length; i++) {
      const power = this.pairing.powerAt(byFrame ? frames.index[i] : frames.time[i]);
      frames.setPower(i, power);
      if (Number.isNaN(frames.power[i])) {
        this.outside++;
      }
    }
    this.total += frames.length;
  }

  /** The warning about frames outside the log's span, if any. */
  warning(): string | null {
    if (this.outside === 0) {
      return null;
    }
    const span = powerLogSpan(this.log);
    const unit = this.log.kind === 'time' ? 's' : 'frames';
    const where = span ? ` (${span[0].toPrecision(4)}–${span[1].toPrecision(4)} ${unit})` : '';
    return (
      `${this.file}: ${this.outside} of ${this.total} frame(s) lie outside the log's span${where}: ` +
      'their power is null (never a held value)'
    );
  }
}

/**
 * A run's results as they come, chunk by chunk in frame order: pairs the power, feeds the event detection, passes
 * the frames on to the sink; keeps what the analyzer reported for the summary.
 */
class RunOutput {
  engine: 'native' | 'js' = 'js';
  noise: NoiseModel | null = null;
  ranges: Record<string, [number, number]> = {};
  rois: string[] = [];
  /** The first shot file (for messages). */
  firstShot: string;
  frameCount = 0;
  /** The power pairing and the event feed of a run with a power log (once loaded). */
  power: RunPower | null = null;
  events: EventFeed | null = null;
  private begun = false;
  private loaded = false;

  constructor(
    private readonly sink: FrameSink,
    private readonly powerOptions: Pick<AnalyzeOptions, 'power' | 'powerExpr'>,
    shots: readonly string[],
  ) {
    this.firstShot = shots[0];
  }

  /**
   * Reads the power log and loads the event detection, once: when the first frames are done rather than before the
   * first batch, so that both happen while the native workers fit the next chunk (a 10,000-line log and src/detect
   * take ~12 ms of the main thread). Before any output: a log that cannot be read still stops the run with nothing
   * written.
   */
  async load(): Promise<void> {
    if (this.loaded) {
      return;
    }
    this.loaded = true;
    const log = loadPowerLog(this.powerOptions);
    if (log) {
      this.power = new RunPower(log, this.powerOptions.power as string);
      this.events = await eventFeedFor(log);
    }
  }

  /** Takes what the analyzer says of itself (engine, fitted ranges, ROI names). */
  describe(analyzer: Analyzer): void {
    this.engine = analyzer.engine.name;
    Object.assign(this.ranges, analyzer.ranges);
    this.rois = analyzer.rois.map((r) => r.name);
  }

  /** The results of the next frames. */
  async accept(frames: FrameBlock): Promise<void> {
    await this.load();
    this.power?.attach(frames, this.firstShot);
    this.events?.add(frames);
    await this.begin();
    await this.sink.frames(frames);
    this.frameCount += frames.length;
  }

  /** Tells the sink the engine, once, before the first frames (also when the run has none). */
  async begin(): Promise<void> {
    if (!this.begun) {
      this.begun = true;
      await this.sink.begin(this.engine);
    }
  }
}

/** Text spectra already corrected for the response: one frame per column, times from frameInterval only. */
async function analyzePlainSpectra(options: AnalyzeOptions, output: RunOutput): Promise<void> {
  let base = 0;
  for (const file of options.shots) {
    if (/\.spe$/i.test(file) || isAndorAscii(file)) {
      throw new ConfigError(
        'calibration',
        `is needed for the raw counts of ${file}: a lamp file with a lamp temperature ` +
          'or a lamp spectrum (only text spectra already corrected for the response are fitted without one)',
      );
    }
    if (options.rows || (options.roi && options.roi.length)) {
      throw new UsageError('--rows/--roi apply to SPE frames, not to plain spectra');
    }
    const spectra = readPlainSpectra(file);
    const config: AnalyzerConfig & Pick<ShotFactsConfig, 'weights'> = {
      wavelength: spectra.wavelength,
      width: spectra.wavelength.length,
      height: 1,
      range: options.range ?? null,
      method: options.method,
      emissivity: options.emissivity ?? null,
      saturation: options.saturation ?? null,
      engine: options.engine,
      shotFile: file,
      twoColor: options.twoColor,
      weights: options.weights,
    };
    const analyzer = createAnalyzer(config);
    output.describe(analyzer);
    const clock = frameClock(
      { frames: spectra.columns.length, frameTimes: null, exposureTime: null },
      {
        frameInterval: options.frameInterval,
        timeOffset: options.timeOffset,
      },
    );
    const times = spectra.columns.map((_c, i) => clock.timeOf(base + i));
    options.onStart?.(spectra.columns.length);
    const results = await analyzer.analyzeBlock(
      spectra.columns,
      spectra.columns.map((_c, i) => base + i),
      times,
    );
    await output.accept(results);
    base += spectra.columns.length;
  }
}

/** Opens every shot (SPE or Andor ASCII), checks they share one geometry, and collects their warnings. */
function openInputs(shots: string[], files: SpeFile[], warnings: string[]): void {
  for (const shot of shots) {
    files.push(openFrames(shot));
  }
  const first = files[0];
  for (const f of files) {
    for (const w of f.warnings ?? []) {
      warnings.push(`${f.path}: ${w}`);
    }
  }
  for (const f of files.slice(1)) {
    if (f.width !== first.width || f.height !== first.height) {
      const shape = `${first.height} × ${first.width}`;
      throw new InputFileError(f.path, `frames are ${f.height} × ${f.width} but ${first.path} has ${shape}`);
    }
  }
}

/** What the analyzer config takes from a shot of raw counts (an SpeFile, or a live source's geometry). */
export type CountsShot = Pick<SpeFile, 'path' | 'width' | 'height' | 'dataType'> & {
  wavelength: Float64Array;
  camera?: CameraInfo | null;
  backgroundCorrected?: boolean;
};

/** Lamp and dark as the analyzer takes them (from loadCalibration, or ready-made by the simulator). */
export interface CountsCalibration {
  lamp: LampInput;
  dark: DarkInput | null;
  readNoise: number | null;
}

/** The analyzer config for the counts of `shot` with `calibration`: one definition for `analyze` and `serve`. */
export function countsAnalyzerConfig(
  shot: CountsShot,
  calibration: CountsCalibration,
  options: AnalysisOptions,
  rois: Roi[] = roisFromOptions(options, shot.height),
): AnalyzerConfig & ShotFactsConfig {
  return {
    wavelength: shot.wavelength,
    width: shot.width,
    height: shot.height,
    lamp: calibration.lamp,
    dark: calibration.dark,
    rois,
    range: options.range ?? null,
    method: options.method,
    emissivity: options.emissivity ?? null,
    gain: options.gain ?? null,
    readNoise: options.readNoise ?? null,
    readNoiseFromDark: calibration.readNoise,
    saturation: options.saturation ?? null,
    dataType: shot.dataType,
    engine: options.engine,
    shotFile: shot.path,
    twoColor: options.twoColor,
    threads: options.threads,
    camera: shot.camera ?? null,
    backgroundCorrected: !!shot.backgroundCorrected,
    weights: options.weights,
  };
}

/**
 * Lamp, dark and the analyzer for the counts of `first` (the camera facts go to the analyzer's noise model);
 * shared by `analyze` and the live path.
 */
export function analyzerForCounts(first: SpeFile, options: AnalysisOptions, warnings: string[]): Analyzer {
  const wavelength = shotWavelength(first);
  const rois = roisFromOptions(options, first.height);
  // (the engine the analyzer will use: its native twins of the calibration's loops, when it has them)
  const engine = options.engine ?? getEngine();
  const cal = loadCalibration(first, {
    kernels: { addFrame: engine.addFrame, pixelVariances: engine.pixelVariances },
    lampPath: options.calibration as string,
    lampTemperature: options.lampTemperature,
    lampSpectrum: options.lampSpectrum,
    tungsten: options.tungsten,
    darkPath: options.background,
  });
  warnings.push(...cal.warnings);
  warnings.push(...backgroundWarnings(first, options));
  const shot: CountsShot = {
    path: first.path,
    width: first.width,
    height: first.height,
    dataType: first.dataType,
    wavelength,
    camera: first.camera,
    backgroundCorrected: first.backgroundCorrected,
  };
  return createAnalyzer(countsAnalyzerConfig(shot, cal, options, rois));
}

/** No dark for counts that carry bias and dark is a warning; none for frames the acquisition already corrected. */
export function backgroundWarnings(
  first: Pick<SpeFile, 'path' | 'backgroundCorrected' | 'backgroundReference'>,
  options: Pick<AnalysisOptions, 'background'>,
): string[] {
  if (first.backgroundCorrected && options.background) {
    return [
      `${first.path}: the acquisition software already subtracted a background` +
        `${first.backgroundReference ? ` (${first.backgroundReference})` : ''}; ${options.background} is subtracted again`,
    ];
  }
  if (!first.backgroundCorrected && !options.background) {
    return [
      'no background (dark) file: the counts are taken as free of bias and dark ' +
        '(subtract a dark for honest temperatures)',
    ];
  }
  return [];
}

interface Chunk {
  reader: ChunkReader;
  from: number;
  to: number;
  base: number;
  clock: FrameClock;
}

/**
 * The chunks of all files, in order. Frame times continue from one file to the next: the next file starts one
 * frame interval after the last frame of the previous one.
 */
function planChunks(files: SpeFile[], chunkFrames: number, options: AnalyzeOptions, readers: ChunkReader[]): Chunk[] {
  const chunks: Chunk[] = [];
  let globalIndex = 0;
  let timeOffset = options.timeOffset ?? 0;
  for (const f of files) {
    const clock = frameClock(f, { frameInterval: options.frameInterval, timeOffset });
    const reader = new ChunkReader(f, chunkFrames);
    readers.push(reader);
    for (let s = 0; s < f.frames; s += chunkFrames) {
      chunks.push({ reader, from: s, to: Math.min(f.frames, s + chunkFrames), base: globalIndex, clock });
    }
    const lastTime = f.frames > 0 ? clock.timeOf(f.frames - 1) : null;
    if (lastTime !== null) {
      timeOffset = lastTime + (clock.interval ?? 0);
    }
    globalIndex += f.frames;
  }
  return chunks;
}

/**
 * The reads of a run's chunks, one ahead: while chunk k is prepared and chunk k−1 fitted, chunk k+1 is read on a
 * libuv thread. The first read can start before the analyzer is built (it then overlaps loading the calibration).
 * A read left in flight by an error of the run is never an unhandled rejection.
 */
class ChunkReads {
  private reading: Promise<FrameData[]> | null = null;
  private nextToRead = 0;

  constructor(private readonly chunks: readonly Chunk[]) {}

  /** Starts reading the first chunk (once). */
  start(): void {
    if (this.nextToRead === 0) {
      this.readNext();
    }
  }

  /** The frames of the next chunk in order; starts reading the one after. */
  async next(): Promise<FrameData[]> {
    this.start();
    const frameData = await (this.reading as Promise<FrameData[]>);
    this.readNext();
    return frameData;
  }

  private readNext(): void {
    const chunk = this.chunks[this.nextToRead++];
    if (!chunk) {
      this.reading = null;
      return;
    }
    this.reading = chunk.reader.readAsync(chunk.from, chunk.to);
    this.reading.catch(() => {
      /* handled where awaited */
    });
  }
}

/**
 * The run-wide indices first, first + 1, … of a chunk's `count` frames. A function of its own: its loop makes V8
 * optimise it, and optimising the small loop alone costs far less than optimising `submit` with everything it calls.
 */
function chunkIndices(first: number, count: number): Float64Array {
  const indices = new Float64Array(count);
  for (let k = 0; k < count; k++) {
    indices[k] = first + k;
  }
  return indices;
}

/**
 * Streams the chunks through the analyzer: chunk k+1 is read on a libuv thread while chunk k is prepared here and
 * chunk k−1 is fitted by the native workers; each chunk's results go to the output as soon as they are done.
 */
async function streamChunks(
  chunks: Chunk[],
  reads: ChunkReads,
  analyzer: Analyzer,
  total: number,
  options: AnalyzeOptions,
  output: RunOutput,
): Promise<void> {
  const submit = (c: Chunk, frameData: FrameData[]): Promise<FrameBlock> => {
    const count = c.to - c.from;
    const indices = chunkIndices(c.base + c.from, count);
    // (NaN: no time, as null; the block keeps times as numbers, NaN for none)
    const times = new Float64Array(count);
    c.clock.timesInto(c.from, c.to, times);
    const results = analyzer.analyzeBlock(frameData, indices, times);
    results.catch(() => {
      /* handled where awaited */
    });
    return results;
  };
  const collect = async (pending: Promise<FrameBlock> | null): Promise<void> => {
    if (!pending) {
      return;
    }
    await output.accept(await pending);
    options.onProgress?.(output.frameCount, total);
  };
  let pending: Promise<FrameBlock> | null = null;
  for (const chunk of chunks) {
    const next = submit(chunk, await reads.next());
    await collect(pending);
    pending = next;
  }
  await collect(pending);
}

/** Detector counts (SPE or Andor ASCII shots) with a lamp calibration. */
async function analyzeCounts(options: AnalyzeOptions, warnings: string[], output: RunOutput): Promise<void> {
  const files: SpeFile[] = [];
  const readers: ChunkReader[] = [];
  try {
    openInputs(options.shots, files, warnings);
    const chunkFrames = Math.max(1, Math.floor(options.chunkFrames ?? 1024));
    const chunks = planChunks(files, chunkFrames, options, readers);
    const reads = new ChunkReads(chunks);
    reads.start(); // the first chunk is read while the calibration loads
    const analyzer = analyzerForCounts(files[0], options, warnings);
    output.describe(analyzer);
    output.firstShot = files[0].path;
    const total = files.reduce((sum, f) => sum + f.frames, 0);
    options.onStart?.(total);
    await streamChunks(chunks, reads, analyzer, total, options, output);
    output.noise = analyzer.noise();
  } finally {
    for (const r of readers) {
      r.close();
    }
    for (const f of files) {
      try {
        f.close();
      } catch {
        /* already closed */
      }
    }
  }
}

/** A time-based power log cannot be paired with a shot whose frames have no times (analyze and the live replay). */
export function noFrameTimesError(shot: string, powerLog: string): ConfigError {
  return new ConfigError(
    'frameInterval',
    `is needed: ${shot} has no frame times (no time stamps, frame rate ` +
      `or exposure time), so the time-based power log ${powerLog} cannot be paired (or use a frame,power_W log)`,
  );
}

/**
 * Runs a whole analysis — inputs → frames (plain spectra, or counts with a lamp) → power pairing → events — and
 * gives the frames to `sink` chunk by chunk as they are done (nothing of the run is kept but the detector's points):
 * what `analyze --json`/`--out` uses to write a shot of any length while it is being fitted.
 */
export async function analyzeFilesTo(options: AnalyzeOptions, sink: FrameSink): Promise<AnalyzeSummary> {
  checkRunOptions(options);
  const warnings: string[] = [];
  const output = new RunOutput(sink, options, options.shots);
  if (options.calibration) {
    await analyzeCounts(options, warnings, output);
  } else {
    await analyzePlainSpectra(options, output);
  }
  // (a run without frames reads its power log here)
  await output.load();
  await output.begin();
  const powerWarning = output.power?.warning();
  if (powerWarning) {
    warnings.push(powerWarning);
  }
  const events = output.events?.finish() ?? [];
  const { engine, noise, ranges, rois, frameCount } = output;
  return { engine, events, noise, ranges, rois, warnings, frameCount };
}

/** Runs a whole analysis (as analyzeFilesTo) and returns every frame's result with the events. */
export async function analyzeFiles(options: AnalyzeOptions): Promise<AnalyzeOutput> {
  const frames: FrameResult[] = [];
  const sink: FrameSink = {
    begin: () => undefined,
    frames: (chunk) => {
      for (let f = 0; f < chunk.length; f++) {
        frames.push(chunk.frame(f));
      }
    },
  };
  const { engine, events, noise, ranges, rois, warnings } = await analyzeFilesTo(options, sink);
  return { engine, frames, events, noise, ranges, rois, warnings };
}
