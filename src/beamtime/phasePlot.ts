/**
 * The phase-diagram page of a beamtime: plateau-onset temperature against pressure, one point per shot with its
 * 1σ error bar, a hover title naming the shot, a link to the shot's report where there is one; shots without a
 * plateau drawn apart (hollow, at the highest temperature they reached: no transition below it) and listed in
 * their own table; published points or theory lines (overlays) beside them with a legend. Self-contained: inline
 * CSS and SVG, no script, no external request; the look of `pyrolive report` (src/report/html.ts).
 * Pure: data in, a string out.
 */
import { CSS, escapeHtml } from '../report/html';
import { niceTicks } from '../report/svg';
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

interface Frame {
  x: (p: number) => number;
  y: (t: number) => number;
  x0: number; x1: number; y0: number; y1: number;
}

const fixed = (v: number) => v.toFixed(1);
const num = (v: number | null | undefined, digits: number) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits));

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

function plotFrame(plotted: ShotSummaryRow[], apart: ShotSummaryRow[], overlays: OverlaySeries[]): Frame {
  const pressures: number[] = [];
  const temperatures: number[] = [];
  for (const row of plotted) {
    const p = row.plateau!;
    pressures.push(row.pressure_GPa!);
    temperatures.push(p.temperature - (p.temperatureError ?? 0), p.temperature + (p.temperatureError ?? 0));
  }
  for (const row of apart) {
    pressures.push(row.pressure_GPa!);
    temperatures.push(row.maxTemperature!);
  }
  for (const series of overlays) {
    for (const point of series.points) {
      pressures.push(point.pressure);
      temperatures.push(point.temperature - (point.temperatureError ?? 0), point.temperature + (point.temperatureError ?? 0));
    }
  }
  const [x0, x1] = padded(pressures.filter(Number.isFinite), [0, 100]);
  const [y0, y1] = padded(temperatures.filter(Number.isFinite), [1000, 3000]);
  const plotWidth = SIZE.width - SIZE.left - SIZE.right;
  const plotHeight = SIZE.height - SIZE.top - SIZE.bottom;
  return {
    x: (p) => SIZE.left + ((p - x0) / (x1 - x0)) * plotWidth,
    y: (t) => SIZE.top + plotHeight - ((t - y0) / (y1 - y0)) * plotHeight,
    x0, x1, y0, y1,
  };
}

function tickLabel(value: number, step: number): string {
  return value.toFixed(Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9))));
}

function axes(frame: Frame): string {
  const parts: string[] = [];
  const bottom = SIZE.height - SIZE.bottom;
  const right = SIZE.width - SIZE.right;
  const xTicks = niceTicks(frame.x0, frame.x1, 9);
  const yTicks = niceTicks(frame.y0, frame.y1, 7);
  const xStep = xTicks.length > 1 ? xTicks[1] - xTicks[0] : 1;
  const yStep = yTicks.length > 1 ? yTicks[1] - yTicks[0] : 1;
  for (const tick of xTicks) {
    const px = fixed(frame.x(tick));
    parts.push(`<line x1="${px}" y1="${SIZE.top}" x2="${px}" y2="${bottom}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${px}" y="${bottom + 18}" text-anchor="middle">${tickLabel(tick, xStep)}</text>`);
  }
  for (const tick of yTicks) {
    const py = fixed(frame.y(tick));
    parts.push(`<line x1="${SIZE.left}" y1="${py}" x2="${right}" y2="${py}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${SIZE.left - 8}" y="${py}" text-anchor="end" dominant-baseline="middle">${tickLabel(tick, yStep)}</text>`);
  }
  parts.push(`<rect x="${SIZE.left}" y="${SIZE.top}" width="${right - SIZE.left}" height="${bottom - SIZE.top}" fill="none" stroke="#333"/>`);
  parts.push(`<text class="xlabel" x="${(SIZE.left + right) / 2}" y="${SIZE.height - 14}" text-anchor="middle">Pressure (GPa)</text>`);
  const middle = (SIZE.top + bottom) / 2;
  parts.push(`<text class="ylabel" x="18" y="${middle}" text-anchor="middle" transform="rotate(-90 18 ${middle})">` +
    'Plateau onset temperature (K)</text>');
  return parts.join('\n');
}

