/**
 * ingest: laser power readings (and optionally frames) pushed by another program — the server forwards
 * `POST /api/power` and WebSocket `{type:'power'}` messages to LiveSource.ingestPower, which lands here.
 *
 * Pushing never blocks: a reading is validated and handed on synchronously. The observable is hot (it carries
 * what is pushed while subscribed); each subscriber gets the pushes made after it subscribed.
 * Time of a reading: `time` as given when it looks like seconds since the run start (< 1e9), converted from Unix
 * seconds when ≥ 1e9 (what a logging program most easily sends), or the time of arrival when absent.
 */
import { Observable, Subject } from 'rxjs';
import { UsageError } from '../errors';
import type { FrameGeometry, SourceItem } from './types';

export interface IngestClock {
  /** s since the current run started. */
  runSeconds(): number;
  /** Unix time (s) at which the current run started. */
  runStartUnix(): number;
}

export interface Ingest {
  items: Observable<SourceItem>;
  /** A power reading in W; throws UsageError when not a finite non-negative number. */
  power(reading: { power: number; time?: number }): void;
  /** A frame pushed by a program (counts row-major height × width). */
  frame(frame: { index: number; time?: number | null; counts: Float64Array; geometry: FrameGeometry }): void;
  complete(): void;
}

export const UNIX_TIME_THRESHOLD = 1e9;

export function createIngest(clock: IngestClock): Ingest {
  const subject = new Subject<SourceItem>();
  const timeOf = (t: number | null | undefined): number => {
    if (t === undefined || t === null) {
      return clock.runSeconds();
    }
    if (!Number.isFinite(t)) {
      throw new UsageError(`time must be a finite number of seconds (got ${t})`);
    }
    return t >= UNIX_TIME_THRESHOLD ? t - clock.runStartUnix() : t;
  };
  return {
    items: subject.asObservable(),
    power(reading) {
      const p = reading?.power;
      if (typeof p !== 'number' || !Number.isFinite(p) || p < 0) {
        throw new UsageError(`power must be a finite number of W ≥ 0 (got ${p})`);
      }
      subject.next({ kind: 'power', reading: { time: timeOf(reading.time), power: p } });
    },
    frame(frame) {
      const g = frame.geometry;
      if (!(frame.counts instanceof Float64Array) || frame.counts.length !== g.width * g.height) {
        throw new UsageError(`frame ${frame.index}: expected ${g.height} × ${g.width} counts`);
      }
      subject.next({
        kind: 'frame',
        frame: { index: frame.index, time: timeOf(frame.time), counts: frame.counts, geometry: g, origin: 'ingest' },
      });
    },
    complete() {
      subject.complete();
    },
  };
}
