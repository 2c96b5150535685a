/**
 * The analyzer's configuration checked once, with every default filled in (createAnalyzer's first step).
 * Messages name the config field (ConfigError), never a command-line flag: the CLI maps fields to its flags.
 */
import type { AnalyzerConfig, DarkInput, LampInput, Method, Weights } from './types';
import type { PhysicsEngine } from '../physics/types';
import type { NoiseModel } from '../quality/noise';
import { ConfigError, UsageError } from '../errors';
import type { Roi } from '../calibration/rows';
import { validateRois } from '../calibration/rows';
import { fullScaleOf } from '../quality/flags';
import { getEngine } from '../physics/engine';

const METHODS: readonly Method[] = ['planck', 'wien', 'two-color'];
const WEIGHTS: readonly Weights[] = ['noise', 'none'];
/** Default separation in pixels of the sliding two-colour pairs. */
const DEFAULT_TWO_COLOR_SEPARATION = 120;

export interface ResolvedConfig {
  wavelength: Float64Array;
  width: number;
  height: number;
  /** The shot's name in messages. */
  shotName: string;
  method: Method;
  engine: PhysicsEngine;
  /** Raw counts with a lamp calibration (else the frames are radiance already). */
  calibrated: boolean;
  rois: Roi[];
  lamp: LampInput | null;
  dark: DarkInput | null;
  /** Dark frames averaged (0 without a dark). */
  darkFrames: number;
  range: [number, number] | null;
  emissivity: string | Float64Array | null;
  saturation: number;
  /** The starting noise model (the gain may still be estimated from the data). */
  noise: NoiseModel;
  /**
   * How the counts' noise is known: `poisson`: var = S/gain + read noise (read noise from the dark or given, the
   * gain given or estimated); `estimate`: both terms estimated from the data (intensified / EM camera, background-
   * corrected frames, or neither a dark nor a read noise), except where given.
   */
  noiseModel: 'poisson' | 'estimate';
  /** Whether the noise model is known from the start (given, or no counts to estimate it from). */
  gainKnown: boolean;
  weights: Weights;
  scaleByChi2: boolean;
  twoColorSeparation: number;
  twoColor: boolean;
  threads: number | undefined;
}

function checkNumbers(config: AnalyzerConfig): void {
  const { gain, readNoise, saturation } = config;
  if (gain != null && !(gain > 0 && Number.isFinite(gain))) {
    throw new ConfigError('gain', `must be a positive number of electrons per count (got ${gain})`);
  }
  if (readNoise != null && !(readNoise >= 0 && Number.isFinite(readNoise))) {
    throw new ConfigError('readNoise', `must be a non-negative number of counts (got ${readNoise})`);
  }
  if (saturation != null && !(saturation > 0)) {
    throw new ConfigError('saturation', `must be a positive number of counts (got ${saturation})`);
  }
}

function checkFrameShapes(config: AnalyzerConfig, shotName: string): void {
  const { width, height, lamp, dark } = config;
  if (lamp && lamp.counts.length !== width * height) {
    throw new UsageError(`${lamp.file ?? 'lamp'}: lamp frames are not ${height} × ${width} like ${shotName}`);
  }
  if (dark && dark.counts.length !== width * height) {
    throw new UsageError(`${dark.file ?? 'dark'}: dark frames are not ${height} × ${width} like ${shotName}`);
  }
}

/** The range in nm, checked against the wavelengths (null: the default range). */
function checkRange(config: AnalyzerConfig, shotName: string): [number, number] | null {
  if (!config.range) {
    return null;
  }
  const [lo, hi] = config.range;
  if (!(lo < hi) || !Number.isFinite(lo) || !Number.isFinite(hi)) {
    throw new ConfigError('range', `expects LO:HI in nm with LO < HI, got ${lo}:${hi}`);
  }
  let wmin = Infinity;
  let wmax = -Infinity;
  for (const w of config.wavelength) {
    wmin = Math.min(wmin, w);
    wmax = Math.max(wmax, w);
  }
  if (lo < wmin - 1e-9 || hi > wmax + 1e-9) {
    const span = `${wmin.toFixed(1)}–${wmax.toFixed(1)} nm`;
    throw new ConfigError('range', `${lo}:${hi} nm is outside the data of ${shotName} (${span})`);
  }
  return [lo, hi];
}

