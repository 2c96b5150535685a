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

/** A plateau's power range ("24.0 → 29.0 W", "from 24.0 W (open)"); a slope change's power ("at 24.5 W"). */
function eventRange(e: LiveEvent): string {
  if (e.kind !== 'plateau') {
    return `at ${fmt(e.startPower, 1)} W`;
  }
  return e.endPower === null
    ? `from ${fmt(e.startPower, 1)} W (open)`
    : `${fmt(e.startPower, 1)} → ${fmt(e.endPower, 1)} W`;
}

/** "24.0 → 29.0 W · slope 85 → 6 K/W · 7.5σ · frame 6000" */
export function eventDetail(e: LiveEvent): string {
  const range = eventRange(e);
  return `${range} · slope ${fmt(e.slopeBefore, 0)} → ${fmt(e.slopeAfter, 0)} K/W · ${fmt(e.significance, 1)}σ · detected at frame ${e.detectedAtIndex}`;
}

/**
 * The two-colour temperature is shown only while its spread is meaningful: σ at most this fraction of the value.
 * The sliding two-colour estimate of a good frame spreads by a few % (≈ 50 K at 3000 K); a spread of more than
 * 10 % says the ratio of two nearby wavelengths carried no temperature (a weak or distorted spectrum), and a
 * "3169 ± 14620 K" would only mislead.
 */
export const TWO_COLOR_MAX_RELATIVE_SPREAD = 0.1;

export interface TwoColor {
  mean: number;
  std: number;
}

/** Whether a two-colour value is worth showing (finite, positive, σ ≤ TWO_COLOR_MAX_RELATIVE_SPREAD × value). */
export function twoColorMeaningful(twoColor: TwoColor | null): boolean {
  if (!twoColor || !Number.isFinite(twoColor.mean) || !Number.isFinite(twoColor.std) || twoColor.mean <= 0) {
    return false;
  }
  return twoColor.std >= 0 && twoColor.std <= TWO_COLOR_MAX_RELATIVE_SPREAD * twoColor.mean;
}

/** "3120 ± 45 K", or "—" when there is none or its spread is not meaningful. */
export function twoColorText(twoColor: TwoColor | null): string {
  return twoColor && twoColorMeaningful(twoColor) ? `${fmt(twoColor.mean, 0)} ± ${fmt(twoColor.std, 0)} K` : '—';
}

/** The tooltip saying why a two-colour value is not shown ('' when it is shown or there is none). */
export function twoColorNote(twoColor: TwoColor | null): string {
  if (!twoColor || twoColorMeaningful(twoColor)) {
    return '';
  }
  const limit = Math.round(TWO_COLOR_MAX_RELATIVE_SPREAD * 100);
  return `two-colour ${fmt(twoColor.mean, 0)} ± ${fmt(twoColor.std, 0)} K not shown: spread above ${limit} % of the value`;
}

export function flaggedSummary(flagged: Partial<Record<string, number>>): string {
  const parts = Object.entries(flagged)
    .filter(([, n]) => (n ?? 0) > 0)
    .map(([k, n]) => `${k} ${n}`);
  return parts.length ? parts.join(' · ') : 'none';
}
