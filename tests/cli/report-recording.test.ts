/**
 * `report` on a folder written by the live Recorder itself (not a hand-made fixture): the two ends of the
 * recording format must agree.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { loadShot } from '../../src/cli/commands/report';
import { Recorder } from '../../src/stream/recorder';
import type { FrameResult } from '../../src/analysis/types';

describe('report on a live recording', () => {
  it('reads the results and the {recordedAt, event} lines the Recorder writes, keeping the latest of each event', () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-rec-report-')), 'rec');
    const rec = new Recorder(dir, { source: 'test', info: { engine: 'js' } });
    const width = 8;
    const geometry = {
      width,
      height: 1,
      dataType: 'uint16' as const,
      wavelength: Float64Array.from({ length: width }, (_, i) => 600 + i),
      exposureTime: 0.01,
    };
    for (let i = 0; i < 12; i++) {
      const power = 10 + i;
      rec.power(0, i * 0.1, power);
      const r = rec.frame({
        run: 0,
        index: i,
        time: i * 0.1,
        counts: new Float64Array(width).fill(1000 + i),
        geometry,
        arrivedAt: 0,
      });
      const result: FrameResult = {
        index: i,
        time: r.time,
        power,
        temperature: i === 5 ? null : 1500 + 50 * power,
        temperatureError: i === 5 ? null : 3,
        chi2: 1,
        flags: i === 5 ? ['corrupt'] : [],
        twoColor: null,
      };
      rec.result(r, result);
    }
    const base = {
      id: '0-1',
      run: 0,
      kind: 'plateau' as const,
      startPower: 18,
      startIndex: 8,
      detectedAtIndex: 10,
      slopeBefore: 50,
      slopeAfter: 5,
      temperature: 2400,
      significance: 6,
    };
    rec.event({ ...base, endPower: null, endIndex: null });
    rec.event({ ...base, startPower: 18.2, endPower: 21, endIndex: 11 });
    rec.close();

    const shot = loadShot(dir);
    expect(shot.engine).toBe('js');
    expect(shot.frames).toHaveLength(12);
    expect(shot.frames[3].temperature).toBeCloseTo(1500 + 50 * 13, 6);
    expect(shot.frames[5].temperature).toBeNull();
    expect(shot.frames[5].flags).toEqual(['corrupt']);
    expect(shot.events).toHaveLength(1);
    expect(shot.events[0].kind).toBe('plateau');
    expect(shot.events[0].startPower).toBeCloseTo(18.2, 9);
    expect(shot.events[0].endPower).toBeCloseTo(21, 9);
  });

  it('leaves out an event whose latest version is retracted (withdrawn by the end-of-run re-test)', () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-rec-retract-')), 'rec');
    const rec = new Recorder(dir, { source: 'test' });
    const geometry = {
      width: 4,
      height: 1,
      dataType: 'uint16' as const,
      wavelength: Float64Array.from([600, 601, 602, 603]),
      exposureTime: 0.01,
    };
    for (let i = 0; i < 3; i++) {
      const r = rec.frame({
        run: 0,
        index: i,
        time: i * 0.1,
        counts: new Float64Array(4).fill(1000),
        geometry,
        arrivedAt: 0,
      });
      rec.result(r, {
        index: i,
        time: r.time,
        power: 10 + i,
        temperature: 2000 + i,
        temperatureError: 2,
        chi2: 1,
        flags: [],
        twoColor: null,
      });
    }
    const ev = {
      run: 0,
      kind: 'slope-change' as const,
      startPower: 11,
      endPower: null,
      startIndex: 1,
      endIndex: null,
      detectedAtIndex: 2,
      slopeBefore: 50,
      slopeAfter: 30,
      temperature: 2001,
      significance: 4.2,
    };
    rec.event({ id: '0-1', ...ev });
    rec.event({ id: '0-2', ...ev, kind: 'plateau', startPower: 11.5 });
    rec.event({ id: '0-1', ...ev, retracted: true });
    rec.close();
    const shot = loadShot(dir);
    expect(shot.events.map((e) => [e.kind, e.startPower])).toEqual([['plateau', 11.5]]);
  });
});
