/**
 * The uPlot charts: temperature vs time (σ band, flagged frames, plateau spans), temperature vs laser power
 * (points, per-step means, plateaus shaded), and the latest spectrum with its fit and residuals.
 * Each chart is given its whole data once per animation frame (setData); nothing here allocates per message.
 */
import uPlot from 'uplot';
import type { LiveEvent } from '../../src/protocol';

export const COLORS = {
  text: '#c9d4df',
  muted: '#7d8b99',
  grid: 'rgba(255,255,255,0.07)',
  hot: '#ff8a3d',
  hotBand: 'rgba(255,138,61,0.18)',
  fit: '#4cc9f0',
  data: '#a9b8c8',
  flagged: '#ff4d6d',
  plateau: 'rgba(255,200,60,0.13)',
  plateauEdge: 'rgba(255,200,60,0.75)',
  masked: 'rgba(255,255,255,0.045)',
};

/**
 * Double-sided heating: the colours of the ROIs after the first (the first ROI is the main series, in `hot`),
 * [line, translucent points]. At most 1 + ROI_COLORS.length ROIs get a series; every ROI's number is shown anyway.
 */
export const ROI_COLORS: [string, string][] = [
  ['#b794ff', 'rgba(183,148,255,0.55)'], // violet
  ['#6fdc8c', 'rgba(111,220,140,0.55)'], // green
  ['#ff7eb6', 'rgba(255,126,182,0.55)'], // pink
  ['#f1e05a', 'rgba(241,224,90,0.55)'], // yellow
];
export const MAX_ROI_SERIES = 1 + ROI_COLORS.length;

const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const LABEL_FONT = '600 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/** Space under the plot for the x tick values, and the height of an axis title (CSS px). */
const X_AXIS_SIZE = 30;
const AXIS_TITLE_SIZE = 20;

function axis(label: string, extra: Partial<uPlot.Axis> = {}): uPlot.Axis {
  return {
    label,
    stroke: COLORS.text,
    font: FONT,
    labelFont: LABEL_FONT,
    labelSize: AXIS_TITLE_SIZE,
    grid: { stroke: COLORS.grid, width: 1 },
    ticks: { stroke: COLORS.grid, width: 1, size: 5 },
    ...extra,
  };
}

const xAxis = (label: string): uPlot.Axis => axis(label, { size: X_AXIS_SIZE });

function sizeOf(el: HTMLElement): { width: number; height: number } {
  const box = el.getBoundingClientRect();
  return { width: Math.max(160, Math.floor(box.width)), height: Math.max(80, Math.floor(box.height)) };
}

/** The height of a chart's legend as laid out now (0 without one). */
function legendHeight(u: uPlot): number {
  const legend = u.root.querySelector('.u-legend') as HTMLElement | null;
  return legend ? Math.ceil(legend.getBoundingClientRect().height) + 2 : 0;
}

/**
 * Keep a chart (canvas and legend together) the size of its box, until the returned observer is disconnected.
 * The legend is measured each time, so a legend that wraps onto a second line at a narrow width still fits.
 */
function autoSize(u: uPlot, el: HTMLElement): ResizeObserver {
  const fit = () => {
    const box = sizeOf(el);
    u.setSize({ width: box.width, height: Math.max(60, box.height - legendHeight(u)) });
  };
  const observer = new ResizeObserver(fit);
  observer.observe(el);
  fit();
  return observer;
}

/**
 * Legend values only while the cursor is on the chart: a chart at rest shows the series names and nothing else
 * (the class `u-idle` on the chart's root hides the value cells, see style.css).
 */
function markIdle(u: uPlot): void {
  u.root.classList.toggle('u-idle', u.legend.idx == null);
}

/**
 * An event on a chart, in its x units: a plateau is a shaded band from its start to its end (`to` null while it
 * is open: the band runs to the newest data), a slope change a dashed line at its start.
 */
export interface Span {
  kind: 'band' | 'marker';
  from: number;
  to: number | null;
  label: string;
}

/** Where a label goes: its left edge and width (px); placeLabels answers the line it is printed on. */
export interface LabelBox {
  x: number;
  width: number;
}

/**
 * Lines for labels so that none prints on top of another: each label, in order of x, takes the first line whose
 * last label ends at least `gap` before it starts. Returns the line (0 = top) of each label, in input order.
 */
export function placeLabels(boxes: readonly LabelBox[], gap = 6): number[] {
  const order = boxes.map((_, k) => k).sort((a, b) => boxes[a].x - boxes[b].x);
  const lineEnds: number[] = [];
  const lines = new Array<number>(boxes.length);
  for (const k of order) {
    const box = boxes[k];
    let line = lineEnds.findIndex((end) => end + gap <= box.x);
    if (line < 0) {
      line = lineEnds.length;
      lineEnds.push(-Infinity);
    }
    lineEnds[line] = box.x + box.width;
    lines[k] = line;
  }
  return lines;
}

