/**
 * The live dashboard. Messages only update plain state (typed-array history, latest spectrum, events, status);
 * one requestAnimationFrame loop turns that state into exactly one setData per chart per frame, and text into
 * the DOM at most ten times a second, so 1 kHz of frames costs the page no more than the screen refresh.
 */
import 'uplot/dist/uPlot.min.css';
import './style.css';
import type uPlot from 'uplot';
import type { FrameMessage, LiveEvent, LiveMessage } from '../../src/protocol';
import {
  COLORS,
  eventSpan,
  MAX_ROI_SERIES,
  PowerChart,
  powerSpans,
  ROI_COLORS,
  SpectrumChart,
  TimeChart,
  Span,
} from './charts';
import { connect, ConnState } from './connection';
import { eventDetail, eventHeadline, flaggedSummary, fmt, twoColorNote, twoColorText } from './format';
import { History } from './history';

const $ = (id: string) => document.getElementById(id) as HTMLElement;

const history = new History();
const events = new Map<string, LiveEvent>();
let latest: FrameMessage | null = null;
let spectrum: Extract<LiveMessage, { type: 'spectrum' }> | null = null;
let spectrumVersion = 0;
let status: Extract<LiveMessage, { type: 'status' }> | null = null;
/** The run on show (from hello, reset and status): events of other runs are not shown. */
let currentRun = 0;
let eventsVersion = 0;
let lastMessageAt = 0;
let connState: ConnState = 'connecting';
let retryAt = 0;

function clearAll(): void {
  history.clear();
  events.clear();
  latest = null;
  spectrum = null;
  spectrumVersion++;
  eventsVersion++;
}

function onMessage(msg: LiveMessage): void {
  lastMessageAt = performance.now();
  switch (msg.type) {
    case 'hello':
      if (typeof msg.run === 'number') {
        currentRun = msg.run;
      }
      roisSettled = false;
      if (Array.isArray(msg.rois)) {
        setRois(msg.rois);
      }
      $('source').textContent = msg.source;
      $('source').title = `source: ${msg.source}${msg.range ? ` · fit range ${msg.range[0]}–${msg.range[1]} nm` : ''}`;
      break;
    case 'frames':
      if (!Array.isArray(msg.frames)) {
        return;
      }
      for (const f of msg.frames) {
        if (!roisSettled && f.rois) {
          // a source whose hello named no ROIs: take them from the first frame that carries them (once)
          roisSettled = true;
          if (history.roiNames.length === 0) {
            setRois(Object.keys(f.rois));
          }
        }
        history.push(f);
        latest = f;
      }
      break;
    case 'spectrum':
      spectrum = msg;
      spectrumVersion++;
      break;
    case 'event':
      if (typeof msg.event.run === 'number' && msg.event.run !== currentRun) {
        return;
      } // an old run's: not shown
      if (msg.event.retracted) {
        events.delete(msg.event.id);
      } else {
        events.set(msg.event.id, msg.event);
      }
      eventsVersion++;
      break;
    case 'status':
      status = msg;
      break;
    case 'reset':
      clearAll();
      currentRun = typeof msg.run === 'number' ? msg.run : currentRun + 1;
      break;
    default:
      break;
  }
}

// ---------- charts ----------
const timeChart = new TimeChart($('chart-time'));
const powerChart = new PowerChart($('chart-power'));
const spectrumChart = new SpectrumChart($('chart-spectrum-main'), $('chart-spectrum-resid'));

/** Set by a hello; until then the first frame carrying ROI temperatures may name them. */
let roisSettled = false;
/** ROI name → its colour on the charts (the first ROI is the main series); empty with a single ROI. */
let roiColors = new Map<string, string>();

