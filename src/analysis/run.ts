/**
 * `analyzeFiles`: the whole post-processing run behind `pyrolive analyze` (and its benchmark): open the shot(s),
 * load the calibration, stream the frames in chunks through the Analyzer (reading the next chunk while the
 * native batch fits the current one), pair the laser power, run the slope-change detector.
 */
import type { SpeFile } from '../io/types';
import { openSpe } from '../io/spe';
import { readPlainSpectra, readPowerLog } from '../io/tables';
import { DetectInputError, InputFileError, UsageError } from '../errors';
import { detectOffline, type DetectPoint } from '../detect';
import type { FrameResult } from './types';
import type { PhysicsEngine } from '../physics/types';
import { createAnalyzer, type Analyzer, type FrameData, type Method } from './analyzer';
import type { Weights } from './types';
import { loadCalibration, shotWavelength } from '../calibration';
import { parseRoi, parseRowRange, type Roi } from '../calibration/rows';
import { pairPower } from './power';
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
  /** Fit weights: noise (default) or none (unweighted, as T-Rax / PyRadiant). */
  weights?: Weights;
  /** Frames per chunk (default 1024). */
  chunkFrames?: number;
  twoColor?: boolean;
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

/** Parse `LO:HI` (nm). */
export function parseRange(text: string): [number, number] {
  const m = /^\s*([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)\s*[:,]\s*([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)\s*$/.exec(text);
  if (!m) throw new UsageError(`--range: expected LO:HI in nm (e.g. 570:830), got "${text}"`);
  const lo = Number(m[1]); const hi = Number(m[2]);
  if (!(lo > 0) || !(hi > lo)) throw new UsageError(`--range: expected 0 < LO < HI in nm, got "${text}"`);
  return [lo, hi];
}

/** The calibration and fit options shared by `analyze` and the live path (`serve`). */
export type AnalysisOptions = Omit<AnalyzeOptions, 'shots' | 'power' | 'powerExpr' | 'chunkFrames' | 'onProgress' | 'onStart'>;

/** The ROIs the options ask for: --roi NAME=A:B (several), or --rows A:B, or all rows summed. */
export function roisFromOptions(o: Pick<AnalysisOptions, 'rows' | 'roi'>, height: number): Roi[] {
  if (o.rows && o.roi && o.roi.length) throw new UsageError('give either --rows A:B or --roi NAME=A:B, not both');
  if (o.roi && o.roi.length) return o.roi.map(parseRoi);
  if (o.rows) { const [a, b] = parseRowRange(o.rows); return [{ name: 'rows', first: a, last: b }]; }
  return [{ name: 'all', first: 0, last: height - 1 }];
}

/** Checks the option combinations that do not depend on the frames (before anything starts). */
export function checkAnalysisOptions(o: AnalysisOptions): void {
  if (!o.calibration && (o.lampTemperature != null || o.lampSpectrum || o.background)) {
    throw new UsageError('--lamp-temperature, --lamp-spectrum and --background need --calibration LAMP.spe');
  }
  if (o.rows && o.roi && o.roi.length) throw new UsageError('give either --rows A:B or --roi NAME=A:B, not both');
}

/** Slope-change events of the power–temperature curve (frames with both), by src/detect's detectOffline. */
function detectEvents(frames: FrameResult[]): { events: unknown[] } {
  const points: DetectPoint[] = [];
  for (const f of frames) {
    if (f.power === null || f.temperature === null) continue;
    points.push({ index: f.index, power: f.power, temperature: f.temperature, temperatureError: f.temperatureError, flags: f.flags });
  }
  try {
    return { events: detectOffline(points).events };
  } catch (e) {
    // too few usable points is not an error of the analysis: no events
    if (e instanceof DetectInputError) return { events: [] };
    throw e;
  }
}

function isSpe(p: string): boolean { return /\.spe$/i.test(p); }

/** Runs a whole analysis. */
export async function analyzeFiles(o: AnalyzeOptions): Promise<AnalyzeOutput> {
  if (!o.shots || o.shots.length === 0) throw new UsageError('analyze: give at least one shot file');
  const warnings: string[] = [];
  const powerFn = o.powerExpr ? compilePowerExpr(o.powerExpr) : null;
  if (o.powerExpr && !o.power) throw new UsageError('--power-expr needs a --power log');
  const powerLog = o.power ? readPowerLog(o.power) : null;
  if (powerLog && powerFn) {
    for (let i = 0; i < powerLog.power.length; i++) {
      const w = powerFn(powerLog.power[i]);
      if (!Number.isFinite(w)) throw new UsageError(`--power-expr "${o.powerExpr}" gives ${w} for the logged value ${powerLog.power[i]} of ${o.power}`);
      powerLog.power[i] = w;
    }
  }
  checkAnalysisOptions(o);
  const frames: FrameResult[] = [];
  let analyzer: Analyzer | null = null;
  let engineName: 'native' | 'js' = 'js';
  const ranges: Record<string, [number, number]> = {};
  let roiNames: string[] = [];

  if (!o.calibration) {
    // plain spectra already corrected for the response: one frame per column
    for (const file of o.shots) {
      if (isSpe(file)) throw new UsageError(`${file}: raw SPE counts need --calibration LAMP.spe with --lamp-temperature or --lamp-spectrum (only text spectra already corrected for the response are fitted without one)`);
      if (o.rows || (o.roi && o.roi.length)) throw new UsageError('--rows/--roi apply to SPE frames, not to plain spectra');
      const sp = readPlainSpectra(file);
      const a = createAnalyzer({
        wavelength: sp.wavelength, width: sp.wavelength.length, height: 1, range: o.range ?? null,
        method: o.method, emissivity: o.emissivity ?? null, saturation: o.saturation ?? null,
        engine: o.engine, shotFile: file, twoColor: o.twoColor, weights: o.weights,
      });
      analyzer = a; engineName = a.engine.name;
      Object.assign(ranges, a.ranges); roiNames = a.rois.map((r) => r.name);
      const base = frames.length;
      o.onStart?.(sp.columns.length);
      const res = await a.analyzeBatch(sp.columns, sp.columns.map((_c, i) => base + i), sp.columns.map(() => null));
      if (powerLog) {
        const pw = pairPower(res.map((r) => r.index), powerLog.kind === 'frame' ? powerLog : { ...powerLog, kind: 'frame' });
        res.forEach((r, i) => { r.power = Number.isFinite(pw[i]) ? pw[i] : null; });
      }
      frames.push(...res);
    }
    const ev = powerLog ? detectEvents(frames) : { events: [] };
    return { engine: engineName, frames, events: ev.events, noise: null, ranges, rois: roiNames, warnings };
  }

  // ---- SPE shots with a lamp calibration ------------------------------------------------------------
  const files: SpeFile[] = [];
  const readers: ChunkReader[] = [];
  try {
    for (const s of o.shots) files.push(openSpe(s));
    const first = files[0];
    for (const f of files) for (const w of f.warnings ?? []) warnings.push(`${f.path}: ${w}`);
    for (const f of files.slice(1)) {
      if (f.width !== first.width || f.height !== first.height) {
        throw new InputFileError(f.path, `frames are ${f.height} × ${f.width} but ${first.path} has ${first.height} × ${first.width}`);
      }
    }
    const wl = shotWavelength(first);
    const rois = roisFromOptions(o, first.height);
    const cal = loadCalibration(first, {
      lampPath: o.calibration, lampTemperature: o.lampTemperature, lampSpectrum: o.lampSpectrum,
      tungsten: o.tungsten, darkPath: o.background,
    });
    warnings.push(...cal.warnings);
    const a = createAnalyzer({
      wavelength: wl, width: first.width, height: first.height, lamp: cal.lamp, dark: cal.dark, rois,
      range: o.range ?? null, method: o.method, emissivity: o.emissivity ?? null, gain: o.gain ?? null,
      readNoise: o.readNoise ?? null, readNoiseFromDark: cal.readNoise, saturation: o.saturation ?? null,
      dataType: first.dataType, engine: o.engine, shotFile: first.path, twoColor: o.twoColor, threads: o.threads,
      weights: o.weights,
    });
    analyzer = a; engineName = a.engine.name;
    Object.assign(ranges, a.ranges); roiNames = a.rois.map((r) => r.name);
    if (!o.background) warnings.push('no --background: the counts are taken as free of bias and dark (subtract a dark for honest temperatures)');

    const total = files.reduce((s, f) => s + f.frames, 0);
    o.onStart?.(total);
    const chunk = Math.max(1, Math.floor(o.chunkFrames ?? 1024));
    // chunks across all files, in order; frame times continue from one file to the next
    let globalIndex = 0;
    let timeOffset = 0;
    const times: (number | null)[] = [];
    const chunks: { reader: ChunkReader; from: number; to: number; base: number; timeOf: (i: number) => number | null }[] = [];
    for (const f of files) {
      const ft = f.frameTimes && f.frameTimes.length >= f.frames ? f.frameTimes : null;
      const period = f.exposureTime && f.exposureTime > 0 ? f.exposureTime : null;
      const off = timeOffset;
      const timeOf = (i: number): number | null => {
        if (ft) return ft[i] - ft[0] + off;
        if (period) return i * period + off;
        return null;
      };
      const reader = new ChunkReader(f, chunk);
      readers.push(reader);
      for (let s = 0; s < f.frames; s += chunk) chunks.push({ reader, from: s, to: Math.min(f.frames, s + chunk), base: globalIndex, timeOf });
      const lastT = f.frames > 0 ? timeOf(f.frames - 1) : null;
      // the next file starts one frame interval later (mean interval of the time stamps, else the exposure time)
      if (lastT !== null) timeOffset = lastT + (ft && f.frames > 1 ? (ft[f.frames - 1] - ft[0]) / (f.frames - 1) : (period ?? 0));
      globalIndex += f.frames;
    }
    const submit = (c: (typeof chunks)[number], fr: FrameData[]) => {
      const idx: number[] = []; const tm: (number | null)[] = [];
      for (let i = c.from; i < c.to; i++) { idx.push(c.base + i); tm.push(c.timeOf(i)); }
      for (const t of tm) times.push(t);
      // prepares this chunk now (while the previous chunk may still be fitting on the worker threads)
      const p = a.analyzeBatch(fr, idx, tm);
      p.catch(() => { /* handled where awaited */ });
      return p;
    };
    // Pipeline: block k+1 is read on a libuv thread while chunk k is prepared here and chunk k−1 is fitted by the
    // native workers.
    let reading: Promise<FrameData[]> | null = chunks.length ? chunks[0].reader.readAsync(chunks[0].from, chunks[0].to) : null;
    let pending: Promise<FrameResult[]> | null = null;
    for (let k = 0; k < chunks.length; k++) {
      const fr = await reading!;
      const c1 = chunks[k + 1];
      reading = c1 ? c1.reader.readAsync(c1.from, c1.to) : null;
      const next = submit(chunks[k], fr);
      if (pending) {
        const res = await pending;
        for (const r of res) frames.push(r);
        o.onProgress?.(frames.length, total);
      }
      pending = next;
    }
    if (pending) {
      const res = await pending;
      for (const r of res) frames.push(r);
      o.onProgress?.(frames.length, total);
    }
    if (powerLog) {
      let pw: Float64Array;
      if (powerLog.kind === 'frame') {
        pw = pairPower(frames.map((r) => r.index), powerLog);
      } else {
        if (times.some((t) => t === null)) {
          throw new UsageError(`${first.path}: has neither per-frame time stamps nor an exposure time, so the time-based power log ${o.power} cannot be paired (use a frame,power_W log)`);
        }
        pw = pairPower(times, powerLog);
      }
      frames.forEach((r, i) => { r.power = Number.isFinite(pw[i]) ? pw[i] : null; });
    }
    const ev = powerLog ? detectEvents(frames) : { events: [] };
    return { engine: engineName, frames, events: ev.events, noise: a.noise(), ranges, rois: roiNames, warnings };
  } finally {
    for (const r of readers) r.close();
    for (const f of files) { try { f.close(); } catch { /* already closed */ } }
  }
}