/** The right end of the data on the x axis (where an open band stops), else the scale's maximum. */
function dataEnd(u: uPlot): number {
  const xs = u.data[0];
  const last = xs.length ? xs[xs.length - 1] : null;
  return last ?? u.scales.x.max ?? 0;
}

function dashedLine(ctx: CanvasRenderingContext2D, x: number, top: number, height: number): void {
  ctx.moveTo(x, top);
  ctx.lineTo(x, top + height);
}

/** The bands and lines of the events, behind the data (drawClear hook), then their labels on separate lines. */
function drawSpans(u: uPlot, spans: readonly Span[]): void {
  if (!spans.length) {
    u.root.dataset.labels = '';
    return;
  }
  const { ctx } = u;
  const { top, height, left, width } = u.bbox;
  const px = devicePixelRatio;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  ctx.strokeStyle = COLORS.plateauEdge;
  ctx.lineWidth = 1.5 * px;
  ctx.setLineDash([6 * px, 4 * px]);
  const labelX: number[] = [];
  for (const span of spans) {
    const x0 = u.valToPos(span.from, 'x', true);
    labelX.push(x0);
    ctx.beginPath();
    dashedLine(ctx, x0, top, height);
    if (span.kind === 'band') {
      const x1 = u.valToPos(span.to ?? Math.max(dataEnd(u), span.from), 'x', true);
      ctx.fillStyle = COLORS.plateau;
      ctx.fillRect(x0, top, Math.max(2, x1 - x0), height);
      if (span.to !== null) {
        dashedLine(ctx, x1, top, height);
      }
    }
    ctx.stroke();
  }
  ctx.setLineDash([]);
  ctx.fillStyle = COLORS.plateauEdge;
  ctx.font = `600 ${12 * px}px system-ui, sans-serif`;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'alphabetic';
  const boxes = spans.map((span, k) => {
    const textWidth = ctx.measureText(span.label).width;
    const x = Math.max(left, Math.min(labelX[k] + 5 * px, left + width - textWidth - 4 * px));
    return { x, width: textWidth };
  });
  const lines = placeLabels(boxes, 8 * px);
  boxes.forEach((box, k) => {
    ctx.fillText(spans[k].label, box.x, top + (16 + 15 * lines[k]) * px);
  });
  ctx.restore();
  recordLabels(u, spans, boxes, lines);
}

/**
 * What was printed where, in CSS px from the chart's left edge, as the chart root's `data-labels`
 * ("label|x|width|line;…"): canvas text cannot be read back from the page, and this lets one see (and the layout
 * test check) that no two labels share a place.
 */
function recordLabels(u: uPlot, spans: readonly Span[], boxes: readonly LabelBox[], lines: readonly number[]): void {
  const px = devicePixelRatio;
  const entries = boxes.map(
    (box, k) => `${spans[k].label}|${(box.x / px).toFixed(1)}|${(box.width / px).toFixed(1)}|${lines[k]}`,
  );
  u.root.dataset.labels = entries.join(';');
}

const points = (stroke: string, size = 3): uPlot.Series.Points => ({
  show: true,
  size,
  stroke,
  fill: stroke,
  width: 0,
});

/** A legend value formatter: nothing where there is no value, else the number with `digits` decimals and its unit. */
const valueIn = (digits: number, unit: string) => (_u: uPlot, v: number | null) =>
  v == null ? '' : `${v.toFixed(digits)} ${unit}`;

/**
 * Temperature (K) against x, with shaded power/time spans (plateaus): the time and power charts. With several
 * ROIs (double-sided heating) the first ROI is the main series, named after it, and each further ROI gets a
 * series of its own after the fixed ones (setRois rebuilds the chart, which only happens when a `hello` names
 * other ROIs).
 */
abstract class ShadedTemperatureChart {
  u!: uPlot;
  spans: Span[] = [];
  /** The ROIs drawn: [] with a single ROI, else the first (main series) and the further ones. */
  rois: string[] = [];
  private ro: ResizeObserver | null = null;

  constructor(
    private readonly el: HTMLElement,
    private readonly xLabel: string,
  ) {
    this.build();
  }

  /** The fixed series (x first); `main` is the legend name of the main temperature series. */
  protected abstract fixedSeries(main: string): uPlot.Series[];
  /** The series of a further ROI, in its colours. */
  protected abstract roiSeries(name: string, colors: [string, string]): uPlot.Series;
  protected bands(): uPlot.Band[] | undefined {
    return undefined;
  }