/** Double-sided heating (≥ 2 ROIs): one temperature series per ROI on the time and power charts. */
function setRois(names: readonly string[]): void {
  const shown = names.length >= 2 ? names.slice(0, MAX_ROI_SERIES) : [];
  if (shown.length) {
    roisSettled = true;
  }
  history.setRois(shown.slice(1));
  const changed = timeChart.setRois(shown);
  if (powerChart.setRois(shown) || changed) {
    drawnHistory = -1; // the rebuilt charts are empty: draw them at the next animation frame
    drawnPower = -1;
  }
  roiColors = new Map(shown.map((n, k) => [n, k === 0 ? COLORS.hot : ROI_COLORS[k - 1][0]]));
  $('rois').dataset.key = ''; // redraw the numbers with their colours
}

/** A history column as uPlot data: null (a gap, or no point) where the ROI had no temperature. */
function gapsAtNaN(col: Float64Array, n: number, order?: number[]): (number | null)[] {
  const out: (number | null)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const v = col[order ? order[i] : i];
    out[i] = Number.isNaN(v) ? null : v;
  }
  return out;
}

let drawnHistory = -1;
let drawnPower = -1;
let drawnSpectrum = -1;
let drawnEvents = -1;
let lastPowerDraw = 0;
let lastTextDraw = 0;

/**
 * The time at which a plateau ends: its end frame's time when that frame is in the history, else the time of the
 * first frame after its start at or above its end power; null while it is open (or its end is not known here).
 */
function endTime(e: LiveEvent): number | null {
  if (e.endIndex !== null) {
    const at = history.timeAtIndex(e.endIndex);
    if (at !== null) {
      return at;
    }
  }
  if (e.endPower === null) {
    return null;
  }
  for (let k = 0; k < history.length; k++) {
    if (history.index[k] >= e.startIndex && history.power[k] >= e.endPower) {
      return history.time[k];
    }
  }
  return null;
}

function timeSpans(): Span[] {
  const out: Span[] = [];
  for (const e of events.values()) {
    const from = history.timeAtIndex(e.startIndex);
    if (from === null) {
      continue;
    }
    out.push(eventSpan(e, from, e.kind === 'plateau' ? endTime(e) : null));
  }
  return out;
}

function drawTime(): void {
  const n = history.length;
  const t = history.temperature.subarray(0, n);
  const lo = new Float64Array(n);
  const hi = new Float64Array(n);
  const flagged: (number | null)[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const s = history.sigma[i];
    lo[i] = t[i] - s;
    hi[i] = t[i] + s;
    flagged[i] = history.flagged[i] ? t[i] : null;
  }
  timeChart.spans = timeSpans();
  // gaps in time: the break rows' NaNs become nulls, where uPlot breaks the lines
  const gapped = (col: Float64Array) => (history.breaks > 0 ? gapsAtNaN(col, n) : col);
  const data: uPlot.AlignedData[number][] = [history.time.subarray(0, n), gapped(t), gapped(lo), gapped(hi), flagged];
  for (const col of history.roiTemperature.slice(0, timeChart.rois.length - 1)) {
    data.push(gapsAtNaN(col, n));
  }
  timeChart.u.setData(data as uPlot.AlignedData);
}

function drawPower(): void {
  const n = history.length;
  const order: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!Number.isNaN(history.power[i])) {
      order.push(i);
    }
  }
  order.sort((a, b) => history.power[a] - history.power[b]);
  const m = order.length;
  const x = new Float64Array(m);
  const y = new Float64Array(m);
  const mean: (number | null)[] = new Array(m).fill(null);
  let start = 0;
  for (let k = 0; k < m; k++) {
    x[k] = history.power[order[k]];
    y[k] = history.temperature[order[k]];
    if (k === m - 1 || history.power[order[k + 1]] !== x[k]) {
      let sum = 0;
      for (let j = start; j <= k; j++) {
        sum += y[j];
      }
      mean[Math.floor((start + k) / 2)] = sum / (k - start + 1);
      start = k + 1;
    }
  }
  ($('power-note') as HTMLElement).hidden = !(m === 0 && n > 0);
  powerChart.spans = powerSpans(events.values());
  const data: uPlot.AlignedData[number][] = [x, y, mean];
  for (const col of history.roiTemperature.slice(0, powerChart.rois.length - 1)) {
    data.push(gapsAtNaN(col, m, order));
  }
  powerChart.u.setData(data as uPlot.AlignedData);
}

