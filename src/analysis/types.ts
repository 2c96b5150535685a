/**
 * One pipeline for the CLI (`analyze`), the live server and the tests: raw frames (counts) in,
 * FrameResult out. Owned by src/analysis/ (calibration → radiance, variance, mask → flags → fit).
 */
export type FrameFlag = 'saturated' | 'cosmic' | 'weak' | 'corrupt' | 'fit-failed';

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
