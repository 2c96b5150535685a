/**
 * The shot report: one self-contained HTML page (inline CSS and SVG, no script, no external asset) for the
 * logbook — summary, temperature vs time, temperature vs laser power with the plateaus shaded, and the events.
 * Pure: data in, a string out (loading files is the CLI's job, src/cli/commands/report.ts).
 */
import type { FrameFlag, FrameResult } from '../analysis/types';
import { renderSvgChart, type Point2, type SvgInterval } from './svg';

/** The fields of a frame the report uses (from `analyze --json`, or a recording's results.csv). */
export interface ReportFrame extends Pick<FrameResult, 'index' | 'time' | 'power' | 'temperature' | 'temperatureError' | 'chi2'> {
  flags: FrameFlag[] | string[];
}

/** The fields of a detector event the report uses (SlopeEvent and LiveEvent both have them). */
export interface ReportEvent {
  kind: string;
  startPower: number;
  endPower: number | null;
  temperature: number;
  slopeBefore: number | null;
  slopeAfter: number | null;
  significance: number | null;
  detectedAtIndex: number | null;
  /** Frame indices where the event starts / ends (to shade it on the time axis). */
  startIndex?: number | null;
  endIndex?: number | null;
  startPowerError?: number | null;
  endPowerError?: number | null;
  slopeBeforeError?: number | null;
  slopeAfterError?: number | null;
}

export interface ShotData {
  /** Where the data came from (file or folder), shown in the title block. */
  source: string;
  /** Fitting engine ('native', 'js'), null when the input does not say. */
  engine: string | null;
  frames: ReportFrame[];
  events: ReportEvent[];
}

/** Renders the two charts to SVG strings (default: svgCharts, on src/report/svg.ts). */
export interface ChartRenderer {
  temperatureVsTime(frames: ReportFrame[], events: ReportEvent[]): string;
  temperatureVsPower(frames: ReportFrame[], events: ReportEvent[]): string;
}

export interface ReportOptions {
  title?: string;
  /** ISO time stamp printed in the footer (default: now). */
  generatedAt?: string;
  /** pyrolive version for the footer. */
  version?: string;
  /** Chart renderer (default svgCharts); null leaves the charts out. */
  charts?: ChartRenderer | null;
}

/** At most this many points per series in a chart: a 100,000-frame shot still makes a light page. */
export const MAX_CHART_POINTS = 4000;

function thin<T>(items: T[], max = MAX_CHART_POINTS): T[] {
  if (items.length <= max) return items;
  const step = items.length / max;
  const out: T[] = [];
  for (let k = 0; k < max; k++) out.push(items[Math.floor(k * step)]);
  if (out[out.length - 1] !== items[items.length - 1]) out.push(items[items.length - 1]);
  return out;
}

const hasT = (f: ReportFrame): f is ReportFrame & { temperature: number } => f.temperature !== null && Number.isFinite(f.temperature);
const COLOR_T = '#d9480f';
const COLOR_FLAG = '#c2255c';
const COLOR_MEAN = '#1971c2';
const COLOR_PLATEAU = '#f59f00';
const CHART_SIZE = { width: 1000, height: 420 }; // both charts the same size (their SVG clip paths share an id)

function eventLabel(e: ReportEvent): string {
  return `${e.kind === 'plateau' ? 'plateau' : 'slope change'}${e.endPower === null ? ' (open)' : ''}`;
}

