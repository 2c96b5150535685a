/**
 * A simulated laser-heating shot: CCD frames (rows × width) of a greybody whose temperature follows the laser
 * power, with a matching calibration lamp, dark frames, an independently sampled power log and the ground truth.
 *
 * Model (domain.md §3, §4, §8):
 * - laser power: a ramp from powerStart to powerEnd W in steps of `framesPerStep` frames (1 = every frame its own
 *   power); power at a frame = the step's power at mid-exposure;
 * - temperature: T = T0 + a·P, except inside the plateau [start, start + width] W where the slope is a·fraction;
 * - counts(row r, pixel j) = bias + rowWeight[r] · scale · R_side(λj) · ε · L(λj, T) / L_REF, with Poisson
 *   (electrons) + read noise, rounded, clipped at full scale. `scale` is set so the hottest frame's expected peak
 *   is `peakCounts` in the brightest row of the downstream band;
 * - rows: a downstream band (and optionally an upstream band with its own response and temperature offset),
 *   Gaussian profile across the band, `strayLight` of the peak elsewhere, bias everywhere;
 * - lamp: the same rows and responses, greybody of emissivity 1 at `lamp.temperature`; dark: bias + read noise;
 * - optional cosmic spikes (in the downstream band) and one saturated frame (brightness raised until it clips).
 *
 * Every frame has its own Rng seeded from (seed, stream, index), so frame(i) is random-access and reproducible;
 * the same options give the same counts and the same file bytes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { UsageError } from '../errors';
import { Rng } from './rng';
import {
  defaultResponse,
  defaultWavelengths,
  DetectorModel,
  DEFAULT_DETECTOR,
  L_REF,
  planckRadiance,
} from './spectrum';
import { SpeStreamWriter, type SpeWriteOptions } from '../io/speWriter';
import { writeCsv } from '../io/tables';

export interface PlateauOptions {
  /** Power (W) where the plateau starts. */
  start: number;
  /** Width of the plateau in W. */
  width: number;
  /** Slope inside the plateau as a fraction of the outside slope (0 = flat). */
  slopeFraction: number;
}

export interface ShotOptions {
  frames?: number;
  seed?: number;
  /** Rows per frame (default 16). */
  rows?: number;
  /** Pixels per row (default 1340). */
  width?: number;
  /** Wavelength span (nm) of the pixel grid (default 450–950, slightly non-linear, see defaultWavelengths). */
  wavelengthStart?: number;
  wavelengthEnd?: number;
  /** Exposure of one frame in s (default 0.008). */
  exposureTime?: number;
  /** Time between frame starts in s (default 0.01). */
  frameInterval?: number;
  powerStart?: number;
  powerEnd?: number;
  /** Frames per power step (default 1: every frame its own power). */
  framesPerStep?: number;
  /** T = t0 + slope·P (defaults 1100 K, 50 K/W). */
  t0?: number;
  slope?: number;
  /** The plateau (default start 25 W, width 6 W, slope fraction 0.1); null for a straight line. */
  plateau?: PlateauOptions | null;
  /** Sample emissivity at 700 nm (default 0.5). */
  emissivity?: number;
  /** Emissivity slope per nm: ε(λ) = emissivity · (1 + emissivitySlope · (λ − 700)) (default 0, a greybody). */
  emissivitySlope?: number;
  /** Expected peak counts above bias, brightest row, hottest frame (default 40000). */
  peakCounts?: number;
  /** Downstream band rows [a, b], inclusive, 0-based (default around rows/4). */
  downstreamRows?: [number, number];
  /** Add an upstream band (default false). */
  upstream?: boolean;
  /** Upstream band rows [a, b] (default around 3·rows/4). */
  upstreamRows?: [number, number];
  /** Upstream temperature − downstream temperature in K (default −60). */
  upstreamOffset?: number;
  /** Relative brightness of the upstream band (default 0.8). */
  upstreamBrightness?: number;
  /** Stray light outside the bands, fraction of the band peak (default 0.003). */
  strayLight?: number;
  /** Fraction of frames with a cosmic-ray spike (default 0). */
  cosmicRate?: number;
  /** Index of a frame made bright enough to clip at full scale, or null (default). */
  saturateFrame?: number | null;
  detector?: DetectorModel;
  lamp?: { temperature?: number; frames?: number; exposureTime?: number; peakCounts?: number };
  dark?: { frames?: number };
  /** Power log sampling rate (Hz, default 50) and noise (W rms, default 0.05). */
  powerLogRate?: number;
  powerLogNoise?: number;
  /**
   * 'fast' (default): Poisson(λ) + read noise drawn as one Gaussian of the same mean and variance wherever the
   * skewness of that sum, λ/(λ+σ²)^1.5 (σ = read noise in electrons), is ≤ 0.05 (every pixel at the default
   * detector), exact Poisson elsewhere; 'exact': Poisson + Gaussian read noise everywhere (about 2× slower).
   */
  noise?: 'fast' | 'exact';
}

