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

function axis(label: string, extra: Partial<uPlot.Axis> = {}): uPlot.Axis {
  return {
    label,
    stroke: COLORS.text,
    font: FONT,
    labelFont: LABEL_FONT,
    labelSize: 22,
    grid: { stroke: COLORS.grid, width: 1 },
    ticks: { stroke: COLORS.grid, width: 1, size: 5 },
    ...extra,
  };
}

function sizeOf(el: HTMLElement): { width: number; height: number } {
  const r = el.getBoundingClientRect();
  return { width: Math.max(200, Math.floor(r.width)), height: Math.max(120, Math.floor(r.height)) };
}

/** Keep a chart the size of its box (until the returned observer is disconnected). */
function autoSize(u: uPlot, el: HTMLElement, legendPx = 0): ResizeObserver {
  const ro = new ResizeObserver(() => {
    const s = sizeOf(el);
    u.setSize({ width: s.width, height: Math.max(100, s.height - legendPx) });
  });
  ro.observe(el);
  return ro;
}

/** Plateau spans to shade, in the chart's x units. */
export interface Span { from: number; to: number | null; label: string }

function shadeSpans(u: uPlot, spans: Span[]): void {
  if (!spans.length) return;
  const { ctx } = u;
  const { top, height, left, width } = u.bbox;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  for (const s of spans) {
    const x0 = u.valToPos(s.from, 'x', true);
    const xMax = u.scales.x.max ?? s.from;
    const x1 = u.valToPos(s.to ?? xMax, 'x', true);
    ctx.fillStyle = COLORS.plateau;
    ctx.fillRect(x0, top, Math.max(2, x1 - x0), height);
    ctx.strokeStyle = COLORS.plateauEdge;
    ctx.lineWidth = 1.5 * devicePixelRatio;
    ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
    ctx.beginPath();
    ctx.moveTo(x0, top);
    ctx.lineTo(x0, top + height);
    if (s.to !== null) {
      ctx.moveTo(x1, top);
      ctx.lineTo(x1, top + height);
    }
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = COLORS.plateauEdge;
    ctx.font = `${600} ${12 * devicePixelRatio}px system-ui, sans-serif`;
    ctx.fillText(s.label, x0 + 6 * devicePixelRatio, top + 16 * devicePixelRatio);
  }
  ctx.restore();
}

const points = (stroke: string, size = 3): uPlot.Series.Points => ({ show: true, size, stroke, fill: stroke, width: 0 });

/** A legend value formatter: `—` where there is no value, else the number with `digits` decimals and its unit. */
const valueIn = (digits: number, unit: string) => (_u: uPlot, v: number | null) => (v == null ? '—' : `${v.toFixed(digits)} ${unit}`);

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

  constructor(private readonly el: HTMLElement, private readonly xLabel: string) {
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
    if (shown.length === this.rois.length && shown.every((n, k) => n === this.rois[k])) return false;
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
    const s = sizeOf(this.el);
    this.u = new uPlot({
      ...s,
      height: s.height - 30,
      scales: { x: { time: false }, K: { auto: true } },
      legend: { show: true, live: true, ...(this.rois.length ? { markers: { fill: pointsMarker } } : {}) },
      cursor: { drag: { x: true, y: false }, points: { size: 6 } },
      series,
      ...(bands ? { bands } : {}),
      axes: [axis(this.xLabel), axis('temperature (K)', { scale: 'K', size: 62 })],
      hooks: { drawClear: [(u) => shadeSpans(u, this.spans)] },
    }, series.map(() => []) as unknown as uPlot.AlignedData, this.el);
    this.ro = autoSize(this.u, this.el, 30);
  }
}

const kelvin = valueIn(0, 'K');

/**
 * Legend marker fill: a series drawn as points only (no line) shows its colour, so each ROI's points can be
 * told by the legend (uPlot's own marker is an empty box for them). Used when ROI series are shown.
 */
const pointsMarker = (u: uPlot, i: number): string => {
  const s = u.series[i];
  if (s.width) return 'transparent';
  const c = typeof s.stroke === 'function' ? s.stroke(u, i) : s.stroke; // the series colour, opaque
  return typeof c === 'string' ? c : 'transparent';
};