function errorBar(x: number, yLow: number, yHigh: number, color: string): string {
  const cap = 5;
  return `<line x1="${fixed(x)}" y1="${fixed(yLow)}" x2="${fixed(x)}" y2="${fixed(yHigh)}" stroke="${color}" stroke-width="1.5"/>` +
    `<line x1="${fixed(x - cap)}" y1="${fixed(yLow)}" x2="${fixed(x + cap)}" y2="${fixed(yLow)}" stroke="${color}" stroke-width="1.5"/>` +
    `<line x1="${fixed(x - cap)}" y1="${fixed(yHigh)}" x2="${fixed(x + cap)}" y2="${fixed(yHigh)}" stroke="${color}" stroke-width="1.5"/>`;
}

function shotTitle(row: ShotSummaryRow): string {
  const p = row.plateau;
  if (!p) {
    return `${row.shot}: ${num(row.pressure_GPa, 1)} GPa, no plateau (highest T ${num(row.maxTemperature, 0)} K)`;
  }
  const error = p.temperatureError === null ? '' : ` ± ${num(p.temperatureError, 0)}`;
  return `${row.shot}: ${num(row.pressure_GPa, 1)} GPa, ${num(p.temperature, 0)}${error} K, onset ${num(p.startPower, 2)} W` +
    (p.significance === null ? '' : `, ${num(p.significance, 1)}σ`);
}

function linked(inner: string, row: ShotSummaryRow, href: string | null): string {
  const title = `<title>${escapeHtml(shotTitle(row))}</title>`;
  const group = `<g class="shot" data-shot="${escapeHtml(row.shot)}">${title}${inner}</g>`;
  return href ? `<a href="${escapeHtml(href)}">${group}</a>` : group;
}

function shotMarks(plotted: ShotSummaryRow[], apart: ShotSummaryRow[], frame: Frame, hrefOf: (r: ShotSummaryRow) => string | null): string {
  const parts: string[] = [];
  for (const row of plotted) {
    const p = row.plateau!;
    const x = frame.x(row.pressure_GPa!);
    const y = frame.y(p.temperature);
    const bar = p.temperatureError !== null && p.temperatureError > 0
      ? errorBar(x, frame.y(p.temperature - p.temperatureError), frame.y(p.temperature + p.temperatureError), COLOR_SHOT) : '';
    parts.push(linked(`${bar}<circle cx="${fixed(x)}" cy="${fixed(y)}" r="5" fill="${COLOR_SHOT}" stroke="#fff"/>`, row, hrefOf(row)));
  }
  for (const row of apart) {
    const x = frame.x(row.pressure_GPa!);
    const y = frame.y(row.maxTemperature!);
    const triangle = `${fixed(x - 6)},${fixed(y - 4)} ${fixed(x + 6)},${fixed(y - 4)} ${fixed(x)},${fixed(y + 6)}`;
    parts.push(linked(`<polygon class="no-plateau" points="${triangle}" fill="#fff" stroke="${COLOR_NONE}" stroke-width="1.5"/>`,
      row, hrefOf(row)));
  }
  return parts.join('\n');
}

function overlayMarks(overlays: OverlaySeries[], frame: Frame): string {
  const parts: string[] = [];
  overlays.forEach((series, k) => {
    const color = OVERLAY_COLORS[k % OVERLAY_COLORS.length];
    const title = `<title>${escapeHtml(series.label)}</title>`;
    if (series.style === 'line') {
      const points = series.points.map((p) => `${fixed(frame.x(p.pressure))},${fixed(frame.y(p.temperature))}`).join(' ');
      parts.push(`<g class="overlay-line">${title}<polyline points="${points}" fill="none" stroke="${color}" stroke-width="2" ` +
        'stroke-dasharray="7 4"/></g>');
      return;
    }
    const marks = series.points.map((p) => {
      const x = frame.x(p.pressure);
      const y = frame.y(p.temperature);
      const bar = p.temperatureError ? errorBar(x, frame.y(p.temperature - p.temperatureError), frame.y(p.temperature + p.temperatureError), color) : '';
      return `${bar}<rect x="${fixed(x - 4)}" y="${fixed(y - 4)}" width="8" height="8" fill="${color}" transform="rotate(45 ${fixed(x)} ${fixed(y)})"/>`;
    });
    parts.push(`<g class="overlay-points">${title}${marks.join('')}</g>`);
  });
  return parts.join('\n');
}