export interface ResolvedShotOptions {
  frames: number;
  seed: number;
  rows: number;
  width: number;
  wavelengthStart: number;
  wavelengthEnd: number;
  exposureTime: number;
  frameInterval: number;
  powerStart: number;
  powerEnd: number;
  framesPerStep: number;
  t0: number;
  slope: number;
  plateau: PlateauOptions | null;
  emissivity: number;
  emissivitySlope: number;
  peakCounts: number;
  downstreamRows: [number, number];
  upstream: boolean;
  upstreamRows: [number, number] | null;
  upstreamOffset: number;
  upstreamBrightness: number;
  strayLight: number;
  cosmicRate: number;
  saturateFrame: number | null;
  detector: Required<DetectorModel>;
  lamp: { temperature: number; frames: number; exposureTime: number; peakCounts: number };
  dark: { frames: number };
  powerLogRate: number;
  powerLogNoise: number;
  noise: 'fast' | 'exact';
}

export interface ShotTruth {
  /** Exposure start of each frame, s. */
  time: Float64Array;
  power: Float64Array;
  /** Downstream temperature, K. */
  temperature: Float64Array;
  /** Upstream temperature, K (null without an upstream band). */
  temperatureUpstream: Float64Array | null;
  /** 1 where the frame carries a cosmic spike. */
  cosmic: Uint8Array;
  /** 1 for the frame made to clip. */
  saturated: Uint8Array;
}

export interface SimulatedShot {
  options: ResolvedShotOptions;
  wavelength: Float64Array;
  /** System response of the downstream and upstream paths (peak 1). */
  response: { downstream: Float64Array; upstream: Float64Array | null };
  /** Relative illumination of each row (the band profile). */
  rowWeight: Float64Array;
  truth: ShotTruth;
  /** Power log as recorded by the laser controller, sampled independently of the frames. */
  powerLog: { time: Float64Array; power: Float64Array };
  /** Counts of frame i (rows × width, row-major). */
  frame(i: number): Float64Array;
  frames(): Generator<Float64Array>;
  lampFrame(i: number): Float64Array;
  darkFrame(i: number): Float64Array;
  /** Expected counts above bias of frame i without noise (rows × width). */
  expectedFrame(i: number): Float64Array;
}

/** T(P) with the plateau. */
export function temperatureOfPower(p: number, t0: number, slope: number, plateau: PlateauOptions | null): number {
  if (!plateau || p <= plateau.start) {
    return t0 + slope * p;
  }
  const inside = Math.min(p, plateau.start + plateau.width) - plateau.start;
  const after = Math.max(0, p - plateau.start - plateau.width);
  return t0 + slope * plateau.start + slope * plateau.slopeFraction * inside + slope * after;
}

/** A 32-bit seed for (seed, stream, index). */
function subSeed(seed: number, stream: number, index: number): number {
  let h = (seed >>> 0) ^ Math.imul(stream + 1, 0x9e3779b1);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h ^= Math.imul(index + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 13), 0x27d4eb2f);
  return (h ^ (h >>> 16)) >>> 0;
}
const STREAM = { shot: 1, lamp: 2, dark: 3, power: 4, cosmic: 5 } as const;

function need(cond: boolean, msg: string): void {
  if (!cond) {
    throw new UsageError(`simulate: ${msg}`);
  }
}

