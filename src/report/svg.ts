/**
 * A small, pure SVG chart renderer (no DOM, no dependencies): numbers in, one `<svg>` string out, for
 * self-contained HTML pages (`pyrolive detect --plot`, `pyrolive report`; their page frame is src/report/page.ts).
 *
 * What it draws: a frame with ticked, labelled axes (with units), any number of series (scatter points or
 * polylines), shaded x-intervals (e.g. a plateau's power range) behind the data, vertical marker lines, and a
 * legend. Non-finite points are dropped. All text is XML-escaped.
 *
 * Example:
 *   renderSvgChart({
 *     title: 'Power vs temperature',
 *     x: { label: 'Laser power', unit: 'W' }, y: { label: 'Temperature', unit: 'K' },
 *     series: [
 *       { kind: 'scatter', label: 'frames', points: [[10, 1500], [11, 1580]] },
 *       { kind: 'line', label: 'fit', points: [[10, 1490], [20, 2300]], color: '#d62728' },
 *     ],
 *     intervals: [{ from: 24.1, to: 31.8, label: 'plateau' }],
 *   });
 */

export type Point2 = readonly [number, number];

export interface SvgSeries {
  /** scatter: one circle per point; line: a polyline through the points in the given order. */
  kind: 'scatter' | 'line';
  points: ReadonlyArray<Point2>;
  /** Shown in the legend (omit to leave the series out of the legend). */
  label?: string;
  /** CSS colour; a palette colour by default. */
  color?: string;
  /** scatter: circle radius in px (default 2.5); line: stroke width in px (default 2). */
  size?: number;
  /** line: SVG stroke-dasharray, e.g. '6 3'. */
  dash?: string;
  /** scatter: draw hollow circles (e.g. outliers). */
  hollow?: boolean;
}

/** A shaded band over an x range (full plot height). */
export interface SvgInterval {
  from: number;
  to: number;
  label?: string;
  /** CSS colour of the band (drawn with opacity 0.18). Default orange. */
  color?: string;
}

/** A vertical line at x. */
export interface SvgMarker {
  x: number;
  label?: string;
  color?: string;
}

export interface SvgAxis {
  label: string;
  /** Unit shown as "label (unit)". */
  unit?: string;
  /** Fixed range; by default the data (series, intervals, markers) with 4 % padding. */
  min?: number;
  max?: number;
}

export interface SvgChartOptions {
  title?: string;
  /** Pixel size of the whole SVG. Default 800 × 480. */
  width?: number;
  height?: number;
  x: SvgAxis;
  y: SvgAxis;
  series: SvgSeries[];
  intervals?: SvgInterval[];
  markers?: SvgMarker[];
  /** Legend in the top-left corner inside the plot (default true when any series/interval has a label). */
  legend?: boolean;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#17becf'];

/** Escape text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** "Nice" tick values covering [min, max] with about `count` ticks (1, 2, 5 × 10^k steps). */
export function niceTicks(min: number, max: number, count = 6): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    return [];
  }
  if (max < min) {
    [min, max] = [max, min];
  }
  if (max === min) {
    return [min];
  }
  const raw = (max - min) / Math.max(count, 1);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const mantissa = raw / mag;
  const step = (mantissa >= 5 ? 10 : mantissa >= 2 ? 5 : mantissa >= 1 ? 2 : 1) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return out;
}

