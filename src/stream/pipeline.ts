/**
 * The live pipeline: a source → stamp runs → record → fit (single or batch) → pair with power → detect →
 * LiveMessages, packaged as the LiveSource the server broadcasts (src/server/protocol.ts).
 *
 *   source ─┬─ frames ── fitFrames ── pairPower(power) ─┬─ results ─ toLiveMessages ─ messages
 *  ingest ──┘  power ──────────────────────────┘        └─ DetectorFeeder (per run) ─ events ─┘
 *
 * - Every frame is fitted and recorded; nothing upstream of the display is ever dropped. Ingesting a power
 *   reading is a synchronous hand-off that never blocks.
 * - The state lives in three named parts: LiveHistory (what a client connecting mid-run gets), RunResets (when a
 *   reset may go) and DetectorFeeder (one detector per run, off the critical path). This file is the RxJS graph.
 * - Runs are separate: a reset (looped replay, next simulated shot) is sent after the last frame of the old run
 *   has been handed off and the old run's detector has sent its final (whole-curve) events; events carry their
 *   run and an event of an old run is never broadcast after the reset.
 */
import { connectable, filter, map, merge, Observable, Subject, Subscription, takeUntil } from 'rxjs';
import type { LiveEvent, LiveMessage, SourceStatus } from '../protocol';
import type { LiveSource } from '../server/protocol';
import type { DetectorOptions } from '../detect/types';
import { fitFrames, type FitFramesOptions } from './fitFrames';
import { pairPower } from './pairPower';
import { stampRuns, type StampedItem } from './runs';
import { toLiveMessages, type PipelineEvent } from './toLiveMessages';
import { createIngest } from './ingest';
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
  const sourceEnded = new Subject<void>();
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

/**
 * Builds and starts the live pipeline on `config.source` (see the file comment for the graph). Messages go out
 * on `messages`; `snapshot()` brings a new client up to date; `done` settles when the source has ended and
 * everything was handed off and recorded; `stop()` ends it at once.
 */
export function createLivePipeline(config: LivePipelineOptions): LivePipeline {
  const now = config.now ?? (() => performance.now());
  const warn = config.onWarning ?? (() => undefined);
  const recorder = config.record
    ? new Recorder(config.record, { source: config.sourceName, ...(config.recordOptions ?? {}) })
    : null;
  const tap = new RecordingTap(recorder, warn);
  const messages = new Subject<LiveMessage>();
  const history = new LiveHistory(helloOf(config), config.historyFrames ?? 5000);
  const publish = (message: LiveMessage) => {
    if (history.record(message)) {
      messages.next(message);
    }
  };
  const pipelineEvents = new Subject<PipelineEvent>();
  const feeder = new DetectorFeeder({
    detector: config.detector,
    sliceMs: config.detectorSliceMs,
    onEvent: (event) => {
      tap.event(event);
      pipelineEvents.next({ kind: 'event', event });
    },
    onError: (message) => warn(`detector: ${message}`),
  });
  const resets = new RunResets({
    beforeReset: (previousRun) => feeder.finishRun(previousRun),
    reset: (reason, run) => pipelineEvents.next({ kind: 'reset', reason, run }),
  });
  let received = 0;
  let runStartMs = Date.now(); // run clock for ingested readings without a time stamp
  const ingest = createIngest({
    runSeconds: () => (Date.now() - runStartMs) / 1000,
    runStartUnix: () => runStartMs / 1000,
  });
  const stamped = stampedSource(config.source, ingest.items, now);
  const { done, settle } = settleOnce(() => tap.close());
  const subs = new Subscription();

  // recording and bookkeeping of what arrives
  subs.add(
    stamped.subscribe({
      next: (item) => {
        if (item.kind === 'frame') {
          received++;
          resets.frameArrived(item.frame.run);
          tap.frame(item.frame);
        } else if (item.kind === 'power') {
          tap.power(item.reading);
        } else {
          runStartMs = Date.now();
          resets.resetArrived(item.reason, item.run);
        }
      },
      error: () => undefined,
    }),
  );

  subs.add(
    pipelineEvents
      .pipe(
        toLiveMessages({
          source: config.sourceName,
          spectrum: config.analyzer.spectrum ? (r) => config.analyzer.spectrum!(r.frame, r.result) : undefined,
          frameBatchMs: config.frameBatchMs,
          statusIntervalMs: config.statusIntervalMs,
          spectrumIntervalMs: config.spectrumIntervalMs,
          now,
        }),
      )
      .subscribe({ next: publish, complete: settle }),
  );

  const handOff = (result: LiveResult) => {
    const run = result.frame.run;
    resets.beforeHandOff(run);
    tap.result(result);
    pipelineEvents.next({ kind: 'result', value: result });
    feeder.push(run, result.result);
    resets.afterHandOff(run);
    if (helloChanged(config.analyzer, history.hello)) {
      publish(helloOf(config));
    }
  };
  const endRun = (status: SourceStatus) => {
    resets.sourceEnded();
    feeder.finishRun(resets.current);
    pipelineEvents.next({ kind: 'source', status });
    pipelineEvents.complete();
  };

  const frames$ = stamped.pipe(
    filter((it): it is FrameItem => it.kind === 'frame'),
    map((it) => it.frame),
  );
  const power$ = stamped.pipe(
    filter((it): it is PowerItem => it.kind === 'power'),
    map((it) => it.reading as PowerReading),
  );
  subs.add(
    frames$
      .pipe(
        fitFrames(config.analyzer, { onError: (m) => warn(`fit: ${m}`), syncUpTo: 16, ...(config.fit ?? {}) }),
        map((r) => ({ run: r.frame.run, time: r.frame.time, r })),
        pairPower(power$, { maxWaitMs: config.pairWaitMs ?? 50 }),
      )
      .subscribe({
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

  publish(history.hello);
  subs.add(stamped.connect());

  let stopping: Promise<void> | null = null;
  const stop = async () => {
    feeder.stop();
    subs.unsubscribe();
    const status = history.latestStatus;
    if (status) {
      publish({ ...status, running: false, sourceState: { state: 'finished', detail: 'stopped' } });
    }
    settle();
    messages.complete();
  };
  return {
    messages: messages.asObservable(),
    snapshot: () => history.snapshot(),
    ingestPower: (reading) => ingest.power(reading),
    stop: () => (stopping ??= stop()),
    done,
    recorder,
    counts: () => ({ received, handedOff: history.framesHandedOff, events: feeder.events }),
  };
}