export function resolveShotOptions(o: ShotOptions = {}): ResolvedShotOptions {
  const rows = o.rows ?? 16;
  need(Number.isInteger(rows) && rows >= 1 && rows <= 4096, `rows must be an integer 1..4096, got ${o.rows}`);
  const bandOf = (centre: number): [number, number] => {
    const half = Math.max(0, Math.min(2, Math.floor(rows / 8)));
    const c = Math.min(rows - 1, Math.max(0, Math.round(centre)));
    return [Math.max(0, c - half), Math.min(rows - 1, c + half)];
  };
  const upstream = o.upstream ?? o.upstreamRows !== undefined;
  const ds = o.downstreamRows ?? (upstream ? bandOf((rows - 1) / 4) : bandOf((rows - 1) / 2));
  const us = upstream ? (o.upstreamRows ?? bandOf((3 * (rows - 1)) / 4)) : null;
  const r: ResolvedShotOptions = {
    frames: o.frames ?? 400,
    seed: o.seed ?? 1,
    rows,
    width: o.width ?? 1340,
    wavelengthStart: o.wavelengthStart ?? 450,
    wavelengthEnd: o.wavelengthEnd ?? 950,
    exposureTime: o.exposureTime ?? 0.008,
    frameInterval: o.frameInterval ?? 0.01,
    powerStart: o.powerStart ?? 5,
    powerEnd: o.powerEnd ?? 45,
    framesPerStep: o.framesPerStep ?? 1,
    t0: o.t0 ?? 1100,
    slope: o.slope ?? 50,
    plateau: o.plateau === undefined ? { start: 25, width: 6, slopeFraction: 0.1 } : o.plateau,
    emissivity: o.emissivity ?? 0.5,
    emissivitySlope: o.emissivitySlope ?? 0,
    peakCounts: o.peakCounts ?? 40000,
    downstreamRows: ds,
    upstream,
    upstreamRows: us,
    upstreamOffset: o.upstreamOffset ?? -60,
    upstreamBrightness: o.upstreamBrightness ?? 0.8,
    strayLight: o.strayLight ?? 0.003,
    cosmicRate: o.cosmicRate ?? 0,
    saturateFrame: o.saturateFrame ?? null,
    detector: { ...DEFAULT_DETECTOR, ...(o.detector ?? {}) },
    lamp: {
      temperature: o.lamp?.temperature ?? 2800,
      frames: o.lamp?.frames ?? 5,
      exposureTime: o.lamp?.exposureTime ?? 0.1,
      peakCounts: o.lamp?.peakCounts ?? 30000,
    },
    dark: { frames: o.dark?.frames ?? 5 },
    powerLogRate: o.powerLogRate ?? 50,
    powerLogNoise: o.powerLogNoise ?? 0.05,
    noise: o.noise ?? 'fast',
  };
  need(Number.isInteger(r.frames) && r.frames >= 1, `frames must be a positive integer, got ${o.frames}`);
  need(Number.isInteger(r.seed), `seed must be an integer, got ${o.seed}`);
  need(
    Number.isInteger(r.width) && r.width >= 8 && r.width <= 65535,
    `width must be an integer 8..65535, got ${o.width}`,
  );
  need(
    r.wavelengthStart > 0 && r.wavelengthEnd > r.wavelengthStart,
    'wavelength range must be positive and increasing',
  );
  need(r.exposureTime > 0 && r.frameInterval >= r.exposureTime, 'need 0 < exposure time ≤ frame interval');
  need(
    r.powerStart >= 0 && r.powerEnd >= 0 && Number.isFinite(r.powerStart) && Number.isFinite(r.powerEnd),
    'powers must be ≥ 0',
  );
  need(
    Number.isInteger(r.framesPerStep) && r.framesPerStep >= 1,
    `frames per step must be a positive integer, got ${o.framesPerStep}`,
  );
  need(r.slope > 0 && r.t0 > 0, 't0 and slope must be positive');
  if (r.plateau) {
    need(
      r.plateau.width > 0 &&
        r.plateau.slopeFraction >= 0 &&
        r.plateau.slopeFraction <= 1 &&
        Number.isFinite(r.plateau.start),
      'plateau needs width > 0 and a slope fraction in [0, 1]',
    );
  }
  need(r.emissivity > 0 && r.peakCounts > 0 && r.lamp.peakCounts > 0, 'emissivity and peak counts must be positive');
  const checkBand = (b: [number, number], name: string) =>
    need(
      Number.isInteger(b[0]) && Number.isInteger(b[1]) && b[0] >= 0 && b[1] >= b[0] && b[1] < rows,
      `${name} rows ${b[0]}:${b[1]} must lie within 0:${rows - 1}`,
    );
  checkBand(r.downstreamRows, 'downstream');
  if (r.upstreamRows) {
    checkBand(r.upstreamRows, 'upstream');
    need(
      r.upstreamRows[0] > r.downstreamRows[1] || r.upstreamRows[1] < r.downstreamRows[0],
      'upstream and downstream rows overlap',
    );
  }
  need(r.cosmicRate >= 0 && r.cosmicRate <= 1, `cosmic rate must be in [0, 1], got ${r.cosmicRate}`);
  if (r.saturateFrame !== null) {
    need(
      Number.isInteger(r.saturateFrame) && r.saturateFrame >= 0 && r.saturateFrame < r.frames,
      `saturate frame ${r.saturateFrame} is not one of the ${r.frames} frames`,
    );
  }
  need(
    r.lamp.temperature > 0 && Number.isInteger(r.lamp.frames) && r.lamp.frames >= 1 && r.lamp.exposureTime > 0,
    'bad lamp settings',
  );
  need(Number.isInteger(r.dark.frames) && r.dark.frames >= 1, 'dark frames must be ≥ 1');
  need(r.powerLogRate > 0 && r.powerLogNoise >= 0, 'power log rate must be > 0 and noise ≥ 0');
  const d = r.detector;
  need(d.gain > 0 && d.readNoise >= 0 && d.bias >= 0 && d.fullScale > d.bias, 'bad detector model');
  return r;
}

