/**
 * Live sources against files with known contents: replay of a small simulated shot (at a high rate, looped),
 * watch of a folder into which a file is written slowly in chunks, the simulator's plateau, ingest.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { firstValueFrom, Observable, take, toArray } from 'rxjs';
import { simulateShot, writeShot } from '../../src/sim/shot';
import { openSpe } from '../../src/io/spe';
import { writeSpe } from '../../src/io/speWriter';
import { replay } from '../../src/stream/replay';
import { watch } from '../../src/stream/watch';
import { demoShotOptions, simulate, simulatedCalibration } from '../../src/stream/simulate';
import { createIngest } from '../../src/stream/ingest';
import { buildAnalyzer, liveAnalyzer } from '../../src/stream/analyzer';
import { createLivePipeline } from '../../src/stream/pipeline';
import type { SourceItem } from '../../src/stream/types';
import type { LiveEvent, LiveMessage } from '../../src/protocol';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-sources-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const collect = (src: Observable<SourceItem>, n: number) => firstValueFrom(src.pipe(take(n), toArray()));

describe('replay', () => {
  test('emits the power log, then every frame lazily read, at the given rate; loop → reset and again', async () => {
    const shot = simulateShot({ frames: 12, rows: 2, width: 64, seed: 3 });
    const w = writeShot(shot, path.join(dir, 'shot'));
    const log = fs
      .readFileSync(w.files.power, 'utf8')
      .trim()
      .split('\n')
      .filter((l) => /^[0-9.-]/.test(l));
    const t0 = Date.now();
    const items = await collect(
      replay(w.files.shot, w.files.power, { rate: 500, loop: true }),
      2 * (log.length + 12) + 1,
    );
    const elapsed = Date.now() - t0;
    const kinds = items.map((i) => i.kind);
    // run 1: log, 12 frames; reset; run 2 the same
    expect(kinds.slice(0, log.length).every((k) => k === 'power')).toBe(true);
    expect(kinds.slice(log.length, log.length + 12).every((k) => k === 'frame')).toBe(true);
    expect(kinds[log.length + 12]).toBe('reset');
    const frames = items.filter((i): i is Extract<SourceItem, { kind: 'frame' }> => i.kind === 'frame');
    expect(frames.map((f) => f.frame.index)).toEqual([...Array(12).keys(), ...Array(12).keys()]);
    // counts are the file's, times the file's time stamps (0.01 s apart)
    const f = openSpe(w.files.shot);
    expect(Array.from(frames[5].frame.counts)).toEqual(Array.from(f.readFrame(5)));
    f.close();
    expect(frames[5].frame.time).toBeCloseTo(5 * shot.options.frameInterval, 9);
    expect(frames[5].frame.geometry).toMatchObject({ width: 64, height: 2, dataType: 'uint16' });
    // 24 frames at 500/s take ≥ ~44 ms (the first frame of each run is immediate)
    expect(elapsed).toBeGreaterThanOrEqual(40);
  });

  test('a missing shot or a bad power log is a one-line error naming the file, before anything runs', () => {
    expect(() => replay(path.join(dir, 'nope.spe'), null)).toThrow(/nope\.spe/);
    const shot = simulateShot({ frames: 2, rows: 1, width: 16 });
    const w = writeShot(shot, path.join(dir, 'shot2'));
    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(bad, 'time_s,power_W\n0,abc\n');
    expect(() => replay(w.files.shot, bad)).toThrow(/bad\.csv/);
  });
});

describe('watch', () => {
  test('a file written slowly in chunks is picked up once, complete, and files come in order, never twice', async () => {
    const wdir = path.join(dir, 'watched');
    fs.mkdirSync(wdir);
    const mk = (name: string, frames: number, base: number) => {
      const tmp = path.join(dir, `${name}.tmp`);
      writeSpe(tmp, {
        width: 32,
        height: 1,
        frames: Array.from({ length: frames }, (_v, i) => Float64Array.from({ length: 32 }, () => base + i)),
        wavelength: Float64Array.from({ length: 32 }, (_v, i) => 600 + i),
        exposureTime: 0.01,
      });
      return fs.readFileSync(tmp);
    };
    const a = mk('a', 5, 100);
    const b = mk('b', 3, 200);
    const items: SourceItem[] = [];
    const sub = watch(wdir, { stabilityMs: 150, pollMs: 60 }).subscribe((i) => items.push(i));
    await new Promise((r) => setTimeout(r, 300)); // the watcher is ready
    // a.spe: written in 6 chunks, 120 ms apart (pauses shorter than the stability threshold)
    const fa = path.join(wdir, 'shot (2).spe');
    const fd = fs.openSync(fa, 'w');
    const chunk = Math.ceil(a.length / 6);
    for (let o = 0; o < a.length; o += chunk) {
      fs.writeSync(fd, a, o, Math.min(chunk, a.length - o));
      await new Promise((r) => setTimeout(r, 120));
      if (o + chunk < a.length) {
        expect(items.length).toBe(0);
      } // never a half-written file
    }
    fs.closeSync(fd);
    const fb = path.join(wdir, 'shot (10).spe');
    fs.writeFileSync(fb, b);
    fs.writeFileSync(path.join(wdir, 'notes.txt'), 'not a spectrum');
    const deadline = Date.now() + 8000;
    while (items.length < 8 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    // touching a taken file again does not bring it back
    fs.utimesSync(fa, new Date(), new Date());
    await new Promise((r) => setTimeout(r, 600));
    sub.unsubscribe();
    const frames = items.map((i) => (i.kind === 'frame' ? i.frame : null)).filter((f) => f !== null);
    expect(items.every((i) => i.kind === 'frame')).toBe(true);
    expect(frames.map((f) => f!.counts[0])).toEqual([100, 101, 102, 103, 104, 200, 201, 202]);
    expect(frames.map((f) => f!.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(frames[0]!.origin).toBe(fa);
    expect(frames[5]!.origin).toBe(fb);
    // times: within a file 0.01 s apart, ending at the file's mtime
    expect(frames[4]!.time! - frames[0]!.time!).toBeCloseTo(0.04, 9);
  });

  test('a missing folder is an error naming it', async () => {
    await expect(firstValueFrom(watch(path.join(dir, 'missing')))).rejects.toThrow(/missing/);
  });
});

describe('simulate', () => {
  test('a heating shot whose plateau the real pipeline detects within 30 s of simulated time, then a reset', async () => {
    const shot = demoShotOptions({ rows: 2 });
    const cal = simulatedCalibration(shot);
    const { analyzer } = buildAnalyzer({}, cal.geometry, 'simulated', cal);
    const pipeline = createLivePipeline({
      source: simulate({ ...shot, rate: 4000, cycles: 2, cacheFrames: true }),
      sourceName: 'simulate',
      analyzer: liveAnalyzer(analyzer),
    });
    const msgs: LiveMessage[] = [];
    pipeline.messages.subscribe((m) => msgs.push(m));
    await pipeline.done;
    const frames = msgs.flatMap((m) => (m.type === 'frames' ? m.frames : []));
    expect(frames.length).toBe(2 * 1500);
    const resetAt = msgs.findIndex((m) => m.type === 'reset');
    expect(resetAt).toBeGreaterThan(0);
    // first run: frames 0..1499, in order, then the reset, then the second run
    const before = msgs.slice(0, resetAt).flatMap((m) => (m.type === 'frames' ? m.frames : []));
    expect(before.map((f) => f.index)).toEqual([...Array(1500).keys()]);
    const events = msgs
      .slice(0, resetAt)
      .filter((m): m is { type: 'event'; event: LiveEvent } => m.type === 'event')
      .map((m) => m.event);
    const plateau = events.find((e) => e.kind === 'plateau');
    expect(plateau).toBeDefined();
    // the truth: plateau from 25 W (T = 1100 + 50·25 = 2350 K), reached at 15 s; confirmed well before 30 s
    expect(plateau!.startPower).toBeGreaterThan(24);
    expect(plateau!.startPower).toBeLessThan(26);
    expect(Math.abs(plateau!.temperature - 2350)).toBeLessThan(40);
    const detectedAt = before.find((f) => f.index === plateau!.detectedAtIndex)!;
    expect(detectedAt.time).toBeLessThan(30);
    // temperatures follow the truth: frame 10 of the shot is at power ≈ 5.27 W → 1363 K
    const f10 = before[10];
    expect(Math.abs(f10.temperature! - (1100 + 50 * f10.power!))).toBeLessThan(5 * f10.temperatureError! + 15);
  });
});

describe('ingest', () => {
  test('readings keep a given run time, convert Unix seconds, stamp arrival otherwise; bad values are refused', () => {
    const start = Date.now() / 1000 - 2;
    const ing = createIngest({ runSeconds: () => 2, runStartUnix: () => start });
    const got: SourceItem[] = [];
    ing.items.subscribe((i) => got.push(i));
    ing.power({ power: 10, time: 1.5 });
    ing.power({ power: 11, time: start + 3 });
    ing.power({ power: 12 });
    expect(() => ing.power({ power: Number.NaN })).toThrow(/power/);
    expect(() => ing.power({ power: -1 })).toThrow(/power/);
    expect(got.map((g) => (g.kind === 'power' ? [g.reading.time, g.reading.power] : null))).toEqual([
      [1.5, 10],
      [3, 11],
      [2, 12],
    ]);
  });
});
