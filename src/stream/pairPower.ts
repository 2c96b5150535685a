/**
 * withNearestPower(power$): gives each item (a fitted frame) the laser power nearest in time, within its run.
 *
 * Readings are kept per run, sorted by time (bounded: the oldest are forgotten beyond `maxReadings`); a run's
 * readings are forgotten once an item of a later run has arrived and no item of it waits (items come in run
 * order), never earlier: when the fit lags several short runs behind (a 10-frame shot looped at 1 kHz), the
 * readings of the runs still to come are kept until their frames arrive. An item
 * whose time t already has a reading at or after t is released at once with the nearest reading (ties → the
 * earlier one, as `pyrolive analyze` pairs). Otherwise the power for t may still be on its way, so the item waits
 * — at most `maxWaitMs` — for a reading at or after t, then goes with the best it has. Items are released in
 * arrival order (a later item never overtakes an earlier one). No waiting when the run has no reading at all yet
 * (no power source, or not started) or once power$ has completed. An item with no time gets null.
 *
 * Once a run's readings are complete (power$ completed, or a reading of a later run arrived: a replayed log that
 * ended), an item of that run outside their span gets null, as `pyrolive analyze` pairs (pairPowerLog's span: the
 * first to the last reading, widened by their median spacing): a log that stops early gives no power to later
 * frames, never its last value held. While readings may still come, an item waits as above and then goes with the
 * nearest it has.
 * State is per subscription.
 */
import { asyncScheduler, Observable, OperatorFunction, SchedulerLike, Subscription } from 'rxjs';
import { nearestIndex } from '../analysis/nearest';
import { medianSpacing } from '../analysis/power';
import type { PowerReading } from './types';

export interface PairPowerOptions {
  /** Longest wait for a reading after the item's time (ms, default 50). */
  maxWaitMs?: number;
  /** Readings kept per run (default 200,000; the oldest are dropped beyond). */
  maxReadings?: number;
  scheduler?: SchedulerLike;
}

export interface Pairable {
  run: number;
  time: number | null;
}

class ReadingBuffer {
  time: number[] = [];
  power: number[] = [];
  /** no more readings of this run will come */
  complete = false;
  /** the span of the readings once complete (pairPowerLog's), computed when first needed */
  private span: [number, number] | null = null;
  constructor(private readonly max: number) {}

  add(t: number, p: number): void {
    this.span = null;
    const { time, power } = this;
    let i = time.length;
    if (i === 0 || time[i - 1] <= t) {
      time.push(t);
      power.push(p);
    } else {
      // out of order: insert after equal times (keeps the arrival order of equal stamps)
      let lo = 0;
      let hi = time.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (time[mid] <= t) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      i = lo;
      time.splice(i, 0, t);
      power.splice(i, 0, p);
    }
    if (time.length > this.max) {
      const excess = time.length - this.max;
      time.splice(0, excess);
      power.splice(0, excess);
    }
  }

  get last(): number {
    return this.time.length ? this.time[this.time.length - 1] : -Infinity;
  }

  nearest(t: number): number | null {
    if (this.complete && this.outsideSpan(t)) {
      return null;
    }
    const index = nearestIndex(this.time, t);
    return index < 0 ? null : this.power[index];
  }

  /** Whether t lies outside the readings' span: first − m to last + m, m their median spacing (pairPowerLog's). */
  private outsideSpan(t: number): boolean {
    const time = this.time;
    if (time.length === 0) {
      return true;
    }
    if (this.span === null) {
      const margin = medianSpacing(Float64Array.from(time));
      this.span = [time[0] - margin, time[time.length - 1] + margin];
    }
    return t < this.span[0] || t > this.span[1];
  }
}

export function withNearestPower<T extends Pairable>(
  power$: Observable<PowerReading>,
  options: PairPowerOptions = {},
): OperatorFunction<T, { item: T; power: number | null }> {
  const maxWait = options.maxWaitMs ?? 50;
  const maxReadings = options.maxReadings ?? 200_000;
  const scheduler = options.scheduler ?? asyncScheduler;
  return (source) =>
    new Observable<{ item: T; power: number | null }>((subscriber) => {
      const runs = new Map<number, ReadingBuffer>();
      const pending: { item: T; deadline: number }[] = [];
      let powerDone = false;
      /** power$ itself has completed (powerDone is also set when the items end) */
      let powerComplete = false;
      let sourceDone = false;
      let timer: Subscription | null = null;
      let timerAt = Infinity;

      let latestItemRun = -Infinity;
      const buffer = (run: number) => {
        let b = runs.get(run);
        if (!b) {
          b = new ReadingBuffer(maxReadings);
          b.complete = powerComplete;
          runs.set(run, b);
        }
        return b;
      };
      /** Forgets the readings of runs whose items have all gone (older than the oldest item waiting or arriving). */
      const forgetDoneRuns = () => {
        const oldest = pending.length > 0 ? pending[0].item.run : latestItemRun;
        for (const r of runs.keys()) {
          if (r < oldest) {
            runs.delete(r);
          }
        }
      };

      const ready = (item: T, now: number, deadline: number): boolean => {
        if (item.time === null || !Number.isFinite(item.time) || powerDone) {
          return true;
        }
        const b = runs.get(item.run);
        if (!b || b.time.length === 0 || b.complete) {
          return true;
        }
        return b.last >= item.time || now >= deadline;
      };

      const release = () => {
        const now = scheduler.now();
        while (pending.length > 0 && ready(pending[0].item, now, pending[0].deadline)) {
          const { item } = pending.shift()!;
          const b = runs.get(item.run);
          const power = item.time === null || !Number.isFinite(item.time) || !b ? null : b.nearest(item.time);
          subscriber.next({ item, power });
        }
        forgetDoneRuns();
        if (pending.length > 0) {
          const at = pending[0].deadline;
          if (timer === null || at !== timerAt) {
            timer?.unsubscribe();
            timerAt = at;
            timer = scheduler.schedule(
              () => {
                timer = null;
                timerAt = Infinity;
                release();
              },
              Math.max(0, at - now),
            );
          }
        } else {
          timer?.unsubscribe();
          timer = null;
          timerAt = Infinity;
          if (sourceDone) {
            subscriber.complete();
          }
        }
      };

      const powerSub = power$.subscribe({
        next: (r) => {
          if (!Number.isFinite(r.time) || !Number.isFinite(r.power)) {
            return;
          }
          buffer(r.run).add(r.time, r.power);
          // a reading of a later run: the earlier runs' logs are complete
          for (const [run, b] of runs) {
            if (run < r.run) {
              b.complete = true;
            }
          }
          if (pending.length > 0) {
            release();
          }
        },
        error: (e) => subscriber.error(e),
        complete: () => {
          powerDone = true;
          powerComplete = true;
          for (const b of runs.values()) {
            b.complete = true;
          }
          if (pending.length > 0) {
            release();
          }
        },
      });
      const sub = source.subscribe({
        next: (item) => {
          latestItemRun = Math.max(latestItemRun, item.run);
          buffer(item.run);
          pending.push({ item, deadline: scheduler.now() + maxWait });
          release();
        },
        error: (e) => subscriber.error(e),
        complete: () => {
          sourceDone = true;
          powerDone = true; // nothing left to wait for
          release();
        },
      });
      return () => {
        sub.unsubscribe();
        powerSub.unsubscribe();
        timer?.unsubscribe();
        pending.length = 0;
      };
    });
}

/** @deprecated Renamed withNearestPower (the whole-log pairing is pairPowerLog, src/analysis/power.ts). */
export const pairPower = withNearestPower;
