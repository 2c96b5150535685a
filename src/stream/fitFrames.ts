/**
 * fitFrames(analyzer): LiveFrame → LiveResult, in arrival order, every frame fitted.
 *
 * Frames are queued as they arrive and the queue is drained on the given scheduler (asap by default: a
 * microtask, so a lone frame is fitted within microseconds). A drain that finds one frame fits it on the spot
 * with analyzeFrame; a drain that finds several (a burst from a file, or frames that arrived while a batch was
 * running) hands them all to analyzeBatch (the native multi-threaded batch), up to `maxBatch` at a time. While a
 * batch runs, new frames wait in the queue and form the next batch: when the fit keeps up the frames go one by
 * one, when a backlog forms it is absorbed by batches. Nothing is dropped. An analyzer that throws does not stop
 * the stream: the frame is flagged `corrupt` (and `fit-failed`) and the rest go on.
 * State (queue, busy flag) is per subscription.
 */
import { asapScheduler, from, Observable, OperatorFunction, SchedulerLike, Subscription } from 'rxjs';
import type { FrameResult } from '../analysis/types';
import type { LiveAnalyzer, LiveFrame, LiveResult } from './types';

export interface FitFramesOptions {
  /** A drain that finds at most this many frames fits them on the spot, one by one (default 1). A small burst
   * (2–4 frames when a 1 ms timer fires late) is fitted in well under a millisecond on the event loop, quicker
   * than a round trip to the native batch's worker thread; the live pipeline uses 16 (≈ 1.5 ms of fitting at most). */
  syncUpTo?: number;
  /** Largest batch handed to analyzeBatch (default 512). */
  maxBatch?: number;
  /** Where drains are scheduled (default asapScheduler). */
  scheduler?: SchedulerLike;
  /** Called with a one-line note when the analyzer throws (default: silent). */
  onError?: (message: string) => void;
}

/** The result given to a frame the analyzer could not handle at all. */
export function failedResult(frame: LiveFrame): FrameResult {
  return {
    index: frame.index,
    time: frame.time,
    power: null,
    temperature: null,
    temperatureError: null,
    chi2: null,
    flags: ['corrupt', 'fit-failed'],
    twoColor: null,
  };
}

export function fitFrames(
  analyzer: LiveAnalyzer,
  options: FitFramesOptions = {},
): OperatorFunction<LiveFrame, LiveResult> {
  const maxBatch = Math.max(1, options.maxBatch ?? 512);
  const syncUpTo = Math.max(1, options.syncUpTo ?? 1);
  const scheduler = options.scheduler ?? asapScheduler;
  const onError = options.onError ?? (() => undefined);
  return (source) =>
    new Observable<LiveResult>((subscriber) => {
      const queue: LiveFrame[] = [];
      let busy = false;
      let scheduled = false;
      let sourceDone = false;
      let batchSub: Subscription | null = null;
      // the one pending drain; kept here (not added to the subscriber, whose teardown list would keep every drain
      // ever scheduled: one per frame at 1 kHz) and cancelled at teardown
      let drainAction: Subscription | null = null;

      const single = (frame: LiveFrame): FrameResult => {
        try {
          return analyzer.analyzeFrame(frame);
        } catch (e) {
          onError(`frame ${frame.index}: ${(e as Error)?.message ?? String(e)}`);
          return failedResult(frame);
        }
      };

      const maybeComplete = () => {
        if (sourceDone && !busy && !scheduled && queue.length === 0) {
          subscriber.complete();
        }
      };

      const schedule = () => {
        if (scheduled || busy || subscriber.closed) {
          return;
        }
        scheduled = true;
        drainAction = scheduler.schedule(drain);
      };

      const drain = () => {
        scheduled = false;
        drainAction = null;
        while (!busy && queue.length > 0 && !subscriber.closed) {
          if (queue.length <= syncUpTo) {
            const frame = queue.shift()!;
            subscriber.next({ frame, result: single(frame) });
            continue;
          }
          const batch = queue.splice(0, Math.min(maxBatch, queue.length));
          busy = true;
          let delivered = false;
          const finish = (results: FrameResult[] | null) => {
            if (delivered) {
              return;
            }
            delivered = true;
            for (let i = 0; i < batch.length; i++) {
              const r = results && results[i] ? results[i] : null;
              subscriber.next({ frame: batch[i], result: r ?? single(batch[i]) });
            }
            busy = false;
            batchSub = null;
            if (queue.length > 0) {
              schedule();
            } else {
              maybeComplete();
            }
          };
          let input;
          try {
            input = analyzer.analyzeBatch(batch);
          } catch (e) {
            onError(`batch of ${batch.length} frames: ${(e as Error)?.message ?? String(e)}; fitting one by one`);
            finish(null);
            continue;
          }
          const sub = from(input).subscribe({
            next: (results) => finish(results),
            error: (e) => {
              onError(`batch of ${batch.length} frames: ${(e as Error)?.message ?? String(e)}; fitting one by one`);
              finish(null);
            },
            complete: () => finish(null),
          });
          if (!delivered) {
            batchSub = sub;
            subscriber.add(sub);
          }
        }
        maybeComplete();
      };

      const sub = source.subscribe({
        next: (frame) => {
          queue.push(frame);
          schedule();
        },
        error: (e) => subscriber.error(e),
        complete: () => {
          sourceDone = true;
          maybeComplete();
        },
      });
      return () => {
        sub.unsubscribe();
        batchSub?.unsubscribe();
        drainAction?.unsubscribe();
        queue.length = 0;
      };
    });
}