function drawSpectrum(): void {
  if (!spectrum) {
    spectrumChart.main.setData([[], [], []]);
    spectrumChart.resid.setData([[], []]);
    $('spectrum-index').textContent = '';
    return;
  }
  const { wavelength, radiance, fit, mask } = spectrum;
  const n = Math.min(wavelength.length, radiance.length, fit.length);
  const wl = Float64Array.from(wavelength.slice(0, n));
  let peak = 0;
  for (let i = 0; i < n; i++) {
    if (!mask[i] && fit[i] > peak) {
      peak = fit[i];
    }
  }
  const resid: (number | null)[] = new Array(n);
  const runs: [number, number][] = [];
  let runStart = -1;
  for (let i = 0; i < n; i++) {
    const m = mask[i] === 1;
    resid[i] = !m && peak > 0 ? (100 * (radiance[i] - fit[i])) / peak : null;
    if (m && runStart < 0) {
      runStart = i;
    }
    if ((!m || i === n - 1) && runStart >= 0) {
      runs.push([wl[runStart], wl[m ? i : i - 1]]);
      runStart = -1;
    }
  }
  spectrumChart.maskRuns = runs;
  spectrumChart.main.setData([wl, Float64Array.from(radiance.slice(0, n)), Float64Array.from(fit.slice(0, n))]);
  spectrumChart.resid.setData([wl, resid]);
  $('spectrum-index').textContent = `frame ${spectrum.index}`;
}

function drawEvents(): void {
  const ol = $('events');
  ol.textContent = '';
  const list = [...events.values()].sort((a, b) => b.detectedAtIndex - a.detectedAtIndex);
  if (!list.length) {
    const li = document.createElement('li');
    li.className = 'empty';
    li.textContent = 'no plateau yet';
    ol.appendChild(li);
    return;
  }
  for (const e of list) {
    const li = document.createElement('li');
    li.className = `event ${e.kind}${e.kind === 'plateau' && e.endPower === null ? ' open' : ''}`;
    li.dataset.eventId = e.id;
    const head = document.createElement('div');
    head.className = 'headline';
    head.textContent = eventHeadline(e);
    const detail = document.createElement('div');
    detail.className = 'detail';
    detail.textContent = eventDetail(e);
    li.append(head, detail);
    ol.appendChild(li);
  }
}

