/**
 * Flat memory: many short runs through the live pipeline (a 10-frame simulated shot looped at thousands of
 * frames a second: every loop a reset and a new run, as a new shot in a watched folder) must leave nothing per
 * run or per frame behind — subscriptions, timers, histories, detector state, pairing buffers. The heap after a
 * full GC is compared after a warm-up and after 1000 more runs; growth per run must stay far below what a leak
 * of one subscription and timer per run costs (~1 kB per run, the bug this holds).
 */
import * as v8 from 'v8';
import * as vm from 'vm';
import { describe, expect, test } from 'vitest';
import { Observable } from 'rxjs';
import { simulatedCalibration } from '../../src/stream/simulate';
import { simulateShot } from '../../src/sim/shot';
import type { SourceItem } from '../../src/stream/types';
import { buildAnalyzer, liveAnalyzer } from '../../src/stream/analyzer';
import { createLivePipeline } from '../../src/stream/pipeline';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  for (let i = 0; i < 3; i++) {
    gc();
  }
  return process.memoryUsage().heapUsed;
}

const SHOT = {
  frames: 10,
  frameInterval: 0.001,
  exposureTime: 0.001,
  rows: 2,
  width: 100,
  framesPerStep: 2,
  powerStart: 5,
  powerEnd: 10,
  t0: 1500,
  slope: 50,
  cosmicRate: 0,
  seed: 3,
};

/**
 * The shot looped on demand: emit(n) sends n more runs (power log, frames, reset each), a few per macrotask,
 * the way simulate() and replay() emit a run (they are held to the same bound by their own teardown: only the
 * current run's pacing is kept).
 */
function loopedShot(runsPerTurn: number): { source: Observable<SourceItem>; emit(runs: number): void } {
  const shot = simulateShot(SHOT);
  const frames = Array.from({ length: SHOT.frames }, (_v, i) => shot.frame(i));
  const geometry = { ...simulatedCalibration(SHOT).geometry };
  let owed = 0;
  let kick: () => void = () => undefined;
  const source = new Observable<SourceItem>((subscriber) => {
    let run = 0;
    let handle: NodeJS.Immediate | null = null;
    const turn = () => {
      handle = null;
      for (let r = 0; r < runsPerTurn && owed > 0 && !subscriber.closed; r++, owed--) {
        for (let k = 0; k < shot.powerLog.time.length; k++) {
          subscriber.next({ kind: 'power', reading: { time: shot.powerLog.time[k], power: shot.powerLog.power[k] } });
        }
        frames.forEach((counts, index) => {
          subscriber.next({
            kind: 'frame',
            frame: { index, time: shot.truth.time[index], counts, geometry, origin: 'soak' },
          });
        });
        run++;
        subscriber.next({ kind: 'reset', reason: `run ${run}` });
      }
      if (owed > 0) {
        handle = setImmediate(turn);
      }
    };
    kick = () => {
      if (handle === null) {
        handle = setImmediate(turn);
      }
    };
    return () => {
      if (handle) {
        clearImmediate(handle);
      }
    };
  });
  return {
    source,
    emit(runs: number) {
      owed += runs;
      kick();
    },
  };
}

describe('live pipeline: flat memory over many runs', () => {
  test('heap growth per run stays under 400 bytes over 1000 runs of a 10-frame shot', async () => {
    const cal = simulatedCalibration(SHOT);
    const { analyzer } = buildAnalyzer({}, cal.geometry, 'simulated', cal);
    const shot = loopedShot(4);
    const pipeline = createLivePipeline({
      source: shot.source,
      sourceName: 'soak',
      analyzer: liveAnalyzer(analyzer),
      statusIntervalMs: 200,
      historyFrames: 200,
    });
    let runs = 0;
    let frames = 0;
    /** Sends n more runs and waits until the pipeline has handed all of them off (no backlog left). */
    const drive = (n: number) =>
      new Promise<void>((resolve) => {
        const target = runs + n;
        const sub = pipeline.messages.subscribe((m) => {
          if (m.type === 'reset') {
            runs++;
          } else if (m.type === 'frames') {
            frames += m.frames.length;
          }
          if (runs >= target && frames >= 10 * target) {
            sub.unsubscribe();
            resolve();
          }
        });
        shot.emit(n);
      });
    await drive(1200); // warm-up: JIT, caches, the history filled to its bound (the heap levels off by ~1000 runs)
    const before = heapAfterGc();
    const runsBefore = runs;
    await drive(1000);
    const after = heapAfterGc();
    const perRun = (after - before) / (runs - runsBefore);
    await pipeline.stop();
    console.log(
      `soak: ${runs} runs, ${frames} frames; heap ${(before / 1e6).toFixed(2)} → ${(after / 1e6).toFixed(2)} MB, ${perRun.toFixed(0)} B/run`,
    );
    expect(frames).toBeGreaterThanOrEqual(10 * (runs - 1));
    expect(perRun).toBeLessThan(400);
  });
});
