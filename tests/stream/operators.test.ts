/**
 * Marble tests (rxjs/testing TestScheduler, virtual time) of the live operators: fitFrames, pairPower,
 * toLiveMessages, perRun. The analyzer is a stand-in whose "temperature" is a known function of the frame, so
 * every expectation is computed by hand.
 */
import { describe, expect, test } from 'vitest';
import { asapScheduler, map, Observable, of, OperatorFunction, scan, SchedulerLike, Subject, Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { fitFrames } from '../../src/stream/fitFrames';
import { pairPower } from '../../src/stream/pairPower';
import { toLiveMessages, quantile, type PipelineEvent } from '../../src/stream/toLiveMessages';
import { perRun } from '../../src/stream/runs';
import type { FrameResult } from '../../src/analysis/types';
import type { LiveAnalyzer, LiveFrame, LiveResult, PowerReading } from '../../src/stream/types';

const geometry = { width: 1, height: 1, dataType: 'uint16' as const, wavelength: null, exposureTime: null };
const frame = (index: number, arrivedAt = 0, run = 0, time: number | null = index): LiveFrame => ({
  run,
  index,
  time,
  counts: Float64Array.of(index),
  geometry,
  arrivedAt,
});
/** T = 1000 + 10 × counts. */
const resultOf = (f: LiveFrame, how: string): FrameResult => ({
  index: f.index,
  time: f.time,
  power: null,
  temperature: 1000 + 10 * f.counts[0],
  temperatureError: 1,
  chi2: 1,
  flags: how === 'batch' ? [] : ['cosmic'],
  twoColor: null,
});

const newScheduler = () => new TestScheduler((a, b) => expect(a).toEqual(b));

describe('fitFrames', () => {
  /** Batches take `batchFrames` of virtual time; calls are logged. */
  function fakeAnalyzer(ts: TestScheduler, batchDelay: string, calls: string[]): LiveAnalyzer {
    return {
      analyzeFrame: (f) => {
        calls.push(`single ${f.index}`);
        return resultOf(f, 'single');
      },
      analyzeBatch: (frames) => {
        calls.push(`batch ${frames.map((f) => f.index).join(',')}`);
        return ts.createColdObservable(batchDelay, { r: frames.map((f) => resultOf(f, 'batch')) });
      },
    };
  }

  test('keeps up: each frame fitted alone, at once, in order', () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable }) => {
      const calls: string[] = [];
      const src = cold('a-b-c|', { a: frame(0), b: frame(1), c: frame(2) });
      const out = src.pipe(
        fitFrames(fakeAnalyzer(ts, '---(r|)', calls)),
        map((r) => r.result.temperature),
      );
      expectObservable(out).toBe('a-b-c|', { a: 1000, b: 1010, c: 1020 });
      ts.flush();
      expect(calls).toEqual(['single 0', 'single 1', 'single 2']);
    });
  });

  test('a burst goes as one batch; frames arriving during it form the next batch; nothing lost, order kept', () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable }) => {
      const calls: string[] = [];
      // 3 frames at once (t=0), 2 more at 6 and 7 while that batch runs (it takes 8 ms), then one alone at 20
      const src = cold('(abc)-de------------f|', {
        a: frame(0),
        b: frame(1),
        c: frame(2),
        d: frame(3),
        e: frame(4),
        f: frame(5),
      });
      const out = src.pipe(
        fitFrames(fakeAnalyzer(ts, '--------(r|)', calls)),
        map((r) => r.result.index),
      );
      // batch 0-2 done at 8 → 0,1,2; batch 3,4 starts at 8, done at 16; 5 fitted alone at 20
      expectObservable(out).toBe('--------(abc)---(de)f|', { a: 0, b: 1, c: 2, d: 3, e: 4, f: 5 });
      ts.flush();
      expect(calls).toEqual(['batch 0,1,2', 'batch 3,4', 'single 5']);
    });
  });

  test('syncUpTo: a small burst is fitted on the spot, one by one; a larger one still goes as a batch', () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable }) => {
      const calls: string[] = [];
      const src = cold('(abc)-de------------f|', {
        a: frame(0),
        b: frame(1),
        c: frame(2),
        d: frame(3),
        e: frame(4),
        f: frame(5),
      });
      const out = src.pipe(
        fitFrames(fakeAnalyzer(ts, '--------(r|)', calls), { syncUpTo: 2 }),
        map((r) => r.result.index),
      );
      // 3 frames > 2: batch, done at 8; the 2 that queued meanwhile are fitted at once at 8; 5 alone at 20
      expectObservable(out).toBe('--------(abcde)-----f|', { a: 0, b: 1, c: 2, d: 3, e: 4, f: 5 });
      ts.flush();
      expect(calls).toEqual(['batch 0,1,2', 'single 3', 'single 4', 'single 5']);
    });
  });

  test('a failing batch falls back to single fits; a throwing analyzer flags the frame corrupt and goes on', () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable }) => {
      const analyzer: LiveAnalyzer = {
        analyzeFrame: (f) => {
          if (f.index === 1) {
            throw new Error('boom');
          }
          return resultOf(f, 'single');
        },
        analyzeBatch: () => ts.createColdObservable<FrameResult[]>('--#'),
      };
      const src = cold('(ab)----c|', { a: frame(0), b: frame(1), c: frame(2) });
      const out = src.pipe(
        fitFrames(analyzer),
        map((r) => `${r.result.index}:${r.result.flags.join('+')}`),
      );
      // the batch (0, 1) fails at 2: both refitted alone, frame 1's analyzer throws → flagged, frame 2 fine
      expectObservable(out).toBe('--(ab)--c|', { a: '0:cosmic', b: '1:corrupt+fit-failed', c: '2:cosmic' });
    });
  });

  test('a long run holds on to no finished drain: teardown has only the pending one to cancel', async () => {
    // every drain goes through this scheduler; count the drains the teardown has to cancel
    let cancelled = 0;
    const counting: SchedulerLike = {
      now: () => asapScheduler.now(),
      schedule: (work: any, delay?: number, state?: any) => {
        const action = asapScheduler.schedule(work, delay, state);
        return new Subscription(() => {
          cancelled++;
          action.unsubscribe();
        });
      },
    };
    const analyzer: LiveAnalyzer = {
      analyzeFrame: (f) => resultOf(f, 'single'),
      analyzeBatch: (fs) => [fs.map((f) => resultOf(f, 'batch'))],
    };
    const src = new Subject<LiveFrame>();
    const got: number[] = [];
    const sub = src.pipe(fitFrames(analyzer, { scheduler: counting })).subscribe((r) => got.push(r.frame.index));
    for (let i = 0; i < 300; i++) {
      src.next(frame(i));
      await new Promise((r) => setImmediate(r));
    }
    expect(got).toEqual(Array.from({ length: 300 }, (_v, i) => i));
    sub.unsubscribe();
    expect(cancelled).toBeLessThanOrEqual(1);
  });
});

