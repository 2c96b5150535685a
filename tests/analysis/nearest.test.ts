/**
 * nearestIndex, the one nearest-in-time search behind pairPowerLog (whole log) and withNearestPower (live):
 * hand-computed cases, then both pairings checked against a brute-force scan on random data.
 */
import { Subject, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { nearestIndex } from '../../src/analysis/nearest';
import { pairPowerLog } from '../../src/analysis/power';
import { withNearestPower } from '../../src/stream/pairPower';
import type { PowerReading } from '../../src/stream/types';
import { Rng } from '../../src/sim/rng';

/** Brute force: the smallest index with the smallest |times[i] − t| (ties → the earlier entry). */
function bruteNearest(times: ArrayLike<number>, t: number): number {
  let best = -1;
  for (let i = 0; i < times.length; i++) {
    if (best < 0 || Math.abs(times[i] - t) < Math.abs(times[best] - t)) {
      best = i;
    }
  }
  return best;
}

describe('nearestIndex', () => {
  const times = [0, 0.01, 0.02, 0.04];

  it('hand-computed: inside, on an entry, on a tie (the earlier), before the first and after the last', () => {
    expect(nearestIndex(times, 0.011)).toBe(1);
    expect(nearestIndex(times, 0.02)).toBe(2);
    expect(nearestIndex(times, 0.03)).toBe(2); // halfway between 0.02 and 0.04
    expect(nearestIndex(times, 0.031)).toBe(3);
    expect(nearestIndex(times, -5)).toBe(0);
    expect(nearestIndex(times, 7)).toBe(3);
    expect(nearestIndex(Float64Array.of(5), 1)).toBe(0);
  });

  it('empty: -1', () => {
    expect(nearestIndex([], 1)).toBe(-1);
  });

  it('equal stamps: the first of them at or below, the last of them (the latest reading) above', () => {
    expect(nearestIndex([1, 2, 2, 2, 3], 2)).toBe(1);
    expect(nearestIndex([1, 2, 2, 2, 3], 1.8)).toBe(1);
    expect(nearestIndex([1, 2, 2, 2, 3], 2.4)).toBe(3);
  });

  it('agrees with a brute-force scan on random distinct sorted times (integers, so ties happen)', () => {
    const rng = new Rng(11);
    for (let trial = 0; trial < 200; trial++) {
      const drawn = Array.from({ length: 1 + Math.floor(rng.uniform() * 12) }, () => Math.floor(rng.uniform() * 20));
      const sorted = [...new Set(drawn)].sort((a, b) => a - b);
      const t = Math.floor(rng.uniform() * 48) / 2 - 2;
      expect(nearestIndex(sorted, t), `${sorted.join(',')} @ ${t}`).toBe(bruteNearest(sorted, t));
    }
  });
});

describe('both power pairings pick the nearest reading, and none outside a complete log', () => {
  const key = Float64Array.from([0, 0.5, 1.5, 2, 3.5]);
  const power = Float64Array.from([10, 11, 12, 13, 14]);
  const at = [-1, 0.25, 0.7, 1, 1.75, 2.2, 2.75, 9];
  const expected = at.map((t) => power[bruteNearest(key, t)]);
  // the span: first to last reading ± the median spacing (0.75 s)
  const inSpan = at.map((t, i) => (t >= -0.75 && t <= 3.5 + 0.75 ? expected[i] : NaN));

  it('pairPowerLog over a time log (NaN outside the span)', () => {
    expect(Array.from(pairPowerLog(at, { kind: 'time', key, power }))).toEqual(inSpan);
  });

  it('withNearestPower once every reading is in (null outside the span, as pairPowerLog)', () => {
    const power$ = new Subject<PowerReading>();
    const frames$ = new Subject<{ run: number; time: number | null }>();
    const paired: (number | null)[] = [];
    frames$.pipe(withNearestPower(power$), toArray()).subscribe((items) => {
      for (const { power: value } of items) {
        paired.push(value);
      }
    });
    key.forEach((time, i) => power$.next({ run: 0, time, power: power[i] }));
    power$.complete();
    for (const time of at) {
      frames$.next({ run: 0, time });
    }
    frames$.complete();
    expect(paired).toEqual(inSpan.map((value) => (Number.isNaN(value) ? null : value)));
    expect(paired.filter((value) => value === null)).toHaveLength(2); // t = −1 and 9
  });
});
