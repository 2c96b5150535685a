/**
 * The phase-diagram page of a beamtime: plateau-onset temperature against pressure, one point per shot with its
 * 1σ error bar, a hover title naming the shot, a link to the shot's report where there is one; shots without a
 * plateau drawn apart (hollow, at the highest temperature they reached: no transition below it) and listed in
 * their own table; published points or theory lines (overlays) beside them with a legend. Self-contained: inline
 * CSS and SVG, no script, no external request; the look of `pyrolive report` (src/report/html.ts).
 * Pure: data in, a string out.
 */
import { PAGE_CSS as CSS, escapeHtml } from '../report/page';
import { niceTicks } from '../report/svg';
import { isOptionColumn } from './manifest';
import type { OverlaySeries } from './overlay';
import type { ShotSummaryRow } from './summary';

export interface PhasePlotOptions {
  title?: string;
  /** Link of a shot's report (relative to the page), or null when it has none. */
  reportHref?: (row: ShotSummaryRow) => string | null;
  overlays?: OverlaySeries[];
  version?: string;
  generatedAt?: string;
}

const SIZE = { width: 1000, height: 560, left: 78, right: 24, top: 20, bottom: 56 };
const COLOR_SHOT = '#d9480f';
const COLOR_NONE = '#868e96';
const OVERLAY_COLORS = ['#1971c2', '#2b8a3e', '#862e9c', '#e67700', '#0c8599', '#5f3dc4'];
const LABEL_PLATEAU = 'plateau onset (this beamtime, ±1σ)';
const LABEL_APART = 'no plateau (highest T reached)';

interface Frame {
  x: (pressure: number) => number;
  y: (temperature: number) => number;
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

type Attributes = Record<string, string | number>;

const fixed = (v: number) => v.toFixed(1);

function num(value: number | null | undefined, digits: number): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);
}

/** `<name a="1" b="2"/>` or `<name ...>content</name>`; attribute values escaped, numbers to 0.1 px. */
function tag(name: string, attributes: Attributes, content?: string): string {
  const text = Object.entries(attributes)
    .map(([key, value]) => `${key}="${typeof value === 'number' ? fixed(value) : escapeHtml(value)}"`)
    .join(' ');
  return content === undefined ? `<${name} ${text}/>` : `<${name} ${text}>${content}</${name}>`;
}

function cells(kind: 'td' | 'th', values: string[]): string {
  return values.map((value) => `<${kind}>${value}</${kind}>`).join('');
}

function table(id: string, head: string[], body: string[]): string {
  return `<table id="${id}"><thead><tr>${cells('th', head)}</tr></thead>\n<tbody>${body.join('\n')}</tbody></table>`;
}

function padded(values: number[], fallback: [number, number]): [number, number] {
  let lo = values.length ? Math.min(...values) : fallback[0];
  let hi = values.length ? Math.max(...values) : fallback[1];
  if (hi === lo) {
    lo -= 1;
    hi += 1;
  }
  const pad = 0.06 * (hi - lo);
  return [lo - pad, hi + pad];
}

/** Temperature span of a point with an optional error. */
function span(temperature: number, error: number | null | undefined): number[] {
  return [temperature - (error ?? 0), temperature + (error ?? 0)];
}

function plotFrame(plotted: ShotSummaryRow[], apart: ShotSummaryRow[], overlays: OverlaySeries[]): Frame {
  const pressures: number[] = [];
  const temperatures: number[] = [];
  for (const row of plotted) {
    pressures.push(row.pressure_GPa!);
    temperatures.push(...span(row.plateau!.temperature, row.plateau!.temperatureError));
  }
  for (const row of apart) {
    pressures.push(row.pressure_GPa!);
    temperatures.push(row.maxTemperature!);
  }
  for (const series of overlays) {
    for (const point of series.points) {
      pressures.push(point.pressure);
      temperatures.push(...span(point.temperature, point.temperatureError));
    }
  }
  const [x0, x1] = padded(pressures.filter(Number.isFinite), [0, 100]);
  const [y0, y1] = padded(temperatures.filter(Number.isFinite), [1000, 3000]);
  const plotWidth = SIZE.width - SIZE.left - SIZE.right;
  const plotHeight = SIZE.height - SIZE.top - SIZE.bottom;
  return {
    x: (pressure) => SIZE.left + ((pressure - x0) / (x1 - x0)) * plotWidth,
    y: (temperature) => SIZE.top + plotHeight - ((temperature - y0) / (y1 - y0)) * plotHeight,
    x0,
    x1,
    y0,
    y1,
  };
}

