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
import {
  asapScheduler,
  asyncScheduler,
  Observable,
  OperatorFunction,
  SchedulerAction,
  SchedulerLike,
  Subscriber,
  Subscription,
} from 'rxjs';
import type { FrameFlag, SpectrumView } from '../analysis/types';
import type { FrameMessage, LiveEvent, LiveMessage, SourceStatus, StatusMessage } from '../protocol';
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

/** Per-run and per-interval counts behind the status messages (frames, latencies, flags, the run, the source). */
export class StatusTally {
  private intervalFrames = 0;
  private intervalLatencies: number[] = [];
  private lastP50 = 0;
  private lastP99 = 0;
  private runFrames = 0;
  private flagged: Partial<Record<FrameFlag, number>> = {};
  private run = 0;
  private sourceStatus: SourceStatus | null = null;

  /** @param lastStatusAt scheduler time (ms) the first interval starts at */
  constructor(
    private readonly source: string,
    private lastStatusAt: number,
  ) {}

  /** Counts a frame handed off with its latency (ms) and flags. */
  countFrame(latencyMs: number, flags: readonly FrameFlag[]): void {
    this.intervalLatencies.push(latencyMs);
    for (const flag of flags) {
      this.flagged[flag] = (this.flagged[flag] ?? 0) + 1;
    }
    this.intervalFrames++;
    this.runFrames++;
  }

  /** After a batch of frames: keeps the latency list of a long interval bounded (its latest 50 000). */
  endBatch(): void {
    if (this.intervalLatencies.length > 100_000) {
      this.intervalLatencies = this.intervalLatencies.slice(-50_000);
    }
  }

  /** A new run: its frame and flag counts start from zero. */
  startRun(run: number): void {
    this.runFrames = 0;
    this.flagged = {};
    this.run = run;
  }

  /** What a `source` pipeline event said: every later status carries it. */
  setSourceStatus(status: SourceStatus): void {
    this.sourceStatus = status;
  }

  /** The status at scheduler time `nowMs`, closing the current interval (its frame rate and latency quantiles). */
  status(running: boolean, nowMs: number): StatusMessage {
    const seconds = Math.max(1e-9, (nowMs - this.lastStatusAt) / 1000);
    this.lastStatusAt = nowMs;
    if (this.intervalLatencies.length > 0) {
      this.lastP50 = quantile(this.intervalLatencies, 0.5);
      this.lastP99 = quantile(this.intervalLatencies, 0.99);
    }
    const framesPerSecond = this.intervalFrames / seconds;
    const sourceState = this.sourceState(running, this.intervalFrames);
    this.intervalFrames = 0;
    this.intervalLatencies = [];
    return {
      type: 'status',
      framesPerSecond,
      latencyP50: this.lastP50,
      latencyP99: this.lastP99,
      frames: this.runFrames,
      flagged: { ...this.flagged },
      source: this.source,
      running,
      run: this.run,
      sourceState,
    };
  }

  private sourceState(running: boolean, frames: number): SourceStatus {
    if (this.sourceStatus) {
      return this.sourceStatus;
    }
    if (!running) {
      return { state: 'finished' };
    }
    return frames > 0 ? { state: 'running' } : { state: 'paused', detail: 'no frames in the last interval' };
  }
}

/**
 * The spectrum of the latest frame offered, at most one per `intervalMs`, leading and trailing: a frame offered
 * within the interval after the last shown one waits for its end (a later offer replaces it). The view is
 * computed only for the frames shown; a view that throws or is null is not sent.
 */
export class SpectrumThrottle {
  private latest: LiveResult | null = null;
  private lastShownAt = -Infinity;
  private timer: Subscription | null = null;

  constructor(
    private readonly view: (result: LiveResult) => SpectrumView | null,
    private readonly intervalMs: number,
    private readonly scheduler: SchedulerLike,
    private readonly send: (message: LiveMessage) => void,
  ) {}

  offer(result: LiveResult): void {
    this.latest = result;
    const time = this.scheduler.now();
    if (time - this.lastShownAt >= this.intervalMs) {
      this.cancelTimer();
      this.show();
      return;
    }
    // timers are cancelled by cancelTimer (the operator's teardown), not added to the subscriber (its teardown
    // list would keep every timer ever scheduled)
    if (this.timer === null) {
      this.timer = this.scheduler.schedule(
        () => {
          this.timer = null;
          this.show();
        },
        this.lastShownAt + this.intervalMs - time,
      );
    }
  }

  /** At completion: the frame waiting for the end of the interval is shown now. */
  showWaiting(): void {
    if (this.timer) {
      this.cancelTimer();
      this.show();
    }
  }

  /** A new run: nothing waits, and its first frame is shown at once. */
  reset(): void {
    this.cancelTimer();
    this.latest = null;
    this.lastShownAt = -Infinity;
  }

  cancelTimer(): void {
    this.timer?.unsubscribe();
    this.timer = null;
  }

  private show(): void {
    const result = this.latest;
    this.latest = null;
    if (!result) {
      return;
    }
    this.lastShownAt = this.scheduler.now();
    let view: SpectrumView | null = null;
    try {
      view = this.view(result);
    } catch {
      view = null;
    }
    if (view) {
      this.send(spectrumMessage(view));
    }
  }
}

/** The options with their defaults filled in. */
interface LiveMessageSettings {
  source: string;
  spectrum: ((result: LiveResult) => SpectrumView | null) | undefined;
  frameBatchMs: number;
  spectrumIntervalMs: number;
  statusIntervalMs: number;
  now: () => number;
  scheduler: SchedulerLike;
  batchScheduler: SchedulerLike;
}