describe('pairPower', () => {
  type Item = { run: number; time: number | null; name: string };
  const it = (name: string, time: number | null, run = 0): Item => ({ run, time, name });
  const rd = (time: number, power: number, run = 0): PowerReading => ({ run, time, power });
  const pairOut = () => map((p: { item: Item; power: number | null }) => `${p.item.name}=${p.power}`);

  test('nearest in time when a reading at or after the frame exists; ties go to the earlier reading', () => {
    const ts = newScheduler();
    ts.run(({ cold, hot, expectObservable }) => {
      const power = hot('(xyz)', { x: rd(0, 10), y: rd(1, 20), z: rd(2, 30) });
      const src = cold('-a-b-c|', { a: it('a', 0.4), b: it('b', 0.5), c: it('c', 1.6) });
      expectObservable(src.pipe(pairPower(power, { scheduler: ts }), pairOut())).toBe('-a-b-c|', {
        a: 'a=10',
        b: 'b=10',
        c: 'c=30',
      });
    });
  });

  test('a frame ahead of the power waits for the next reading, at most maxWait, then goes with the best; order is kept', () => {
    const ts = newScheduler();
    ts.run(({ cold, hot, expectObservable }) => {
      //                     reading for t=0 at once; the one for t=2 arrives at frame 3 (3 ms)
      const power = hot('x--y', { x: rd(0, 10), y: rd(2, 30) });
      // a (t=1.8) waits for y (nearest: 30); b (t=5) waits 5 ms then goes with 30 (the best)
      const src = cold('-a--b------|', { a: it('a', 1.8), b: it('b', 5) });
      // a released when y (t=2, nearer than x) arrives at 3; b (t=5) gives up waiting at 4 + 5 = 9
      expectObservable(src.pipe(pairPower(power, { maxWaitMs: 5, scheduler: ts }), pairOut())).toBe('---a-----b-|', {
        a: 'a=30',
        b: 'b=30',
      });
    });
  });

  test('no wait when the run has no reading at all; readings of another run are not used; no time → null', () => {
    const ts = newScheduler();
    ts.run(({ cold, hot, expectObservable }) => {
      const power = hot('--x', { x: rd(0, 99, 1) });
      const src = cold('a--b-c|', { a: it('a', 0), b: it('b', 0), c: it('c', null, 1) });
      expectObservable(src.pipe(pairPower(power, { maxWaitMs: 50, scheduler: ts }), pairOut())).toBe('a--b-c|', {
        a: 'a=null',
        b: 'b=null',
        c: 'c=null',
      });
    });
  });

  test('a complete log (power$ ended): no power outside its span (first/last reading ± their median spacing)', () => {
    const ts = newScheduler();
    ts.run(({ cold, hot, expectObservable }) => {
      // readings at 1, 2, 3 s (spacing 1): the span is 0 to 4 s; power$ completes before the frames come
      const power = hot('(xyz|)', { x: rd(1, 10), y: rd(2, 20), z: rd(3, 30) });
      const src = cold('-a-b-c-d|', { a: it('a', -0.5), b: it('b', 0.2), c: it('c', 3.9), d: it('d', 4.5) });
      expectObservable(src.pipe(pairPower(power, { maxWaitMs: 50, scheduler: ts }), pairOut())).toBe('-a-b-c-d|', {
        a: 'a=null',
        b: 'b=10',
        c: 'c=30',
        d: 'd=null',
      });
    });
  });

  test("a later run's reading completes the earlier run: its frames past the span go at once, with no power", () => {
    const ts = newScheduler();
    ts.run(({ cold, hot, expectObservable }) => {
      // run 0: readings at 0, 1, 2 (span −1 to 3); then run 1 starts; power$ never ends
      const power = hot('(xyz)w', { x: rd(0, 10), y: rd(1, 20), z: rd(2, 30), w: rd(0, 99, 1) });
      // after the run-1 reading (frame 5): a (t=2.5) is inside the span, b (t=8) past it, and neither waits (both
      // would wait 50 ms for a later reading of run 0 before it)
      const src = cold('------a-b|', { a: it('a', 2.5), b: it('b', 8) });
      expectObservable(src.pipe(pairPower(power, { maxWaitMs: 50, scheduler: ts }), pairOut())).toBe('------a-b|', {
        a: 'a=30',
        b: 'b=null',
      });
    });
  });

  test('readings of runs ahead of the frames are kept until those frames come (the fit lags several runs behind)', () => {
    const ts = newScheduler();
    ts.run(({ cold, hot, expectObservable }) => {
      // the readings of runs 0..3 all arrive before the first frame (a short shot looped faster than it is fitted)
      const power = hot('(wxyz)', { w: rd(0, 10, 0), x: rd(0, 11, 1), y: rd(0, 12, 2), z: rd(0, 13, 3) });
      const src = cold('-a-b-c-d|', { a: it('a', 0, 0), b: it('b', 0, 1), c: it('c', 0, 2), d: it('d', 0, 3) });
      expectObservable(src.pipe(pairPower(power, { scheduler: ts }), pairOut())).toBe('-a-b-c-d|', {
        a: 'a=10',
        b: 'b=11',
        c: 'c=12',
        d: 'd=13',
      });
    });
  });
});

