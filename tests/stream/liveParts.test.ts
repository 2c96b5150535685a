/**
 * The named parts of the live pipeline, by hand, without RxJS or timers: RunResets (when a reset may go),
 * DetectorFeeder (one detector per run, final events before the run ends, late results of a finished run
 * dropped) and LiveHistory (what a client connecting mid-run gets; nothing of an old run after a reset).
 */
import { describe, expect, it } from 'vitest';
import { RunResets } from '../../src/stream/runResets';
import { DetectorFeeder } from '../../src/stream/detectorFeeder';
import { LiveHistory } from '../../src/stream/liveHistory';
import type { FrameResult } from '../../src/analysis/types';
import type { LiveEvent, LiveMessage } from '../../src/protocol';

function resetsLog() {
  const log: string[] = [];
  const resets = new RunResets({
    beforeReset: (previous) => log.push(`end ${previous}`),
    reset: (reason, run) => log.push(`reset ${run} ${reason}`),
  });
  return { log, resets };
}

describe('RunResets', () => {
  it('holds a reset until every frame of the old run is handed off, then sends it before the new run', () => {
    const { log, resets } = resetsLog();
    resets.frameArrived(0);
    resets.frameArrived(0);
    resets.resetArrived('loop 1', 1);
    resets.frameArrived(1);
    expect(log).toEqual([]);
    expect(resets.held).toBe(1);
    resets.beforeHandOff(0);
    resets.afterHandOff(0);
    expect(log).toEqual([]); // one frame of run 0 still in flight
    resets.beforeHandOff(0);
    resets.afterHandOff(0);
    expect(log).toEqual(['end 0', 'reset 1 loop 1']);
    expect(resets.current).toBe(1);
    resets.beforeHandOff(1);
    resets.afterHandOff(1);
    expect(resets.runsInFlight).toBe(0);
  });

  it('sends a reset at once when the old run has nothing in flight, and several in order', () => {
    const { log, resets } = resetsLog();
    resets.resetArrived('a', 1);
    resets.resetArrived('b', 2);
    expect(log).toEqual(['end 0', 'reset 1 a', 'end 1', 'reset 2 b']);
    expect(resets.current).toBe(2);
  });

  it('the first frame of a new run releases its reset; the source ending releases the rest', () => {
    const { log, resets } = resetsLog();
    resets.frameArrived(0);
    resets.resetArrived('a', 1);
    resets.frameArrived(1);
    resets.beforeHandOff(0);
    resets.afterHandOff(0);
    expect(log).toEqual(['end 0', 'reset 1 a']);
    resets.resetArrived('b', 2);
    expect(log).toHaveLength(2); // run 1 still has a frame in flight
    resets.sourceEnded();
    expect(log).toEqual(['end 0', 'reset 1 a', 'end 1', 'reset 2 b']);
  });
});

/** A result on the line T = 1000 + 50 P up to 20 W, then 5 K/W: a plateau at 20 W. */
function result(index: number): FrameResult {
  const power = 5 + 0.25 * index;
  const temperature = power <= 20 ? 1000 + 50 * power : 2000 + 5 * (power - 20);
  return { index, time: index / 10, power, temperature, temperatureError: 1, chi2: 1, flags: [], twoColor: null };
}

function manualFeeder() {
  const events: LiveEvent[] = [];
  const drains: (() => void)[] = [];
  const feeder = new DetectorFeeder({
    onEvent: (e) => events.push(e),
    defer: (drain) => {
      drains.push(drain);
      return () => drains.splice(drains.indexOf(drain), 1);
    },
    clock: () => 0,
  });
  const runDrains = () => {
    while (drains.length) {
      drains.shift()!();
    }
  };
  return { events, feeder, runDrains };
}

