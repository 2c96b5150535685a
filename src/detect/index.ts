/**
 * Slope-change (plateau) detection in laser power vs temperature: the online detector, the offline
 * refinement, and detectOffline() for whole curves (OfflineDetection: the same, fed point by point). See
 * docs/detect.md.
 */
import { DetectInputError } from '../errors';
import { SlopeChangeDetector } from './detector';
import type { DetectorOptions, DetectPoint, DetectResult, SkipCounts } from './types';

export * from './types';
export { SlopeChangeDetector, createDetector, resolveOptions } from './detector';

/** Fewest usable points detectOffline accepts. */
export const MIN_USABLE_POINTS = 10;

/**
 * Whole-curve detection, fed point by point: push() each point in time order (for example while the shot is still
 * being fitted), then finish() runs the offline refinement. finish() gives exactly what detectOffline gives for
 * the same points and options, and throws the same DetectInputError (fewer than MIN_USABLE_POINTS usable points);
 * push() throws DetectInputError for a point that is not an object. Options are checked when it is constructed.
 */
export class OfflineDetection {
  private readonly detector: SlopeChangeDetector;
  private finished = false;

  constructor(options: DetectorOptions = {}) {
    this.detector = new SlopeChangeDetector(options);
  }

  /** Takes the next point (bounded work, see SlopeChangeDetector.push). */
  push(point: DetectPoint): void {
    if (this.finished) {
      throw new Error('OfflineDetection: push() after finish()');
    }
    if (point === null || typeof point !== 'object') {
      throw new DetectInputError('every point must be an object {index, power, temperature}');
    }
    this.detector.push(point);
  }

  /** Usable points so far. */
  get points(): number {
    return this.detector.points;
  }

  /** The result over all points pushed: events (retracted ones left out), the offline fit, the used points. */
  finish(): DetectResult {
    this.finished = true;
    const detector = this.detector;
    const usable = detector.points;
    const skipped = detector.skipped;
    if (usable < MIN_USABLE_POINTS) {
      throw new DetectInputError(tooFewPoints(usable, skipped, detector.options.minTemperature));
    }
    const offline = detector.finish();
    const used = detector
      .usedPoints()
      .map((p) => ({ index: p.index, power: p.power, temperature: p.temperature, outlier: false }));
    markOutliers(used, offline.fit.legs);
    return {
      events: offline.events.filter((e) => !e.retracted),
      points: usable,
      skipped: skipped.total,
      skippedDetail: skipped,
      fit: offline.fit,
      used,
    };
  }
}

/**
 * Whole-curve detection: runs the online detector over the points (in the given order, which must be time
 * order), then refines its events with the offline segmented fit. Throws DetectInputError when fewer than
 * MIN_USABLE_POINTS points are usable (after skipping flagged, non-finite and below-floor points).
 */
export function detectOffline(points: readonly DetectPoint[], opts: DetectorOptions = {}): DetectResult {
  if (!Array.isArray(points)) {
    throw new DetectInputError('points must be an array');
  }
  const detection = new OfflineDetection(opts);
  // an indexed loop: cheaper than the iterator protocol while this (first) call still runs unoptimised
  for (let i = 0; i < points.length; i++) {
    detection.push(points[i]);
  }
  return detection.finish();
}

/** Why there are too few usable points, in one line. */
function tooFewPoints(usable: number, skipped: SkipCounts, minTemperature: number): string {
  const why: string[] = [];
  if (skipped.flagged) {
    why.push(`${skipped.flagged} flagged`);
  }
  if (skipped.nonFinite) {
    why.push(`${skipped.nonFinite} missing or non-finite`);
  }
  if (skipped.belowMinTemperature) {
    why.push(`${skipped.belowMinTemperature} below ${minTemperature} K`);
  }
  return (
    `only ${usable} usable point${usable === 1 ? '' : 's'} (need at least ${MIN_USABLE_POINTS})` +
    (why.length ? `; skipped: ${why.join(', ')}` : '')
  );
}

/** Mark points further than 4σ (the leg's robust σ) from the offline fit as outliers, for display. */
function markOutliers(used: DetectResult['used'], legs: DetectResult['fit']['legs']): void {
  for (const p of used) {
    const leg = legs.find((l) => p.index >= l.firstIndex && p.index <= l.lastIndex);
    if (!leg || !leg.segments.length) {
      continue;
    }
    const dist = (s: { fromPower: number; toPower: number }) =>
      (p.power - s.fromPower) * (p.power - s.toPower) <= 0
        ? 0
        : Math.min(Math.abs(p.power - s.fromPower), Math.abs(p.power - s.toPower));
    const seg = leg.segments.reduce((a, s) => (dist(s) < dist(a) ? s : a), leg.segments[0]);
    const t = seg.fromTemperature + seg.slope * (p.power - seg.fromPower);
    if (Math.abs(p.temperature - t) > 4 * leg.sigma) {
      p.outlier = true;
    }
  }
}