function drawText(now: number): void {
  const f = latest;
  $('temperature').textContent = f ? fmt(f.temperature, 0) : '—';
  const sig = f?.temperatureError ?? null;
  $('sigma').textContent = fmt(sig, sig !== null && sig < 10 ? 1 : 0);
  $('power').textContent = f ? fmt(f.power, 2) : '—';
  $('chi2').textContent = f ? fmt(f.chi2, 2) : '—';
  const twoColor = $('twocolor');
  twoColor.textContent = twoColorText(f?.twoColor ?? null);
  twoColor.title = twoColorNote(f?.twoColor ?? null);
  $('frameindex').textContent = f ? String(f.index) : '—';
  const rois = $('rois');
  const roiText = f?.rois
    ? Object.entries(f.rois)
        .map(([k, r]) => `${k}\u0000${fmt(r.temperature, 0)} ± ${fmt(r.temperatureError, 0)} K`)
        .join('\u0001')
    : '';
  if (rois.dataset.key !== roiText) {
    rois.dataset.key = roiText;
    rois.textContent = '';
    for (const item of roiText ? roiText.split('\u0001') : []) {
      const [name, value] = item.split('\u0000');
      const div = document.createElement('div');
      const b = document.createElement('b');
      b.textContent = name;
      const colour = roiColors.get(name);
      if (colour) {
        b.style.color = colour;
      }
      div.append(b, ` ${value}`);
      rois.appendChild(div);
    }
  }
  const flags = $('flags');
  const key = f ? `f:${f.flags.join(',')}` : 'none';
  if (flags.dataset.key !== key) {
    flags.dataset.key = key;
    flags.textContent = '';
    for (const fl of f?.flags ?? []) {
      const chip = document.createElement('span');
      chip.className = `chip ${fl}`;
      chip.textContent = fl;
      flags.appendChild(chip);
    }
    if (f && !f.flags.length) {
      const chip = document.createElement('span');
      chip.className = 'chip ok';
      chip.textContent = 'good frame';
      flags.appendChild(chip);
    }
  }
  if (status) {
    $('fps').textContent = fmt(status.framesPerSecond, 0);
    $('latency').textContent = `${fmt(status.latencyP50, 1)} / ${fmt(status.latencyP99, 1)} ms`;
    $('frames').textContent = String(status.frames);
    $('flagged').textContent = flaggedSummary(status.flagged);
  }
  drawSourceState();
  const conn = $('conn');
  let state: string = connState;
  let text = 'connecting…';
  const ended = status !== null && SOURCE_ENDED.has(status.sourceState?.state);
  if (connState === 'open' && ended) {
    state = 'ended';
    text = 'connected';
  } else if (connState === 'open') {
    const stale = lastMessageAt > 0 && now - lastMessageAt > 3000;
    state = stale ? 'stale' : 'open';
    text = stale ? `no data for ${Math.round((now - lastMessageAt) / 1000)} s` : 'live';
  } else if (connState === 'closed') {
    text = `disconnected · retry in ${Math.max(0, Math.ceil((retryAt - Date.now()) / 1000))} s`;
  }
  conn.dataset.state = state;
  (conn.querySelector('span') as HTMLElement).textContent = text;
}

/** Source states after which no more frames come: the page says so instead of "no data for N s". */
const SOURCE_ENDED = new Set<string | undefined>(['finished', 'missing', 'failed']);
const SOURCE_TEXT: Record<string, string> = {
  running: 'running',
  paused: 'paused: waiting for frames',
  finished: 'finished',
  missing: 'no such folder',
  failed: 'source failed',
};

/** The source's state (running, paused, finished, no such folder) from the latest status. */
function drawSourceState(): void {
  const el = $('source-state');
  const state = status?.sourceState?.state;
  const key = state ? `${state}\u0000${status?.sourceState.detail ?? ''}` : '';
  if (el.dataset.key === key) {
    return;
  }
  el.dataset.key = key;
  el.dataset.state = state ?? '';
  el.textContent = state ? (SOURCE_TEXT[state] ?? state) : '';
  el.title = status?.sourceState?.detail ?? '';
}

function frame(now: number): void {
  if (drawnHistory !== history.version || drawnEvents !== eventsVersion) {
    drawTime();
    if (now - lastPowerDraw > 100 || drawnEvents !== eventsVersion) {
      drawPower(); // the sort makes this the dearest chart: 10 per second is plenty
      lastPowerDraw = now;
      drawnPower = history.version;
    }
    drawnHistory = history.version;
  } else if (drawnPower !== history.version) {
    drawPower();
    drawnPower = history.version;
    lastPowerDraw = now;
  }
  if (drawnSpectrum !== spectrumVersion) {
    drawSpectrum();
    drawnSpectrum = spectrumVersion;
  }
  if (drawnEvents !== eventsVersion) {
    drawEvents();
    drawnEvents = eventsVersion;
  }
  if (now - lastTextDraw > 100) {
    drawText(now);
    lastTextDraw = now;
  }
  requestAnimationFrame(frame);
}

const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
connect(wsUrl, {
  onOpen: clearAll, // the server sends a snapshot first: start from it
  onMessage,
  onState: (s, retryIn) => {
    connState = s;
    if (retryIn !== null) {
      retryAt = Date.now() + retryIn;
    }
  },
});
requestAnimationFrame(frame);
