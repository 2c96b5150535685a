/**
 * toLiveMessages: the last stage, pipeline events → LiveMessage (src/protocol.ts).
 *
 * - frames: handed off in arrival order. With `frameBatchMs` = 0 (the default) the frames that become ready in
 *   the same turn (a fitted batch, a burst) go in one message at the end of that turn (asap scheduler), so a lone
 *   frame is sent within microseconds; with `frameBatchMs` > 0 frames are collected for that long (e.g. 16 ms)
 *   before being sent together, fewer messages for more latency. Each FrameMessage carries its latency: clock
 *   time from the frame's arrival in the pipeline to its hand-off here.
 * - spectrum: the latest frame's spectrum with its fit, at most one per `spectrumIntervalMs` (default 50 ms,
 *   ≤ 20/s), leading and trailing (the last frame of a burst is always shown); the view is computed only for
 *   the frames that are shown.
 * - event: slope-change/plateau events (new and updated, same id), passed on at once.
 * - status: every `statusIntervalMs` (default 1 s): frames/s over the last interval, latency p50/p99 of the frames
 *   handed off in the last interval, frames and flag counts of the current run, source, running.
 *   The status carries the run and the source's state: running (frames in the last interval), paused (none),
 *   or what a `source` pipeline event said (finished, missing, failed).
 * - reset: pending frames of the old run are sent first, then the reset (naming the new run); per-run counts
 *   start again.
 * - gaps: a frame more than max(0.5 s, 5 × the typical frame interval) after the previous one of its run is
 *   marked `gap`, so charts break the line there instead of drawing it across the gap.
 * On completion: pending frames, the trailing spectrum and a final status (running: false; state finished unless
 * a `source` event said otherwise) are sent.
 * State is per subscription.
 */
import { asapScheduler, asyncScheduler, Observable, OperatorFunction, SchedulerLike, Subscription } from 'rxjs';
import type { FrameFlag, SpectrumView } from '../analysis/types';
import type { FrameMessage, LiveEvent, LiveMessage, SourceStatus } from '../protocol';
import type { LiveResult } from './types';

export type PipelineEvent =
  | { kind: 'result'; value: LiveResult }
  | { kind: 'event'; event: LiveEvent }
  | { kind: 'reset'; reason: string; run: number }
  /** The source ended (finished, missing, failed): the next status says so. */
  | { kind: 'source'; status: SourceStatus };

export interface ToLiveMessagesOptions {
  /** Source name for status messages. */
  source: string;
  /** Computes the spectrum view of a shown frame (omit: no spectrum messages). */
  spectrum?: (r: LiveResult) => SpectrumView | null;
  frameBatchMs?: number;
  spectrumIntervalMs?: number;
  statusIntervalMs?: number;
  /** Clock in ms for latencies (default performance.now; must be the clock that stamped frame.arrivedAt). */
  now?: () => number;
  /** Scheduler of the timers (status, spectrum throttle, frame batches > 0 ms). */
  scheduler?: SchedulerLike;
  /** Scheduler of the end-of-turn frame flush (frameBatchMs = 0). */
  batchScheduler?: SchedulerLike;
}

/**
 * Marks frames that follow a gap in time: more than max(`minGapSeconds`, `factor` × the typical interval) after
 * the previous frame (the typical interval: a running mean of the intervals that were not gaps). reset() at a
 * new run.
 */
export class GapMarker {
  private lastTime: number | null = null;
  private typicalInterval = 0;

  constructor(
    private readonly minGapSeconds = 0.5,
    private readonly factor = 5,
  ) {}

  reset(): void {
    this.lastTime = null;
    this.typicalInterval = 0;
  }

  /** Whether a gap precedes a frame at `time` (s; null: unknown, never a gap). */
  mark(time: number | null): boolean {
    if (time === null || !Number.isFinite(time)) {
      return false;
    }
    const last = this.lastTime;
    this.lastTime = time;
    if (last === null) {
      return false;
    }
    const interval = time - last;
    if (interval > Math.max(this.minGapSeconds, this.factor * this.typicalInterval)) {
      return true;
    }
    if (interval > 0) {
      this.typicalInterval = this.typicalInterval === 0 ? interval : 0.9 * this.typicalInterval + 0.1 * interval;
    }
    return false;
  }
}

export function toFrameMessage(r: LiveResult, latencyMs: number): FrameMessage {
  const x = r.result;
  const m: FrameMessage = {
    index: x.index,
    time: x.time,
    power: x.power,
    temperature: x.temperature,
    temperatureError: x.temperatureError,
    chi2: x.chi2,
    flags: x.flags,
    twoColor: x.twoColor,
    latencyMs,
  };
  if (x.rois) {
    const rois: NonNullable<FrameMessage['rois']> = {};
    for (const [k, v] of Object.entries(x.rois)) {
      rois[k] = { temperature: v.temperature, temperatureError: v.temperatureError };
    }
    m.rois = rois;
  }
  return m;
}

export function spectrumMessage(v: SpectrumView): LiveMessage {
  return {
    type: 'spectrum',
    index: v.index,
    wavelength: Array.from(v.wavelength),
    radiance: Array.from(v.radiance),
    fit: Array.from(v.fit),
    mask: Array.from(v.mask),
  };
}

/** q-quantile (0..1) of the values, by sorting a copy (nearest rank). */
export function quantile(values: ArrayLike<number>, q: number): number {
  const n = values.length;
  if (n === 0) {
    return 0;
  }
  const s = Float64Array.from(values).sort();
  const k = Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
  return s[k];
}