/** Build a simulated shot (frames are generated on demand). */
export function simulateShot(options: ShotOptions = {}): SimulatedShot {
  const o = resolveShotOptions(options);
  const { rows, width, frames } = o;
  const wavelength = defaultWavelengths(width, o.wavelengthStart, o.wavelengthEnd);
  const respDs = defaultResponse(wavelength);
  let respUs: Float64Array | null = null;
  if (o.upstream) {
    // the upstream path: other optics, a tilted response
    respUs = new Float64Array(width);
    let max = 0;
    for (let j = 0; j < width; j++) {
      respUs[j] = respDs[j] * (1 + (0.25 * (wavelength[j] - 700)) / 250) * (1 + 0.05 * Math.cos(wavelength[j] / 23));
      if (respUs[j] < 0) {
        respUs[j] = 0;
      }
      max = Math.max(max, respUs[j]);
    }
    for (let j = 0; j < width; j++) {
      respUs[j] /= max;
    }
  }

  // row profile: Gaussian across each band, stray light elsewhere
  const rowWeight = new Float64Array(rows);
  const rowSide = new Uint8Array(rows); // 0 downstream response, 1 upstream
  const bands: { b: [number, number]; w: number; side: number }[] = [{ b: o.downstreamRows, w: 1, side: 0 }];
  if (o.upstreamRows) {
    bands.push({ b: o.upstreamRows, w: o.upstreamBrightness, side: 1 });
  }
  for (let r = 0; r < rows; r++) {
    let best = o.strayLight;
    let side = 0;
    for (const { b, w, side: s } of bands) {
      const c = (b[0] + b[1]) / 2;
      const sigma = Math.max(0.5, (b[1] - b[0] + 1) / 3);
      const v = w * Math.exp(-0.5 * ((r - c) / sigma) ** 2);
      if (v > best) {
        best = v;
        side = s;
      }
    }
    rowWeight[r] = best;
    rowSide[r] = side;
  }
  const peakDsRow = rowWeight.reduce((a, b) => Math.max(a, b), 0);

  // ground truth
  const nSteps = Math.ceil(frames / o.framesPerStep);
  const stepDuration = o.framesPerStep * o.frameInterval;
  const powerAt = (t: number): number => {
    const k = Math.min(nSteps - 1, Math.max(0, Math.floor(t / stepDuration)));
    return nSteps === 1 ? o.powerStart : o.powerStart + ((o.powerEnd - o.powerStart) * k) / (nSteps - 1);
  };
  const truth: ShotTruth = {
    time: new Float64Array(frames),
    power: new Float64Array(frames),
    temperature: new Float64Array(frames),
    temperatureUpstream: o.upstream ? new Float64Array(frames) : null,
    cosmic: new Uint8Array(frames),
    saturated: new Uint8Array(frames),
  };
  let tMax = 0;
  for (let i = 0; i < frames; i++) {
    const t = i * o.frameInterval;
    truth.time[i] = t;
    truth.power[i] = powerAt(t + o.exposureTime / 2);
    truth.temperature[i] = temperatureOfPower(truth.power[i], o.t0, o.slope, o.plateau);
    if (truth.temperatureUpstream) {
      truth.temperatureUpstream[i] = Math.max(300, truth.temperature[i] + o.upstreamOffset);
    }
    tMax = Math.max(tMax, truth.temperature[i], truth.temperatureUpstream?.[i] ?? 0);
    const cr = new Rng(subSeed(o.seed, STREAM.cosmic, i));
    if (o.cosmicRate > 0 && cr.uniform() < o.cosmicRate) {
      truth.cosmic[i] = 1;
    }
  }
  if (o.saturateFrame !== null) {
    truth.saturated[o.saturateFrame] = 1;
  }

  // brightness scale: the hottest frame peaks at peakCounts in the brightest row
  const epsSample = Float64Array.from(wavelength, (l) => o.emissivity * (1 + o.emissivitySlope * (l - 700)));
  need(
    epsSample.every((e) => e > 0),
    'emissivity must stay positive over the wavelength range (check the slope)',
  );
  const shape = (T: number, resp: Float64Array, eps: number | Float64Array, out: Float64Array): Float64Array => {
    for (let j = 0; j < width; j++) {
      out[j] = (resp[j] * (typeof eps === 'number' ? eps : eps[j]) * planckRadiance(wavelength[j], T)) / L_REF;
    }
    return out;
  };
  const tmp = new Float64Array(width);
  const maxOf = (a: Float64Array) => {
    let m = 0;
    for (const v of a) {
      if (v > m) {
        m = v;
      }
    }
    return m;
  };
  const scale = o.peakCounts / (peakDsRow * maxOf(shape(tMax, respDs, epsSample, tmp)));
  const lampScale =
    o.lamp.peakCounts /
    (peakDsRow *
      Math.max(
        maxOf(shape(o.lamp.temperature, respDs, 1, tmp)),
        respUs ? maxOf(shape(o.lamp.temperature, respUs, 1, new Float64Array(width))) : 0,
      ));
  const lampShape = {
    ds: shape(o.lamp.temperature, respDs, 1, new Float64Array(width)),
    us: respUs ? shape(o.lamp.temperature, respUs, 1, new Float64Array(width)) : null,
  };

  const det = o.detector;
  // 'fast': a Gaussian of the same mean and variance as Poisson(λ) + read noise wherever the skewness of that sum,
  // λ/(λ+σ²)^1.5 (σ = read noise in electrons), is ≤ 0.05, exact Poisson elsewhere. At the default detector
  // (σ = 8 e⁻) the skewness never exceeds 0.048, so every pixel takes the Gaussian path.
  const exact = o.noise === 'exact';
  const readE2 = (det.readNoise * det.gain) ** 2;

  /** Fill counts (rows × width) from per-side spectra (expected counts at row weight 1), with noise. */
  const normals = new Float64Array(rows * width);
  const render = (ds: Float64Array, us: Float64Array | null, rng: Rng, noise: boolean): Float64Array => {
    const out = new Float64Array(rows * width);
    const { gain, readNoise, bias, fullScale } = det;
    if (noise) {
      rng.fillNormalFast(normals);
    }
    for (let r = 0; r < rows; r++) {
      const w = rowWeight[r];
      const spec = rowSide[r] === 1 && us ? us : ds;
      const base = r * width;
      if (!noise) {
        for (let j = 0; j < width; j++) {
          out[base + j] = w * spec[j];
        }
        continue;
      }
      for (let j = 0; j < width; j++) {
        const electrons = w * spec[j] * gain;
        const v = electrons + readE2;
        const sd = Math.sqrt(v);
        let c: number;
        if (exact || electrons > 0.05 * v * sd) {
          c = bias + rng.poisson(electrons) / gain + readNoise * normals[base + j];
        } else {
          c = bias + (electrons + sd * normals[base + j]) / gain;
        }
        c = Math.floor(c + 0.5);
        out[base + j] = c < 0 ? 0 : c > fullScale ? fullScale : c;
      }
    }
    return out;
  };

  const sideSpectra = (i: number) => {
    const ds = shape(truth.temperature[i], respDs, epsSample, new Float64Array(width));
    // the saturated frame: brightness raised until its peak is 2.5 × full scale (T unchanged)
    const f = truth.saturated[i] ? Math.max(1, (2.5 * det.fullScale) / (scale * peakDsRow * maxOf(ds))) : 1;
    for (let j = 0; j < width; j++) {
      ds[j] *= scale * f;
    }
    let us: Float64Array | null = null;
    if (respUs && truth.temperatureUpstream) {
      us = shape(truth.temperatureUpstream[i], respUs, epsSample, new Float64Array(width));
      for (let j = 0; j < width; j++) {
        us[j] *= scale * f;
      }
    }
    return { ds, us };
  };

  const checkIndex = (i: number, n: number, what: string) => {
    if (!Number.isInteger(i) || i < 0 || i >= n) {
      throw new RangeError(`${what} ${i} outside 0..${n - 1}`);
    }
  };

  const frame = (i: number): Float64Array => {
    checkIndex(i, frames, 'frame');
    const rng = new Rng(subSeed(o.seed, STREAM.shot, i));
    const { ds, us } = sideSpectra(i);
    const out = render(ds, us, rng, true);
    if (truth.cosmic[i]) {
      const cr = new Rng(subSeed(o.seed, STREAM.cosmic, i));
      cr.uniform(); // the draw that decided the cosmic
      const [a, b] = o.downstreamRows;
      const row = cr.int(a, b);
      const at = cr.int(Math.floor(width * 0.15), Math.floor(width * 0.85));
      const span = cr.int(1, 3);
      const height = 3000 + 20000 * cr.uniform();
      for (let k = 0; k < span && at + k < width; k++) {
        const idx = row * width + at + k;
        out[idx] = Math.min(det.fullScale, out[idx] + Math.round(height * (k === 0 ? 1 : 0.4)));
      }
    }
    return out;
  };

  const expectedFrame = (i: number): Float64Array => {
    checkIndex(i, frames, 'frame');
    const { ds, us } = sideSpectra(i);
    return render(ds, us, new Rng(0), false);
  };

  const lampFrame = (i: number): Float64Array => {
    checkIndex(i, o.lamp.frames, 'lamp frame');
    const ds = Float64Array.from(lampShape.ds, (v) => v * lampScale);
    const us = lampShape.us ? Float64Array.from(lampShape.us, (v) => v * lampScale) : null;
    return render(ds, us, new Rng(subSeed(o.seed, STREAM.lamp, i)), true);
  };

  const zeros = new Float64Array(width);
  const darkFrame = (i: number): Float64Array => {
    checkIndex(i, o.dark.frames, 'dark frame');
    return render(zeros, null, new Rng(subSeed(o.seed, STREAM.dark, i)), true);
  };

  // power log: sampled at powerLogRate over the whole shot, independent of the frames
  const duration = (frames - 1) * o.frameInterval + o.exposureTime;
  const nLog = Math.max(2, Math.floor(duration * o.powerLogRate) + 1);
  const logRng = new Rng(subSeed(o.seed, STREAM.power, 0));
  const logTime = new Float64Array(nLog);
  const logPower = new Float64Array(nLog);
  for (let k = 0; k < nLog; k++) {
    const t = k / o.powerLogRate;
    logTime[k] = Math.round(t * 1e6) / 1e6;
    logPower[k] = Math.max(0, powerAt(t) + o.powerLogNoise * logRng.normalFast());
  }

  return {
    options: o,
    wavelength,
    response: { downstream: respDs, upstream: respUs },
    rowWeight,
    truth,
    powerLog: { time: logTime, power: logPower },
    frame,
    *frames() {
      for (let i = 0; i < frames; i++) {
        yield frame(i);
      }
    },
    lampFrame,
    darkFrame,
    expectedFrame,
  };
}

