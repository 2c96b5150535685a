/**
 * The live pipeline: a source → stamp runs → record → fit (single or batch) → pair with power → detect →
 * LiveMessages, packaged as the LiveSource the server broadcasts (src/server/protocol.ts).
 *
 *   source ─┬─ frames ── fitFrames ── pairPower(power) ─┬─ results ─ toLiveMessages ─ messages
 *  ingest ──┘  power ──────────────────────────┘        └─ detector (per run) ─ events ─┘
 *
 * - Every frame is fitted and recorded; nothing upstream of the display is ever dropped. Ingesting a power
 *   reading is a synchronous hand-off that never blocks.
 * - The pipeline keeps a bounded history (the latest `historyFrames` frames of the run, its events, the latest
 *   spectrum and status) so that snapshot() can bring a client that connects mid-run up to date.
 * - A reset (looped replay, next simulated shot) is sent after the last frame of the old run has been handed
 *   off; the detector, pairing buffers and history start afresh.
 */
import { connectable, filter, map, merge, Observable, Subject, Subscription, takeUntil } from 'rxjs';
import type { FrameMessage, LiveEvent, LiveMessage, LiveSource } from '../server/protocol';
import type { DetectorOptions } from '../detect/types';
import { fitFrames, type FitFramesOptions } from './fitFrames';
import { pairPower } from './pairPower';
import { perRun, stampRuns, type StampedItem } from './runs';
import { toLiveMessages, type PipelineEvent } from './toLiveMessages';
import { detectUpdates, toLiveEvent } from './events';
import { createIngest } from './ingest';
import { Recorder, type RecordedFrame, type RecorderOptions } from './recorder';
import type { LiveAnalyzer, LiveFrame, LiveResult, PowerReading, SourceItem } from './types';

// eslint-disable-next-line @typescript-eslint/no-var-requires
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
  if (a === b) return true;
  const n = a?.length ?? 0;
  if (n !== b.length) return false;
  for (let i = 0; i < n; i++) if (a![i] !== b[i]) return false;
  return true;
}