/** Charts drawn with the pure SVG renderer of src/report/svg.ts. */
export const svgCharts: ChartRenderer = {
  temperatureVsTime(frames, events) {
    const good = frames.filter((f) => hasT(f) && f.time !== null && f.flags.length === 0);
    const flagged = frames.filter((f) => hasT(f) && f.time !== null && f.flags.length > 0);
    const timeOf = (index: number | null | undefined): number | null => {
      if (index === null || index === undefined) return null;
      const f = frames.find((x) => x.index >= index && x.time !== null);
      return f ? f.time : null;
    };
    const lastTime = frames.reduce((m, f) => (f.time !== null && f.time > m ? f.time : m), -Infinity);
    const intervals: SvgInterval[] = [];
    for (const e of events) {
      const a = timeOf(e.startIndex);
      if (a === null) continue;
      const b = e.endIndex === null || e.endIndex === undefined ? lastTime : timeOf(e.endIndex) ?? lastTime;
      intervals.push({ from: a, to: b, label: eventLabel(e), color: COLOR_PLATEAU });
    }
    return renderSvgChart({
      ...CHART_SIZE,
      x: { label: 'Time', unit: 's' },
      y: { label: 'Temperature', unit: 'K' },
      series: [
        { kind: 'line', label: 'temperature', color: COLOR_T, size: 1.5, points: thin(good).map((f) => [f.time as number, f.temperature] as Point2) },
        { kind: 'scatter', label: 'flagged frames', color: COLOR_FLAG, hollow: true, size: 3, points: thin(flagged, 1000).map((f) => [f.time as number, f.temperature] as Point2) },
      ],
      intervals,
    });
  },
  temperatureVsPower(frames, events) {
    const pts = frames.filter((f) => hasT(f) && f.power !== null && Number.isFinite(f.power) && f.flags.length === 0);
    // the mean temperature of each power step, in power order
    const steps = new Map<number, { sum: number; n: number }>();
    for (const f of pts) {
      const key = Math.round((f.power as number) * 1000) / 1000;
      const s = steps.get(key) ?? { sum: 0, n: 0 };
      s.sum += f.temperature as number;
      s.n++;
      steps.set(key, s);
    }
    const means = [...steps.entries()].sort((a, b) => a[0] - b[0]).map(([p, s]) => [p, s.sum / s.n] as Point2);
    const maxPower = means.length ? means[means.length - 1][0] : 0;
    return renderSvgChart({
      ...CHART_SIZE,
      x: { label: 'Laser power', unit: 'W' },
      y: { label: 'Temperature', unit: 'K' },
      series: [
        { kind: 'scatter', label: 'frames', color: COLOR_T, size: 2, points: thin(pts).map((f) => [f.power as number, f.temperature as number] as Point2) },
        { kind: 'line', label: 'mean per power step', color: COLOR_MEAN, size: 2, points: thin(means) },
      ],
      intervals: events.map((e) => ({ from: e.startPower, to: e.endPower ?? Math.max(maxPower, e.startPower), label: eventLabel(e), color: COLOR_PLATEAU })),
    });
  },
};

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c] as string));
}

const n = (v: number | null | undefined, digits: number): string => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits));
const pm = (v: number | null | undefined, e: number | null | undefined, digits: number): string =>
  e === null || e === undefined || !Number.isFinite(e) ? n(v, digits) : `${n(v, digits)} ± ${n(e, digits)}`;

export interface ShotSummary {
  frames: number;
  withTemperature: number;
  flagged: Record<string, number>;
  flaggedFrames: number;
  temperatureMin: number | null;
  temperatureMax: number | null;
  powerMin: number | null;
  powerMax: number | null;
  duration: number | null;
  medianSigma: number | null;
}

export function summarize(frames: ReportFrame[]): ShotSummary {
  const flagged: Record<string, number> = {};
  let flaggedFrames = 0;
  let withT = 0;
  let tMin = Infinity, tMax = -Infinity, pMin = Infinity, pMax = -Infinity, t0 = Infinity, t1 = -Infinity;
  const sig: number[] = [];
  for (const f of frames) {
    if (f.flags.length) flaggedFrames++;
    for (const fl of f.flags) flagged[fl] = (flagged[fl] ?? 0) + 1;
    if (f.temperature !== null && Number.isFinite(f.temperature)) {
      withT++;
      tMin = Math.min(tMin, f.temperature);
      tMax = Math.max(tMax, f.temperature);
      if (f.temperatureError !== null && Number.isFinite(f.temperatureError)) sig.push(f.temperatureError);
    }
    if (f.power !== null && Number.isFinite(f.power)) { pMin = Math.min(pMin, f.power); pMax = Math.max(pMax, f.power); }
    if (f.time !== null && Number.isFinite(f.time)) { t0 = Math.min(t0, f.time); t1 = Math.max(t1, f.time); }
  }
  sig.sort((a, b) => a - b);
  const fin = (v: number) => (Number.isFinite(v) ? v : null);
  return {
    frames: frames.length, withTemperature: withT, flagged, flaggedFrames,
    temperatureMin: fin(tMin), temperatureMax: fin(tMax), powerMin: fin(pMin), powerMax: fin(pMax),
    duration: Number.isFinite(t0) ? t1 - t0 : null,
    medianSigma: sig.length ? sig[Math.floor(sig.length / 2)] : null,
  };
}

/** "plateau at 24.1 W, 3120 K" — the same sentence as the live dashboard. */
export function eventSentence(e: ReportEvent): string {
  return `${e.kind === 'plateau' ? 'plateau' : 'slope change'} at ${n(e.startPower, 1)} W, ${n(e.temperature, 0)} K`;
}