export interface WrittenShot {
  dir: string;
  files: { shot: string; lamp: string; dark: string; power: string; truth: string; json: string };
  bytes: number;
  frames: number;
}

/** The files writeShot writes, by role. */
type ShotFiles = WrittenShot['files'];

/** Calls onProgress(done, total) every 200 frames and after the last frame. */
type ShotProgress = (done: number, total: number) => void;

/** Creates the output folder (and its parents); a failure is a one-line UsageError naming the folder. */
function createShotDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new UsageError(`simulate: cannot create ${dir}: ${(e as Error).message}`);
  }
}

/** The paths of the six files inside dir. */
function shotFilePaths(dir: string): ShotFiles {
  return {
    shot: path.join(dir, 'shot.spe'),
    lamp: path.join(dir, 'lamp.spe'),
    dark: path.join(dir, 'dark.spe'),
    power: path.join(dir, 'power.csv'),
    truth: path.join(dir, 'truth.csv'),
    json: path.join(dir, 'shot.json'),
  };
}

/** What shot.spe, lamp.spe and dark.spe share: frame size, pixel type and wavelength list. */
function speGeometry(shot: SimulatedShot): SpeWriteOptions {
  const options = shot.options;
  return { width: options.width, height: options.rows, dataType: 'uint16', wavelength: shot.wavelength };
}