function fmtTick(v: number, step: number): string {
  const dec = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  return v.toFixed(dec);
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

/** Average width of a 12 px label character, to keep labels apart without measuring text. */
const LABEL_CHAR_WIDTH = 7;

/**
 * Lines for labels so that none prints on top of another: each label, in order of x, takes the first line whose
 * last label ends at least `gap` px before it starts. Returns the line (0 = top) of each label, in input order.
 */
export function labelLines(boxes: ReadonlyArray<{ x: number; width: number }>, gap = 8): number[] {
  const order = boxes.map((_, k) => k).sort((a, b) => boxes[a].x - boxes[b].x);
  const lineEnds: number[] = [];
  const lines = new Array<number>(boxes.length);
  for (const k of order) {
    let line = lineEnds.findIndex((end) => end + gap <= boxes[k].x);
    if (line < 0) {
      line = lineEnds.length;
      lineEnds.push(-Infinity);
    }
    lineEnds[line] = boxes[k].x + boxes[k].width;
    lines[k] = line;
  }
  return lines;
}

/** The series' name as a data attribute (to find a series in the page), or nothing. */
function seriesName(series: SvgSeries): string {
  return series.label ? ` data-series="${escapeXml(series.label)}"` : '';
}

/** Where the plot area sits inside the SVG, the data range it shows, and the data → pixel mapping. */
interface PlotFrame {
  width: number;
  height: number;
  left: number;
  top: number;
  plotWidth: number;
  plotHeight: number;
  xRange: [number, number];
  yRange: [number, number];
  toPixelX(x: number): number;
  toPixelY(y: number): number;
}

/** A legend line: a series (its marker or line style) or an interval (a shaded square). */
interface LegendEntry {
  label: string;
  color: string;
  kind: 'scatter' | 'line' | 'band';
  hollow?: boolean;
  dash?: string;
}

/** A label at the top of the plot for an interval or a marker, at pixel x. */
interface EventLabel {
  x: number;
  text: string;
  color: string;
}

const DEFAULT_INTERVAL_COLOR = '#ff7f0e';
const DEFAULT_MARKER_COLOR = '#555';

/** A pixel coordinate as written into the SVG (one decimal). */
function pixel(v: number): string {
  return v.toFixed(1);
}

/** The series' colour: its own, or the palette's by position. */
function seriesColor(series: SvgSeries, index: number): string {
  return series.color ?? PALETTE[index % PALETTE.length];
}

/** The finite data x and y values the axes must cover: series points, interval ends and marker positions. */
function dataExtents(options: SvgChartOptions): { xs: number[]; ys: number[] } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (const series of options.series) {
    for (const [x, y] of series.points) {
      if (Number.isFinite(x) && Number.isFinite(y)) {
        xs.push(x);
        ys.push(y);
      }
    }
  }
  for (const interval of options.intervals ?? []) {
    if (Number.isFinite(interval.from)) {
      xs.push(interval.from);
    }
    if (Number.isFinite(interval.to)) {
      xs.push(interval.to);
    }
  }
  for (const marker of options.markers ?? []) {
    if (Number.isFinite(marker.x)) {
      xs.push(marker.x);
    }
  }
  return { xs, ys };
}

/** The axis range: fixed ends where given, else the values' extent padded by 4 % (a single value gets ±1). */
function axisRange(values: number[], axis: SvgAxis): [number, number] {
  let low = axis.min ?? (values.length ? Math.min(...values) : 0);
  let high = axis.max ?? (values.length ? Math.max(...values) : 1);
  if (high === low) {
    low -= 1;
    high += 1;
  }
  const padding = 0.04 * (high - low);
  return [axis.min ?? low - padding, axis.max ?? high + padding];
}

/** Size, margins and data ranges of the chart, and the data → pixel mapping. */
function plotFrame(options: SvgChartOptions): PlotFrame {
  const width = options.width ?? 800;
  const height = options.height ?? 480;
  const left = 72;
  const right = 20;
  const top = options.title ? 36 : 16;
  const bottom = 52;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const { xs, ys } = dataExtents(options);
  const [x0, x1] = axisRange(xs, options.x);
  const [y0, y1] = axisRange(ys, options.y);
  return {
    width,
    height,
    left,
    top,
    plotWidth,
    plotHeight,
    xRange: [x0, x1],
    yRange: [y0, y1],
    toPixelX: (x: number) => left + ((x - x0) / (x1 - x0)) * plotWidth,
    toPixelY: (y: number) => top + plotHeight - ((y - y0) / (y1 - y0)) * plotHeight,
  };
}

