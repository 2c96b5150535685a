/**
 * The shot report: one self-contained HTML page (inline CSS and SVG, no script, no external asset) for the
 * logbook — summary, temperature vs time, temperature vs laser power with the plateaus shaded, and the events.
 * Pure: data in, a string out (loading files is the CLI's job, src/cli/commands/report.ts).
 */
import type { FrameFlag, FrameResult } from '../analysis/types';
import {
  AXES,
  CHART_TITLES,
  chartSection,
  escapeHtml,
  eventLabel,
  eventsTable,
  eventSentence,
  formatValue,
  PAGE_COLORS,
  PAGE_ROI_COLORS,
  renderPage,
  type TableEvent,
} from './page';
import { renderSvgChart, type Point2, type SvgInterval, type SvgMarker, type SvgSeries } from './svg';

export { escapeHtml, eventSentence };

/** A ROI's temperature in a frame (double-sided heating). */
export interface ReportRoi {
  temperature: number | null;
  temperatureError: number | null;
}

/** The fields of a frame the report uses (from `analyze --json`, `analyze --out x.csv`, or a recording). */
export interface ReportFrame extends Pick<
  FrameResult,
  'index' | 'time' | 'power' | 'temperature' | 'temperatureError' | 'chi2'
> {
  flags: FrameFlag[] | string[];
  /** Each ROI's temperature, when several ROIs were fitted (the first ROI's is also the top-level one). */
  rois?: Record<string, ReportRoi>;
}

/** The fields of a detector event the report uses (SlopeEvent and LiveEvent both have them). */
export interface ReportEvent extends TableEvent {
  /** Frame indices where the event starts / ends (to shade it on the time axis). */
  startIndex?: number | null;
  endIndex?: number | null;
}

export interface ShotData {
  /** Where the data came from (file or folder), shown in the title block. */
  source: string;
  /** Fitting engine ('native', 'js'), null when the input does not say. */
  engine: string | null;
  frames: ReportFrame[];
  events: ReportEvent[];
  /** Set when the input cannot hold events (a results CSV): said instead of "no change of slope detected". */
  eventsUnknown?: string;
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
  if (items.length <= max) {
    return items;
  }
  const step = items.length / max;
  const out: T[] = [];
  for (let k = 0; k < max; k++) {
    out.push(items[Math.floor(k * step)]);
  }
  if (out[out.length - 1] !== items[items.length - 1]) {
    out.push(items[items.length - 1]);
  }
  return out;
}

const hasT = (f: ReportFrame): f is ReportFrame & { temperature: number } =>
  f.temperature !== null && Number.isFinite(f.temperature);
/** Both charts the same size (their SVG clip paths share an id); near 1:1 on an 800 px screen. */
const CHART_SIZE = { width: 860, height: 400 };

/** The ROI names of a shot (double-sided heating), in the order of the first frame that has them; [] for one ROI. */
export function shotRois(frames: readonly ReportFrame[]): string[] {
  const first = frames.find((f) => f.rois && Object.keys(f.rois).length >= 2);
  return first?.rois ? Object.keys(first.rois) : [];
}

/** The colour of the k-th ROI (the first is the main series). */
function roiColor(k: number): string {
  return k === 0 ? PAGE_COLORS.temperature : PAGE_ROI_COLORS[(k - 1) % PAGE_ROI_COLORS.length];
}

/** A ROI's temperature in a frame: its own value when the frame has ROIs, else the top-level one. */
function roiTemperature(f: ReportFrame, roi: string | null): number | null {
  if (roi === null || !f.rois) {
    return hasT(f) ? f.temperature : null;
  }
  const value = f.rois[roi]?.temperature ?? null;
  return value !== null && Number.isFinite(value) ? value : null;
}

/** One [x, T] series per ROI (one series named "temperature" without ROIs), from good frames. */
function temperatureSeries(
  frames: readonly ReportFrame[],
  x: (f: ReportFrame) => number | null,
  kind: 'line' | 'scatter',
  single: string,
): SvgSeries[] {
  const rois = shotRois(frames);
  const names: (string | null)[] = rois.length ? rois : [null];
  return names.map((roi, k) => {
    const points: Point2[] = [];
    for (const f of frames) {
      const at = x(f);
      const temperature = roiTemperature(f, roi);
      if (f.flags.length === 0 && at !== null && Number.isFinite(at) && temperature !== null) {
        points.push([at, temperature]);
      }
    }
    const size = kind === 'line' ? 1.5 : 2;
    return { kind, label: roi ?? single, color: roiColor(k), size, points: thin(points) };
  });
}