/** shot.spe: every frame with its time stamp; a failure part-way removes the partial file (abort). */
function writeShotSpe(shot: SimulatedShot, file: string, onProgress?: ShotProgress): void {
  const options = shot.options;
  const writer = new SpeStreamWriter(file, {
    ...speGeometry(shot),
    exposureTime: options.exposureTime,
    withFrameTimes: true,
    comment: `pyrolive simulated heating shot, seed ${options.seed}`,
  });
  try {
    for (let i = 0; i < options.frames; i++) {
      writer.append(shot.frame(i), shot.truth.time[i]);
      if (onProgress && (i % 200 === 0 || i === options.frames - 1)) {
        onProgress(i + 1, options.frames);
      }
    }
    writer.finish();
  } catch (e) {
    writer.abort();
    throw e;
  }
}

/** lamp.spe: the calibration lamp's frames (greybody of emissivity 1), with the lamp's exposure time. */
function writeLampSpe(shot: SimulatedShot, file: string): void {
  const options = shot.options;
  const writer = new SpeStreamWriter(file, {
    ...speGeometry(shot),
    exposureTime: options.lamp.exposureTime,
    comment: `pyrolive simulated calibration lamp, greybody ${options.lamp.temperature} K, emissivity 1`,
  });
  for (let i = 0; i < options.lamp.frames; i++) {
    writer.append(shot.lampFrame(i));
  }
  writer.finish();
}