describe('toLiveMessages', () => {
  const result = (index: number, arrivedAt: number, flags: string[] = []): PipelineEvent => ({
    kind: 'result',
    value: {
      frame: frame(index, arrivedAt),
      result: { ...resultOf(frame(index), 'batch'), flags: flags as FrameResult['flags'] },
    },
  });

  test('frames batched per window with their latency; events in between; reset clears per-run counts; final status', () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable }) => {
      const input = cold<PipelineEvent>('a-b---------c--r------d|', {
        a: result(0, 0),
        b: result(1, 2, ['cosmic']),
        c: result(2, 12),
        r: { kind: 'reset', reason: 'loop', run: 1 },
        d: result(3, 22, ['saturated']),
      });
      const out = input.pipe(
        toLiveMessages({ source: 's', frameBatchMs: 4, statusIntervalMs: 1000, now: () => ts.now() }),
        map((m) =>
          m.type === 'frames'
            ? `F${m.frames.map((f) => `${f.index}@${f.latencyMs}`).join(',')}`
            : m.type === 'status'
              ? `S${m.frames}/${JSON.stringify(m.flagged)}/${m.running}/${m.latencyP99}`
              : m.type,
        ),
      );
      // a at 0, b at 2 → flushed together at 4 (latencies 4 and 2); c at 12 would go at 16 but the reset at 15
      // flushes it first (latency 3); d at 22 is flushed by the completion at 23 (latency 1), then the final status
      expectObservable(out).toBe('----x----------(yr)----(zS|)', {
        x: 'F0@4,1@2',
        y: 'F2@3',
        r: 'reset',
        z: 'F3@1',
        S: 'S1/{"saturated":1}/false/4',
      });
    });
  });

  test('spectrum at most once per interval, leading and trailing, computed only for shown frames', () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable }) => {
      const asked: number[] = [];
      const input = cold<PipelineEvent>('a-----b-c-----------d-----|', {
        a: result(0, 0),
        b: result(1, 6),
        c: result(2, 8),
        d: result(3, 20),
      });
      const out = input.pipe(
        toLiveMessages({
          source: 's',
          frameBatchMs: 0,
          batchScheduler: ts,
          spectrumIntervalMs: 10,
          now: () => ts.now(),
          spectrum: (r: LiveResult) => {
            asked.push(r.frame.index);
            return {
              index: r.frame.index,
              wavelength: Float64Array.of(500),
              radiance: Float64Array.of(1),
              fit: Float64Array.of(1),
              mask: Uint8Array.of(0),
            };
          },
        }),
        map((m) => (m.type === 'spectrum' ? `s${m.index}` : m.type === 'frames' ? `f${m.frames[0].index}` : m.type)),
      );
      // 0 shown at once (leading); 1 and 2 within 10 ms of it → only the latest (2) at 10 (trailing); 3 at once
      expectObservable(out).toBe('(AB)--C-D-E---------(FG)--(S|)', {
        A: 'f0',
        B: 's0',
        C: 'f1',
        D: 'f2',
        E: 's2',
        F: 'f3',
        G: 's3',
        S: 'status',
      });
      ts.flush();
      expect(asked).toEqual([0, 2, 3]);
    });
  });

  test('quantile is the nearest-rank quantile', () => {
    expect(quantile([5, 1, 4, 2, 3], 0.5)).toBe(3);
    expect(
      quantile(
        Array.from({ length: 100 }, (_v, i) => i + 1),
        0.99,
      ),
    ).toBe(99);
    expect(quantile([], 0.5)).toBe(0);
  });
});