/** The opening `<svg>` tag, the white background, the title and the clip path of the plot area. */
function renderHeader(options: SvgChartOptions, frame: PlotFrame): string[] {
  const { width, height } = frame;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  if (options.title) {
    parts.push(
      `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(options.title)}</text>`,
    );
  }
  parts.push(
    `<defs><clipPath id="plotclip"><rect x="${frame.left}" y="${frame.top}" width="${frame.plotWidth}" height="${frame.plotHeight}"/></clipPath></defs>`,
  );
  return parts;
}

/** The intervals with both ends finite. */
function drawableIntervals(options: SvgChartOptions): SvgInterval[] {
  return (options.intervals ?? []).filter((interval) => Number.isFinite(interval.from) && Number.isFinite(interval.to));
}

/** One shaded band per interval over the full plot height (drawn behind everything else). */
function renderIntervals(options: SvgChartOptions, frame: PlotFrame): string[] {
  return drawableIntervals(options).map((interval) => {
    const start = frame.toPixelX(Math.min(interval.from, interval.to));
    const end = frame.toPixelX(Math.max(interval.from, interval.to));
    const fill = escapeXml(interval.color ?? DEFAULT_INTERVAL_COLOR);
    return `<rect class="interval" x="${pixel(start)}" y="${frame.top}" width="${pixel(Math.max(end - start, 1))}" height="${frame.plotHeight}" fill="${fill}" fill-opacity="0.18" clip-path="url(#plotclip)"/>`;
  });
}

/** The labels of the intervals (at their left edge) and of the markers, in that order. */
function eventLabels(options: SvgChartOptions, frame: PlotFrame): EventLabel[] {
  const labels: EventLabel[] = [];
  for (const interval of drawableIntervals(options)) {
    if (interval.label) {
      const start = frame.toPixelX(Math.min(interval.from, interval.to));
      labels.push({ x: start, text: interval.label, color: '#a0522d' });
    }
  }
  for (const marker of options.markers ?? []) {
    if (Number.isFinite(marker.x) && marker.label) {
      labels.push({ x: frame.toPixelX(marker.x), text: marker.label, color: marker.color ?? DEFAULT_MARKER_COLOR });
    }
  }
  return labels;
}

/** The event labels at the top of the plot, each on a line of its own where they would overlap (labelLines). */
function renderEventLabels(labels: EventLabel[], frame: PlotFrame): string[] {
  const textWidth = (label: EventLabel) => label.text.length * LABEL_CHAR_WIDTH;
  const lines = labelLines(labels.map((label) => ({ x: label.x + 4, width: textWidth(label) })));
  return labels.map((label, k) => {
    const x = Math.min(label.x + 4, frame.left + frame.plotWidth - textWidth(label) - 2);
    const y = frame.top + 14 + 15 * lines[k];
    return `<text class="event-label" x="${pixel(x)}" y="${y}" fill="${escapeXml(label.color)}">${escapeXml(label.text)}</text>`;
  });
}

/** The difference between the first two ticks (1 when there are fewer than two). */
function tickStep(ticks: number[]): number {
  return ticks.length > 1 ? ticks[1] - ticks[0] : 1;
}

/** Vertical grid lines, tick marks and tick labels along the x axis. */
function renderXTicks(frame: PlotFrame): string[] {
  const [x0, x1] = frame.xRange;
  const ticks = niceTicks(x0, x1, Math.max(2, Math.round(frame.plotWidth / 90)));
  const step = tickStep(ticks);
  const bottom = frame.top + frame.plotHeight;
  const parts: string[] = [];
  for (const tick of ticks) {
    const px = pixel(frame.toPixelX(tick));
    parts.push(`<line x1="${px}" y1="${frame.top}" x2="${px}" y2="${bottom}" stroke="#e5e5e5"/>`);
    parts.push(`<line x1="${px}" y1="${bottom}" x2="${px}" y2="${bottom + 5}" stroke="#333"/>`);
    parts.push(`<text x="${px}" y="${bottom + 18}" text-anchor="middle">${fmtTick(tick, step)}</text>`);
  }
  return parts;
}