/** dark.spe: bias + read-noise frames with the shot's exposure time. */
function writeDarkSpe(shot: SimulatedShot, file: string): void {
  const options = shot.options;
  const writer = new SpeStreamWriter(file, {
    ...speGeometry(shot),
    exposureTime: options.exposureTime,
    comment: 'pyrolive simulated dark frames',
  });
  for (let i = 0; i < options.dark.frames; i++) {
    writer.append(shot.darkFrame(i));
  }
  writer.finish();
}

/** power.csv: the laser controller's log, time_s,power_W (power rounded to 0.1 mW). */
function writePowerCsv(shot: SimulatedShot, file: string): void {
  const roundedPower = shot.powerLog.power.map((power) => Math.round(power * 1e4) / 1e4);
  writeCsv(file, ['time_s', 'power_W'], [shot.powerLog.time, roundedPower]);
}

/** truth.csv: per frame its index, time (to 1 µs), power, temperature (and upstream's), cosmic and saturated. */
function writeTruthCsv(shot: SimulatedShot, file: string): void {
  const truth = shot.truth;
  const header = ['frame', 'time_s', 'power_W', 'temperature_K'];
  const columns: ArrayLike<number>[] = [
    Float64Array.from(truth.time, (_v, i) => i),
    truth.time.map((v) => Math.round(v * 1e6) / 1e6),
    truth.power,
    truth.temperature,
  ];
  if (truth.temperatureUpstream) {
    header.push('temperature_upstream_K');
    columns.push(truth.temperatureUpstream);
  }
  header.push('cosmic', 'saturated');
  columns.push(Float64Array.from(truth.cosmic), Float64Array.from(truth.saturated));
  writeCsv(file, header, columns);
}