  /** Shows a series per ROI (names beyond MAX_ROI_SERIES are left out); returns whether the chart changed. */
  setRois(names: readonly string[]): boolean {
    const shown = names.length >= 2 ? names.slice(0, MAX_ROI_SERIES) : [];
    if (shown.length === this.rois.length && shown.every((n, k) => n === this.rois[k])) {
      return false;
    }
    this.rois = shown;
    this.ro?.disconnect();
    this.u.destroy();
    this.build();
    return true;
  }

  private build(): void {
    const series = [
      ...this.fixedSeries(this.rois[0] ?? 'T'),
      ...this.rois.slice(1).map((name, k) => this.roiSeries(name, ROI_COLORS[k])),
    ];
    const bands = this.bands();
    const box = sizeOf(this.el);
    this.u = new uPlot(
      {
        ...box,
        height: Math.max(60, box.height - 30),
        scales: { x: { time: false }, K: { auto: true } },
        legend: { show: true, live: true, markers: { fill: pointsMarker } },
        cursor: { drag: { x: true, y: false }, points: { size: 6 } },
        series,
        ...(bands ? { bands } : {}),
        axes: [xAxis(this.xLabel), axis('Temperature (K)', { scale: 'K', size: 58 })],
        hooks: { drawClear: [(u) => drawSpans(u, this.spans)], setLegend: [markIdle] },
      },
      series.map(() => []) as unknown as uPlot.AlignedData,
      this.el,
    );
    markIdle(this.u);
    this.ro = autoSize(this.u, this.el);
  }
}

const kelvin = valueIn(0, 'K');

/**
 * Legend marker fill: a series drawn as points only (no line) shows its colour, so each ROI's points can be
 * told by the legend (uPlot's own marker is an empty box for them), as can 'frames' and 'flagged'.
 */
const pointsMarker = (u: uPlot, i: number): string => {
  const s = u.series[i];
  if (s.width) {
    return 'transparent';
  }
  const c = typeof s.stroke === 'function' ? s.stroke(u, i) : s.stroke; // the series colour, opaque
  return typeof c === 'string' ? c : 'transparent';
};

export class TimeChart extends ShadedTemperatureChart {
  constructor(el: HTMLElement) {
    super(el, 'Time (s)');
  }
  protected fixedSeries(main: string): uPlot.Series[] {
    return [
      { label: 'time', value: valueIn(3, 's') },
      { label: main, scale: 'K', stroke: COLORS.hot, width: 1.5, points: { show: false }, value: kelvin },
      { label: `${main} − σ`, scale: 'K', stroke: 'transparent', points: { show: false }, value: kelvin },
      { label: `${main} + σ`, scale: 'K', stroke: 'transparent', points: { show: false }, value: kelvin },
      {
        label: 'flagged',
        scale: 'K',
        stroke: COLORS.flagged,
        width: 0,
        paths: () => null,
        points: points(COLORS.flagged, 5),
        value: kelvin,
      },
    ];
  }
  protected roiSeries(name: string, [line]: [string, string]): uPlot.Series {
    return { label: name, scale: 'K', stroke: line, width: 1.5, points: { show: false }, value: kelvin };
  }
  protected bands(): uPlot.Band[] {
    return [{ series: [3, 2], fill: COLORS.hotBand }];
  }
}

export class PowerChart extends ShadedTemperatureChart {
  constructor(el: HTMLElement) {
    super(el, 'Laser power (W)');
  }
  protected fixedSeries(main: string): uPlot.Series[] {
    return [
      { label: 'power', value: valueIn(2, 'W') },
      {
        label: main === 'T' ? 'frames' : main,
        scale: 'K',
        stroke: COLORS.hot,
        width: 0,
        paths: () => null,
        points: points('rgba(255,138,61,0.55)', 3),
        value: kelvin,
      },
      {
        label: main === 'T' ? 'mean per step' : `${main} mean per step`,
        scale: 'K',
        stroke: COLORS.fit,
        width: 2,
        spanGaps: true,
        points: { show: false },
        value: kelvin,
      },
    ];
  }
  protected roiSeries(name: string, [line, dots]: [string, string]): uPlot.Series {
    return {
      label: name,
      scale: 'K',
      stroke: line,
      width: 0,
      paths: () => null,
      points: points(dots, 3),
      value: kelvin,
    };
  }
}

/** The smallest of 1, 2, 5 × 10^k that is at least `value` (value > 0). */
export function niceCeil(value: number): number {
  const magnitude = Math.pow(10, Math.floor(Math.log10(value)));
  for (const step of [1, 2, 5, 10]) {
    if (step * magnitude >= value * (1 - 1e-12)) {
      return step * magnitude;
    }
  }
  return 10 * magnitude;
}

/** The residual axis: symmetric about 0, at least ±0.5 %, ticked at −m, 0 and +m (three ticks at any height). */
export function residualRange(min: number | null, max: number | null): [number, number] {
  const largest = Math.max(Math.abs(min ?? 0), Math.abs(max ?? 0), 0.5);
  const bound = niceCeil(largest);
  return [-bound, bound];
}

