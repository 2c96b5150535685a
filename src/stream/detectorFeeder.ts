/**
 * DetectorFeeder: the live slope-change detection of the pipeline, one SlopeChangeDetector per run, kept off a
 * frame's critical path.
 *
 * Fitted results are queued (push) and fed to the detector after the turn in which their frames were handed
 * off (a deferred drain, setImmediate by default), in slices of at most `sliceMs` so that a backlog (a native
 * batch of hundreds of results) never holds the event loop for long. Order is kept; only the timing changes.
 * A run's detector lives until finishRun(run): the run's remaining results are fed at once, the whole-curve
 * refinement (the figures `analyze` reports for the same points) is emitted as `final` events of that run, and
 * the detector is dropped; results of a finished run that still arrive are ignored. So nothing of one run
 * outlives it, and its last events go out before the next run's reset.
 *
 * No RxJS and no timers of its own beyond the injectable `defer`: unit-testable by hand.
 */
import { SlopeChangeDetector } from '../detect/detector';
import type { DetectorOptions } from '../detect/types';
import type { FrameResult } from '../analysis/types';
import type { LiveEvent } from '../protocol';
import { toDetectPoint, toLiveEvent } from './events';

export interface DetectorFeederOptions {
  detector?: DetectorOptions;
  /** Longest one drain may hold the event loop (ms, default 2). */
  sliceMs?: number;
  /** Receives every new, updated, ended, final or retracted event. */
  onEvent: (event: LiveEvent) => void;
  /** Told when the detector throws (the run's detection stops; frames go on). */
  onError?: (message: string) => void;
  /** Runs `drain` later and returns a cancel function (default: setImmediate). */
  defer?: (drain: () => void) => () => void;
  /** Clock of the slices (ms, default performance.now). */
  clock?: () => number;
}

interface QueuedResult {
  run: number;
  result: FrameResult;
}

function deferImmediate(drain: () => void): () => void {
  const handle = setImmediate(drain);
  return () => clearImmediate(handle);
}

export class DetectorFeeder {
  private readonly options: DetectorFeederOptions;
  private readonly sliceMs: number;
  private readonly defer: (drain: () => void) => () => void;
  private readonly clock: () => number;
  private queue: (QueuedResult | null)[] = [];
  private head = 0;
  private run: number | null = null;
  private detector: SlopeChangeDetector | null = null;
  /** Runs up to this one are finished: their late results are dropped. */
  private finishedUpTo = -Infinity;
  private cancelDrain: (() => void) | null = null;
  private whenIdle: (() => void) | null = null;
  private stopped = false;
  private eventCount = 0;

  constructor(options: DetectorFeederOptions) {
    this.options = options;
    this.sliceMs = options.sliceMs ?? 2;
    this.defer = options.defer ?? deferImmediate;
    this.clock = options.clock ?? (() => performance.now());
    // fail fast on bad detector options, before any frame
    new SlopeChangeDetector(options.detector ?? {});
  }

  /** Results queued and not yet fed. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /** Events emitted so far. */
  get events(): number {
    return this.eventCount;
  }

  /** The run whose detector is open, or null. */
  get openRun(): number | null {
    return this.run;
  }

  /** Queues a fitted, power-paired result of `run`. */
  push(run: number, result: FrameResult): void {
    if (this.stopped || run <= this.finishedUpTo) {
      return;
    }
    this.queue.push({ run, result });
    if (this.cancelDrain === null) {
      this.cancelDrain = this.defer(() => this.drain());
    }
  }

  /**
   * Ends run `run` now: feeds its (and earlier runs') queued results, emits its final events and drops its
   * detector. Later results of runs ≤ `run` are ignored.
   */
  finishRun(run: number): void {
    while (this.head < this.queue.length && this.queue[this.head]!.run <= run) {
      this.feedOne();
    }
    if (this.run !== null && this.run <= run) {
      this.closeDetector();
    }
    this.finishedUpTo = Math.max(this.finishedUpTo, run);
    this.compact();
  }

  /** Calls `callback` once every queued result has been fed (at once when none is queued). */
  whenDrained(callback: () => void): void {
    if (this.queued === 0) {
      callback();
      return;
    }
    this.whenIdle = callback;
  }

  /** Stops feeding: the queue and the open detector are dropped, no further event is emitted. */
  stop(): void {
    this.stopped = true;
    this.cancelDrain?.();
    this.cancelDrain = null;
    this.queue = [];
    this.head = 0;
    this.detector = null;
    this.run = null;
    this.whenIdle = null;
  }

  private drain(): void {
    this.cancelDrain = null;
    if (this.stopped) {
      return;
    }
    const started = this.clock();
    while (this.head < this.queue.length) {
      this.feedOne();
      if (this.clock() - started >= this.sliceMs && this.head < this.queue.length) {
        this.cancelDrain = this.defer(() => this.drain());
        return;
      }
    }
    this.compact();
    const idle = this.whenIdle;
    this.whenIdle = null;
    idle?.();
  }

  private feedOne(): void {
    const item = this.queue[this.head]!;
    this.queue[this.head++] = null;
    if (item.run <= this.finishedUpTo) {
      return;
    }
    if (this.run !== item.run) {
      if (this.run !== null) {
        this.closeDetector();
      }
      this.run = item.run;
      this.detector = new SlopeChangeDetector(this.options.detector ?? {});
    }
    const point = toDetectPoint(item.result);
    if (point === null || this.detector === null) {
      return;
    }
    let updates;
    try {
      updates = this.detector.push(point);
    } catch (e) {
      this.fail(e);
      return;
    }
    for (const update of updates) {
      this.emit(toLiveEvent(update.event, item.run));
    }
  }

  /** The whole-curve refinement of the open run as final events, then the detector is dropped. */
  private closeDetector(): void {
    const detector = this.detector;
    const run = this.run!;
    this.detector = null;
    this.run = null;
    if (detector === null || detector.events.length === 0) {
      return;
    }
    let finals;
    try {
      finals = detector.finish().events;
    } catch (e) {
      this.fail(e);
      return;
    }
    for (const event of finals) {
      this.emit(toLiveEvent(event, run, true));
    }
  }

  private emit(event: LiveEvent): void {
    this.eventCount++;
    this.options.onEvent(event);
  }

  private fail(e: unknown): void {
    this.detector = null;
    this.options.onError?.((e as Error)?.message ?? String(e));
  }

  private compact(): void {
    if (this.head >= this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
