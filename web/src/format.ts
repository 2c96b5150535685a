/** Text for people: event sentences and number formats shared by the dashboard (pure, testable). */
import type { LiveEvent } from '../../src/protocol';

export function fmt(v: number | null | undefined, digits = 0): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits);
}

/** "plateau at 24.1 W, 3120 K" */
export function eventHeadline(e: LiveEvent): string {
  const what = e.kind === 'plateau' ? 'plateau' : 'slope change';
  return `${what} at ${fmt(e.startPower, 1)} W, ${fmt(e.temperature, 0)} K`;
}

/** "24.0 → 29.0 W · slope 85 → 6 K/W · 7.5σ · frame 6000" */
export function eventDetail(e: LiveEvent): string {
  const range = e.endPower === null ? `from ${fmt(e.startPower, 1)} W (open)` : `${fmt(e.startPower, 1)} → ${fmt(e.endPower, 1)} W`;
  return `${range} · slope ${fmt(e.slopeBefore, 0)} → ${fmt(e.slopeAfter, 0)} K/W · ${fmt(e.significance, 1)}σ · detected at frame ${e.detectedAtIndex}`;
}

export function flaggedSummary(flagged: Partial<Record<string, number>>): string {
  const parts = Object.entries(flagged).filter(([, n]) => (n ?? 0) > 0).map(([k, n]) => `${k} ${n}`);
  return parts.length ? parts.join(' · ') : 'none';
}
