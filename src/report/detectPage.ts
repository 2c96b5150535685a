/**
 * The `detect --plot` page: laser power vs temperature with the offline fitted segments, the plateaus shaded and
 * the slope changes marked, plus the events table. The same page frame, words and colours as `pyrolive report`
 * (src/report/page.ts). Pure: result in, HTML string out (inline SVG, no external assets).
 */
import type { DetectResult } from '../detect/types';
import {
  AXES,
  CHART_TITLES,
  chartSection,
  escapeHtml,
  eventLabel,
  eventsTable,
  eventSentence,
  PAGE_COLORS,
  renderPage,
} from './page';
import { renderSvgChart, type SvgInterval, type SvgMarker, type SvgSeries } from './svg';

/** The frames (outliers apart) and the fitted segments of each leg (a falling leg dashed). */
function detectSeries(r: DetectResult): SvgSeries[] {
  const series: SvgSeries[] = [
    {
      kind: 'scatter',
      label: 'frames',
      color: PAGE_COLORS.temperature,
      size: 2,
      points: r.used.filter((p) => !p.outlier).map((p) => [p.power, p.temperature]),
    },
  ];
  const outliers = r.used.filter((p) => p.outlier);
  if (outliers.length) {
    series.push({
      kind: 'scatter',
      label: 'outliers (ignored)',
      color: PAGE_COLORS.outlier,
      hollow: true,
      size: 3,
      points: outliers.map((p) => [p.power, p.temperature]),
    });
  }
  r.fit.legs.forEach((leg, k) => {
    const points: Array<[number, number]> = [];
    for (const segment of leg.segments) {
      if (!points.length) {
        points.push([segment.fromPower, segment.fromTemperature]);
      }
      points.push([segment.toPower, segment.toTemperature]);
    }
    series.push({
      kind: 'line',
      label: k === 0 ? 'segmented fit' : undefined,
      points,
      color: PAGE_COLORS.mean,
      dash: leg.direction === -1 ? '6 3' : undefined,
    });
  });
  return series;
}

/** The chart alone (an `<svg>` string). */
export function detectChartSvg(r: DetectResult): string {
  const intervals: SvgInterval[] = [];
  const markers: SvgMarker[] = [];
  const maxPower = Math.max(...r.used.map((p) => p.power));
  for (const e of r.events) {
    if (e.kind === 'plateau') {
      const to = e.endPower ?? maxPower;
      intervals.push({ from: e.startPower, to, label: eventLabel(e.kind, e.endPower), color: PAGE_COLORS.plateau });
    } else {
      markers.push({ x: e.startPower, label: eventLabel(e.kind, null), color: PAGE_COLORS.slopeChange });
    }
  }
  return renderSvgChart({
    width: 860,
    height: 400,
    x: AXES.power,
    y: AXES.temperature,
    series: detectSeries(r),
    intervals,
    markers,
  });
}

function summaryLine(r: DetectResult): string {
  const skipped = r.skipped
    ? ` (${r.skippedDetail.flagged} flagged, ${r.skippedDetail.nonFinite} missing/non-finite, ` +
      `${r.skippedDetail.belowMinTemperature} below the temperature floor)`
    : '';
  const events = `${r.events.length} event${r.events.length === 1 ? '' : 's'}`;
  return `<p>${r.points} usable points, ${r.skipped} skipped${skipped}; ${events}.</p>`;
}

/** A self-contained HTML page for `pyrolive detect --plot`. */
export function detectHtml(r: DetectResult, source: string): string {
  const headline = r.events.length ? r.events.map((e) => eventSentence(e)).join('; ') : 'no change of slope detected';
  return renderPage({
    title: 'pyrolive slope-change detection',
    source,
    body: [
      `<p id="headline"><strong>${escapeHtml(headline)}</strong></p>`,
      summaryLine(r),
      chartSection('chart-power', CHART_TITLES.power, detectChartSvg(r)),
      '<h2>Events</h2>',
      eventsTable(r.events),
    ],
  });
}