export const CSS = `
:root{color-scheme:light}
body{margin:0;background:#f6f7f9;color:#1d232b;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:15px;margin:28px 0 10px;text-transform:uppercase;letter-spacing:.06em;color:#55606c}
.src{color:#55606c;word-break:break-all}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:10px;margin-top:16px}
.card{background:#fff;border:1px solid #dde2e8;border-radius:8px;padding:10px 12px}
.card dt{font-size:12px;color:#6b7682}
.card dd{margin:2px 0 0;font-size:18px;font-weight:650;font-variant-numeric:tabular-nums}
.chart{background:#fff;border:1px solid #dde2e8;border-radius:8px;padding:8px;margin-bottom:14px}
.chart svg{width:100%;height:auto;display:block}
.none{color:#6b7682;font-style:italic}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #dde2e8;font-variant-numeric:tabular-nums}
th,td{padding:6px 10px;border-bottom:1px solid #eceff3;text-align:right;white-space:nowrap}
th{background:#eef1f5;font-size:12px;color:#3d4751}td:first-child,th:first-child{text-align:left}
tr.plateau td:first-child{font-weight:650;color:#a15c00}
footer{margin-top:28px;color:#8a949e;font-size:12px}
@media print{body{background:#fff}.chart,.card,table{break-inside:avoid}}
`;

export function renderReport(shot: ShotData, opts: ReportOptions = {}): string {
  const s = summarize(shot.frames);
  const title = opts.title ?? 'pyrolive shot report';
  const flaggedText = Object.keys(s.flagged).length
    ? Object.entries(s.flagged).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${escapeHtml(k)} ${v}`).join(', ')
    : 'none';
  const card = (label: string, value: string) => `<div class="card"><dt>${label}</dt><dd>${value}</dd></div>`;
  const cards = [
    card('frames', String(s.frames)),
    card('with temperature', String(s.withTemperature)),
    card('flagged frames', `${s.flaggedFrames}`),
    card('temperature', s.temperatureMin === null ? '—' : `${n(s.temperatureMin, 0)}–${n(s.temperatureMax, 0)} K`),
    card('laser power', s.powerMin === null ? '—' : `${n(s.powerMin, 1)}–${n(s.powerMax, 1)} W`),
    card('median σT', s.medianSigma === null ? '—' : `${n(s.medianSigma, 1)} K`),
    card('duration', s.duration === null ? '—' : `${n(s.duration, 2)} s`),
    card('engine', escapeHtml(shot.engine ?? 'unknown')),
  ].join('');

  const plateaus = shot.events.filter((e) => e.kind === 'plateau');
  const headline = plateaus.length
    ? plateaus.map((e) => escapeHtml(eventSentence(e))).join('; ')
    : shot.events.length ? shot.events.map((e) => escapeHtml(eventSentence(e))).join('; ') : 'no change of slope detected';

  const renderer = opts.charts === undefined ? svgCharts : opts.charts;
  let charts = '';
  if (renderer) {
    const hasPower = shot.frames.some((f) => f.power !== null && hasT(f));
    charts = `<h2>Temperature vs time</h2><div class="chart" id="chart-time">${renderer.temperatureVsTime(shot.frames, shot.events)}</div>` +
      `<h2>Temperature vs laser power</h2>` + (hasPower
        ? `<div class="chart" id="chart-power">${renderer.temperatureVsPower(shot.frames, shot.events)}</div>`
        : `<p class="none" id="chart-power">no laser power paired with the frames</p>`);
  }

  const rows = shot.events.map((e) => `<tr class="${e.kind === 'plateau' ? 'plateau' : ''}"><td>${escapeHtml(e.kind)}</td>` +
    `<td>${pm(e.startPower, e.startPowerError, 2)}</td><td>${e.endPower === null ? 'open' : pm(e.endPower, e.endPowerError, 2)}</td>` +
    `<td>${n(e.temperature, 0)}</td><td>${pm(e.slopeBefore, e.slopeBeforeError, 1)}</td><td>${pm(e.slopeAfter, e.slopeAfterError, 1)}</td>` +
    `<td>${n(e.significance, 1)}</td><td>${e.detectedAtIndex ?? '—'}</td></tr>`).join('\n');
  const eventsTable = shot.events.length
    ? `<table id="events"><thead><tr><th>event</th><th>start power (W)</th><th>end power (W)</th><th>T at kink (K)</th>` +
      `<th>slope before (K/W)</th><th>slope after (K/W)</th><th>significance (σ)</th><th>detected at frame</th></tr></thead>\n<tbody>${rows}</tbody></table>`
    : `<p class="none" id="events">no events</p>`;

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="generator" content="pyrolive${opts.version ? ' ' + escapeHtml(opts.version) : ''}">
<title>${escapeHtml(title)}</title><style>${CSS}</style></head>
<body><main>
<h1>${escapeHtml(title)}</h1>
<div class="src">${escapeHtml(shot.source)}</div>
<p id="headline"><strong>${headline}</strong></p>
<dl class="cards" id="summary">${cards}</dl>
<p>Flagged: ${flaggedText}</p>
${charts}
<h2>Events</h2>
${eventsTable}
<footer>generated by pyrolive${opts.version ? ' ' + escapeHtml(opts.version) : ''} on ${escapeHtml(opts.generatedAt ?? new Date().toISOString())}</footer>
</main></body></html>
`;
}
