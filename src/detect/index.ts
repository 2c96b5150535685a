/**
 * Slope-change (plateau) detection in laser power vs temperature: the online detector, the offline
 * refinement, and detectOffline() for whole curves. See docs/detect.md.
 */
import { DetectInputError } from '../errors';
import { SlopeChangeDetector } from './detector';
import type { DetectorOptions, DetectPoint, DetectResult } from './types';

export * from './types';
export { SlopeChangeDetector, createDetector, resolveOptions } from './detector';

/** Fewest usable points detectOffline accepts. */
export const MIN_USABLE_POINTS = 10;

/**
 * Whole-curve detection: runs the online detector over the points (in the given order, which must be time
 * order), then refines its events with the offline segmented fit. Throws DetectInputError when fewer than
 * MIN_USABLE_POINTS points are usable (after skipping flagged, non-finite and below-floor points).
 */
export function detectOffline(points: readonly DetectPoint[], opts: DetectorOptions = {}): DetectResult {
  if (!Array.isArray(points)) {
    throw new DetectInputError('points must be an array');
  }
  const det = new SlopeChangeDetector(opts);
  for (const p of points) {
    if (p === null || typeof p !== 'object') {
      throw new DetectInputError('every point must be an object {index, power, temperature}');
    }
    det.push(p);
  }
  const usable = det.points;
  const sk = det.skipped;
  if (usable < MIN_USABLE_POINTS) {
    const why: string[] = [];
    if (sk.flagged) {
      why.push(`${sk.flagged} flagged`);
    }
    if (sk.nonFinite) {
      why.push(`${sk.nonFinite} missing or non-finite`);
    }
    if (sk.belowMinTemperature) {
      why.push(`${sk.belowMinTemperature} below ${det.options.minTemperature} K`);
    }
    throw new DetectInputError(
      `only ${usable} usable point${usable === 1 ? '' : 's'} (need at least ${MIN_USABLE_POINTS})` +
        (why.length ? `; skipped: ${why.join(', ')}` : ''),
    );
  }
  const off = det.finish();
  const used = det
    .usedPoints()
    .map((p) => ({ index: p.index, power: p.power, temperature: p.temperature, outlier: false }));
  markOutliers(used, off.fit.legs);
  return {
    events: off.events.filter((e) => !e.retracted),
    points: usable,
    skipped: sk.total,
    skippedDetail: sk,
    fit: off.fit,
    used,
  };
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