/** Horizontal grid lines, tick marks and tick labels along the y axis. */
function renderYTicks(frame: PlotFrame): string[] {
  const [y0, y1] = frame.yRange;
  const ticks = niceTicks(y0, y1, Math.max(2, Math.round(frame.plotHeight / 60)));
  const step = tickStep(ticks);
  const left = frame.left;
  const parts: string[] = [];
  for (const tick of ticks) {
    const py = pixel(frame.toPixelY(tick));
    parts.push(`<line x1="${left}" y1="${py}" x2="${left + frame.plotWidth}" y2="${py}" stroke="#e5e5e5"/>`);
    parts.push(`<line x1="${left - 5}" y1="${py}" x2="${left}" y2="${py}" stroke="#333"/>`);
    parts.push(
      `<text x="${left - 8}" y="${py}" text-anchor="end" dominant-baseline="middle">${fmtTick(tick, step)}</text>`,
    );
  }
  return parts;
}

/** "label (unit)", escaped. */
function axisTitle(axis: SvgAxis): string {
  return escapeXml(axis.unit ? `${axis.label} (${axis.unit})` : axis.label);
}

/** The plot's border and the two axis titles (the y title rotated). */
function renderAxes(options: SvgChartOptions, frame: PlotFrame): string[] {
  const { left, top, plotWidth, plotHeight } = frame;
  const middleY = top + plotHeight / 2;
  return [
    `<rect x="${left}" y="${top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#333"/>`,
    `<text class="xlabel" x="${left + plotWidth / 2}" y="${frame.height - 12}" text-anchor="middle">${axisTitle(options.x)}</text>`,
    `<text class="ylabel" x="16" y="${middleY}" text-anchor="middle" transform="rotate(-90 16 ${middleY})">${axisTitle(options.y)}</text>`,
  ];
}

/** A dashed vertical line per marker with a finite x. */
function renderMarkers(options: SvgChartOptions, frame: PlotFrame): string[] {
  const parts: string[] = [];
  for (const marker of options.markers ?? []) {
    if (!Number.isFinite(marker.x)) {
      continue;
    }
    const px = pixel(frame.toPixelX(marker.x));
    const stroke = escapeXml(marker.color ?? DEFAULT_MARKER_COLOR);
    parts.push(
      `<line class="marker" x1="${px}" y1="${frame.top}" x2="${px}" y2="${frame.top + frame.plotHeight}" stroke="${stroke}" stroke-dasharray="4 3"/>`,
    );
  }
  return parts;
}

/** A line series as one clipped polyline; nothing when fewer than two points are finite. */
function renderLineSeries(series: SvgSeries, points: Point2[], color: string, frame: PlotFrame): string[] {
  if (points.length < 2) {
    return [];
  }
  const coordinates = points.map(([x, y]) => `${pixel(frame.toPixelX(x))},${pixel(frame.toPixelY(y))}`).join(' ');
  const dash = series.dash ? ` stroke-dasharray="${escapeXml(series.dash)}"` : '';
  return [
    `<polyline class="series-line"${seriesName(series)} points="${coordinates}" fill="none" stroke="${color}" stroke-width="${series.size ?? 2}"${dash} clip-path="url(#plotclip)"/>`,
  ];
}

/** A scatter series as one clipped group of circles (filled, or hollow). */
function renderScatterSeries(series: SvgSeries, points: Point2[], color: string, frame: PlotFrame): string[] {
  const radius = series.size ?? 2.5;
  const fill = series.hollow ? 'none' : color;
  const circles = points
    .map(([x, y]) => `<circle cx="${pixel(frame.toPixelX(x))}" cy="${pixel(frame.toPixelY(y))}" r="${radius}"/>`)
    .join('');
  return [
    `<g class="series-scatter"${seriesName(series)} fill="${fill}" stroke="${color}" stroke-width="1" clip-path="url(#plotclip)">${circles}</g>`,
  ];
}

