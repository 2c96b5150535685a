/**
 * The live pipeline: a source → stamp runs → record → fit (single or batch) → pair with power → detect →
 * LiveMessages, packaged as the LiveSource the server broadcasts (src/server/protocol.ts).
 *
 *   source ─┬─ frames ── fitFrames ── withNearestPower(power) ─┬─ results ─ toLiveMessages ─ messages
 *  ingest ──┘  power ──────────────────────────┘               └─ DetectorFeeder (per run) ─ events ─┘
 *
 * - Every frame is fitted and recorded; nothing upstream of the display is ever dropped. Ingesting a power
 *   reading is a synchronous hand-off that never blocks.
 * - The state lives in three named parts: LiveHistory (what a client connecting mid-run gets), RunResets (when a
 *   reset may go) and DetectorFeeder (one detector per run, off the critical path). This file is the RxJS graph.
 * - Runs are separate: a reset (looped replay, next simulated shot) is sent after the last frame of the old run
 *   has been handed off and the old run's detector has sent its final (whole-curve) events; events carry their
 *   run and an event of an old run is never broadcast after the reset.
 */
import { connectable, filter, map, merge, Observable, ReplaySubject, Subject, Subscription, takeUntil } from 'rxjs';
import type { LiveEvent, LiveMessage, SourceStatus } from '../protocol';
import type { LiveSource } from '../server/protocol';
import type { DetectorOptions } from '../detect/types';
import { fitFrames, type FitFramesOptions } from './fitFrames';
import { withNearestPower } from './pairPower';
import { stampRuns, type StampedItem } from './runs';
import { toLiveMessages, type PipelineEvent, type ToLiveMessagesOptions } from './toLiveMessages';
import { createIngest, type IngestClock } from './ingest';
import { Recorder, type RecordedFrame, type RecorderOptions } from './recorder';
import { DetectorFeeder } from './detectorFeeder';
import { LiveHistory, type HelloMessage } from './liveHistory';
import { RunResets } from './runResets';
import type { LiveAnalyzer, LiveFrame, LiveResult, PowerReading, SourceItem } from './types';

const VERSION = (require('../../package.json') as { version: string }).version;

export interface LivePipelineOptions {
  source: Observable<SourceItem>;
  /** Shown on the dashboard, e.g. "simulate", "replay shot.spe", "watch /data". */
  sourceName: string;
  analyzer: LiveAnalyzer;
  detector?: DetectorOptions;
  /** Record into this folder (see recorder.ts). */
  record?: string | null;
  recordOptions?: RecorderOptions;
  /** Frames kept for snapshot() (default 5000). */
  historyFrames?: number;
  /** Longest wait of a frame for a power reading after it (ms, default 50). */
  pairWaitMs?: number;
  /** See toLiveMessages (default 0: frames sent at the end of the turn they are ready in). */
  frameBatchMs?: number;
  statusIntervalMs?: number;
  spectrumIntervalMs?: number;
  fit?: FitFramesOptions;
  /** Longest the detector may hold the event loop in one go when results queue up (ms, default 2). */
  detectorSliceMs?: number;
  /** Latency clock (ms), default performance.now. */
  now?: () => number;
  onWarning?: (line: string) => void;
}

export interface LivePipeline extends LiveSource {
  /** Settles when the source has ended and everything was handed off and recorded (or after stop()). */
  done: Promise<void>;
  recorder: Recorder | null;
  /** Frames received / handed off so far. */
  counts(): { received: number; handedOff: number; events: number };
}

/** Whether two ROI name lists are equal (runs per frame: same reference first, no strings built). */
function sameNames(a: readonly string[] | undefined, b: readonly string[]): boolean {
  if (a === b) {
    return true;
  }
  const n = a?.length ?? 0;
  if (n !== b.length) {
    return false;
  }
  for (let i = 0; i < n; i++) {
    if (a![i] !== b[i]) {
      return false;
    }
  }
  return true;
}

/** Whether the analyzer's range or ROIs (known only at the first frame of a watched folder) changed the hello. */
function helloChanged(analyzer: LiveAnalyzer, hello: HelloMessage): boolean {
  return analyzer.range !== undefined && (analyzer.range !== hello.range || !sameNames(analyzer.rois, hello.rois));
}

function helloOf(config: LivePipelineOptions): HelloMessage {
  const analyzer = config.analyzer;
  return {
    type: 'hello',
    version: VERSION,
    source: config.sourceName,
    range: analyzer.range ?? null,
    rois: analyzer.rois ?? [],
  };
}

/** How the source ended, from its error: a watched folder that is not there is `missing`. */
export function sourceEndOf(error: unknown): SourceStatus {
  const detail = (error as Error)?.message ?? String(error);
  const state = (error as { sourceState?: unknown })?.sourceState === 'missing' ? 'missing' : 'failed';
  return { state, detail };
}

type FrameItem = Extract<StampedItem, { kind: 'frame' }>;
type PowerItem = Extract<StampedItem, { kind: 'power' }>;

