/**
 * Test shots from the seeded simulator core (src/sim/spectrum.ts): frames of `height` rows with known
 * temperatures, a lamp at a known temperature and dark frames, as raw counts (height × width, row-major).
 */
import { Rng } from '../../src/sim/rng';
import { defaultResponse, defaultWavelengths, planckRadiance, simulateSpectrum } from '../../src/sim/spectrum';
import type { AnalyzerConfig } from '../../src/analysis/analyzer';
import type { CountsPlan, PhysicsEngine } from '../../src/physics/types';
import { greybodyLampRadiance } from '../../src/calibration/lamp';
import { estimateReadNoise } from '../../src/quality/noise';

export interface TestShot {
  wavelength: Float64Array;
  width: number;
  height: number;
  frames: Float64Array[];
  truth: Float64Array;
  lamp: Float64Array[];
  dark: Float64Array[];
  lampTemperature: number;
  gain: number;
  readNoise: number;
}

export interface ShotSpec {
  seed?: number;
  frames?: number;
  width?: number;
  height?: number;
  tMin?: number;
  tMax?: number;
  lampFrames?: number;
  darkFrames?: number;
  gain?: number;
  readNoise?: number;
  /** peak counts per row of the brightest frames (roughly) */
  level?: number;
  emissivity?: number | Float64Array;
  /** frame → number of cosmics */
  cosmics?: (f: number) => number;
}

export function makeShot(spec: ShotSpec = {}): TestShot {
  const rng = new Rng(spec.seed ?? 1);
  const width = spec.width ?? 670;
  const height = spec.height ?? 2;
  const wl = defaultWavelengths(width, 450, 950);
  const response = defaultResponse(wl);
  const gain = spec.gain ?? 2;
  const readNoise = spec.readNoise ?? 4;
  const nF = spec.frames ?? 100;
  const tMin = spec.tMin ?? 1600;
  const tMax = spec.tMax ?? 3200;
  const level = spec.level ?? 8000;
  const det = { gain, readNoise, bias: 600, fullScale: 65535 };
  const row = (T: number, brightness: number, cosmics = 0, emissivity: number | Float64Array = 0.5) =>
    simulateSpectrum(
      {
        wavelength: wl,
        temperature: T,
        response,
        brightness,
        exposure: 0.01,
        emissivity,
        cosmics,
        ...det,
      },
      rng,
    );
  // brightness giving ~`lvl` counts at 700 nm for temperature T with emissivity `eps` (exposure 0.01 s)
  const bright = (T: number, lvl: number, eps = 0.5) =>
    (((lvl * gain) / (0.01 * eps)) * planckRadiance(700, 3000)) / planckRadiance(700, T);
  const frames: Float64Array[] = [];
  const truth = new Float64Array(nF);
  for (let f = 0; f < nF; f++) {
    const T = tMin + (tMax - tMin) * rng.uniform();
    truth[f] = T;
    const lvl = level * (0.3 + 0.7 * rng.uniform());
    const fr = new Float64Array(width * height);
    const nc = spec.cosmics ? spec.cosmics(f) : 0;
    for (let r = 0; r < height; r++) {
      fr.set(row(T, bright(T, lvl), r === 0 ? nc : 0, spec.emissivity ?? 0.5).counts, r * width);
    }
    frames.push(fr);
  }
  const lampT = 2800;
  const lamp: Float64Array[] = [];
  for (let f = 0; f < (spec.lampFrames ?? 10); f++) {
    const fr = new Float64Array(width * height);
    for (let r = 0; r < height; r++) {
      fr.set(row(lampT, bright(lampT, 30000, 1), 0, 1).counts, r * width);
    }
    lamp.push(fr);
  }
  const dark: Float64Array[] = [];
  for (let f = 0; f < (spec.darkFrames ?? 10); f++) {
    const fr = new Float64Array(width * height);
    for (let r = 0; r < height; r++) {
      fr.set(row(2000, 0).counts, r * width);
    }
    dark.push(fr);
  }
  return { wavelength: wl, width, height, frames, truth, lamp, dark, lampTemperature: lampT, gain, readNoise };
}