const Y_AXIS_SIZE = 62;

/** The latest spectrum with its fit (top) and the residuals in % of the fit's peak (below), on one x axis. */
export class SpectrumChart {
  readonly main: uPlot;
  readonly resid: uPlot;
  maskRuns: [number, number][] = [];

  constructor(mainEl: HTMLElement, residEl: HTMLElement) {
    const sync = uPlot.sync('spectrum');
    const drawMask = (u: uPlot) => this.shadeMasked(u);
    this.main = new uPlot(
      {
        ...sizeOf(mainEl),
        scales: { x: { time: false } },
        legend: { show: false },
        cursor: { sync: { key: sync.key }, points: { size: 5 } },
        series: [
          { label: 'λ', value: valueIn(1, 'nm') },
          { label: 'measured', stroke: COLORS.data, width: 1, points: { show: false } },
          { label: 'Planck fit', stroke: COLORS.fit, width: 2, points: { show: false } },
        ],
        axes: [
          axis('', { size: 6, values: (_u, ticks) => ticks.map(() => '') }),
          axis('Radiance (a.u.)', { size: Y_AXIS_SIZE, space: 28, values: (_u, ticks) => exponentialTicks(ticks) }),
        ],
        hooks: { drawClear: [drawMask] },
      },
      [[], [], []],
      mainEl,
    );
    autoSize(this.main, mainEl);
    this.resid = new uPlot(
      {
        ...sizeOf(residEl),
        scales: { x: { time: false }, r: { auto: true, range: (_u, min, max) => residualRange(min, max) } },
        legend: { show: false },
        cursor: { sync: { key: sync.key }, points: { size: 4 } },
        series: [
          {},
          {
            label: 'residual',
            scale: 'r',
            stroke: COLORS.fit,
            width: 0,
            paths: () => null,
            points: points('rgba(76,201,240,0.6)', 2),
          },
        ],
        axes: [
          xAxis('Wavelength (nm)'),
          axis('Resid. %', {
            scale: 'r',
            size: Y_AXIS_SIZE,
            ticks: { show: false },
            splits: (_u, _i, min, max) => [min, 0, max],
          }),
        ],
        hooks: { drawClear: [drawMask] },
      },
      [[], []],
      residEl,
    );
    autoSize(this.resid, residEl);
  }

  private shadeMasked(u: uPlot): void {
    const { ctx } = u;
    const { top, height } = u.bbox;
    ctx.save();
    ctx.fillStyle = COLORS.masked;
    for (const [from, to] of this.maskRuns) {
      const x0 = u.valToPos(from, 'x', true);
      const x1 = u.valToPos(to, 'x', true);
      ctx.fillRect(x0, top, x1 - x0, height);
    }
    ctx.restore();
  }
}

/**
 * Radiance tick values (arbitrary units, any magnitude) in one exponent, with as many decimals as the tick step
 * needs, so neighbouring ticks never print the same text ("1.325e+0", "1.350e+0").
 */
export function exponentialTicks(ticks: readonly number[]): string[] {
  const finite = ticks.filter((tick) => Number.isFinite(tick));
  const largest = Math.max(...finite.map((tick) => Math.abs(tick)), 0);
  if (finite.length < 2 || largest === 0) {
    return ticks.map((tick) => (Number.isFinite(tick) ? tick.toExponential(1) : ''));
  }
  const exponent = Math.floor(Math.log10(largest));
  const step = Math.abs(finite[1] - finite[0]) / Math.pow(10, exponent);
  let decimals = Math.max(1, Math.ceil(-Math.log10(step) - 1e-9));
  while (decimals < 4 && Math.abs(step * Math.pow(10, decimals) - Math.round(step * Math.pow(10, decimals))) > 1e-6) {
    decimals++;
  }
  const scale = Math.pow(10, exponent);
  const sign = exponent < 0 ? '-' : '+';
  return ticks.map((tick) =>
    Number.isFinite(tick) ? `${(tick / scale).toFixed(decimals)}e${sign}${Math.abs(exponent)}` : '',
  );
}

/** Plateaus as bands and slope changes as lines, in laser-power units (a band ends at its end power when known). */
export function powerSpans(events: Iterable<LiveEvent>): Span[] {
  const out: Span[] = [];
  for (const event of events) {
    out.push(eventSpan(event, event.startPower, event.endPower));
  }
  return out;
}

/** One event on a chart whose x runs from `from` (its start) to `to` (its end, null while open or unknown). */
export function eventSpan(event: LiveEvent, from: number, to: number | null): Span {
  if (event.kind === 'plateau') {
    return { kind: 'band', from, to, label: to === null ? 'plateau (open)' : 'plateau' };
  }
  return { kind: 'marker', from, to: null, label: 'slope change' };
}