function resolveSettings(options: ToLiveMessagesOptions): LiveMessageSettings {
  return {
    source: options.source,
    spectrum: options.spectrum,
    frameBatchMs: options.frameBatchMs ?? 0,
    spectrumIntervalMs: options.spectrumIntervalMs ?? 50,
    statusIntervalMs: options.statusIntervalMs ?? 1000,
    now: options.now ?? (() => performance.now()),
    scheduler: options.scheduler ?? asyncScheduler,
    batchScheduler: options.batchScheduler ?? asapScheduler,
  };
}

/**
 * The state of one subscription of toLiveMessages: the frames waiting for their batch, the gap marker, the status
 * tally and its timer, the spectrum throttle. Pipeline events go in through next() and complete(); messages go
 * out to the subscriber.
 */
class LiveMessageWriter {
  private pending: LiveResult[] = [];
  private flushTimer: Subscription | null = null;
  private readonly gaps = new GapMarker();
  private readonly tally: StatusTally;
  private readonly spectrum: SpectrumThrottle | null;
  private readonly statusTimer: Subscription;

  constructor(
    private readonly subscriber: Subscriber<LiveMessage>,
    private readonly settings: LiveMessageSettings,
  ) {
    const scheduler = settings.scheduler;
    const send = (message: LiveMessage) => subscriber.next(message);
    this.tally = new StatusTally(settings.source, scheduler.now());
    this.spectrum = settings.spectrum
      ? new SpectrumThrottle(settings.spectrum, settings.spectrumIntervalMs, scheduler, send)
      : null;
    this.statusTimer = scheduler.schedule(
      function tick(this: SchedulerAction<LiveMessageWriter>, writer) {
        writer!.flush();
        writer!.sendStatus(true);
        this.schedule(writer, settings.statusIntervalMs);
      },
      settings.statusIntervalMs,
      this,
    );
  }

  next(event: PipelineEvent): void {
    switch (event.kind) {
      case 'result':
        this.queue(event.value);
        break;
      case 'event':
        this.flush(); // the frames the event refers to go first
        this.subscriber.next({ type: 'event', event: event.event });
        break;
      case 'reset':
        this.startRun(event.reason, event.run);
        break;
      case 'source':
        this.flush();
        this.tally.setSourceStatus(event.status);
        this.sendStatus(!['finished', 'missing', 'failed'].includes(event.status.state));
        break;
    }
  }

  /** Pending frames, the waiting spectrum and a final status go out, then the completion. */
  complete(): void {
    this.flush();
    this.spectrum?.showWaiting();
    this.statusTimer.unsubscribe();
    this.sendStatus(false);
    this.subscriber.complete();
  }

  /** Cancels the timers (the subscription ended). */
  teardown(): void {
    this.flushTimer?.unsubscribe();
    this.spectrum?.cancelTimer();
    this.statusTimer.unsubscribe();
  }

  /** Holds a frame for its batch: until the end of the turn (frameBatchMs 0) or for frameBatchMs. */
  private queue(result: LiveResult): void {
    this.pending.push(result);
    if (this.flushTimer !== null) {
      return;
    }
    const batchMs = this.settings.frameBatchMs;
    const flush = () => this.flush();
    this.flushTimer =
      batchMs > 0 ? this.settings.scheduler.schedule(flush, batchMs) : this.settings.batchScheduler.schedule(flush);
  }

  /** The old run's pending frames go first, then the reset; per-run counts, gaps and the spectrum start again. */
  private startRun(reason: string, run: number): void {
    this.flush();
    this.spectrum?.reset();
    this.tally.startRun(run);
    this.gaps.reset();
    this.subscriber.next({ type: 'reset', reason, run });
  }

  /** Sends the pending frames as one message (with latency and gap marks), then offers the last one's spectrum. */
  private flush(): void {
    this.flushTimer?.unsubscribe();
    this.flushTimer = null;
    if (this.pending.length === 0) {
      return;
    }
    const batch = this.pending;
    this.pending = [];
    const handedOffAt = this.settings.now();
    const frames = new Array<FrameMessage>(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const result = batch[i];
      const latency = handedOffAt - result.frame.arrivedAt;
      frames[i] = toFrameMessage(result, latency);
      if (this.gaps.mark(result.result.time)) {
        frames[i].gap = true;
      }
      this.tally.countFrame(latency, result.result.flags);
    }
    this.tally.endBatch();
    this.subscriber.next({ type: 'frames', frames });
    this.spectrum?.offer(batch[batch.length - 1]);
  }

  private sendStatus(running: boolean): void {
    this.subscriber.next(this.tally.status(running, this.settings.scheduler.now()));
  }
}

/** The operator (see the file comment); the state of each subscription is a LiveMessageWriter. */
export function toLiveMessages(options: ToLiveMessagesOptions): OperatorFunction<PipelineEvent, LiveMessage> {
  const settings = resolveSettings(options);
  return (input) =>
    new Observable<LiveMessage>((subscriber) => {
      const writer = new LiveMessageWriter(subscriber, settings);
      const subscription = input.subscribe({
        next: (event) => writer.next(event),
        error: (error) => subscriber.error(error),
        complete: () => writer.complete(),
      });
      return () => {
        subscription.unsubscribe();
        writer.teardown();
      };
    });
}