function tickLabel(value: number, step: number): string {
  return value.toFixed(Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9))));
}

function ticks(lo: number, hi: number, count: number): { values: number[]; step: number } {
  const values = niceTicks(lo, hi, count);
  return { values, step: values.length > 1 ? values[1] - values[0] : 1 };
}

function axes(frame: Frame): string {
  const parts: string[] = [];
  const bottom = SIZE.height - SIZE.bottom;
  const right = SIZE.width - SIZE.right;
  const grid = { stroke: '#e5e5e5' };
  const xTicks = ticks(frame.x0, frame.x1, 9);
  for (const value of xTicks.values) {
    const x = frame.x(value);
    parts.push(tag('line', { x1: x, y1: SIZE.top, x2: x, y2: bottom, ...grid }));
    parts.push(tag('text', { x, y: bottom + 18, 'text-anchor': 'middle' }, tickLabel(value, xTicks.step)));
  }
  const yTicks = ticks(frame.y0, frame.y1, 7);
  for (const value of yTicks.values) {
    const y = frame.y(value);
    parts.push(tag('line', { x1: SIZE.left, y1: y, x2: right, y2: y, ...grid }));
    const label = { x: SIZE.left - 8, y, 'text-anchor': 'end', 'dominant-baseline': 'middle' };
    parts.push(tag('text', label, tickLabel(value, yTicks.step)));
  }
  const box = { x: SIZE.left, y: SIZE.top, width: right - SIZE.left, height: bottom - SIZE.top };
  parts.push(tag('rect', { ...box, fill: 'none', stroke: '#333' }));
  const xLabel = { class: 'xlabel', x: (SIZE.left + right) / 2, y: SIZE.height - 14, 'text-anchor': 'middle' };
  parts.push(tag('text', xLabel, 'Pressure (GPa)'));
  const middle = (SIZE.top + bottom) / 2;
  const yLabel = { class: 'ylabel', x: 18, y: middle, 'text-anchor': 'middle', transform: `rotate(-90 18 ${middle})` };
  parts.push(tag('text', yLabel, 'Plateau onset temperature (K)'));
  return parts.join('\n');
}

function errorBar(x: number, yLow: number, yHigh: number, color: string): string {
  const cap = 5;
  const stroke = { stroke: color, 'stroke-width': '1.5' };
  return (
    tag('line', { x1: x, y1: yLow, x2: x, y2: yHigh, ...stroke }) +
    tag('line', { x1: x - cap, y1: yLow, x2: x + cap, y2: yLow, ...stroke }) +
    tag('line', { x1: x - cap, y1: yHigh, x2: x + cap, y2: yHigh, ...stroke })
  );
}

function diamond(x: number, y: number, color: string): string {
  return tag('rect', {
    x: x - 4,
    y: y - 4,
    width: 8,
    height: 8,
    fill: color,
    transform: `rotate(45 ${fixed(x)} ${fixed(y)})`,
  });
}

function triangle(x: number, y: number): string {
  const points = `${fixed(x - 6)},${fixed(y - 4)} ${fixed(x + 6)},${fixed(y - 4)} ${fixed(x)},${fixed(y + 6)}`;
  return tag('polygon', { class: 'no-plateau', points, fill: '#fff', stroke: COLOR_NONE, 'stroke-width': '1.5' });
}

function shotTitle(row: ShotSummaryRow): string {
  const p = row.plateau;
  const where = `${row.shot}: ${num(row.pressure_GPa, 1)} GPa`;
  if (!p) {
    return `${where}, no plateau (highest T ${num(row.maxTemperature, 0)} K)`;
  }
  const error = p.temperatureError === null ? '' : ` ± ${num(p.temperatureError, 0)}`;
  const significance = p.significance === null ? '' : `, ${num(p.significance, 1)}σ`;
  return `${where}, ${num(p.temperature, 0)}${error} K, onset ${num(p.startPower, 2)} W${significance}`;
}

