/**
 * Types of the slope-change (plateau) detector. Units: power in W, temperature in K, slopes in K/W.
 * See docs/detect.md for the method and the meaning of every field.
 */

/** One point of the power–temperature curve, fed to the detector in time order. */
export interface DetectPoint {
  /** Frame index (or any increasing counter); events refer to points by it. */
  index: number;
  /** Laser power, W. */
  power: number;
  /** Temperature, K. */
  temperature: number;
  /** 1σ temperature error, K (optional: relative weights; the scale always comes from the observed scatter). */
  temperatureError?: number | null;
  /** Frame flags; a point with any of corrupt, fit-failed, weak, saturated is skipped. */
  flags?: string[];
}

export type SlopeEventKind = 'slope-change' | 'plateau';

/** A confirmed change of slope. A downward change whose slope after is below `plateauRatio` × the slope before
 * is a plateau; its end (endPower/endIndex) is set when the slope recovers (an upward change, confirmed the
 * same way). */
export interface SlopeEvent {
  /** Stable id (1, 2, ... per detector) so consumers can update an event in place. */
  id: number;
  kind: SlopeEventKind;
  /** Kink power, W (refined as points arrive, then by the offline fit). */
  startPower: number;
  /** Power where the slope recovers, W; null until known. */
  endPower: number | null;
  /** Index of the first point beyond the kink. */
  startIndex: number;
  /** Index of the first point beyond the end; null until known. */
  endIndex: number | null;
  /** Index of the point at which the change was confirmed. Never changes once set. */
  detectedAtIndex: number;
  /** Index of the point at which the end was confirmed (null until then). Never changes once set. */
  endDetectedAtIndex: number | null;
  /** dT/dP before the kink, K/W. */
  slopeBefore: number;
  /** dT/dP after the kink (inside the plateau), K/W. */
  slopeAfter: number;
  /** dT/dP after the end (slope recovered), K/W; null until the end is known. */
  slopeEnd: number | null;
  /** Fitted temperature at the kink, K. */
  temperature: number;
  /** Significance of the kink, in σ: the z-score (two-sided, Student-t converted to normal) of the hinge term
   * tested against the smooth quadratic alternative, at the best kink position. Not corrected for the scan over
   * kink positions: the detection threshold is (see docs/detect.md). */
  significance: number;
  /** Significance of the end kink, σ (null until known). */
  endSignificance: number | null;
  /** 1σ uncertainties (null where not estimable). */
  startPowerError: number | null;
  endPowerError: number | null;
  slopeBeforeError: number | null;
  slopeAfterError: number | null;
  slopeEndError: number | null;
  /** Power direction of the leg the event belongs to: +1 heating, −1 cooling. */
  direction: 1 | -1;
  /** true once refined by the offline (whole-curve) fit. */
  refined: boolean;
  /** true when the offline re-test on the whole curve no longer supports the change (significance below the
   * threshold or slope change below minRelativeChange): consumers should remove the event. Only finish() (and the
   * `final` updates of the RxJS operator) hand out retracted events; detectOffline() drops them. */
  retracted?: boolean;
}

export type DetectorUpdateType = 'new' | 'update' | 'end' | 'final';

/** What push()/finish() hand out: a new event or a new version of an existing one (same id). */
export interface DetectorUpdate {
  /** new: just confirmed; update: kink refined; end: the slope recovered (end set); final: offline-refined. */
  type: DetectorUpdateType;
  /** Index of the point that produced the update (the last point for `final`). */
  atIndex: number;
  /** A snapshot (copy) of the event. */
  event: SlopeEvent;
}