/** An event on a chart from `from` to `to` (its end, null while open): plateaus shaded, slope changes as lines. */
function eventShapes(
  events: readonly ReportEvent[],
  place: (e: ReportEvent) => [number, number | null] | null,
  dataEnd: number,
) {
  const intervals: SvgInterval[] = [];
  const markers: SvgMarker[] = [];
  for (const e of events) {
    const at = place(e);
    if (!at) {
      continue;
    }
    const [from, to] = at;
    if (e.kind === 'plateau') {
      const label = eventLabel(e.kind, e.endPower);
      intervals.push({ from, to: to ?? Math.max(dataEnd, from), label, color: PAGE_COLORS.plateau });
    } else {
      markers.push({ x: from, label: eventLabel(e.kind, null), color: PAGE_COLORS.slopeChange });
    }
  }
  return { intervals, markers };
}

/** Charts drawn with the pure SVG renderer of src/report/svg.ts: one temperature series per ROI. */
export const svgCharts: ChartRenderer = {
  temperatureVsTime(frames, events) {
    const flagged = frames.filter((f) => hasT(f) && f.time !== null && f.flags.length > 0);
    const timeOf = (index: number | null | undefined): number | null => {
      if (index === null || index === undefined) {
        return null;
      }
      const f = frames.find((x) => x.index >= index && x.time !== null);
      return f ? f.time : null;
    };
    const lastTime = frames.reduce((m, f) => (f.time !== null && f.time > m ? f.time : m), -Infinity);
    const place = (e: ReportEvent): [number, number | null] | null => {
      const from = timeOf(e.startIndex);
      return from === null ? null : [from, e.endPower === null ? null : (timeOf(e.endIndex) ?? timeAtPower(frames, e))];
    };
    const series = temperatureSeries(frames, (f) => f.time, 'line', 'temperature');
    series.push({
      kind: 'scatter',
      label: 'flagged frames',
      color: PAGE_COLORS.flagged,
      hollow: true,
      size: 3,
      points: thin(flagged, 1000).map((f) => [f.time as number, f.temperature] as Point2),
    });
    return renderSvgChart({
      ...CHART_SIZE,
      x: AXES.time,
      y: AXES.temperature,
      series,
      ...eventShapes(events, place, lastTime),
    });
  },
  temperatureVsPower(frames, events) {
    const means = stepMeans(frames);
    const maxPower = means.length ? means[means.length - 1][0] : 0;
    const series = temperatureSeries(frames, (f) => f.power, 'scatter', 'frames');
    const mainName = series[0].label === 'frames' ? 'mean per step' : `${series[0].label} mean per step`;
    series.splice(1, 0, { kind: 'line', label: mainName, color: PAGE_COLORS.mean, size: 2, points: thin(means) });
    const place = (e: ReportEvent): [number, number | null] => [e.startPower, e.endPower];
    return renderSvgChart({
      ...CHART_SIZE,
      x: AXES.power,
      y: AXES.temperature,
      series,
      ...eventShapes(events, place, maxPower),
    });
  },
};

/** The time of the first frame after a plateau's start at or above its end power (its end frame unknown). */
function timeAtPower(frames: readonly ReportFrame[], e: ReportEvent): number | null {
  if (e.endPower === null) {
    return null;
  }
  const startIndex = e.startIndex ?? -Infinity;
  const f = frames.find((x) => x.index >= startIndex && x.power !== null && x.power >= e.endPower! && x.time !== null);
  return f ? f.time : null;
}

/** The mean temperature of each power step of the good frames (the main ROI), in power order. */
function stepMeans(frames: readonly ReportFrame[]): Point2[] {
  const steps = new Map<number, { sum: number; n: number }>();
  for (const f of frames) {
    if (!hasT(f) || f.power === null || !Number.isFinite(f.power) || f.flags.length) {
      continue;
    }
    const key = Math.round(f.power * 1000) / 1000;
    const step = steps.get(key) ?? { sum: 0, n: 0 };
    step.sum += f.temperature;
    step.n++;
    steps.set(key, step);
  }
  return [...steps.entries()].sort((a, b) => a[0] - b[0]).map(([power, step]) => [power, step.sum / step.n] as Point2);
}

