/**
 * Live = offline: the same recorded shot with the same options gives the same temperatures, σ, χ²/dof and
 * event figures through the live pipeline (`serve --replay`) as through analyzeFiles (`analyze`), and a looped
 * replay gives each run exactly its own events (nothing of the previous run after a reset).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { simulateShot, writeShot, type WrittenShot } from '../../src/sim/shot';
import { demoShotOptions } from '../../src/stream/simulate';
import { analyzeFiles } from '../../src/analysis/run';
import { buildAnalyzer, firstChunkOf, liveAnalyzer, primeAnalyzer, watchAnalyzer } from '../../src/stream/analyzer';
import { watch } from '../../src/stream/watch';
import { replay, geometryOf } from '../../src/stream/replay';
import { openSpe } from '../../src/io/spe';
import { getEngine } from '../../src/physics';
import { createLivePipeline } from '../../src/stream/pipeline';
import type { FrameMessage, LiveEvent, LiveMessage } from '../../src/protocol';
import { expectSameFits, framesOf } from './liveCompare';
import type { SlopeEvent } from '../../src/detect/types';

let dir: string;
let written: WrittenShot;
let lampTemperature: number;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-live-offline-'));
  const shot = simulateShot(demoShotOptions({ rows: 4, seed: 5 }));
  lampTemperature = shot.options.lamp.temperature;
  written = writeShot(shot, path.join(dir, 'shot'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function calibration() {
  return { calibration: written.files.lamp, lampTemperature, background: written.files.dark, engine: getEngine() };
}

async function live(loop: boolean, runs: number, power = written.files.power): Promise<LiveMessage[]> {
  const spe = openSpe(written.files.shot);
  const geometry = geometryOf(spe);
  spe.close();
  const { analyzer } = buildAnalyzer(calibration(), geometry, written.files.shot);
  await primeAnalyzer(analyzer, firstChunkOf(written.files.shot));
  const source = replay(written.files.shot, power, { rate: 20_000, loop });
  const pipeline = createLivePipeline({ source, sourceName: 'replay', analyzer: liveAnalyzer(analyzer) });
  const messages: LiveMessage[] = [];
  let resets = 0;
  pipeline.messages.subscribe((m) => {
    messages.push(m);
    if (m.type === 'reset' && ++resets >= runs) {
      void pipeline.stop();
    }
  });
  await pipeline.done;
  return messages;
}

const eventsOf = (ms: LiveMessage[]): LiveEvent[] => ms.flatMap((m) => (m.type === 'event' ? [m.event] : []));

describe('live = offline', () => {
  test('every frame: the same T, σ, χ²/dof and power; the final events: the same kink, slopes, significance', async () => {
    const offline = await analyzeFiles({ shots: [written.files.shot], power: written.files.power, ...calibration() });
    const messages = await live(false, Infinity);
    const frames = framesOf(messages);
    expectSameFits(frames, offline.frames);
    frames.forEach((f, i) => expect(f.power).toBe(offline.frames[i].power));
    const finals = eventsOf(messages).filter((e) => e.final && !e.retracted);
    const expected = offline.events as SlopeEvent[];
    expect(expected.length).toBeGreaterThan(0);
    expect(finals.map((e) => e.kind)).toEqual(expected.map((e) => e.kind));
    for (let k = 0; k < expected.length; k++) {
      expect(finals[k].startPower).toBeCloseTo(expected[k].startPower, 6);
      expect(finals[k].slopeBefore).toBeCloseTo(expected[k].slopeBefore, 6);
      expect(finals[k].slopeAfter).toBeCloseTo(expected[k].slopeAfter, 6);
      expect(finals[k].significance).toBeCloseTo(expected[k].significance, 4);
    }
  });

  test('a power log that stops early: the same power per frame, none after its end (never the last value held)', async () => {
    const lines = fs.readFileSync(written.files.power, 'utf8').trim().split('\n');
    const rows = lines.slice(1);
    const part = path.join(dir, 'power-part.csv');
    fs.writeFileSync(part, [lines[0], ...rows.slice(0, Math.floor(rows.length * 0.6))].join('\n') + '\n');
    const offline = await analyzeFiles({ shots: [written.files.shot], power: part, ...calibration() });
    const frames = framesOf(await live(false, Infinity, part));
    expect(frames).toHaveLength(offline.frames.length);
    frames.forEach((f, i) => expect(f.power).toBe(offline.frames[i].power));
    // about the 60 % of the shot the log covers, then none
    const withPower = offline.frames.filter((f) => f.power !== null).length;
    expect(withPower / offline.frames.length).toBeGreaterThan(0.5);
    expect(withPower / offline.frames.length).toBeLessThan(0.7);
    expect(offline.frames[offline.frames.length - 1].power).toBeNull();
  });

  test("a watched folder: the same T, σ and χ²/dof as analyze of the file (noise model from the file's first frames)", async () => {
    const offline = await analyzeFiles({ shots: [written.files.shot], ...calibration() });
    const folder = path.join(dir, 'watched');
    fs.mkdirSync(folder);
    fs.copyFileSync(written.files.shot, path.join(folder, 'shot-001.spe'));
    const warnings: string[] = [];
    const source = watch(folder, { includeExisting: true, stabilityMs: 50, pollMs: 40 });
    const pipeline = createLivePipeline({
      source,
      sourceName: 'watch',
      analyzer: watchAnalyzer(calibration(), (w) => warnings.push(w)),
    });
    const frames: FrameMessage[] = [];
    await new Promise<void>((resolve) => {
      pipeline.messages.subscribe((m) => {
        if (m.type === 'frames') {
          frames.push(...m.frames);
          if (frames.length >= offline.frames.length) {
            resolve();
          }
        }
      });
    });
    await pipeline.stop();
    expect(warnings.filter((w) => /noise model/.test(w))).toEqual([]);
    expectSameFits(frames, offline.frames);
  });

  test("a looped replay: after each reset only the new run's events, and each run its own plateau", async () => {
    const messages = await live(true, 3);
    let run = 0;
    const perRun = new Map<number, LiveEvent[]>();
    const stats = new Map<number, number[]>();
    for (const m of messages) {
      if (m.type === 'reset') {
        expect(m.run).toBe(run + 1);
        run = m.run;
      } else if (m.type === 'frames') {
        const withPower = m.frames.filter((f) => f.power !== null).length;
        stats.set(run, [(stats.get(run)?.[0] ?? 0) + m.frames.length, (stats.get(run)?.[1] ?? 0) + withPower]);
      } else if (m.type === 'event') {
        expect(m.event.run).toBe(run);
        perRun.set(run, [...(perRun.get(run) ?? []), m.event]);
      }
    }
    // every frame of every run was paired with its power (the readings of runs ahead of the fit are kept)
    expect([...stats.values()]).toEqual([
      [1500, 1500],
      [1500, 1500],
      [1500, 1500],
    ]);
    expect(run).toBe(3);
    for (const r of [0, 1, 2]) {
      const finals = (perRun.get(r) ?? []).filter((e) => e.final && !e.retracted);
      expect(finals.filter((e) => e.kind === 'plateau')).toHaveLength(1);
      expect(finals[0].id.startsWith(`${r}-`)).toBe(true);
    }
  });
});
