/**
 * The named parts of toLiveMessages on their own: StatusTally (interval and run counts → status messages) and
 * SpectrumThrottle (at most one spectrum per interval, leading and trailing), on a virtual clock. Every expected
 * figure is worked out by hand from the inputs.
 */
import { describe, expect, test } from 'vitest';
import { VirtualTimeScheduler } from 'rxjs';
import { SpectrumThrottle, StatusTally } from '../../src/stream/toLiveMessages';
import type { LiveMessage } from '../../src/protocol';
import type { LiveResult } from '../../src/stream/types';
import type { SpectrumView } from '../../src/analysis/types';

describe('StatusTally', () => {
  test('frame rate over the interval, nearest-rank latency quantiles, flags and frames of the run', () => {
    const tally = new StatusTally('sim', 0);
    tally.countFrame(1, []);
    tally.countFrame(3, ['cosmic']);
    tally.countFrame(2, ['cosmic', 'weak']);
    tally.endBatch();
    const status = tally.status(true, 2000);
    // 3 frames in 2 s; latencies sorted 1, 2, 3: p50 = rank ceil(1.5) = 2nd, p99 = rank ceil(2.97) = 3rd
    expect(status).toEqual({
      type: 'status',
      framesPerSecond: 1.5,
      latencyP50: 2,
      latencyP99: 3,
      frames: 3,
      flagged: { cosmic: 2, weak: 1 },
      source: 'sim',
      running: true,
      run: 0,
      sourceState: { state: 'running' },
    });
  });

  test('an interval without frames: rate 0, the last quantiles kept, the source paused; not running: finished', () => {
    const tally = new StatusTally('sim', 0);
    tally.countFrame(4, []);
    tally.status(true, 1000);
    const idle = tally.status(true, 1500);
    expect(idle.framesPerSecond).toBe(0);
    expect(idle.latencyP50).toBe(4);
    expect(idle.latencyP99).toBe(4);
    expect(idle.frames).toBe(1); // frames of the run, not of the interval
    expect(idle.sourceState).toEqual({ state: 'paused', detail: 'no frames in the last interval' });
    expect(tally.status(false, 2000).sourceState).toEqual({ state: 'finished' });
  });

  test("the source's own status wins over running/paused/finished", () => {
    const tally = new StatusTally('watch /data', 0);
    tally.setSourceStatus({ state: 'missing', detail: '/data does not exist' });
    expect(tally.status(true, 1000).sourceState).toEqual({ state: 'missing', detail: '/data does not exist' });
    expect(tally.status(false, 2000).sourceState).toEqual({ state: 'missing', detail: '/data does not exist' });
  });

  test('a new run starts its frame and flag counts from zero and names the run', () => {
    const tally = new StatusTally('sim', 0);
    tally.countFrame(1, ['saturated']);
    tally.startRun(2);
    tally.countFrame(1, []);
    const status = tally.status(true, 1000);
    expect(status.run).toBe(2);
    expect(status.frames).toBe(1);
    expect(status.flagged).toEqual({});
    expect(status.framesPerSecond).toBe(2); // the interval still counts both frames
  });

  test('a long interval keeps its latest 50 000 latencies', () => {
    const tally = new StatusTally('sim', 0);
    for (let latency = 0; latency <= 100_000; latency++) {
      tally.countFrame(latency, []);
    }
    tally.endBatch();
    // kept: 50 001 … 100 000; median rank ceil(0.5 × 50 000) = 25 000th → 75 000 (all 100 001: 50 000)
    const status = tally.status(true, 1000);
    expect(status.latencyP50).toBe(75_000);
    expect(status.framesPerSecond).toBe(100_001);
  });
});

describe('SpectrumThrottle', () => {
  const resultAt = (index: number): LiveResult => ({ frame: { index }, result: { index } }) as unknown as LiveResult;
  const viewOf = (result: LiveResult): SpectrumView => ({
    index: result.frame.index,
    wavelength: Float64Array.of(500, 600),
    radiance: Float64Array.of(1, 2),
    fit: Float64Array.of(1, 2),
    mask: Uint8Array.of(0, 1),
  });

  /** Offers frame i at time offers[i] (ms) and returns "index@time" of each spectrum sent, and the views computed. */
  function run(
    offers: number[],
    view: (result: LiveResult) => SpectrumView | null = viewOf,
    atEnd?: (throttle: SpectrumThrottle) => void,
  ) {
    const scheduler = new VirtualTimeScheduler();
    const sent: string[] = [];
    const computed: number[] = [];
    const send = (message: LiveMessage) => {
      if (message.type === 'spectrum') {
        sent.push(`${message.index}@${scheduler.now()}`);
      }
    };
    const counted = (result: LiveResult) => {
      computed.push(result.frame.index);
      return view(result);
    };
    const throttle = new SpectrumThrottle(counted, 10, scheduler, send);
    offers.forEach((time, index) => scheduler.schedule(() => throttle.offer(resultAt(index)), time));
    if (atEnd) {
      scheduler.schedule(() => atEnd(throttle), Math.max(...offers));
    }
    scheduler.flush();
    return { sent, computed };
  }

  test('leading and trailing: the first at once, later ones within the interval replaced by the latest', () => {
    // 0 at 0 (leading); 1 at 3 and 2 at 6 wait for 10, where only 2 is shown; 3 at 25 is past the interval: at once
    const { sent, computed } = run([0, 3, 6, 25]);
    expect(sent).toEqual(['0@0', '2@10', '3@25']);
    expect(computed).toEqual([0, 2, 3]);
  });

  test('the spectrum message carries the view as plain arrays', () => {
    const scheduler = new VirtualTimeScheduler();
    const messages: LiveMessage[] = [];
    new SpectrumThrottle(viewOf, 10, scheduler, (message) => messages.push(message)).offer(resultAt(7));
    expect(messages).toEqual([
      { type: 'spectrum', index: 7, wavelength: [500, 600], radiance: [1, 2], fit: [1, 2], mask: [0, 1] },
    ]);
  });

  test('a view that throws or is null sends nothing, and the next frame is still throttled from it', () => {
    const failing = (result: LiveResult) => {
      if (result.frame.index === 0) {
        throw new Error('no calibration');
      }
      return result.frame.index === 1 ? null : viewOf(result);
    };
    // 0 at 0: computed, throws; 1 at 12 (past 10): computed, null; 2 at 15 waits until 22
    const { sent, computed } = run([0, 12, 15], failing);
    expect(sent).toEqual(['2@22']);
    expect(computed).toEqual([0, 1, 2]);
  });

  test('showWaiting sends the waiting frame now; reset drops it and lets the next one through at once', () => {
    const shown = run([0, 4], viewOf, (throttle) => throttle.showWaiting());
    expect(shown.sent).toEqual(['0@0', '1@4']);
    const dropped = run([0, 4], viewOf, (throttle) => {
      throttle.reset();
      throttle.offer(resultAt(9));
    });
    expect(dropped.sent).toEqual(['0@0', '9@4']);
    expect(dropped.computed).toEqual([0, 9]);
  });
});
