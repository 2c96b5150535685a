/**
 * Recording: the checkpointed SPE file and the CSV/JSONL files hold what was recorded (known contents), stay
 * readable at every flush, and a real `kill -9` of a recording `pyrolive serve` loses at most the last second;
 * the recording is then analysed by `pyrolive analyze`'s pipeline and agrees with the live results.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawn } from 'child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Recorder } from '../../src/stream/recorder';
import { openSpe } from '../../src/io/spe';
import { readPowerLog } from '../../src/io/tables';
import { analyzeFiles } from '../../src/analysis/run';
import { getEngine } from '../../src/physics';
import type { LiveFrame } from '../../src/stream/types';

const ROOT = path.resolve(__dirname, '..', '..');
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-rec-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const geometry = {
  width: 4,
  height: 2,
  dataType: 'uint16' as const,
  wavelength: Float64Array.of(600, 610, 620, 630),
  exposureTime: 0.01,
};
const frame = (run: number, index: number, time: number, v: number): LiveFrame => ({
  run,
  index,
  time,
  counts: new Float64Array(8).fill(v),
  geometry,
  arrivedAt: 0,
});

describe('Recorder', () => {
  test('frames, power, results and events land in the files; the SPE file is valid after every flush; runs continue in time', () => {
    const rdir = path.join(dir, 'unit');
    const rec = new Recorder(rdir, { flushMs: 60_000, source: 'test' });
    rec.power(0, 0, 5); // before the first frame: held, written relative to it
    const r0 = rec.frame(frame(0, 0, 0.5, 100));
    const r1 = rec.frame(frame(0, 1, 0.6, 101.6)); // rounds to 102
    rec.result(r0, {
      index: 0,
      time: 0.5,
      power: 5,
      temperature: 2000,
      temperatureError: 3,
      chi2: 1.1,
      flags: [],
      twoColor: null,
    });
    rec.result(r1, {
      index: 1,
      time: 0.6,
      power: 5,
      temperature: null,
      temperatureError: null,
      chi2: null,
      flags: ['weak', 'cosmic'],
      twoColor: null,
    });
    rec.event({
      id: '0-1',
      run: 0,
      kind: 'plateau',
      startPower: 5,
      endPower: null,
      startIndex: 1,
      endIndex: null,
      detectedAtIndex: 1,
      slopeBefore: 50,
      slopeAfter: 2,
      temperature: 2000,
      significance: 6,
    });
    expect(fs.statSync(path.join(rdir, 'frames.spe')).size).toBe(4100); // nothing flushed yet
    rec.flush();
    let f = openSpe(path.join(rdir, 'frames.spe'));
    expect(f.frames).toBe(2);
    expect(Array.from(f.readFrame(1))).toEqual(new Array(8).fill(102));
    expect(Array.from(f.frameTimes!)).toEqual([0, 0.1].map((x) => expect.closeTo(x, 9)) as unknown as number[]);
    expect(Array.from(f.wavelength!)).toEqual([600, 610, 620, 630]);
    f.close();
    // a new run (loop) continues one frame step after the last frame: 0.2 s, 0.3 s
    const r2 = rec.frame(frame(1, 0, 0, 7));
    rec.frame(frame(1, 1, 0.1, 8));
    rec.power(1, 0.1, 6);
    expect(r2).toEqual({ index: 2, time: expect.closeTo(0.2, 9) });
    rec.close();
    f = openSpe(path.join(rdir, 'frames.spe'));
    expect(f.frames).toBe(4);
    expect(Array.from(f.frameTimes!, (t) => Math.round(t * 1e6) / 1e6)).toEqual([0, 0.1, 0.2, 0.3]);
    expect(f.readFrame(3)[0]).toBe(8);
    f.close();
    const pw = fs.readFileSync(path.join(rdir, 'power.csv'), 'utf8').trim().split('\n');
    expect(pw[0]).toBe('time_s,power_W');
    expect(pw.slice(1).map((l) => l.split(',').map(Number))).toEqual([
      [-0.5, 5],
      [expect.closeTo(0.3, 9), 6],
    ]);
    const results = fs.readFileSync(path.join(rdir, 'results.csv'), 'utf8').trim().split('\n');
    expect(results[0]).toBe('index,time_s,power_W,temperature_K,temperatureError_K,chi2,flags');
    expect(results[1]).toBe('0,0,5,2000,3,1.1,');
    expect(results[2].split(',')).toEqual(['1', expect.stringMatching(/^0\.(1|0999)/), '5', '', '', '', 'weak;cosmic']);
    const ev = JSON.parse(fs.readFileSync(path.join(rdir, 'events.jsonl'), 'utf8').trim());
    expect(ev.event).toMatchObject({ id: '0-1', kind: 'plateau', startPower: 5 });
    expect(JSON.parse(fs.readFileSync(path.join(rdir, 'recording.json'), 'utf8'))).toMatchObject({
      complete: true,
      frames: 4,
    });
    // a folder that already holds a recording is refused (never overwritten)
    expect(() => new Recorder(rdir)).toThrow(/already holds a recording/);
  });
});

describe('kill -9', () => {
  test('a recording serve killed with SIGKILL leaves a readable recording that analyze post-processes', async () => {
    const cli = path.join(ROOT, 'dist', 'cli', 'index.js');
    expect(fs.existsSync(cli), 'run `npm run build` first: this test runs the built CLI in a child process').toBe(true);
    const rdir = path.join(dir, 'killed');
    const child = spawn(
      process.execPath,
      [path.join(ROOT, 'bin', 'pyrolive.js'), 'serve', '--simulate', '--port', '0', '--rate', '200', '--record', rdir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    const started = Date.now();
    while (!/live dashboard: http/.test(out) && Date.now() - started < 15_000) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(out).toMatch(/live dashboard: http:\/\/127\.0\.0\.1:\d+\//);
    // the simulator starts once the analyzer's noise model is set up: wait until ~2 s of frames are recorded
    const resultsFile = path.join(rdir, 'results.csv');
    const recordedLines = () =>
      fs.existsSync(resultsFile) ? fs.readFileSync(resultsFile, 'utf8').split('\n').length : 0;
    const waitFrom = Date.now();
    while (recordedLines() < 400 && Date.now() - waitFrom < 20_000) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const exited = new Promise((r) => child.on('exit', r));
    const killedAt = Date.now();
    child.kill('SIGKILL');
    await exited;
    const recJson = JSON.parse(fs.readFileSync(path.join(rdir, 'recording.json'), 'utf8'));
    expect(recJson.complete).toBe(false); // never finalized: it was killed

    const spe = openSpe(path.join(rdir, 'frames.spe'));
    const nFrames = spe.frames;
    const times = Array.from(spe.frameTimes!);
    spe.close();
    // ≥ 2 s at 200 frames/s were sent; at most the last second (+ start-up slack) may be missing
    expect(nFrames).toBeGreaterThan(200);
    const results = fs
      .readFileSync(path.join(rdir, 'results.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    expect(results.length).toBeGreaterThan(nFrames - 250);
    expect(results.length).toBeLessThanOrEqual(nFrames + 250);
    // every results line is complete (7 columns) and indexes the recorded frames in order
    expect(results.every((r) => r.length === 7)).toBe(true);
    results.forEach((r, i) => expect(Number(r[0])).toBe(i));
    expect(times[1] - times[0]).toBeCloseTo(0.02, 6);
    const power = readPowerLog(path.join(rdir, 'power.csv'));
    expect(power.key.length).toBeGreaterThan(100);
    void killedAt;

    // post-process the recording with the pipeline of `pyrolive analyze`
    const out2 = await analyzeFiles({
      shots: [path.join(rdir, 'frames.spe')],
      calibration: path.join(rdir, 'lamp.spe'),
      lampTemperature: 2800,
      background: path.join(rdir, 'dark.spe'),
      power: path.join(rdir, 'power.csv'),
      engine: getEngine(),
    });
    expect(out2.frames.length).toBe(nFrames);
    let compared = 0;
    let samePower = 0;
    const dT: number[] = [];
    for (const r of results) {
      const i = Number(r[0]);
      if (i >= nFrames || r[3] === '') {
        continue;
      }
      const a = out2.frames[i];
      expect(a.time!).toBeCloseTo(Number(r[1]), 6);
      if (a.power === Number(r[2])) {
        samePower++;
      }
      dT.push(Math.abs(a.temperature! - Number(r[3])) / Number(r[4]));
      compared++;
    }
    expect(compared).toBeGreaterThan(150);
    // the same pairing (nearest reading in time) and the same temperatures within a fraction of σT
    expect(samePower / compared).toBeGreaterThan(0.95);
    dT.sort((x, y) => x - y);
    expect(dT[Math.floor(dT.length / 2)]).toBeLessThan(0.2);
  });
});