describe('perRun', () => {
  test('a stateful operator starts afresh with each run and is completed (flushed) at the run change', () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable }) => {
      // running sum per run, emitted on every item
      const sum =
        (): OperatorFunction<{ run: number; v: number }, number> => (s: Observable<{ run: number; v: number }>) =>
          s.pipe(scan((acc, x) => acc + x.v, 0));
      const src = cold('abcd|', { a: { run: 0, v: 1 }, b: { run: 0, v: 2 }, c: { run: 1, v: 5 }, d: { run: 1, v: 1 } });
      expectObservable(src.pipe(perRun(() => sum()))).toBe('abcd|', { a: 1, b: 3, c: 5, d: 6 });
    });
  });
});

test('of() sanity for the fake batch path (a synchronous batch result is delivered in order)', async () => {
  const analyzer: LiveAnalyzer = {
    analyzeFrame: (f) => resultOf(f, 'single'),
    analyzeBatch: (frames) => of(frames.map((f) => resultOf(f, 'batch'))),
  };
  const out: number[] = [];
  await new Promise<void>((resolve) => {
    of(frame(0), frame(1), frame(2))
      .pipe(fitFrames(analyzer))
      .subscribe({ next: (r) => out.push(r.result.index), complete: resolve });
  });
  expect(out).toEqual([0, 1, 2]);
});