export function createLivePipeline(o: LivePipelineOptions): LivePipeline {
  const now = o.now ?? (() => performance.now());
  const warn = o.onWarning ?? (() => undefined);
  const historyMax = o.historyFrames ?? 5000;
  const messages = new Subject<LiveMessage>();
  const recorder = o.record ? new Recorder(o.record, { source: o.sourceName, ...(o.recordOptions ?? {}) }) : null;
  const recorded = new WeakMap<LiveFrame, RecordedFrame>();

  // run clock for ingested readings without a time stamp
  let runStartMs = Date.now();
  const ingest = createIngest({ runSeconds: () => (Date.now() - runStartMs) / 1000, runStartUnix: () => runStartMs / 1000 });

  // ---- snapshot state -------------------------------------------------------------------------------------
  let hello: LiveMessage = { type: 'hello', version: VERSION, source: o.sourceName, range: o.analyzer.range ?? null, rois: o.analyzer.rois ?? [] };
  let history: FrameMessage[] = [];
  const events = new Map<string, LiveEvent>();
  let spectrum: LiveMessage | null = null;
  let status: LiveMessage | null = null;
  let received = 0; let handedOff = 0; let nEvents = 0;
  const publish = (m: LiveMessage) => {
    switch (m.type) {
      case 'frames':
        handedOff += m.frames.length;
        for (const f of m.frames) history.push(f);
        if (history.length > historyMax * 1.25) history = history.slice(history.length - historyMax);
        break;
      case 'event': if (m.event.retracted) events.delete(m.event.id); else events.set(m.event.id, m.event); break;
      case 'spectrum': spectrum = m; break;
      case 'status': status = m; break;
      case 'reset': history = []; events.clear(); spectrum = null; break;
      case 'hello': hello = m; break;
    }
    messages.next(m);
  };

  // ---- the graph ------------------------------------------------------------------------------------------
  // the run ends with the source; ingested readings are taken until then
  const sourceEnded = new Subject<void>();
  const main = new Observable<SourceItem>((sub) => o.source.subscribe({
    next: (v) => sub.next(v),
    error: (e) => { sourceEnded.next(); sub.error(e); },
    complete: () => { sourceEnded.next(); sub.complete(); },
  }));
  const stamped = connectable(merge(main, ingest.items.pipe(takeUntil(sourceEnded))).pipe(stampRuns(now)), { connector: () => new Subject<StampedItem>(), resetOnDisconnect: false });
  const subs = new Subscription();
  const inFlight = new Map<number, number>();
  let currentRun = 0;
  let pendingResets: { reason: string; run: number }[] = [];
  const pipelineEvents = new Subject<PipelineEvent>();

  /** Sends the resets of runs ≤ uptoRun whose previous run has been handed off entirely, and whose results the
   * detector has all seen (its events of a run go before the run's reset); `force`: feed the detector the rest
   * of the previous run now rather than wait (a frame of the new run is about to be handed off). */
  const releaseResets = (uptoRun: number, force = false) => {
    while (pendingResets.length && pendingResets[0].run <= uptoRun && (inFlight.get(pendingResets[0].run - 1) ?? 0) === 0) {
      const prev = pendingResets[0].run - 1;
      if ((detPending.get(prev) ?? 0) > 0) {
        if (!force) break;
        feedDetectorBefore(prev + 1);
      }
      const r = pendingResets.shift()!;
      currentRun = r.run;
      pipelineEvents.next({ kind: 'reset', reason: r.reason });
    }
  };

  // recording and bookkeeping of what arrives
  subs.add(stamped.subscribe({
    next: (it) => {
      try {
        if (it.kind === 'frame') {
          received++;
          inFlight.set(it.frame.run, (inFlight.get(it.frame.run) ?? 0) + 1);
          if (recorder) recorded.set(it.frame, recorder.frame(it.frame));
        } else if (it.kind === 'power') {
          recorder?.power(it.reading.run, it.reading.time, it.reading.power);
        } else {
          runStartMs = Date.now();
          pendingResets.push({ reason: it.reason, run: it.run });
          releaseResets(it.run);
        }
      } catch (e) {
        warn(`recording: ${(e as Error).message}`);
      }
    },
    error: () => undefined,
  }));

  const frames$ = stamped.pipe(filter((it): it is Extract<StampedItem, { kind: 'frame' }> => it.kind === 'frame'), map((it) => it.frame));
  const power$ = stamped.pipe(filter((it): it is Extract<StampedItem, { kind: 'power' }> => it.kind === 'power'), map((it) => it.reading as PowerReading));
  const detectorInput = new Subject<{ run: number; result: LiveResult['result'] }>();
  // The detector is kept off a frame's critical path: results are queued for it and fed after the turn in which
  // their frames were handed off (setImmediate, after the end-of-turn frame flush), in slices of at most
  // `detectorSliceMs` so that a backlog (a native batch of hundreds of results) never blocks the event loop for
  // long. Order is kept; only the timing of the detector changes.
  const sliceMs = o.detectorSliceMs ?? 2;
  const detQueue: ({ run: number; result: LiveResult['result'] } | null)[] = [];
  const detPending = new Map<number, number>();
  let detHead = 0;
  let detTimer: NodeJS.Immediate | null = null;
  let detEnd: null | (() => void) = null;
  let detStopped = false;
  const feedOne = () => {
    const x = detQueue[detHead]!;
    detQueue[detHead++] = null;
    const left = (detPending.get(x.run) ?? 1) - 1;
    if (left > 0) detPending.set(x.run, left); else detPending.delete(x.run);
    detectorInput.next(x);
    if (left === 0 && pendingResets.length && !forcing) releaseResets(x.run + 1);
  };
  let forcing = false;
  const feedDetectorBefore = (run: number) => {
    forcing = true;
    try { while (detHead < detQueue.length && detQueue[detHead]!.run < run) feedOne(); } finally { forcing = false; }
  };
  const drainDetector = () => {
    detTimer = null;
    if (detStopped) return;
    const t0 = performance.now();
    while (detHead < detQueue.length) {
      feedOne();
      if (performance.now() - t0 >= sliceMs && detHead < detQueue.length) { detTimer = setImmediate(drainDetector); return; }
    }
    detQueue.length = 0; detHead = 0;
    if (detEnd) { const end = detEnd; detEnd = null; end(); }
  };
  const toDetector = (x: { run: number; result: LiveResult['result'] }) => {
    detQueue.push(x);
    detPending.set(x.run, (detPending.get(x.run) ?? 0) + 1);
    if (detTimer === null) detTimer = setImmediate(drainDetector);
  };
  const endDetector = (end: () => void) => {
    if (detTimer === null && detHead >= detQueue.length) end(); else detEnd = end;
  };

  subs.add(pipelineEvents.pipe(toLiveMessages({
    source: o.sourceName,
    spectrum: o.analyzer.spectrum ? (r) => o.analyzer.spectrum!(r.frame, r.result) : undefined,
    frameBatchMs: o.frameBatchMs, statusIntervalMs: o.statusIntervalMs, spectrumIntervalMs: o.spectrumIntervalMs, now,
  })).subscribe({ next: publish, complete: () => settle() }));

  subs.add(detectorInput.pipe(perRun((run) => (src: Observable<{ run: number; result: LiveResult['result'] }>) =>
    src.pipe(map((x) => x.result), detectUpdates(o.detector ?? {}), map((u) => toLiveEvent(u.event, run)))))
    .subscribe({
      next: (ev) => {
        nEvents++;
        try { recorder?.event(ev); } catch (e) { warn(`recording: ${(e as Error).message}`); }
        pipelineEvents.next({ kind: 'event', event: ev });
      },
      error: (e) => warn(`detector: ${(e as Error)?.message ?? String(e)}`),
      complete: () => { releaseResets(Infinity); pipelineEvents.complete(); },
    }));

  subs.add(frames$.pipe(
    fitFrames(o.analyzer, { onError: (m) => warn(`fit: ${m}`), syncUpTo: 16, ...(o.fit ?? {}) }),
    map((r) => ({ run: r.frame.run, time: r.frame.time, r })),
    pairPower(power$, { maxWaitMs: o.pairWaitMs ?? 50 }),
  ).subscribe({
    next: ({ item, power }) => {
      const { r } = item;
      r.result.power = power;
      const run = r.frame.run;
      inFlight.set(run, (inFlight.get(run) ?? 1) - 1);
      if (run > currentRun) releaseResets(run, true);
      const rec = recorded.get(r.frame);
      if (recorder && rec) {
        try { recorder.result(rec, r.result); } catch (e) { warn(`recording: ${(e as Error).message}`); }
      }
      pipelineEvents.next({ kind: 'result', value: r });
      toDetector({ run, result: r.result });
      if (inFlight.get(run) === 0) { inFlight.delete(run); releaseResets(run + 1); }
      const a = o.analyzer;
      if (hello.type === 'hello' && a.range !== undefined && (a.range !== hello.range || !sameNames(a.rois, hello.rois))) {
        publish({ type: 'hello', version: VERSION, source: o.sourceName, range: a.range ?? null, rois: a.rois ?? [] });
      }
    },
    error: (e) => { warn(`source: ${(e as Error)?.message ?? String(e)}`); endDetector(() => detectorInput.complete()); },
    complete: () => endDetector(() => detectorInput.complete()),
  }));

  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => { resolveDone = resolve; });
  let settled = false;
  const settle = () => {
    if (settled) return;
    settled = true;
    try { recorder?.close(); } catch (e) { warn(`recording: ${(e as Error).message}`); }
    resolveDone();
  };

  publish(hello);
  subs.add(stamped.connect());

  let stopping: Promise<void> | null = null;
  return {
    messages: messages.asObservable(),
    snapshot(): LiveMessage[] {
      const out: LiveMessage[] = [hello];
      const h = history.length > historyMax ? history.slice(history.length - historyMax) : history;
      for (let i = 0; i < h.length; i += 1000) out.push({ type: 'frames', frames: h.slice(i, i + 1000) });
      for (const e of events.values()) out.push({ type: 'event', event: e });
      if (spectrum) out.push(spectrum);
      if (status) out.push(status);
      return out;
    },
    ingestPower(reading) { ingest.power(reading); },
    stop(): Promise<void> {
      if (stopping) return stopping;
      stopping = (async () => {
        detStopped = true;
        if (detTimer) { clearImmediate(detTimer); detTimer = null; }
        subs.unsubscribe();
        if (status && status.type === 'status') publish({ ...status, running: false });
        settle();
        messages.complete();
      })();
      return stopping;
    },
    done,
    recorder,
    counts: () => ({ received, handedOff, events: nEvents }),
  };
}