function linked(inner: string, row: ShotSummaryRow, href: string | null): string {
  const title = `<title>${escapeHtml(shotTitle(row))}</title>`;
  const group = tag('g', { class: 'shot', 'data-shot': row.shot }, title + inner);
  return href ? tag('a', { href }, group) : group;
}

type HrefOf = (row: ShotSummaryRow) => string | null;

function shotMarks(plotted: ShotSummaryRow[], apart: ShotSummaryRow[], frame: Frame, hrefOf: HrefOf): string {
  const parts: string[] = [];
  for (const row of plotted) {
    const p = row.plateau!;
    const x = frame.x(row.pressure_GPa!);
    const error = p.temperatureError ?? 0;
    const bar =
      error > 0 ? errorBar(x, frame.y(p.temperature - error), frame.y(p.temperature + error), COLOR_SHOT) : '';
    const dot = tag('circle', { cx: x, cy: frame.y(p.temperature), r: 5, fill: COLOR_SHOT, stroke: '#fff' });
    parts.push(linked(bar + dot, row, hrefOf(row)));
  }
  for (const row of apart) {
    parts.push(linked(triangle(frame.x(row.pressure_GPa!), frame.y(row.maxTemperature!)), row, hrefOf(row)));
  }
  return parts.join('\n');
}

function overlayColor(k: number): string {
  return OVERLAY_COLORS[k % OVERLAY_COLORS.length];
}

function overlayMarks(overlays: OverlaySeries[], frame: Frame): string {
  return overlays
    .map((series, k) => {
      const color = overlayColor(k);
      const title = `<title>${escapeHtml(series.label)}</title>`;
      if (series.style === 'line') {
        const points = series.points.map((p) => `${fixed(frame.x(p.pressure))},${fixed(frame.y(p.temperature))}`);
        const line = {
          points: points.join(' '),
          fill: 'none',
          stroke: color,
          'stroke-width': 2,
          'stroke-dasharray': '7 4',
        };
        return tag('g', { class: 'overlay-line' }, title + tag('polyline', line));
      }
      const marks = series.points.map((p) => {
        const x = frame.x(p.pressure);
        const error = p.temperatureError ?? 0;
        const bar = error > 0 ? errorBar(x, frame.y(p.temperature - error), frame.y(p.temperature + error), color) : '';
        return bar + diamond(x, frame.y(p.temperature), color);
      });
      return tag('g', { class: 'overlay-points' }, title + marks.join(''));
    })
    .join('\n');
}

interface LegendEntry {
  symbol: (x: number, y: number) => string;
  label: string;
}