function legend(overlays: OverlaySeries[], hasPlateaus: boolean, hasApart: boolean): string {
  const entries: string[] = [];
  const x = SIZE.left + 12;
  let y = SIZE.top + 18;
  const add = (symbol: string, label: string) => {
    entries.push(`${symbol}<text x="${x + 26}" y="${y + 4}">${escapeHtml(label)}</text>`);
    y += 20;
  };
  if (hasPlateaus) {
    add(`<circle cx="${x + 9}" cy="${y}" r="5" fill="${COLOR_SHOT}"/>`, 'plateau onset (this beamtime, ±1σ)');
  }
  if (hasApart) {
    add(`<polygon points="${x + 3},${y - 4} ${x + 15},${y - 4} ${x + 9},${y + 6}" fill="#fff" stroke="${COLOR_NONE}" stroke-width="1.5"/>`,
      'no plateau (highest T reached)');
  }
  overlays.forEach((series, k) => {
    const color = OVERLAY_COLORS[k % OVERLAY_COLORS.length];
    const symbol = series.style === 'line'
      ? `<line x1="${x}" y1="${y}" x2="${x + 18}" y2="${y}" stroke="${color}" stroke-width="2" stroke-dasharray="7 4"/>`
      : `<rect x="${x + 5}" y="${y - 4}" width="8" height="8" fill="${color}" transform="rotate(45 ${x + 9} ${y})"/>`;
    add(symbol, series.label);
  });
  if (!entries.length) {
    return '';
  }
  const longest = Math.max(...[...overlays.map((s) => s.label), 'plateau onset (this beamtime, ±1σ)'].map((l) => l.length));
  const box = `<rect x="${x - 6}" y="${SIZE.top + 6}" width="${longest * 7 + 44}" height="${entries.length * 20 + 6}" ` +
    'fill="#fff" fill-opacity="0.9" stroke="#ccc"/>';
  return `<g class="legend">${box}${entries.join('')}</g>`;
}

/** The phase-diagram SVG. */
export function renderPhaseSvg(rows: ShotSummaryRow[], options: PhasePlotOptions = {}): string {
  const overlays = options.overlays ?? [];
  const hrefOf = options.reportHref ?? (() => null);
  const plotted = rows.filter((r) => r.plateau && r.pressure_GPa !== null);
  const apart = rows.filter((r) => !r.plateau && r.pressure_GPa !== null && r.maxTemperature !== null);
  const frame = plotFrame(plotted, apart, overlays);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE.width}" height="${SIZE.height}" viewBox="0 0 ${SIZE.width} ${SIZE.height}" ` +
      'font-family="sans-serif" font-size="12">',
    `<rect x="0" y="0" width="${SIZE.width}" height="${SIZE.height}" fill="#fff"/>`,
    axes(frame),
    overlayMarks(overlays, frame),
    shotMarks(plotted, apart, frame, hrefOf),
    legend(overlays, plotted.length > 0, apart.length > 0),
    '</svg>',
  ].join('\n');
}

function shotCell(row: ShotSummaryRow, href: string | null): string {
  return href ? `<a href="${escapeHtml(href)}">${escapeHtml(row.shot)}</a>` : escapeHtml(row.shot);
}

/** Manifest columns that set analysis options: not notes. */
const OPTION_COLUMNS = /^(calibration|background|lamp[ _]spectrum|lamp[ _]temperature.*|tungsten|rows|roi|range.*|method|emissivity|gain|read[ _]noise|saturation|power[ _]expr|name|id)$/i;

/** The row's free metadata (note, operator, ...), not the per-shot analysis options. */
function noteOf(row: ShotSummaryRow): string {
  const notes = Object.entries(row.meta).filter(([k, v]) => v !== '' && !OPTION_COLUMNS.test(k.trim()));
  return escapeHtml(notes.map(([k, v]) => `${k}: ${v}`).join('; '));
}