/** The indices of the frames whose mark is set. */
function markedFrames(marks: Uint8Array): number[] {
  return Array.from(marks.entries())
    .filter(([, v]) => v)
    .map(([i]) => i);
}

/** The content of shot.json: every parameter of the shot (ROI rows, lamp, detector model …) and its T range. */
function shotDescription(shot: SimulatedShot): object {
  const options = shot.options;
  const truth = shot.truth;
  return {
    generator: 'pyrolive simulate',
    seed: options.seed,
    frames: options.frames,
    width: options.width,
    rows: options.rows,
    rois: { downstream: options.downstreamRows, ...(options.upstreamRows ? { upstream: options.upstreamRows } : {}) },
    wavelength: { first: shot.wavelength[0], last: shot.wavelength[options.width - 1], count: options.width },
    suggestedFitRange: [570, 830],
    exposureTime: options.exposureTime,
    frameInterval: options.frameInterval,
    power: {
      start: options.powerStart,
      end: options.powerEnd,
      framesPerStep: options.framesPerStep,
      logRate: options.powerLogRate,
      logNoise: options.powerLogNoise,
    },
    temperature: {
      t0: options.t0,
      slope: options.slope,
      plateau: options.plateau,
      upstreamOffset: options.upstream ? options.upstreamOffset : null,
      min: truth.temperature.reduce((a, b) => Math.min(a, b), Infinity),
      max: truth.temperature.reduce((a, b) => Math.max(a, b), -Infinity),
    },
    emissivity: options.emissivity,
    emissivitySlope: options.emissivitySlope,
    peakCounts: options.peakCounts,
    lamp: {
      temperature: options.lamp.temperature,
      emissivity: 1,
      frames: options.lamp.frames,
      exposureTime: options.lamp.exposureTime,
      peakCounts: options.lamp.peakCounts,
    },
    dark: { frames: options.dark.frames, exposureTime: options.exposureTime },
    detector: options.detector,
    noise: options.noise,
    cosmicFrames: markedFrames(truth.cosmic),
    saturatedFrames: markedFrames(truth.saturated),
    files: { shot: 'shot.spe', lamp: 'lamp.spe', dark: 'dark.spe', power: 'power.csv', truth: 'truth.csv' },
    note: 'Lamp and shot share the same rows and system response, so calibration with the lamp recovers the truth.',
  };
}

/** shot.json: shotDescription as indented JSON. */
function writeShotJson(shot: SimulatedShot, file: string): void {
  fs.writeFileSync(file, JSON.stringify(shotDescription(shot), null, 2) + '\n');
}

/** The summed size of the written files, in bytes. */
function totalBytes(files: ShotFiles): number {
  let bytes = 0;
  for (const file of Object.values(files)) {
    bytes += fs.statSync(file).size;
  }
  return bytes;
}

/** Write shot.spe, lamp.spe, dark.spe, power.csv, truth.csv and shot.json into dir (created if needed). */
export function writeShot(shot: SimulatedShot, dir: string, onProgress?: ShotProgress): WrittenShot {
  createShotDir(dir);
  const files = shotFilePaths(dir);
  writeShotSpe(shot, files.shot, onProgress);
  writeLampSpe(shot, files.lamp);
  writeDarkSpe(shot, files.dark);
  writePowerCsv(shot, files.power);
  writeTruthCsv(shot, files.truth);
  writeShotJson(shot, files.json);
  return { dir, files, bytes: totalBytes(files), frames: shot.options.frames };
}