describe('DetectorFeeder', () => {
  it('feeds after the turn (deferred), detects the plateau, and finishRun sends final events of that run', () => {
    const { events, feeder, runDrains } = manualFeeder();
    for (let i = 0; i < 100; i++) {
      feeder.push(0, result(i));
    }
    expect(events).toEqual([]);
    expect(feeder.queued).toBe(100);
    runDrains();
    expect(feeder.queued).toBe(0);
    const plateau = events.find((e) => e.kind === 'plateau');
    expect(plateau).toBeDefined();
    expect(plateau!.run).toBe(0);
    expect(plateau!.startPower).toBeCloseTo(20, 1);
    expect(plateau!.final).toBeUndefined();
    feeder.finishRun(0);
    const finals = events.filter((e) => e.final);
    expect(finals.length).toBeGreaterThan(0);
    expect(finals.every((e) => e.run === 0 && e.id.startsWith('0-'))).toBe(true);
    expect(feeder.openRun).toBeNull();
  });

  it('finishRun feeds the queued results of the run at once; late results of a finished run are dropped', () => {
    const { events, feeder, runDrains } = manualFeeder();
    for (let i = 0; i < 100; i++) {
      feeder.push(0, result(i));
    }
    for (let i = 0; i < 10; i++) {
      feeder.push(1, result(i));
    }
    feeder.finishRun(0); // before any drain
    expect(events.some((e) => e.run === 0 && e.final)).toBe(true);
    expect(feeder.queued).toBe(10);
    const before = events.length;
    feeder.push(0, result(100));
    runDrains();
    expect(events.slice(before).every((e) => e.run === 1)).toBe(true);
    expect(feeder.openRun).toBe(1);
  });

  it('a new run opens a fresh detector: the same curve again gives the same plateau under the new run', () => {
    const { events, feeder, runDrains } = manualFeeder();
    for (const run of [0, 1]) {
      for (let i = 0; i < 100; i++) {
        feeder.push(run, result(i));
      }
      runDrains();
      feeder.finishRun(run);
    }
    const finals = (run: number) => events.filter((e) => e.final && e.run === run && !e.retracted);
    expect(finals(0)).toHaveLength(1);
    expect(finals(1)).toHaveLength(1);
    expect(finals(1)[0].startPower).toBeCloseTo(finals(0)[0].startPower, 9);
    expect(finals(1)[0].id).toBe('1-1');
  });

  it('whenDrained waits for the queue; stop drops everything', () => {
    const { feeder, runDrains } = manualFeeder();
    let idle = 0;
    feeder.whenDrained(() => idle++);
    expect(idle).toBe(1);
    feeder.push(0, result(0));
    feeder.whenDrained(() => idle++);
    expect(idle).toBe(1);
    runDrains();
    expect(idle).toBe(2);
    feeder.push(0, result(1));
    feeder.stop();
    expect(feeder.queued).toBe(0);
    feeder.push(0, result(2));
    expect(feeder.queued).toBe(0);
  });
});

const hello: Extract<LiveMessage, { type: 'hello' }> = {
  type: 'hello',
  version: 'x',
  source: 's',
  range: null,
  rois: [],
};
const frame = (index: number) => ({
  index,
  time: index,
  power: 1,
  temperature: 2000,
  temperatureError: 1,
  chi2: 1,
  flags: [],
  twoColor: null,
  latencyMs: 0,
});
const event = (run: number, id: string): LiveEvent => ({
  id,
  run,
  kind: 'plateau',
  startPower: 1,
  endPower: null,
  startIndex: 1,
  endIndex: null,
  detectedAtIndex: 2,
  slopeBefore: 50,
  slopeAfter: 5,
  temperature: 2000,
  significance: 9,
});

describe('LiveHistory', () => {
  it('keeps the latest frames, the events, spectrum and status for a snapshot', () => {
    const h = new LiveHistory(hello, 10);
    h.record({ type: 'frames', frames: Array.from({ length: 30 }, (_v, i) => frame(i)) });
    expect(h.record({ type: 'event', event: event(0, '0-1') })).toBe(true);
    const snap = h.snapshot();
    expect(snap[0]).toMatchObject({ type: 'hello', run: 0 });
    const frames = snap.flatMap((m) => (m.type === 'frames' ? m.frames : []));
    expect(frames.map((f) => f.index)).toEqual([20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
    expect(snap.filter((m) => m.type === 'event')).toHaveLength(1);
    expect(h.framesHandedOff).toBe(30);
  });

  it("after a reset nothing of the old run shows, and an old run's event is refused", () => {
    const h = new LiveHistory(hello, 10);
    h.record({ type: 'frames', frames: [frame(0)] });
    h.record({ type: 'event', event: event(0, '0-1') });
    h.record({ type: 'reset', reason: 'loop', run: 1 });
    expect(h.record({ type: 'event', event: { ...event(0, '0-1'), final: true } })).toBe(false);
    expect(h.record({ type: 'event', event: event(1, '1-1') })).toBe(true);
    const snap = h.snapshot();
    expect(snap[0]).toMatchObject({ type: 'hello', run: 1 });
    expect(snap.filter((m) => m.type === 'frames')).toEqual([]);
    expect(snap.flatMap((m) => (m.type === 'event' ? [m.event.id] : []))).toEqual(['1-1']);
  });

  it('a retraction removes the event', () => {
    const h = new LiveHistory(hello);
    h.record({ type: 'event', event: event(0, '0-1') });
    h.record({ type: 'event', event: { ...event(0, '0-1'), retracted: true } });
    expect(h.snapshot().filter((m) => m.type === 'event')).toEqual([]);
  });
});