export function meanOf(frames: Float64Array[]): Float64Array {
  const m = new Float64Array(frames[0].length);
  for (const f of frames) {
    for (let i = 0; i < m.length; i++) {
      m[i] += f[i];
    }
  }
  for (let i = 0; i < m.length; i++) {
    m[i] /= frames.length;
  }
  return m;
}

export function stats(a: number[]): { mean: number; std: number; median: number } {
  const mean = a.reduce((s, x) => s + x, 0) / a.length;
  const std = Math.sqrt(a.reduce((s, x) => s + (x - mean) ** 2, 0) / (a.length - 1));
  const b = [...a].sort((x, y) => x - y);
  const median = b.length % 2 ? b[b.length >> 1] : 0.5 * (b[b.length / 2 - 1] + b[b.length / 2]);
  return { mean, std, median };
}

/**
 * The analyzer config of a test shot's raw counts (uint16): its lamp (a greybody at the shot's lamp temperature)
 * and its dark, with the read noise from the dark frames; `extra` sets or overrides the rest (gain, range, ROIs …).
 */
export function countsConfig(s: TestShot, engine: PhysicsEngine, extra: Partial<AnalyzerConfig> = {}): AnalyzerConfig {
  return {
    wavelength: s.wavelength,
    width: s.width,
    height: s.height,
    engine,
    dataType: 'uint16',
    lamp: {
      counts: meanOf(s.lamp),
      frames: s.lamp.length,
      radiance: greybodyLampRadiance(s.wavelength, s.lampTemperature),
    },
    dark: { counts: meanOf(s.dark), frames: s.dark.length },
    readNoiseFromDark: estimateReadNoise(s.dark, s.width, s.height),
    ...extra,
  };
}

/**
 * The counts plan (src/quality/prepare.ts) of a test shot's pixels in 570–830 nm, over all its rows: its mean dark
 * minus `darkBias` counts (a dark too low leaves a bias in the counts), its mean lamp at the shot's lamp temperature,
 * gain and read noise (the read variance times `readVarFactor`); with the wavelengths of those pixels.
 */
export function countsPlanOf(
  shot: TestShot,
  { darkBias = 0, readVarFactor = 1 }: { darkBias?: number; readVarFactor?: number } = {},
): { wl: Float64Array; p: CountsPlan } {
  const { width, height, wavelength } = shot;
  const dark = meanOf(shot.dark).map((d) => d - darkBias);
  const lamp = meanOf(shot.lamp);
  const idx: number[] = [];
  for (let i = 0; i < width; i++) {
    if (wavelength[i] >= 570 && wavelength[i] <= 830) {
      idx.push(i);
    }
  }
  const nU = idx.length;
  const darkSum = new Float64Array(nU);
  const invDen = new Float64Array(nU);
  const relVarDen = new Float64Array(nU);
  idx.forEach((px, k) => {
    let lampSum = 0;
    for (let r = 0; r < height; r++) {
      darkSum[k] += dark[r * width + px];
      lampSum += lamp[r * width + px];
    }
    const signal = lampSum - darkSum[k];
    invDen[k] = planckRadiance(wavelength[px], shot.lampTemperature) / signal;
    relVarDen[k] = signal / shot.gain / shot.lamp.length / (signal * signal);
  });
  return {
    wl: Float64Array.from(idx, (i) => wavelength[i]),
    p: {
      width,
      height,
      first: 0,
      last: height - 1,
      used: Int32Array.from(idx),
      darkSum,
      invDen,
      invDen2: invDen.map((x) => x * x),
      relVarDen,
      saturation: 65535,
      invGain: 1 / shot.gain,
      readVar: height * shot.readNoise ** 2 * readVarFactor,
    },
  };
}