export function toLiveMessages(options: ToLiveMessagesOptions): OperatorFunction<PipelineEvent, LiveMessage> {
  const batchMs = options.frameBatchMs ?? 0;
  const spectrumMs = options.spectrumIntervalMs ?? 50;
  const statusMs = options.statusIntervalMs ?? 1000;
  const now = options.now ?? (() => performance.now());
  const scheduler = options.scheduler ?? asyncScheduler;
  const batchScheduler = options.batchScheduler ?? asapScheduler;
  return (input) =>
    new Observable<LiveMessage>((subscriber) => {
      let pending: LiveResult[] = [];
      let flushTimer: Subscription | null = null;
      let latestForSpectrum: LiveResult | null = null;
      let lastSpectrumAt = -Infinity;
      let spectrumTimer: Subscription | null = null;
      // status over the current interval
      let intervalFrames = 0;
      let intervalLatencies: number[] = [];
      let lastP50 = 0;
      let lastP99 = 0;
      let runFrames = 0;
      let flagged: Partial<Record<FrameFlag, number>> = {};
      let lastStatusAt = scheduler.now();
      let run = 0;
      let sourceStatus: SourceStatus | null = null;
      const gaps = new GapMarker();

      const emitSpectrum = () => {
        const r = latestForSpectrum;
        latestForSpectrum = null;
        if (!r || !options.spectrum) {
          return;
        }
        lastSpectrumAt = scheduler.now();
        let view: SpectrumView | null = null;
        try {
          view = options.spectrum(r);
        } catch {
          view = null;
        }
        if (view) {
          subscriber.next(spectrumMessage(view));
        }
      };

      const considerSpectrum = (r: LiveResult) => {
        if (!options.spectrum) {
          return;
        }
        latestForSpectrum = r;
        const t = scheduler.now();
        if (t - lastSpectrumAt >= spectrumMs) {
          spectrumTimer?.unsubscribe();
          spectrumTimer = null;
          emitSpectrum();
          return;
        }
        // timers are cancelled by the teardown below, not added to the subscriber (its teardown list would keep
        // every timer ever scheduled)
        if (spectrumTimer === null) {
          spectrumTimer = scheduler.schedule(
            () => {
              spectrumTimer = null;
              emitSpectrum();
            },
            lastSpectrumAt + spectrumMs - t,
          );
        }
      };

      const flush = () => {
        flushTimer?.unsubscribe();
        flushTimer = null;
        if (pending.length === 0) {
          return;
        }
        const batch = pending;
        pending = [];
        const t = now();
        const frames = new Array<FrameMessage>(batch.length);
        for (let i = 0; i < batch.length; i++) {
          const r = batch[i];
          const latency = t - r.frame.arrivedAt;
          frames[i] = toFrameMessage(r, latency);
          if (gaps.mark(r.result.time)) {
            frames[i].gap = true;
          }
          intervalLatencies.push(latency);
          for (const f of r.result.flags) {
            flagged[f] = (flagged[f] ?? 0) + 1;
          }
        }
        if (intervalLatencies.length > 100_000) {
          intervalLatencies = intervalLatencies.slice(-50_000);
        }
        intervalFrames += batch.length;
        runFrames += batch.length;
        subscriber.next({ type: 'frames', frames });
        considerSpectrum(batch[batch.length - 1]);
      };

      const sourceState = (running: boolean, frames: number): SourceStatus => {
        if (sourceStatus) {
          return sourceStatus;
        }
        if (!running) {
          return { state: 'finished' };
        }
        return frames > 0 ? { state: 'running' } : { state: 'paused', detail: 'no frames in the last interval' };
      };

      const status = (running: boolean) => {
        const t = scheduler.now();
        const dt = Math.max(1e-9, (t - lastStatusAt) / 1000);
        lastStatusAt = t;
        if (intervalLatencies.length > 0) {
          lastP50 = quantile(intervalLatencies, 0.5);
          lastP99 = quantile(intervalLatencies, 0.99);
        }
        const fps = intervalFrames / dt;
        const state = sourceState(running, intervalFrames);
        intervalFrames = 0;
        intervalLatencies = [];
        subscriber.next({
          type: 'status',
          framesPerSecond: fps,
          latencyP50: lastP50,
          latencyP99: lastP99,
          frames: runFrames,
          flagged: { ...flagged },
          source: options.source,
          running,
          run,
          sourceState: state,
        });
      };

      const statusTimer = scheduler.schedule(function tick() {
        flush();
        status(true);
        this.schedule(undefined, statusMs);
      }, statusMs);

      const sub = input.subscribe({
        next: (ev) => {
          switch (ev.kind) {
            case 'result':
              pending.push(ev.value);
              if (flushTimer === null) {
                flushTimer = batchMs > 0 ? scheduler.schedule(flush, batchMs) : batchScheduler.schedule(flush);
              }
              break;
            case 'event':
              flush(); // the frames the event refers to go first
              subscriber.next({ type: 'event', event: ev.event });
              break;
            case 'reset':
              flush();
              spectrumTimer?.unsubscribe();
              spectrumTimer = null;
              latestForSpectrum = null;
              lastSpectrumAt = -Infinity;
              runFrames = 0;
              flagged = {};
              run = ev.run;
              gaps.reset();
              subscriber.next({ type: 'reset', reason: ev.reason, run: ev.run });
              break;
            case 'source':
              flush();
              sourceStatus = ev.status;
              status(!['finished', 'missing', 'failed'].includes(ev.status.state));
              break;
          }
        },
        error: (e) => subscriber.error(e),
        complete: () => {
          flush();
          if (spectrumTimer) {
            spectrumTimer.unsubscribe();
            spectrumTimer = null;
            emitSpectrum();
          }
          statusTimer.unsubscribe();
          status(false);
          subscriber.complete();
        },
      });
      return () => {
        sub.unsubscribe();
        flushTimer?.unsubscribe();
        spectrumTimer?.unsubscribe();
        statusTimer.unsubscribe();
      };
    });
}
