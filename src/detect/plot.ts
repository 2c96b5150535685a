/**
 * The `detect --plot` page: power vs temperature with the offline fitted segments and the plateaus shaded,
 * plus a table of events. Pure: result in, HTML string out (inline SVG, no external assets).
 */
import { escapeXml, htmlPage, renderSvgChart, SvgInterval, SvgMarker, SvgSeries } from '../report/svg';
import type { DetectResult, SlopeEvent } from './types';

const pm = (v: number | null | undefined, e: number | null | undefined, d = 2) =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : e !== null && e !== undefined && Number.isFinite(e) ? `${v.toFixed(d)} ± ${e.toFixed(d)}` : v.toFixed(d);

/** The chart alone (an `<svg>` string). */
export function detectChartSvg(r: DetectResult, title = 'Laser power vs temperature'): string {
  const series: SvgSeries[] = [
    { kind: 'scatter', label: 'frames', points: r.used.filter((p) => !p.outlier).map((p) => [p.power, p.temperature]), color: '#1f77b4' },
  ];
  const out = r.used.filter((p) => p.outlier);
  if (out.length) series.push({ kind: 'scatter', label: 'outliers (ignored)', points: out.map((p) => [p.power, p.temperature]), color: '#7f7f7f', hollow: true, size: 3 });
  r.fit.legs.forEach((leg, i) => {
    const pts: Array<[number, number]> = [];
    for (const s of leg.segments) {
      if (!pts.length) pts.push([s.fromPower, s.fromTemperature]);
      pts.push([s.toPower, s.toTemperature]);
    }
    series.push({ kind: 'line', label: i === 0 ? 'segmented fit' : undefined, points: pts, color: '#d62728', dash: leg.direction === -1 ? '6 3' : undefined });
  });
  const intervals: SvgInterval[] = [];
  const markers: SvgMarker[] = [];
  for (const e of r.events) {
    if (e.kind === 'plateau' && e.endPower !== null) intervals.push({ from: e.startPower, to: e.endPower, label: 'plateau' });
    else markers.push({ x: e.startPower, label: `${e.kind} #${e.id}`, color: e.kind === 'plateau' ? '#ff7f0e' : '#555' });
    if (e.kind === 'plateau' && e.endPower === null) intervals.push({ from: e.startPower, to: Math.max(...r.used.map((p) => p.power)), label: 'plateau (no end)' });
  }
  return renderSvgChart({ title, x: { label: 'Laser power', unit: 'W' }, y: { label: 'Temperature', unit: 'K' }, series, intervals, markers });
}

function eventRow(e: SlopeEvent): string {
  const c = (s: string) => `<td>${escapeXml(s)}</td>`;
  return `<tr>${c(String(e.id))}${c(e.kind)}${c(pm(e.startPower, e.startPowerError))}${c(pm(e.endPower, e.endPowerError))}` +
    `${c(e.temperature.toFixed(0))}${c(pm(e.slopeBefore, e.slopeBeforeError, 1))}${c(pm(e.slopeAfter, e.slopeAfterError, 1))}` +
    `${c(pm(e.slopeEnd, e.slopeEndError, 1))}${c(`${e.significance.toFixed(1)}σ`)}${c(`#${e.detectedAtIndex}${e.endDetectedAtIndex !== null ? ` / #${e.endDetectedAtIndex}` : ''}`)}</tr>`;
}

/** A self-contained HTML page for `pyrolive detect --plot`. */
export function detectHtml(r: DetectResult, source: string): string {
  const head = `<h1>Slope-change detection: ${escapeXml(source)}</h1>
<p>${r.points} usable points, ${r.skipped} skipped${r.skipped ? ` (${r.skippedDetail.flagged} flagged, ${r.skippedDetail.nonFinite} missing/non-finite, ${r.skippedDetail.belowMinTemperature} below the temperature floor)` : ''}; ${r.events.length} event${r.events.length === 1 ? '' : 's'}.</p>`;
  const table = r.events.length ? `<table><tr><th>#</th><th>kind</th><th>kink (W)</th><th>end (W)</th><th>T at kink (K)</th><th>slope before (K/W)</th><th>slope after (K/W)</th><th>slope after end (K/W)</th><th>significance</th><th>detected at point</th></tr>
${r.events.map(eventRow).join('\n')}</table>` : '<p>No slope change found.</p>';
  return htmlPage(`pyrolive detect: ${source}`, [head, detectChartSvg(r), table]);
}
