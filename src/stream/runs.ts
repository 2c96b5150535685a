/**
 * Runs: a run is the stretch of a source between two resets (a looped replay starts a new run each time).
 * stampRuns numbers the runs and stamps frames and power readings with theirs (and their arrival time);
 * perRun applies a stateful operator afresh to each run (e.g. the slope-change detector), so nothing leaks
 * from one run into the next.
 */
import { Observable, OperatorFunction, Subject, Subscription } from 'rxjs';
import type { LiveFrame, PowerReading, SourceItem } from './types';

export type StampedItem =
  | { kind: 'frame'; frame: LiveFrame }
  | { kind: 'power'; reading: PowerReading }
  | { kind: 'reset'; reason: string; run: number };

/** Numbers runs from `firstRun` (default 0), incremented by each reset; stamps arrivedAt with `now()` on frames. */
export function stampRuns(now: () => number, firstRun = 0): OperatorFunction<SourceItem, StampedItem> {
  return (source) =>
    new Observable<StampedItem>((subscriber) => {
      let run = firstRun;
      return source.subscribe({
        next: (item) => {
          switch (item.kind) {
            case 'frame':
              subscriber.next({
                kind: 'frame',
                frame: { ...item.frame, run, arrivedAt: item.frame.arrivedAt ?? now() },
              });
              break;
            case 'power':
              subscriber.next({ kind: 'power', reading: { ...item.reading, run } });
              break;
            case 'reset':
              run++;
              subscriber.next({ kind: 'reset', reason: item.reason, run });
              break;
          }
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
}

/**
 * Applies `factory()` to the items of each run separately: when an item of a new run arrives, the previous run's
 * inner stream is completed (so the operator can flush) and a fresh one started. Outputs are merged in order.
 */
export function perRun<T extends { run: number }, R>(
  factory: (run: number) => OperatorFunction<T, R>,
): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      let current: { run: number; input: Subject<T>; sub: Subscription } | null = null;
      const active = new Set<Subscription>();
      let outerDone = false;
      const open = (run: number) => {
        const input = new Subject<T>();
        const sub = new Subscription();
        active.add(sub);
        sub.add(
          input.pipe(factory(run)).subscribe({
            next: (r) => subscriber.next(r),
            error: (e) => subscriber.error(e),
            complete: () => {
              active.delete(sub);
              if (outerDone && active.size === 0) {
                subscriber.complete();
              }
            },
          }),
        );
        current = { run, input, sub };
      };
      const outer = source.subscribe({
        next: (item) => {
          if (current === null || current.run !== item.run) {
            current?.input.complete();
            open(item.run);
          }
          current!.input.next(item);
        },
        error: (e) => subscriber.error(e),
        complete: () => {
          outerDone = true;
          current?.input.complete();
          if (active.size === 0) {
            subscriber.complete();
          }
        },
      });
      return () => {
        outer.unsubscribe();
        for (const s of active) {
          s.unsubscribe();
        }
        active.clear();
      };
    });
}
