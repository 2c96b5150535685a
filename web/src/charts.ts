/**
 * The uPlot charts: temperature vs time (σ band, flagged frames, plateau spans), temperature vs laser power
 * (points, per-step means, plateaus shaded), and the latest spectrum with its fit and residuals.
 * Each chart is given its whole data once per animation frame (setData); nothing here allocates per message.
 */
import uPlot from 'uplot';
import type { LiveEvent } from '../../src/server/protocol';

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

/** Keep a chart the size of its box. */
function autoSize(u: uPlot, el: HTMLElement, legendPx = 0): void {
  const ro = new ResizeObserver(() => {
    const s = sizeOf(el);
    u.setSize({ width: s.width, height: Math.max(100, s.height - legendPx) });
  });
  ro.observe(el);
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

/** Temperature (K) against `xLabel`, with shaded power/time spans (plateaus): the time and power charts. */
function shadedTemperatureChart(el: HTMLElement, owner: { spans: Span[] }, xLabel: string, series: uPlot.Series[], bands?: uPlot.Band[]): uPlot {
  const s = sizeOf(el);
  const u = new uPlot({
    ...s,
    height: s.height - 30,
    scales: { x: { time: false }, K: { auto: true } },
    legend: { show: true, live: true },
    cursor: { drag: { x: true, y: false }, points: { size: 6 } },
    series,
    ...(bands ? { bands } : {}),
    axes: [axis(xLabel), axis('temperature (K)', { scale: 'K', size: 62 })],
    hooks: { drawClear: [(u) => shadeSpans(u, owner.spans)] },
  }, series.map(() => []) as unknown as uPlot.AlignedData, el);
  autoSize(u, el, 30);
  return u;
}

export class TimeChart {
  readonly u: uPlot;
  spans: Span[] = [];
  constructor(el: HTMLElement) {
    const K = valueIn(0, 'K');
    this.u = shadedTemperatureChart(el, this, 'time (s)', [
      { label: 'time', value: valueIn(3, 's') },
      { label: 'T', scale: 'K', stroke: COLORS.hot, width: 1.5, points: { show: false }, value: K },
      { label: 'T − σ', scale: 'K', stroke: 'transparent', points: { show: false }, value: K },
      { label: 'T + σ', scale: 'K', stroke: 'transparent', points: { show: false }, value: K },
      { label: 'flagged', scale: 'K', stroke: COLORS.flagged, width: 0, paths: () => null, points: points(COLORS.flagged, 5), value: K },
    ], [{ series: [3, 2], fill: COLORS.hotBand }]);
  }
}

export class PowerChart {
  readonly u: uPlot;
  spans: Span[] = [];
  constructor(el: HTMLElement) {
    const K = valueIn(0, 'K');
    this.u = shadedTemperatureChart(el, this, 'laser power (W)', [
      { label: 'power', value: valueIn(2, 'W') },
      { label: 'frames', scale: 'K', stroke: COLORS.hot, width: 0, paths: () => null, points: points('rgba(255,138,61,0.55)', 3), value: K },
      { label: 'mean per step', scale: 'K', stroke: COLORS.fit, width: 2, spanGaps: true, points: { show: false }, value: K },
    ]);
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
