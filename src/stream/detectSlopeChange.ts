/**
 * RxJS operator wrapping the slope-change detector: points in (time order), DetectorUpdates out.
 * Each subscription gets its own detector (no shared state). On completion of the source, the offline
 * (whole-curve) refinement is emitted as one `final` update per event, unless `final: false`.
 *
 *   points$.pipe(detectSlopeChange({ minTemperature: 1200 })).subscribe((u) => show(u.event));
 */
import { Observable, OperatorFunction } from 'rxjs';
import { SlopeChangeDetector, resolveOptions } from '../detect/detector';
import type { DetectorOptions, DetectorUpdate, DetectPoint } from '../detect/types';

export interface DetectSlopeChangeOptions extends DetectorOptions {
  /** Emit the offline-refined events (`type: 'final'`) when the source completes. Default true. */
  final?: boolean;
}

export function detectSlopeChange(
  options: DetectSlopeChangeOptions = {},
): OperatorFunction<DetectPoint, DetectorUpdate> {
  const { final = true, ...detOpts } = options;
  resolveOptions(detOpts); // fail fast on bad options, at pipe() time
  return (source) =>
    new Observable<DetectorUpdate>((subscriber) => {
      const det = new SlopeChangeDetector(detOpts); // per subscription
      return source.subscribe({
        next(p) {
          let ups: DetectorUpdate[];
          try {
            ups = det.push(p);
          } catch (e) {
            subscriber.error(e);
            return;
          }
          for (const u of ups) {
            subscriber.next(u);
          }
        },
        error(e) {
          subscriber.error(e);
        },
        complete() {
          if (final && det.events.length) {
            let res;
            try {
              res = det.finish();
            } catch (e) {
              subscriber.error(e);
              return;
            }
            for (const e of res.events) {
              subscriber.next({ type: 'final', atIndex: det.lastPointIndex, event: e });
            }
          }
          subscriber.complete();
        },
      });
    });
}