function initialNoise(config: AnalyzerConfig): NoiseModel {
  let readNoiseSource: NoiseModel['readNoiseSource'] = 'assumed';
  if (config.readNoise != null) {
    readNoiseSource = 'given';
  } else if (config.readNoiseFromDark != null) {
    readNoiseSource = 'dark';
  }
  return {
    gain: config.gain ?? 1,
    readNoise: config.readNoise ?? config.readNoiseFromDark ?? 0,
    gainSource: config.gain != null ? 'given' : 'assumed',
    readNoiseSource,
  };
}

function noiseModelOf(config: AnalyzerConfig): 'poisson' | 'estimate' {
  const camera = config.camera ?? {};
  const excessNoise = !!(camera.intensified || camera.electronMultiplying);
  const noFloor = !config.dark && config.readNoise == null && config.readNoiseFromDark == null;
  return excessNoise || config.backgroundCorrected || noFloor ? 'estimate' : 'poisson';
}

/** Checks the configuration and fills in the defaults (throws ConfigError / UsageError). */
export function resolveConfig(config: AnalyzerConfig): ResolvedConfig {
  const { wavelength, width, height } = config;
  if (!(width > 0 && height > 0) || wavelength.length !== width) {
    throw new ConfigError('wavelength', `has ${wavelength.length} values for a frame width of ${width}`);
  }
  const shotName = config.shotFile ?? 'shot';
  const method: Method = config.method ?? 'planck';
  if (!METHODS.includes(method)) {
    throw new ConfigError('method', `expects planck, wien or two-color, got "${method}"`);
  }
  // the engine is chosen (and the addon loaded) on this first use, not at import
  const engine = config.engine ?? getEngine();
  const calibrated = !!config.lamp;
  const rois: Roi[] = config.rois && config.rois.length ? config.rois : [{ name: 'all', first: 0, last: height - 1 }];
  validateRois(rois, height, shotName);
  checkFrameShapes(config, shotName);
  checkNumbers(config);
  const range = checkRange(config, shotName);
  if (config.emissivity != null && typeof config.emissivity !== 'string' && config.emissivity.length !== width) {
    throw new ConfigError('emissivity', `has ${config.emissivity.length} values for ${width} pixels`);
  }
  const weights: Weights = config.weights ?? 'noise';
  if (!WEIGHTS.includes(weights)) {
    throw new ConfigError('weights', `expects noise or none, got "${weights}"`);
  }
  const dark = config.dark ?? null;
  const noiseModel = noiseModelOf(config);
  return {
    wavelength,
    width,
    height,
    shotName,
    method,
    engine,
    calibrated,
    rois,
    lamp: config.lamp ?? null,
    dark,
    darkFrames: dark ? Math.max(1, dark.frames) : 0,
    range,
    emissivity: config.emissivity ?? null,
    saturation: config.saturation ?? (calibrated ? fullScaleOf(config.dataType ?? null) : Infinity),
    noise: initialNoise(config),
    noiseModel,
    gainKnown: !calibrated || (config.gain != null && (noiseModel === 'poisson' || config.readNoise != null)),
    weights,
    // unweighted fits come with σT already scaled by the residual variance
    scaleByChi2: weights === 'none' ? false : (config.scaleByChi2 ?? (!calibrated || config.gain == null)),
    twoColorSeparation: config.twoColorSeparation ?? DEFAULT_TWO_COLOR_SEPARATION,
    twoColor: config.twoColor ?? true,
    threads: config.threads,
  };
}
