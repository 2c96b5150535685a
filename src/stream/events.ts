/**
 * Slope-change detection in the live pipeline: the detector operator of src/stream/detectSlopeChange.ts
 * (when present; else the same online detector, src/detect, driven directly), fed with the fitted, paired
 * frames of one run, and its updates turned into protocol LiveEvents (id unique across runs).
 */
import { Observable, OperatorFunction } from 'rxjs';
import type { FrameResult } from '../analysis/types';
import type { LiveEvent } from '../server/protocol';
import type { DetectorOptions, DetectorUpdate, DetectPoint, SlopeEvent } from '../detect/types';
import { createDetector } from '../detect/detector';

/** FrameResult (with power) → the detector's point; null when it cannot be a point. */
export function toDetectPoint(r: FrameResult): DetectPoint | null {
  if (r.power === null || r.temperature === null) return null;
  return { index: r.index, power: r.power, temperature: r.temperature, temperatureError: r.temperatureError, flags: r.flags };
}

/** Fallback operator: the online detector driven point by point. */
function localDetect(options: DetectorOptions): OperatorFunction<FrameResult, DetectorUpdate> {
  return (source) => new Observable<DetectorUpdate>((subscriber) => {
    const det = createDetector(options);
    return source.subscribe({
      next: (r) => {
        const p = toDetectPoint(r);
        if (!p) return;
        for (const u of det.push(p)) subscriber.next(u);
      },
      error: (e) => subscriber.error(e),
      complete: () => subscriber.complete(),
    });
  });
}

type DetectFactory = (options: DetectorOptions) => OperatorFunction<FrameResult, DetectorUpdate>;

function loadOperator(): DetectFactory {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const mod = require('./detectSlopeChange') as { detectSlopeChange?: DetectFactory };
    if (typeof mod.detectSlopeChange === 'function') return mod.detectSlopeChange;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
  }
  return localDetect;
}

/** The detector operator on FrameResults (one detector per subscription). */
export function detectUpdates(options: DetectorOptions = {}): OperatorFunction<FrameResult, DetectorUpdate> {
  return loadOperator()(options);
}

export function toLiveEvent(e: SlopeEvent, run: number): LiveEvent {
  return {
    id: `${run}-${e.id}`, kind: e.kind, startPower: e.startPower, endPower: e.endPower, startIndex: e.startIndex,
    endIndex: e.endIndex, detectedAtIndex: e.detectedAtIndex, slopeBefore: e.slopeBefore, slopeAfter: e.slopeAfter,
    temperature: e.temperature, significance: e.significance,
  };
}