const n = formatValue;

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
  let tMin = Infinity,
    tMax = -Infinity,
    pMin = Infinity,
    pMax = -Infinity,
    t0 = Infinity,
    t1 = -Infinity;
  const sig: number[] = [];
  for (const f of frames) {
    if (f.flags.length) {
      flaggedFrames++;
    }
    for (const fl of f.flags) {
      flagged[fl] = (flagged[fl] ?? 0) + 1;
    }
    if (f.temperature !== null && Number.isFinite(f.temperature)) {
      withT++;
      tMin = Math.min(tMin, f.temperature);
      tMax = Math.max(tMax, f.temperature);
      if (f.temperatureError !== null && Number.isFinite(f.temperatureError)) {
        sig.push(f.temperatureError);
      }
    }
    if (f.power !== null && Number.isFinite(f.power)) {
      pMin = Math.min(pMin, f.power);
      pMax = Math.max(pMax, f.power);
    }
    if (f.time !== null && Number.isFinite(f.time)) {
      t0 = Math.min(t0, f.time);
      t1 = Math.max(t1, f.time);
    }
  }
  sig.sort((a, b) => a - b);
  const fin = (v: number) => (Number.isFinite(v) ? v : null);
  return {
    frames: frames.length,
    withTemperature: withT,
    flagged,
    flaggedFrames,
    temperatureMin: fin(tMin),
    temperatureMax: fin(tMax),
    powerMin: fin(pMin),
    powerMax: fin(pMax),
    duration: Number.isFinite(t0) ? t1 - t0 : null,
    medianSigma: sig.length ? sig[Math.floor(sig.length / 2)] : null,
  };
}

/** The summary cards: counts, ranges, and each ROI's temperature range with several ROIs. */
function summaryCards(shot: ShotData, s: ShotSummary): string {
  const card = (label: string, value: string) =>
    `<div class="card"><dt>${escapeHtml(label)}</dt><dd>${value}</dd></div>`;
  const range = (lo: number | null, hi: number | null, digits: number, unit: string) =>
    lo === null ? '—' : `${n(lo, digits)}–${n(hi, digits)} ${unit}`;
  const cards = [
    card('frames', String(s.frames)),
    card('with temperature', String(s.withTemperature)),
    card('flagged frames', `${s.flaggedFrames}`),
    card('temperature', range(s.temperatureMin, s.temperatureMax, 0, 'K')),
  ];
  for (const roi of shotRois(shot.frames)) {
    const values = shot.frames.map((f) => roiTemperature(f, roi)).filter((v): v is number => v !== null);
    const lo = values.length ? Math.min(...values) : null;
    const hi = values.length ? Math.max(...values) : null;
    cards.push(card(`${roi} temperature`, range(lo, hi, 0, 'K')));
  }
  cards.push(
    card('laser power', range(s.powerMin, s.powerMax, 1, 'W')),
    card('median σT', s.medianSigma === null ? '—' : `${n(s.medianSigma, 1)} K`),
    card('duration', s.duration === null ? '—' : `${n(s.duration, 2)} s`),
    card('engine', escapeHtml(shot.engine ?? 'unknown')),
  );
  return `<dl class="cards" id="summary">${cards.join('')}</dl>`;
}

/** The page's headline: the plateaus' sentences, else every event's, else "no change of slope detected". */
function headline(events: readonly ReportEvent[], eventsUnknown?: string): string {
  const plateaus = events.filter((e) => e.kind === 'plateau');
  const shown = plateaus.length ? plateaus : events;
  const none = eventsUnknown ?? 'no change of slope detected';
  const text = shown.length ? shown.map((e) => eventSentence(e)).join('; ') : none;
  return `<p id="headline"><strong>${escapeHtml(text)}</strong></p>`;
}

function chartsHtml(shot: ShotData, renderer: ChartRenderer): string {
  const hasPower = shot.frames.some((f) => f.power !== null && hasT(f));
  const time = chartSection('chart-time', CHART_TITLES.time, renderer.temperatureVsTime(shot.frames, shot.events));
  const power = hasPower
    ? chartSection('chart-power', CHART_TITLES.power, renderer.temperatureVsPower(shot.frames, shot.events))
    : `<h2>${CHART_TITLES.power}</h2><p class="none" id="chart-power">no laser power paired with the frames</p>`;
  return time + power;
}

/** The events table, or why there is none to show. */
function eventsSection(shot: ShotData): string {
  if (shot.eventsUnknown && !shot.events.length) {
    return `<p class="none" id="events">${escapeHtml(shot.eventsUnknown)}</p>`;
  }
  return eventsTable(shot.events);
}

/** The shot report page (see the file's comment). */
export function renderReport(shot: ShotData, opts: ReportOptions = {}): string {
  const summary = summarize(shot.frames);
  const flaggedText = Object.keys(summary.flagged).length
    ? Object.entries(summary.flagged)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')
    : 'none';
  const renderer = opts.charts === undefined ? svgCharts : opts.charts;
  return renderPage({
    title: opts.title ?? 'pyrolive shot report',
    source: shot.source,
    version: opts.version,
    generatedAt: opts.generatedAt ?? new Date().toISOString(),
    body: [
      headline(shot.events, shot.eventsUnknown),
      summaryCards(shot, summary),
      `<p>Flagged: ${escapeHtml(flaggedText)}</p>`,
      renderer ? chartsHtml(shot, renderer) : '',
      '<h2>Events</h2>',
      eventsSection(shot),
    ],
  });
}
