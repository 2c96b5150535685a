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
export function escapeXml(s: string): string {
  return s
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
  const r = raw / mag;
  const step = (r >= 5 ? 10 : r >= 2 ? 5 : r >= 1 ? 2 : 1) * mag;
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
function seriesName(s: SvgSeries): string {
  return s.label ? ` data-series="${escapeXml(s.label)}"` : '';
}

/** Render the chart as a standalone `<svg>` element string. */
export function renderSvgChart(o: SvgChartOptions): string {
  const W = o.width ?? 800;
  const H = o.height ?? 480;
  const m = { l: 72, r: 20, t: o.title ? 36 : 16, b: 52 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of o.series) {
    for (const [x, y] of s.points) {
      if (Number.isFinite(x) && Number.isFinite(y)) {
        xs.push(x);
        ys.push(y);
      }
    }
  }
  for (const iv of o.intervals ?? []) {
    if (Number.isFinite(iv.from)) {
      xs.push(iv.from);
    }
    if (Number.isFinite(iv.to)) {
      xs.push(iv.to);
    }
  }
  for (const mk of o.markers ?? []) {
    if (Number.isFinite(mk.x)) {
      xs.push(mk.x);
    }
  }
  const range = (vals: number[], ax: SvgAxis): [number, number] => {
    let lo = ax.min ?? (vals.length ? Math.min(...vals) : 0);
    let hi = ax.max ?? (vals.length ? Math.max(...vals) : 1);
    if (hi === lo) {
      lo -= 1;
      hi += 1;
    }
    const pad = 0.04 * (hi - lo);
    return [ax.min ?? lo - pad, ax.max ?? hi + pad];
  };
  const [x0, x1] = range(xs, o.x);
  const [y0, y1] = range(ys, o.y);
  const X = (x: number) => m.l + ((x - x0) / (x1 - x0)) * pw;
  const Y = (y: number) => m.t + ph - ((y - y0) / (y1 - y0)) * ph;
  const f = (v: number) => v.toFixed(1);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  if (o.title) {
    parts.push(
      `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(o.title)}</text>`,
    );
  }
  parts.push(
    `<defs><clipPath id="plotclip"><rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}"/></clipPath></defs>`,
  );
  // intervals (behind everything); their labels and the markers' on lines of their own (see labelLines)
  const labels: Array<{ x: number; text: string; color: string }> = [];
  (o.intervals ?? []).forEach((iv) => {
    if (!Number.isFinite(iv.from) || !Number.isFinite(iv.to)) {
      return;
    }
    const a = X(Math.min(iv.from, iv.to));
    const b = X(Math.max(iv.from, iv.to));
    parts.push(
      `<rect class="interval" x="${f(a)}" y="${m.t}" width="${f(Math.max(b - a, 1))}" height="${ph}" fill="${escapeXml(iv.color ?? '#ff7f0e')}" fill-opacity="0.18" clip-path="url(#plotclip)"/>`,
    );
    if (iv.label) {
      labels.push({ x: a, text: iv.label, color: '#a0522d' });
    }
  });
  for (const mk of o.markers ?? []) {
    if (Number.isFinite(mk.x) && mk.label) {
      labels.push({ x: X(mk.x), text: mk.label, color: mk.color ?? '#555' });
    }
  }
  const lines = labelLines(labels.map((l) => ({ x: l.x + 4, width: l.text.length * LABEL_CHAR_WIDTH })));
  labels.forEach((l, k) => {
    const x = Math.min(l.x + 4, m.l + pw - l.text.length * LABEL_CHAR_WIDTH - 2);
    parts.push(
      `<text class="event-label" x="${f(x)}" y="${m.t + 14 + 15 * lines[k]}" fill="${escapeXml(l.color)}">${escapeXml(l.text)}</text>`,
    );
  });
  // grid and ticks
  const xt = niceTicks(x0, x1, Math.max(2, Math.round(pw / 90)));
  const yt = niceTicks(y0, y1, Math.max(2, Math.round(ph / 60)));
  const xStep = xt.length > 1 ? xt[1] - xt[0] : 1;
  const yStep = yt.length > 1 ? yt[1] - yt[0] : 1;
  for (const t of xt) {
    const px = f(X(t));
    parts.push(`<line x1="${px}" y1="${m.t}" x2="${px}" y2="${m.t + ph}" stroke="#e5e5e5"/>`);
    parts.push(`<line x1="${px}" y1="${m.t + ph}" x2="${px}" y2="${m.t + ph + 5}" stroke="#333"/>`);
    parts.push(`<text x="${px}" y="${m.t + ph + 18}" text-anchor="middle">${fmtTick(t, xStep)}</text>`);
  }
  for (const t of yt) {
    const py = f(Y(t));
    parts.push(`<line x1="${m.l}" y1="${py}" x2="${m.l + pw}" y2="${py}" stroke="#e5e5e5"/>`);
    parts.push(`<line x1="${m.l - 5}" y1="${py}" x2="${m.l}" y2="${py}" stroke="#333"/>`);
    parts.push(
      `<text x="${m.l - 8}" y="${py}" text-anchor="end" dominant-baseline="middle">${fmtTick(t, yStep)}</text>`,
    );
  }
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  const axisLabel = (a: SvgAxis) => escapeXml(a.unit ? `${a.label} (${a.unit})` : a.label);
  parts.push(`<text class="xlabel" x="${m.l + pw / 2}" y="${H - 12}" text-anchor="middle">${axisLabel(o.x)}</text>`);
  parts.push(
    `<text class="ylabel" x="16" y="${m.t + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${m.t + ph / 2})">${axisLabel(o.y)}</text>`,
  );
  // markers
  for (const mk of o.markers ?? []) {
    if (!Number.isFinite(mk.x)) {
      continue;
    }
    const px = f(X(mk.x));
    parts.push(
      `<line class="marker" x1="${px}" y1="${m.t}" x2="${px}" y2="${m.t + ph}" stroke="${escapeXml(mk.color ?? '#555')}" stroke-dasharray="4 3"/>`,
    );
  }
  // series
  o.series.forEach((s, i) => {
    const color = escapeXml(s.color ?? PALETTE[i % PALETTE.length]);
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (s.kind === 'line') {
      if (pts.length < 2) {
        return;
      }
      const d = pts.map(([x, y]) => `${f(X(x))},${f(Y(y))}`).join(' ');
      parts.push(
        `<polyline class="series-line"${seriesName(s)} points="${d}" fill="none" stroke="${color}" stroke-width="${s.size ?? 2}"${s.dash ? ` stroke-dasharray="${escapeXml(s.dash)}"` : ''} clip-path="url(#plotclip)"/>`,
      );
    } else {
      const r = s.size ?? 2.5;
      const fill = s.hollow ? 'none' : color;
      const circles = pts.map(([x, y]) => `<circle cx="${f(X(x))}" cy="${f(Y(y))}" r="${r}"/>`).join('');
      parts.push(
        `<g class="series-scatter"${seriesName(s)} fill="${fill}" stroke="${color}" stroke-width="1" clip-path="url(#plotclip)">${circles}</g>`,
      );
    }
  });
  // legend
  const entries: Array<{
    label: string;
    color: string;
    kind: 'scatter' | 'line' | 'band';
    hollow?: boolean;
    dash?: string;
  }> = [];
  o.series.forEach((s, i) => {
    if (s.label) {
      entries.push({
        label: s.label,
        color: s.color ?? PALETTE[i % PALETTE.length],
        kind: s.kind,
        hollow: s.hollow,
        dash: s.dash,
      });
    }
  });
  (o.intervals ?? []).forEach((iv) => {
    if (iv.label && !entries.some((e) => e.label === iv.label)) {
      entries.push({ label: iv.label, color: iv.color ?? '#ff7f0e', kind: 'band' });
    }
  });
  if ((o.legend ?? true) && entries.length) {
    const lx = m.l + 10;
    let ly = m.t + 26;
    const boxW = 18 + 8 + Math.max(...entries.map((e) => e.label.length)) * 7 + 10;
    parts.push(
      `<rect x="${lx - 6}" y="${ly - 14}" width="${boxW}" height="${entries.length * 18 + 8}" fill="#ffffff" fill-opacity="0.85" stroke="#ccc"/>`,
    );
    for (const e of entries) {
      const c = escapeXml(e.color);
      if (e.kind === 'line') {
        parts.push(
          `<line x1="${lx}" y1="${ly - 4}" x2="${lx + 18}" y2="${ly - 4}" stroke="${c}" stroke-width="2"${e.dash ? ` stroke-dasharray="${escapeXml(e.dash)}"` : ''}/>`,
        );
      } else if (e.kind === 'band') {
        parts.push(
          `<rect x="${lx}" y="${ly - 10}" width="18" height="12" fill="${c}" fill-opacity="0.18" stroke="${c}"/>`,
        );
      } else {
        parts.push(`<circle cx="${lx + 9}" cy="${ly - 4}" r="3" fill="${e.hollow ? 'none' : c}" stroke="${c}"/>`);
      }
      parts.push(`<text x="${lx + 26}" y="${ly}">${escapeXml(e.label)}</text>`);
      ly += 18;
    }
  }
  parts.push('</svg>');
  return parts.join('\n');
}

export { fmt as formatNumber };