export class TimeChart extends ShadedTemperatureChart {
  constructor(el: HTMLElement) {
    super(el, 'time (s)');
  }
  protected fixedSeries(main: string): uPlot.Series[] {
    return [
      { label: 'time', value: valueIn(3, 's') },
      { label: main, scale: 'K', stroke: COLORS.hot, width: 1.5, points: { show: false }, value: kelvin },
      { label: `${main} − σ`, scale: 'K', stroke: 'transparent', points: { show: false }, value: kelvin },
      { label: `${main} + σ`, scale: 'K', stroke: 'transparent', points: { show: false }, value: kelvin },
      { label: 'flagged', scale: 'K', stroke: COLORS.flagged, width: 0, paths: () => null, points: points(COLORS.flagged, 5), value: kelvin },
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
    super(el, 'laser power (W)');
  }
  protected fixedSeries(main: string): uPlot.Series[] {
    return [
      { label: 'power', value: valueIn(2, 'W') },
      { label: main === 'T' ? 'frames' : main, scale: 'K', stroke: COLORS.hot, width: 0, paths: () => null, points: points('rgba(255,138,61,0.55)', 3), value: kelvin },
      { label: main === 'T' ? 'mean per step' : `${main} mean per step`, scale: 'K', stroke: COLORS.fit, width: 2, spanGaps: true, points: { show: false }, value: kelvin },
    ];
  }
  protected roiSeries(name: string, [line, dots]: [string, string]): uPlot.Series {
    return { label: name, scale: 'K', stroke: line, width: 0, paths: () => null, points: points(dots, 3), value: kelvin };
  }
}

export class SpectrumChart {
  readonly main: uPlot;
  readonly resid: uPlot;
  maskRuns: [number, number][] = [];
  constructor(mainEl: HTMLElement, residEl: HTMLElement) {
    const sync = uPlot.sync('spectrum');
    const ms = sizeOf(mainEl);
    const hookMask = (u: uPlot) => {
      const { ctx } = u;
      const { top, height } = u.bbox;
      ctx.save();
      ctx.fillStyle = COLORS.masked;
      for (const [a, b] of this.maskRuns) {
        const x0 = u.valToPos(a, 'x', true);
        const x1 = u.valToPos(b, 'x', true);
        ctx.fillRect(x0, top, x1 - x0, height);
      }
      ctx.restore();
    };
    this.main = new uPlot({
      ...ms,
      scales: { x: { time: false } },
      legend: { show: false },
      cursor: { sync: { key: sync.key }, points: { size: 5 } },
      series: [
        { label: 'λ', value: valueIn(1, 'nm') },
        { label: 'measured', stroke: COLORS.data, width: 1, points: { show: false } },
        { label: 'Planck fit', stroke: COLORS.fit, width: 2, points: { show: false } },
      ],
      axes: [axis('', { size: 28 }), axis('radiance (arb. u.)', { size: 62, values: (_u, vals) => vals.map((v) => (v == null ? '' : v.toExponential(1))) })],
      hooks: { drawClear: [hookMask] },
    }, [[], [], []], mainEl);
    autoSize(this.main, mainEl);
    const rs = sizeOf(residEl);
    this.resid = new uPlot({
      ...rs,
      scales: { x: { time: false }, r: { auto: true, range: (_u, min, max) => { const m = Math.max(Math.abs(min), Math.abs(max), 1); return [-m, m]; } } },
      legend: { show: false },
      cursor: { sync: { key: sync.key }, points: { size: 4 } },
      series: [
        {},
        { label: 'residual', scale: 'r', stroke: COLORS.fit, width: 0, paths: () => null, points: points('rgba(76,201,240,0.6)', 2) },
      ],
      axes: [axis('wavelength (nm)'), axis('resid. (%)', { scale: 'r', size: 62, ticks: { show: false } })],
      hooks: { drawClear: [hookMask] },
    }, [[], []], residEl);
    autoSize(this.resid, residEl);
  }
}

/** Plateau / slope-change events as shaded spans in power units. */
export function powerSpans(events: Iterable<LiveEvent>): Span[] {
  const out: Span[] = [];
  for (const e of events) out.push({ from: e.startPower, to: e.endPower, label: e.kind === 'plateau' ? 'plateau' : 'slope change' });
  return out;
}
