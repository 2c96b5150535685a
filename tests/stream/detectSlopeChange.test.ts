import { describe, expect, it } from 'vitest';
import { TestScheduler } from 'rxjs/testing';
import { detectSlopeChange } from '../../src/stream/detectSlopeChange';
import type { DetectPoint } from '../../src/detect/types';
import { UsageError } from '../../src/errors';

const KEYS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Exact hinge: 1500 K at 10 W, 100 K/W up to 20 W, then 20 K/W; one point per 0.5 W, 10 → 25 W (31 points).
 * The kink is at point 20; with minAfter 4 and 2 confirmations it is confirmed at point 25. */
function hingePoints(): DetectPoint[] {
  const out: DetectPoint[] = [];
  for (let i = 0; i <= 30; i++) {
    const P = 10 + 0.5 * i;
    out.push({ index: i, power: P, temperature: P <= 20 ? 1500 + 100 * (P - 10) : 2500 + 20 * (P - 20) });
  }
  return out;
}
function linePoints(): DetectPoint[] {
  return Array.from({ length: 31 }, (_, i) => ({
    index: i,
    power: 10 + 0.5 * i,
    temperature: 1400 + 90 * 0.5 * i + (i % 3) * 4,
  }));
}
const marbles = (pts: DetectPoint[]) => ({
  m: pts.map((_, i) => KEYS[i]).join('') + '|',
  v: Object.fromEntries(pts.map((p, i) => [KEYS[i], p])),
});

function scheduler() {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

describe('detectSlopeChange operator (marble tests)', () => {
  it('emits the new event at the frame of the confirming point, and the offline result on completion', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const { m, v } = marbles(hingePoints());
      const out$ = cold(m, v).pipe(detectSlopeChange());
      // frames 0..30 carry points; "new" at frame 25; refinements may follow; final + complete at frame 31
      expectObservable(out$).toBe(`${'-'.repeat(25)}n-----(f|)`, {
        n: expect.objectContaining({
          type: 'new',
          atIndex: 25,
          event: expect.objectContaining({ kind: 'plateau', detectedAtIndex: 25 }),
        }),
        f: expect.objectContaining({
          type: 'final',
          atIndex: 30,
          event: expect.objectContaining({ id: 1, refined: true, startPower: expect.closeTo(20, 6) }),
        }),
      });
    });
  });

  it('two subscriptions do not share state', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const op = detectSlopeChange({ final: false });
      const h = marbles(hingePoints());
      const l = marbles(linePoints());
      const hinge$ = cold(h.m, h.v).pipe(op);
      const line$ = cold(l.m, l.v).pipe(op); // the same operator instance on another stream
      expectObservable(line$).toBe(`${'-'.repeat(31)}|`);
      expectObservable(hinge$).toBe(`${'-'.repeat(25)}n-----|`, {
        n: expect.objectContaining({ type: 'new', atIndex: 25 }),
      });
      // a second, later subscription to the same piped observable starts from scratch
      expectObservable(hinge$, `${'-'.repeat(5)}^`).toBe(`${'-'.repeat(30)}n-----|`, {
        n: expect.objectContaining({ type: 'new', atIndex: 25 }),
      });
    });
  });

  it('no final emission when nothing was detected; errors pass through', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const l = marbles(linePoints());
      expectObservable(cold(l.m, l.v).pipe(detectSlopeChange())).toBe(`${'-'.repeat(31)}|`);
      expectObservable(
        cold('AB#', { A: linePoints()[0], B: linePoints()[1] }, new Error('boom')).pipe(detectSlopeChange()),
      ).toBe('--#', undefined, new Error('boom'));
    });
  });

  it('rejects bad options when the pipe is built', () => {
    expect(() => detectSlopeChange({ threshold: -2 })).toThrow(UsageError);
  });
});