/** The recorder, if any, fed from the pipeline: a recording error is a warning, never stops the live view. */
class RecordingTap {
  private readonly recorded = new WeakMap<LiveFrame, RecordedFrame>();

  constructor(
    readonly recorder: Recorder | null,
    private readonly warn: (line: string) => void,
  ) {}

  frame(frame: LiveFrame): void {
    const recorder = this.recorder;
    if (recorder) {
      this.safely(() => this.recorded.set(frame, recorder.frame(frame)));
    }
  }

  power(reading: PowerReading): void {
    this.safely(() => this.recorder?.power(reading.run, reading.time, reading.power));
  }

  result(result: LiveResult): void {
    const recorder = this.recorder;
    const rec = this.recorded.get(result.frame);
    if (recorder && rec) {
      this.safely(() => recorder.result(rec, result.result));
    }
  }

  event(event: LiveEvent): void {
    this.safely(() => this.recorder?.event(event));
  }

  close(): void {
    this.safely(() => this.recorder?.close());
  }

  private safely(what: () => void): void {
    try {
      what();
    } catch (e) {
      this.warn(`recording: ${(e as Error).message}`);
    }
  }
}

/**
 * The source and the ingested readings merged (readings are taken until the source ends) and stamped with their
 * run, as a connectable: every stage subscribes, then connect() starts the source.
 */
function stampedSource(source: Observable<SourceItem>, ingested: Observable<SourceItem>, now: () => number) {
  // replays its one signal: a source that ends as soon as it is subscribed (a one-frame replay) ends before the
  // ingested readings are subscribed, and they must still stop
  const sourceEnded = new ReplaySubject<void>(1);
  const main = new Observable<SourceItem>((sub) =>
    source.subscribe({
      next: (item) => sub.next(item),
      error: (e) => {
        sourceEnded.next();
        sub.error(e);
      },
      complete: () => {
        sourceEnded.next();
        sub.complete();
      },
    }),
  );
  return connectable(merge(main, ingested.pipe(takeUntil(sourceEnded))).pipe(stampRuns(now)), {
    connector: () => new Subject<StampedItem>(),
    resetOnDisconnect: false,
  });
}

/** A promise settled once by the first call of the returned function (which runs `before` first). */
function settleOnce(before: () => void): { done: Promise<void>; settle: () => void } {
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  let settled = false;
  const settle = () => {
    if (!settled) {
      settled = true;
      before();
      resolveDone();
    }
  };
  return { done, settle };
}

function recorderOf(config: LivePipelineOptions): Recorder | null {
  if (!config.record) {
    return null;
  }
  return new Recorder(config.record, { source: config.sourceName, ...(config.recordOptions ?? {}) });
}

/** The outgoing side: the messages subject and the history a client connecting mid-run is brought up to date from. */
class LiveOutput {
  readonly messages = new Subject<LiveMessage>();
  readonly history: LiveHistory;

  constructor(private readonly config: LivePipelineOptions) {
    this.history = new LiveHistory(helloOf(config), config.historyFrames ?? 5000);
  }

  /** Records the message and sends it (unless the history drops it, e.g. an event of an old run). */
  publish(message: LiveMessage): void {
    if (this.history.record(message)) {
      this.messages.next(message);
    }
  }

  /** A new hello once the analyzer's range or ROIs (known at the first frame of a watched folder) changed it. */
  refreshHello(): void {
    if (helloChanged(this.config.analyzer, this.history.hello)) {
      this.publish(helloOf(this.config));
    }
  }

  /** At stop(): the latest status again, saying the source stopped. */
  publishStopped(): void {
    const status = this.history.latestStatus;
    if (status) {
      this.publish({ ...status, running: false, sourceState: { state: 'finished', detail: 'stopped' } });
    }
  }
}

/** Bookkeeping of what arrives: frames counted and recorded, readings recorded, resets noted (they restart the
 * run clock of ingested readings without a time stamp). */
class ArrivalLog {
  received = 0;
  private runStartMs = Date.now();

  constructor(
    private readonly resets: RunResets,
    private readonly tap: RecordingTap,
  ) {}

  /** The clock of the current run for createIngest. */
  get runClock(): IngestClock {
    return {
      runSeconds: () => (Date.now() - this.runStartMs) / 1000,
      runStartUnix: () => this.runStartMs / 1000,
    };
  }

  note(item: StampedItem): void {
    if (item.kind === 'frame') {
      this.received++;
      this.resets.frameArrived(item.frame.run);
      this.tap.frame(item.frame);
    } else if (item.kind === 'power') {
      this.tap.power(item.reading);
    } else {
      this.runStartMs = Date.now();
      this.resets.resetArrived(item.reason, item.run);
    }
  }
}

