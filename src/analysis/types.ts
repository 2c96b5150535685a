/**
 * One pipeline for the CLI (`analyze`), the live server and the tests: raw frames (counts) in,
 * FrameResult out. Owned by src/analysis/ (calibration → radiance, variance, mask → flags → fit).
 */
import type { PhysicsEngine } from '../physics/types';
import type { SpeDataType } from '../io/types';
import type { Roi } from '../calibration/rows';

/**
 * Frame quality (domain.md §6). `misfit`: the greybody does not describe the data (χ²/dof far beyond what the noise
 * allows, e.g. counts with a bias left in): T is kept, with a σT that includes the misfit.
 */
export type FrameFlag = 'saturated' | 'cosmic' | 'weak' | 'corrupt' | 'fit-failed' | 'misfit';

export interface RoiResult {
  temperature: number | null;
  temperatureError: number | null;
  chi2: number | null;
  flags: FrameFlag[];
}

export interface FrameResult {
  index: number;
  /** s since the start of the shot (frame time stamp, or index × exposure/period), null if unknown. */
  time: number | null;
  /** Laser power in W paired with this frame, null when no power log. */
  power: number | null;
  /** K; null where withheld (corrupt, weak, fit-failed). */
  temperature: number | null;
  temperatureError: number | null;
  /** χ²/dof of the fit (reduced), null where no fit. */
  chi2: number | null;
  flags: FrameFlag[];
  twoColor: { mean: number; std: number } | null;
  /** Present when several ROIs are fitted. */
  rois?: Record<string, RoiResult>;
}

/** The latest spectrum with its fit, for the live display (not stored per frame). */
export interface SpectrumView {
  index: number;
  wavelength: Float64Array;
  radiance: Float64Array;
  fit: Float64Array;
  /** 1 = pixel excluded from the fit (outside range, cosmic). */
  mask: Uint8Array;
}

// ---- configuration of the analyzer (createAnalyzer) ----

export type Method = 'planck' | 'wien' | 'two-color';

/**
 * How the fit weighs the pixels. `noise`: by 1/variance of the noise model (estimated from the data where unknown),
 * σT scaled by √(χ²/dof) and widened by the weighting's own effect when the greybody misfits. `none`: unweighted
 * least squares, σT from the covariance scaled by the residual variance: the estimator of T-Rax and PyRadiant.
 */
export type Weights = 'noise' | 'none';

/** What the detector is, as far as the noise goes (from the file's metadata, src/io). */
export interface CameraInfo {
  /** An image intensifier (PI-MAX): excess noise, gain not a photo-electron count. */
  intensified?: boolean;
  /** Electron-multiplying CCD (ProEM, iXon): excess noise factor ≈ √2. */
  electronMultiplying?: boolean;
}

/**
 * One frame of counts (height × width, row-major): a Float64Array, or a view of the detector's own integer/float
 * type (e.g. a Uint16Array over a block read from an SPE file); every value is read as a number.
 */
export type FrameData = Float64Array | Float32Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Uint8Array;

/** Lamp frames averaged (raw counts, not dark-subtracted) and the lamp's radiance on the pixels. */
export interface LampInput {
  /** Mean over the lamp file's frames, height × width, raw counts. */
  counts: Float64Array;
  /** Number of lamp frames averaged (for the noise of the response). */
  frames: number;
  /** Lamp radiance per pixel (length width), NaN where unknown (outside a radiance table). */
  radiance: Float64Array;
  /** Names used in error messages. */
  file?: string;
  radianceFile?: string;
}

export interface DarkInput {
  /** Mean over the dark file's frames, height × width. */
  counts: Float64Array;
  frames: number;
  file?: string;
}

export interface AnalyzerConfig {
  /** Wavelength (nm) of each pixel, length width. */
  wavelength: Float64Array;
  width: number;
  height: number;
  /** Raw detector counts with a lamp calibration; absent: frames are already radiance (plain spectra). */
  lamp?: LampInput | null;
  dark?: DarkInput | null;
  /** ROIs (rows summed). Default: one ROI "all" with every row. */
  rois?: Roi[];
  /**
   * Fit range in nm (each end snaps to the nearest pixel). Default: the contiguous span where the response is
   * ≥ 5 % of its peak (all pixels for radiance input).
   */
  range?: [number, number] | null;
  method?: Method;
  /** mathjs expression in `lambda` (nm), or per-pixel values (length width). */
  emissivity?: string | Float64Array | null;
  /** e⁻ per count; estimated from the data when absent. */
  gain?: number | null;
  /** counts rms per pixel; absent: from the dark (see readNoiseFromDark) or 0. */
  readNoise?: number | null;
  /** Read noise already estimated from the dark frames (used when readNoise is absent). */
  readNoiseFromDark?: number | null;
  /** Saturation level in raw counts (default: full scale of dataType). */
  saturation?: number | null;
  dataType?: SpeDataType | null;
  engine?: PhysicsEngine;
  /** Separation in pixels of the sliding two-colour pairs (default 120). */
  twoColorSeparation?: number;
  /** Compute the sliding two-colour for every frame (default true). */
  twoColor?: boolean;
  /** Scale σT by √(χ²/dof) (default: true when the gain is not given, and for radiance input). */
  scaleByChi2?: boolean;
  /** Fit weights (default 'noise'). */
  weights?: Weights;
  /** The camera, when the file says: intensified / EM cameras get a noise model estimated from the data. */
  camera?: CameraInfo | null;
  /**
   * The frames already have a background subtracted (LightField BackgroundCorrection): negative counts are data,
   * no dark is wanted, and the noise floor is estimated from the data.
   */
  backgroundCorrected?: boolean;
  /** Threads for the native batch (default: engine's choice). */
  threads?: number;
  /** File names for error messages. */
  shotFile?: string;
}