function plateauTable(rows: ShotSummaryRow[], hrefOf: (r: ShotSummaryRow) => string | null): string {
  const body = rows.map((row) => {
    const p = row.plateau!;
    return `<tr class="plateau"><td>${shotCell(row, hrefOf(row))}</td><td>${num(row.pressure_GPa, 1)}</td>` +
      `<td>${num(p.temperature, 0)} ± ${num(p.temperatureError, 0)}</td><td>${num(p.startPower, 2)}` +
      `${p.startPowerError === null ? '' : ` ± ${num(p.startPowerError, 2)}`}</td><td>${p.endPower === null ? 'open' : num(p.endPower, 2)}</td>` +
      `<td>${num(p.significance, 1)}</td><td>${row.frames}</td><td>${row.flagged}</td><td>${noteOf(row)}</td></tr>`;
  }).join('\n');
  return `<table id="plateaus"><thead><tr><th>shot</th><th>pressure (GPa)</th><th>T at onset (K)</th><th>onset power (W)</th>` +
    `<th>end power (W)</th><th>significance (σ)</th><th>frames</th><th>flagged</th><th>notes</th></tr></thead>\n<tbody>${body}</tbody></table>`;
}

function apartTable(rows: ShotSummaryRow[], hrefOf: (r: ShotSummaryRow) => string | null, id: string): string {
  const body = rows.map((row) => `<tr><td>${shotCell(row, hrefOf(row))}</td><td>${num(row.pressure_GPa, 1)}</td>` +
    `<td>${num(row.plateau?.temperature ?? null, 0)}</td><td>${num(row.maxTemperature, 0)}</td><td>${row.events.length}</td>` +
    `<td>${row.frames}</td><td>${row.flagged}</td><td>${noteOf(row)}</td></tr>`).join('\n');
  return `<table id="${id}"><thead><tr><th>shot</th><th>pressure (GPa)</th><th>T at onset (K)</th><th>highest T (K)</th>` +
    `<th>events</th><th>frames</th><th>flagged</th><th>notes</th></tr></thead>\n<tbody>${body}</tbody></table>`;
}

/** The whole page. */
export function renderPhasePlot(rows: ShotSummaryRow[], options: PhasePlotOptions = {}): string {
  const title = options.title ?? 'pyrolive phase diagram';
  const hrefOf = options.reportHref ?? (() => null);
  const plotted = rows.filter((r) => r.plateau && r.pressure_GPa !== null);
  const withoutPlateau = rows.filter((r) => !r.plateau);
  const withoutPressure = rows.filter((r) => r.plateau && r.pressure_GPa === null);
  const version = options.version ? ' ' + escapeHtml(options.version) : '';
  const apartSection = withoutPlateau.length
    ? apartTable(withoutPlateau, hrefOf, 'no-plateau') : '<p class="none" id="no-plateau">every shot has a plateau</p>';
  const pressureSection = withoutPressure.length
    ? `<h2>Plateau but no pressure (not plotted)</h2>\n${apartTable(withoutPressure, hrefOf, 'no-pressure')}` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="generator" content="pyrolive${version}">
<title>${escapeHtml(title)}</title><style>${CSS}td:last-child,th:last-child{white-space:normal;text-align:left}</style></head>
<body><main>
<h1>${escapeHtml(title)}</h1>
<p id="headline"><strong>${rows.length} shot(s): ${plotted.length} with a plateau plotted, ${withoutPlateau.length} without a plateau` +
    `${withoutPressure.length ? `, ${withoutPressure.length} without a pressure` : ''}</strong></p>
<h2>Plateau onset temperature vs pressure</h2>
<div class="chart" id="chart-phase">${renderPhaseSvg(rows, options)}</div>
<p class="none">Hover a point for its shot; click it for the shot's report (where the batch wrote one). Error bars: 1σ of the
temperature at the onset (fit scatter and onset-power uncertainty). Hollow triangles: shots without a plateau, at the highest
temperature they reached.</p>
<h2>Shots with a plateau</h2>
${plotted.length ? plateauTable(plotted, hrefOf) : '<p class="none" id="plateaus">no shot with a plateau and a pressure</p>'}
<h2>Shots without a plateau</h2>
${apartSection}
${pressureSection}
<footer>generated by pyrolive${version} on ${escapeHtml(options.generatedAt ?? new Date().toISOString())}</footer>
</main></body></html>
`;
}