export interface DetectorOptions {
  /** Points below this temperature are skipped (spectra too faint to trust). Default 1000 K. */
  minTemperature?: number;
  /** Detection threshold on the scan statistic, in σ (see docs/detect.md). Default 4.0 (calibrated: 0.5 % of null curves exceed it, docs/detect.md). */
  threshold?: number;
  /** Consecutive points over which the statistic must stay above threshold to confirm. Default 2. */
  confirmations?: number;
  /** Most recent usable points of the current segment the online test looks at. Default 60. */
  window?: number;
  /** Minimum usable points before a candidate kink. Default 8. */
  minBefore?: number;
  /** Minimum usable points after a candidate kink. Default 4. */
  minAfter?: number;
  /** Minimum distinct power levels after a candidate kink. Default 2. */
  minAfterLevels?: number;
  /** Powers closer than this are one level (repeated powers). Default 1e-3 W. */
  powerResolution?: number;
  /** A drop of power by more than this below the running maximum (or rise above the minimum when cooling)
   * starts a new leg. Default 0.5 W. */
  reversalTolerance?: number;
  /** slopeAfter < plateauRatio × slopeBefore makes a downward change a plateau. Default 0.5. */
  plateauRatio?: number;
  /** Outlier rejection: |residual| > rejectSigma × robust σ is ignored. Default 4. */
  rejectSigma?: number;
  /** Effect size: a change of slope is only an event when |slopeAfter − slopeBefore| ≥ minRelativeChange ×
   * max(|slopeBefore|, |slopeAfter|) (a plateau's end likewise between the slopes inside and after it), online at
   * confirmation and again in the offline re-test. Default 0.3 (see docs/detect.md). 0 disables. */
  minRelativeChange?: number;
  /** Dense data only (the mean power change between the last 30 frames below binWidth / 2, e.g. 100 Hz frames
   * on a slow ramp; dense until it exceeds binWidth): consecutive frames are merged into one point (mean power;
   * mean temperature of 1–2 frames, median of ≥ 3; weight ∝ frames) while the power, averaged over enough
   * readings for the read-back noise, stays within binWidth of its value when the bin opened (with exact readings:
   * within binWidth of the bin's first frame), so that the window of recent points spans a meaningful power
   * range. Stepped or ordinary ramps are not binned. 0 disables. Default 0.1 W. */
  binWidth?: number;
}

export interface ResolvedDetectorOptions {
  minTemperature: number;
  threshold: number;
  confirmations: number;
  window: number;
  minBefore: number;
  minAfter: number;
  minAfterLevels: number;
  powerResolution: number;
  reversalTolerance: number;
  plateauRatio: number;
  rejectSigma: number;
  binWidth: number;
  minRelativeChange: number;
}

export const DEFAULT_DETECTOR_OPTIONS: Readonly<ResolvedDetectorOptions> = Object.freeze({
  minTemperature: 1000,
  threshold: 4.0,
  confirmations: 2,
  window: 60,
  minBefore: 8,
  minAfter: 4,
  minAfterLevels: 2,
  powerResolution: 1e-3,
  reversalTolerance: 0.5,
  plateauRatio: 0.5,
  rejectSigma: 4,
  binWidth: 0.1,
  minRelativeChange: 0.3,
});

/** Why points were skipped. */
export interface SkipCounts {
  total: number;
  flagged: number;
  nonFinite: number;
  belowMinTemperature: number;
}

/** One straight piece of the offline segmented fit. */
export interface FitSegment {
  fromPower: number;
  toPower: number;
  fromTemperature: number;
  toTemperature: number;
  /** dT/dP, K/W. */
  slope: number;
  slopeError: number | null;
}

/** One kink of the offline fit. */
export interface FitBreakpoint {
  power: number;
  powerError: number | null;
  temperature: number;
  /** Slope change across the kink, K/W, and its significance (σ) against the smooth alternative. */
  slopeChange: number;
  significance: number;
}

/** The offline continuous segmented (hinge) fit of one leg (a run of heating or of cooling). */
export interface FitLeg {
  direction: 1 | -1;
  firstIndex: number;
  lastIndex: number;
  /** Usable points in the leg, and how many of them were rejected as outliers. */
  points: number;
  outliers: number;
  /** Robust scatter of the residuals, K. */
  sigma: number;
  breakpoints: FitBreakpoint[];
  segments: FitSegment[];
}

export interface OfflineFit {
  legs: FitLeg[];
}

export interface OfflineResult {
  events: SlopeEvent[];
  fit: OfflineFit;
  /** Usable points. */
  points: number;
  skipped: SkipCounts;
}

/** What detectOffline returns (the CLI's result). */
export interface DetectResult {
  events: SlopeEvent[];
  /** Usable points. */
  points: number;
  /** Skipped points (flagged, non-finite, below minTemperature). */
  skipped: number;
  skippedDetail: SkipCounts;
  fit: OfflineFit;
  /** The usable points (for plotting), in input order, with an outlier mark from the offline fit. */
  used: Array<{ index: number; power: number; temperature: number; outlier: boolean }>;
}