/** Every series in order, its non-finite points dropped. */
function renderSeries(options: SvgChartOptions, frame: PlotFrame): string[] {
  const parts: string[] = [];
  options.series.forEach((series, index) => {
    const color = escapeXml(seriesColor(series, index));
    const points = series.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    const render = series.kind === 'line' ? renderLineSeries : renderScatterSeries;
    parts.push(...render(series, points, color, frame));
  });
  return parts;
}

/** Legend lines: the labelled series, then the labelled intervals whose label no series has taken. */
function legendEntries(options: SvgChartOptions): LegendEntry[] {
  const entries: LegendEntry[] = [];
  options.series.forEach((series, index) => {
    if (series.label) {
      entries.push({
        label: series.label,
        color: seriesColor(series, index),
        kind: series.kind,
        hollow: series.hollow,
        dash: series.dash,
      });
    }
  });
  for (const interval of options.intervals ?? []) {
    if (interval.label && !entries.some((entry) => entry.label === interval.label)) {
      entries.push({ label: interval.label, color: interval.color ?? DEFAULT_INTERVAL_COLOR, kind: 'band' });
    }
  }
  return entries;
}

/** The symbol of one legend line (a short line, a shaded square or a circle) left of its text at (x, baseline). */
function renderLegendSymbol(entry: LegendEntry, x: number, baseline: number): string {
  const color = escapeXml(entry.color);
  if (entry.kind === 'line') {
    const dash = entry.dash ? ` stroke-dasharray="${escapeXml(entry.dash)}"` : '';
    return `<line x1="${x}" y1="${baseline - 4}" x2="${x + 18}" y2="${baseline - 4}" stroke="${color}" stroke-width="2"${dash}/>`;
  }
  if (entry.kind === 'band') {
    return `<rect x="${x}" y="${baseline - 10}" width="18" height="12" fill="${color}" fill-opacity="0.18" stroke="${color}"/>`;
  }
  return `<circle cx="${x + 9}" cy="${baseline - 4}" r="3" fill="${entry.hollow ? 'none' : color}" stroke="${color}"/>`;
}

/** The legend box in the top-left corner of the plot: a symbol and a label per entry. */
function renderLegend(entries: LegendEntry[], frame: PlotFrame): string[] {
  const x = frame.left + 10;
  let baseline = frame.top + 26;
  const boxWidth = 18 + 8 + Math.max(...entries.map((entry) => entry.label.length)) * 7 + 10;
  const parts: string[] = [];
  parts.push(
    `<rect x="${x - 6}" y="${baseline - 14}" width="${boxWidth}" height="${entries.length * 18 + 8}" fill="#ffffff" fill-opacity="0.85" stroke="#ccc"/>`,
  );
  for (const entry of entries) {
    parts.push(renderLegendSymbol(entry, x, baseline));
    parts.push(`<text x="${x + 26}" y="${baseline}">${escapeXml(entry.label)}</text>`);
    baseline += 18;
  }
  return parts;
}

/** Render the chart as a standalone `<svg>` element string. */
export function renderSvgChart(options: SvgChartOptions): string {
  const frame = plotFrame(options);
  const entries = legendEntries(options);
  const showLegend = (options.legend ?? true) && entries.length > 0;
  const parts = [
    ...renderHeader(options, frame),
    ...renderIntervals(options, frame),
    ...renderEventLabels(eventLabels(options, frame), frame),
    ...renderXTicks(frame),
    ...renderYTicks(frame),
    ...renderAxes(options, frame),
    ...renderMarkers(options, frame),
    ...renderSeries(options, frame),
    ...(showLegend ? renderLegend(entries, frame) : []),
    '</svg>',
  ];
  return parts.join('\n');
}

export { fmt as formatNumber };