function legendEntries(overlays: OverlaySeries[], hasPlateaus: boolean, hasApart: boolean): LegendEntry[] {
  const entries: LegendEntry[] = [];
  if (hasPlateaus) {
    entries.push({
      symbol: (x, y) => tag('circle', { cx: x + 9, cy: y, r: 5, fill: COLOR_SHOT }),
      label: LABEL_PLATEAU,
    });
  }
  if (hasApart) {
    entries.push({ symbol: (x, y) => triangle(x + 9, y), label: LABEL_APART });
  }
  overlays.forEach((series, k) => {
    const color = overlayColor(k);
    const dash = { stroke: color, 'stroke-width': 2, 'stroke-dasharray': '7 4' };
    const symbol =
      series.style === 'line'
        ? (x: number, y: number) => tag('line', { x1: x, y1: y, x2: x + 18, y2: y, ...dash })
        : (x: number, y: number) => diamond(x + 9, y, color);
    entries.push({ symbol, label: series.label });
  });
  return entries;
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The plot corner where a box of this size covers the fewest marks (ties: top left, top right, …). */
function legendBox(width: number, height: number, marks: Array<[number, number]>): Box {
  const inset = 6;
  const left = SIZE.left + inset;
  const right = SIZE.width - SIZE.right - inset - width;
  const top = SIZE.top + inset;
  const bottom = SIZE.height - SIZE.bottom - inset - height;
  const corners = [
    { x: left, y: top },
    { x: right, y: top },
    { x: left, y: bottom },
    { x: right, y: bottom },
  ];
  const covered = (corner: { x: number; y: number }) =>
    marks.filter(
      ([mx, my]) =>
        mx >= corner.x - 8 && mx <= corner.x + width + 8 && my >= corner.y - 8 && my <= corner.y + height + 8,
    ).length;
  let best = corners[0];
  for (const corner of corners) {
    if (covered(corner) < covered(best)) {
      best = corner;
    }
  }
  return { ...best, width, height };
}

function legend(entries: LegendEntry[], marks: Array<[number, number]>): string {
  if (!entries.length) {
    return '';
  }
  const width = Math.max(...entries.map((entry) => entry.label.length)) * 7 + 44;
  const box = legendBox(width, entries.length * 20 + 6, marks);
  const parts = [tag('rect', { ...box, fill: '#fff', 'fill-opacity': '0.9', stroke: '#ccc' })];
  entries.forEach((entry, k) => {
    const x = box.x + 6;
    const y = box.y + 12 + 20 * k;
    parts.push(entry.symbol(x, y) + tag('text', { x: x + 26, y: y + 4 }, escapeHtml(entry.label)));
  });
  return tag('g', { class: 'legend' }, parts.join(''));
}

/** Pixel positions of everything drawn (overlay lines sampled along their segments), to keep the legend off them. */
function markPositions(plotted: ShotSummaryRow[], apart: ShotSummaryRow[], overlays: OverlaySeries[], frame: Frame) {
  const marks: Array<[number, number]> = [];
  for (const row of plotted) {
    marks.push([frame.x(row.pressure_GPa!), frame.y(row.plateau!.temperature)]);
  }
  for (const row of apart) {
    marks.push([frame.x(row.pressure_GPa!), frame.y(row.maxTemperature!)]);
  }
  for (const series of overlays) {
    const points = series.points.map((p): [number, number] => [frame.x(p.pressure), frame.y(p.temperature)]);
    marks.push(...points);
    if (series.style !== 'line') {
      continue;
    }
    for (let k = 1; k < points.length; k++) {
      for (let step = 1; step < 20; step++) {
        const [x0, y0] = points[k - 1];
        const [x1, y1] = points[k];
        marks.push([x0 + ((x1 - x0) * step) / 20, y0 + ((y1 - y0) * step) / 20]);
      }
    }
  }
  return marks;
}

function plottable(rows: ShotSummaryRow[]): { plotted: ShotSummaryRow[]; apart: ShotSummaryRow[] } {
  return {
    plotted: rows.filter((r) => r.plateau && r.pressure_GPa !== null),
    apart: rows.filter((r) => !r.plateau && r.pressure_GPa !== null && r.maxTemperature !== null),
  };
}

/** The phase-diagram SVG. */
export function renderPhaseSvg(rows: ShotSummaryRow[], options: PhasePlotOptions = {}): string {
  const overlays = options.overlays ?? [];
  const { plotted, apart } = plottable(rows);
  const frame = plotFrame(plotted, apart, overlays);
  const { width, height } = SIZE;
  const svg = { xmlns: 'http://www.w3.org/2000/svg', width, height, viewBox: `0 0 ${width} ${height}` };
  const content = [
    tag('rect', { x: 0, y: 0, width, height, fill: '#fff' }),
    axes(frame),
    overlayMarks(overlays, frame),
    shotMarks(plotted, apart, frame, options.reportHref ?? (() => null)),
    legend(
      legendEntries(overlays, plotted.length > 0, apart.length > 0),
      markPositions(plotted, apart, overlays, frame),
    ),
  ];
  return tag('svg', { ...svg, 'font-family': 'sans-serif', 'font-size': '12' }, `\n${content.join('\n')}\n`);
}

function shotCell(row: ShotSummaryRow, href: string | null): string {
  return href ? tag('a', { href }, escapeHtml(row.shot)) : escapeHtml(row.shot);
}

/** The row's free metadata (note, operator, ...), not the per-shot analysis options. */
function noteOf(row: ShotSummaryRow): string {
  const notes = Object.entries(row.meta).filter(([name, value]) => value !== '' && !isOptionColumn(name));
  return escapeHtml(notes.map(([name, value]) => `${name}: ${value}`).join('; '));
}

function withError(value: number | null, error: number | null, digits: number): string {
  return error === null ? num(value, digits) : `${num(value, digits)} ± ${num(error, digits)}`;
}

const PLATEAU_HEAD = [
  'shot',
  'pressure (GPa)',
  'T at onset (K)',
  'onset power (W)',
  'end power (W)',
  'significance (σ)',
  'frames',
  'flagged',
  'notes',
];

function plateauTable(rows: ShotSummaryRow[], hrefOf: HrefOf, id: string): string {
  const body = rows.map((row) => {
    const p = row.plateau!;
    const values = [
      shotCell(row, hrefOf(row)),
      num(row.pressure_GPa, 1),
      withError(p.temperature, p.temperatureError, 0),
      withError(p.startPower, p.startPowerError, 2),
      p.endPower === null ? 'open' : num(p.endPower, 2),
      num(p.significance, 1),
      String(row.frames),
      String(row.flagged),
      noteOf(row),
    ];
    return `<tr class="plateau">${cells('td', values)}</tr>`;
  });
  return table(id, PLATEAU_HEAD, body);
}

const APART_HEAD = ['shot', 'pressure (GPa)', 'highest T (K)', 'events', 'frames', 'flagged', 'notes'];

function apartTable(rows: ShotSummaryRow[], hrefOf: HrefOf): string {
  const body = rows.map((row) => {
    const values = [
      shotCell(row, hrefOf(row)),
      num(row.pressure_GPa, 1),
      num(row.maxTemperature, 0),
      String(row.events.length),
      String(row.frames),
      String(row.flagged),
      noteOf(row),
    ];
    return `<tr>${cells('td', values)}</tr>`;
  });
  return table('no-plateau', APART_HEAD, body);
}

function headline(rows: ShotSummaryRow[], plotted: number, withoutPlateau: number, withoutPressure: number): string {
  const pressureText = withoutPressure ? `, ${withoutPressure} with a plateau but no pressure` : '';
  const counts = `${plotted} with a plateau plotted, ${withoutPlateau} without a plateau`;
  return `${rows.length} shot(s): ${counts}${pressureText}`;
}

const EXPLANATION =
  "Hover a point for its shot; click it for the shot's report (where the batch wrote one). " +
  'Error bars: 1σ of the temperature at the onset (fit scatter and onset-power uncertainty). Hollow triangles: ' +
  'shots without a plateau, at the highest temperature they reached.';

/** The whole page. */
export function renderPhasePlot(rows: ShotSummaryRow[], options: PhasePlotOptions = {}): string {
  const title = options.title ?? 'pyrolive phase diagram';
  const hrefOf = options.reportHref ?? (() => null);
  const { plotted } = plottable(rows);
  const withoutPlateau = rows.filter((r) => !r.plateau);
  const withoutPressure = rows.filter((r) => r.plateau && r.pressure_GPa === null);
  const version = options.version ? ' ' + escapeHtml(options.version) : '';
  const plateauSection = plotted.length
    ? plateauTable(plotted, hrefOf, 'plateaus')
    : '<p class="none" id="plateaus">no shot with a plateau and a pressure</p>';
  const apartSection = withoutPlateau.length
    ? apartTable(withoutPlateau, hrefOf)
    : '<p class="none" id="no-plateau">every shot has a plateau</p>';
  const pressureSection = withoutPressure.length
    ? `<h2>Plateau but no pressure (not plotted)</h2>\n${plateauTable(withoutPressure, hrefOf, 'no-pressure')}`
    : '';
  const style = `${CSS}td:last-child,th:last-child{white-space:normal;text-align:left}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="generator" content="pyrolive${version}">
<title>${escapeHtml(title)}</title><style>${style}</style></head>
<body><main>
<h1>${escapeHtml(title)}</h1>
<p id="headline"><strong>${headline(rows, plotted.length, withoutPlateau.length, withoutPressure.length)}</strong></p>
<h2>Plateau onset temperature vs pressure</h2>
<div class="chart" id="chart-phase">${renderPhaseSvg(rows, options)}</div>
<p class="none">${EXPLANATION}</p>
<h2>Shots with a plateau</h2>
${plateauSection}
<h2>Shots without a plateau</h2>
${apartSection}
${pressureSection}
<footer>generated by pyrolive${version} on ${escapeHtml(options.generatedAt ?? new Date().toISOString())}</footer>
</main></body></html>
`;
}