/** One detector per run; its events are recorded and join the pipeline events. */
function detectorFeederOf(
  config: LivePipelineOptions,
  tap: RecordingTap,
  pipelineEvents: Subject<PipelineEvent>,
  warn: (line: string) => void,
): DetectorFeeder {
  return new DetectorFeeder({
    detector: config.detector,
    sliceMs: config.detectorSliceMs,
    onEvent: (event) => {
      tap.event(event);
      pipelineEvents.next({ kind: 'event', event });
    },
    onError: (message) => warn(`detector: ${message}`),
  });
}

function liveMessageOptions(config: LivePipelineOptions, now: () => number): ToLiveMessagesOptions {
  const analyzer = config.analyzer;
  return {
    source: config.sourceName,
    spectrum: analyzer.spectrum ? (result) => analyzer.spectrum!(result.frame, result.result) : undefined,
    frameBatchMs: config.frameBatchMs,
    statusIntervalMs: config.statusIntervalMs,
    spectrumIntervalMs: config.spectrumIntervalMs,
    now,
  };
}

/** The frames of the stamped source fitted in order, each paired with the nearest power reading (waiting at most
 * pairWaitMs for one after it). */
function fittedAndPaired(
  stamped: Observable<StampedItem>,
  config: LivePipelineOptions,
  warn: (line: string) => void,
): Observable<{ item: { r: LiveResult }; power: number | null }> {
  const frames$ = stamped.pipe(
    filter((it): it is FrameItem => it.kind === 'frame'),
    map((it) => it.frame),
  );
  const power$ = stamped.pipe(
    filter((it): it is PowerItem => it.kind === 'power'),
    map((it) => it.reading as PowerReading),
  );
  return frames$.pipe(
    fitFrames(config.analyzer, { onError: (message) => warn(`fit: ${message}`), syncUpTo: 16, ...(config.fit ?? {}) }),
    map((result) => ({ run: result.frame.run, time: result.frame.time, r: result })),
    withNearestPower(power$, { maxWaitMs: config.pairWaitMs ?? 50 }),
  );
}

/**
 * Builds and starts the live pipeline on `config.source` (see the file comment for the graph). Messages go out
 * on `messages`; `snapshot()` brings a new client up to date; `done` settles when the source has ended and
 * everything was handed off and recorded; `stop()` ends it at once.
 */
export function createLivePipeline(config: LivePipelineOptions): LivePipeline {
  const now = config.now ?? (() => performance.now());
  const warn = config.onWarning ?? (() => undefined);
  const recorder = recorderOf(config);
  const tap = new RecordingTap(recorder, warn);
  const output = new LiveOutput(config);
  const publish = (message: LiveMessage) => output.publish(message);
  const pipelineEvents = new Subject<PipelineEvent>();
  const feeder = detectorFeederOf(config, tap, pipelineEvents, warn);
  const resets = new RunResets({
    beforeReset: (previousRun) => feeder.finishRun(previousRun),
    reset: (reason, run) => pipelineEvents.next({ kind: 'reset', reason, run }),
  });
  const arrivals = new ArrivalLog(resets, tap);
  const ingest = createIngest(arrivals.runClock);
  const stamped = stampedSource(config.source, ingest.items, now);
  const { done, settle } = settleOnce(() => tap.close());
  const subs = new Subscription();
  subs.add(stamped.subscribe({ next: (item) => arrivals.note(item), error: () => undefined }));
  subs.add(
    pipelineEvents.pipe(toLiveMessages(liveMessageOptions(config, now))).subscribe({ next: publish, complete: settle }),
  );

  const handOff = (result: LiveResult) => {
    const run = result.frame.run;
    resets.beforeHandOff(run);
    tap.result(result);
    pipelineEvents.next({ kind: 'result', value: result });
    feeder.push(run, result.result);
    resets.afterHandOff(run);
    output.refreshHello();
  };
  const endRun = (status: SourceStatus) => {
    resets.sourceEnded();
    feeder.finishRun(resets.current);
    pipelineEvents.next({ kind: 'source', status });
    pipelineEvents.complete();
  };
  subs.add(
    fittedAndPaired(stamped, config, warn).subscribe({
      next: ({ item, power }) => {
        item.r.result.power = power;
        handOff(item.r);
      },
      error: (e) => {
        const status = sourceEndOf(e);
        warn(`source: ${status.detail}`);
        endRun(status);
      },
      complete: () => endRun({ state: 'finished' }),
    }),
  );

  publish(output.history.hello);
  subs.add(stamped.connect());

  let stopping: Promise<void> | null = null;
  const stop = async () => {
    feeder.stop();
    subs.unsubscribe();
    output.publishStopped();
    settle();
    output.messages.complete();
  };
  return {
    messages: output.messages.asObservable(),
    snapshot: () => output.history.snapshot(),
    ingestPower: (reading) => ingest.power(reading),
    stop: () => (stopping ??= stop()),
    done,
    recorder,
    counts: () => ({ received: arrivals.received, handedOff: output.history.framesHandedOff, events: feeder.events }),
  };
}
