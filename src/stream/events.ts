/**
 * Slope-change detection in the live pipeline: the detector operator (src/stream/detectSlopeChange.ts) fed with
 * the fitted, paired frames of one run, and its updates turned into protocol LiveEvents (id unique across runs).
 * At the end of a run (a loop reset, or the source ending) the detector's offline refinement arrives as `final`
 * updates of the same events.
 */
import { filter, map, OperatorFunction, pipe } from 'rxjs';
import type { FrameResult } from '../analysis/types';
import type { LiveEvent } from '../protocol';
import type { DetectorOptions, DetectorUpdate, DetectPoint, SlopeEvent } from '../detect/types';
import { detectSlopeChange } from './detectSlopeChange';

/** FrameResult (with power) → the detector's point; null when it cannot be a point (no power or no T). */
export function toDetectPoint(r: FrameResult): DetectPoint | null {
  if (r.power === null || r.temperature === null) {
    return null;
  }
  return {
    index: r.index,
    power: r.power,
    temperature: r.temperature,
    temperatureError: r.temperatureError,
    flags: r.flags,
  };
}

/** The detector operator on FrameResults (one detector per subscription). */
export function detectUpdates(options: DetectorOptions = {}): OperatorFunction<FrameResult, DetectorUpdate> {
  return pipe(
    map(toDetectPoint),
    filter((p): p is DetectPoint => p !== null),
    detectSlopeChange(options),
  );
}

/** The protocol event of a detector event of run `run`; `final`: the whole-curve refinement at the run's end. */
export function toLiveEvent(e: SlopeEvent, run: number, final = false): LiveEvent {
  return {
    id: `${run}-${e.id}`,
    run,
    kind: e.kind,
    startPower: e.startPower,
    endPower: e.endPower,
    startIndex: e.startIndex,
    endIndex: e.endIndex,
    detectedAtIndex: e.detectedAtIndex,
    slopeBefore: e.slopeBefore,
    slopeAfter: e.slopeAfter,
    temperature: e.temperature,
    significance: e.significance,
    ...(e.retracted ? { retracted: true } : {}),
    ...(final ? { final: true } : {}),
  };
}
