import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureBuilt } from '../support/build';
import { loadShot } from '../../src/cli/commands/report';
import { InputFileError } from '../../src/errors';
import { renderReport, summarize } from '../../src/report/html';
import { formatResultsCsv } from '../../src/analysis/resultsCsv';
import type { FrameResult } from '../../src/analysis/types';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-report-'));

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: tmp });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** 60 frames, 0.5 W steps, T = 1500 + 60 P up to 24 W, flat after; frame 10 fit-failed, 20 and 21 cosmic, 30 saturated. */
function frames() {
  return Array.from({ length: 60 }, (_, i) => {
    const power = i * 0.5;
    const failed = i === 10;
    const flags = failed ? ['fit-failed'] : i === 20 || i === 21 ? ['cosmic'] : i === 30 ? ['saturated'] : [];
    return {
      index: i,
      time: i * 0.1,
      power,
      temperature: failed ? null : 1500 + 60 * Math.min(power, 24) + (i % 3),
      temperatureError: failed ? null : 10 + (i % 5),
      chi2: failed ? null : 1.1,
      flags,
      twoColor: null,
    };
  });
}
const plateau = {
  id: 1,
  kind: 'plateau',
  startPower: 24.04,
  endPower: null,
  startIndex: 49,
  endIndex: null,
  detectedAtIndex: 55,
  endDetectedAtIndex: null,
  slopeBefore: 60.2,
  slopeAfter: 0.4,
  slopeEnd: null,
  temperature: 2940.4,
  significance: 6.3,
  endSignificance: null,
  startPowerError: 0.21,
  endPowerError: null,
  slopeBeforeError: 1.5,
  slopeAfterError: 0.9,
  slopeEndError: null,
  direction: 1,
  refined: true,
};

let jsonFile: string;
let recDir: string;
beforeAll(() => {
  jsonFile = path.join(tmp, 'results.json');
  fs.writeFileSync(jsonFile, JSON.stringify({ engine: 'native', frames: frames(), events: [plateau] }));
  recDir = path.join(tmp, 'rec');
  fs.mkdirSync(recDir);
  const lines = ['index,time_s,power_W,temperature_K,temperatureError_K,chi2,flags'];
  for (const f of frames()) {
    lines.push(
      [f.index, f.time, f.power, f.temperature ?? '', f.temperatureError ?? '', f.chi2 ?? '', f.flags.join(';')].join(
        ',',
      ),
    );
  }
  lines.push('60,6.0,30.0,29'); // torn last line: the recording was killed mid-write
  fs.writeFileSync(path.join(recDir, 'results.csv'), lines.join('\n'));
  const live = {
    id: 'p1',
    kind: 'plateau',
    startPower: 24.0,
    endPower: null,
    startIndex: 49,
    endIndex: null,
    detectedAtIndex: 55,
    slopeBefore: 60,
    slopeAfter: 1,
    temperature: 2940,
    significance: 5.1,
  };
  fs.writeFileSync(
    path.join(recDir, 'events.jsonl'),
    JSON.stringify(live) +
      '\n' +
      JSON.stringify({ type: 'event', event: { ...live, endPower: 29.5, endIndex: 59, significance: 7.7 } }) +
      '\n{"id":"p2","ki',
  );
});

describe('report data', () => {
  it('loads the analyze JSON and summarises it', () => {
    const shot = loadShot(jsonFile);
    expect(shot.engine).toBe('native');
    expect(shot.frames).toHaveLength(60);
    expect(shot.events).toHaveLength(1);
    const s = summarize(shot.frames);
    expect(s.frames).toBe(60);
    expect(s.withTemperature).toBe(59);
    expect(s.flagged).toEqual({ 'fit-failed': 1, cosmic: 2, saturated: 1 });
    expect(s.flaggedFrames).toBe(4);
    expect(s.powerMin).toBe(0);
    expect(s.powerMax).toBe(29.5);
    expect(s.temperatureMin).toBe(1500);
    expect(s.temperatureMax).toBe(1500 + 60 * 24 + 2);
    expect(s.duration).toBeCloseTo(5.9, 10);
  });

  it('loads a recording folder, keeps the last version of each event, tolerates a torn last line', () => {
    const shot = loadShot(recDir);
    expect(shot.frames).toHaveLength(60);
    expect(shot.frames[10]).toMatchObject({ temperature: null, flags: ['fit-failed'] });
    expect(shot.frames[20].flags).toEqual(['cosmic']);
    expect(shot.frames[59]).toMatchObject({ index: 59, power: 29.5, temperature: 1500 + 60 * 24 + 2 });
    expect(shot.events).toHaveLength(1);
    expect(shot.events[0]).toMatchObject({ startPower: 24, endPower: 29.5, significance: 7.7 });
    expect(shot.engine).toBeNull();
  });

  it('reads back exactly what the shared results CSV writer (analyze --out, the recorder) writes, ROI columns and all', () => {
    const roi = (temperature: number | null, temperatureError: number | null) => ({
      temperature,
      temperatureError,
      chi2: 1,
      flags: [],
    });
    const ex: FrameResult[] = [
      {
        index: 0,
        time: 0,
        power: 1e-7,
        temperature: 2012.3456789012,
        temperatureError: 3.5,
        chi2: 0.98,
        flags: [],
        twoColor: null,
        rois: { DS: roi(2000, 4), US: roi(2100.25, 5) },
      },
      {
        index: 1,
        time: 0.1,
        power: 1e21,
        temperature: null,
        temperatureError: null,
        chi2: null,
        flags: ['weak', 'cosmic'],
        twoColor: null,
        rois: { DS: roi(null, null), US: roi(1999, 6) },
      },
      {
        index: 2,
        time: null,
        power: NaN,
        temperature: 1800,
        temperatureError: 2,
        chi2: 1.5,
        flags: ['saturated'],
        twoColor: null,
        rois: { DS: roi(1790, 3), US: roi(1810, 3) },
      },
    ];
    const text = formatResultsCsv(ex);
    // the documented format, written out by hand
    expect(text).toBe(
      [
        'index,time_s,power_W,temperature_K,temperatureError_K,chi2,flags,DS_temperature_K,DS_temperatureError_K,US_temperature_K,US_temperatureError_K',
        '0,0,1e-7,2012.3456789012,3.5,0.98,,2000,4,2100.25,5',
        '1,0.1,1e+21,,,,weak;cosmic,,,1999,6',
        '2,,,1800,2,1.5,saturated,1790,3,1810,3',
      ].join('\n') + '\n',
    );
    const d = path.join(tmp, 'rec-shared-format');
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, 'results.csv'), text);
    const shot = loadShot(d);
    const t = (temperature: number | null, temperatureError: number | null) => ({ temperature, temperatureError });
    expect(shot.frames).toEqual([
      {
        index: 0,
        time: 0,
        power: 1e-7,
        temperature: 2012.3456789012,
        temperatureError: 3.5,
        chi2: 0.98,
        flags: [],
        rois: { DS: t(2000, 4), US: t(2100.25, 5) },
      },
      {
        index: 1,
        time: 0.1,
        power: 1e21,
        temperature: null,
        temperatureError: null,
        chi2: null,
        flags: ['weak', 'cosmic'],
        rois: { DS: t(null, null), US: t(1999, 6) },
      },
      {
        index: 2,
        time: null,
        power: null,
        temperature: 1800,
        temperatureError: 2,
        chi2: 1.5,
        flags: ['saturated'],
        rois: { DS: t(1790, 3), US: t(1810, 3) },
      },
    ]);
  });

  it('renders a self-contained page with the summary, the plateau sentence and the events table', () => {
    const shot = loadShot(jsonFile);
    const html = renderReport(shot, {
      title: 'H2 <run 3> & co',
      generatedAt: '2024-05-02T10:00:00Z',
      version: '0.1.0',
    });
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('plateau at 24.0 W, 2940 K');
    expect(html).toContain('H2 &lt;run 3&gt; &amp; co');
    expect(html).not.toContain('<run 3>');
    expect(html).toContain('24.04 ± 0.21'); // start power with its error, 2 decimals
    expect(html).toContain('60.2 ± 1.5');
    expect(html).toMatch(/fit-failed 1/);
    expect(html).toMatch(/<dt>frames<\/dt><dd>60<\/dd>/);
    expect(html).toMatch(/<dt>engine<\/dt><dd>native<\/dd>/);
    // the two charts, drawn as inline SVG, with units and the plateau shaded on both
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).toContain('Time (s)');
    expect(html).toContain('Laser power (W)');
    expect(html).toContain('Temperature (K)');
    expect(html.match(/class="interval"/g)).toHaveLength(2);
    // one circle per good frame on the power chart (60 frames − 4 flagged = 56)
    const power = html.slice(html.indexOf('id="chart-power"'));
    const scatter = /<g class="series-scatter"[^>]*>(.*?)<\/g>/.exec(power)![1];
    expect(scatter.match(/<circle/g)).toHaveLength(56);
    // nothing external, nothing executable
    expect(html).not.toMatch(/<script|<link|@import|url\(\s*['"]?https?:/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
  });

  it('keeps the page light for long shots', () => {
    const many = Array.from({ length: 100_000 }, (_, i) => ({
      index: i,
      time: i / 1000,
      power: Math.floor(i / 1000) * 0.5,
      temperature: 1500 + i / 100,
      temperatureError: 5,
      chi2: 1,
      flags: [] as string[],
    }));
    const html = renderReport({ source: 'big', engine: 'js', frames: many, events: [] });
    expect(html.length).toBeLessThan(1_500_000);
    expect(html).toMatch(/<dt>frames<\/dt><dd>100000<\/dd>/);
  });

  it('says so when there is no event', () => {
    const shot = { ...loadShot(jsonFile), events: [] };
    const html = renderReport(shot);
    expect(html).toContain('no change of slope detected');
    expect(html).toContain('no events');
  });

  it('refuses bad input with an error naming the file', () => {
    const bad = (name: string, content: string) => {
      const p = path.join(tmp, name);
      fs.writeFileSync(p, content);
      return p;
    };
    const cases: [string, RegExp][] = [
      [path.join(tmp, 'missing.json'), /missing\.json: no such file/],
      [bad('garbage.json', '{"frames": [1, 2'), /garbage\.json: not valid JSON/],
      [bad('noframes.json', '{"engine":"js"}'), /noframes\.json: expected the JSON of `pyrolive analyze --json`/],
      [
        bad('badframe.json', JSON.stringify({ frames: [{ index: 0, temperature: 'hot', flags: [] }] })),
        /badframe\.json: frames\[0\]\.temperature is not a number/,
      ],
      [
        bad('badflags.json', JSON.stringify({ frames: [{ index: 0, flags: 'cosmic' }] })),
        /badflags\.json: frames\[0\]\.flags/,
      ],
      [
        bad('badevent.json', JSON.stringify({ frames: [], events: [{ kind: 'plateau' }] })),
        /badevent\.json: events\[0\]\.startPower is missing/,
      ],
    ];
    for (const [file, re] of cases) {
      let err: unknown;
      try {
        loadShot(file);
      } catch (e) {
        err = e;
      }
      expect(err, file).toBeInstanceOf(InputFileError);
      expect((err as Error).message).toMatch(re);
      expect((err as Error).message).not.toContain('\n');
    }
    const emptyDir = path.join(tmp, 'empty');
    fs.mkdirSync(emptyDir);
    expect(() => loadShot(emptyDir)).toThrow(/results\.csv: missing: not a pyrolive recording folder/);
    const d2 = path.join(tmp, 'rec-bad');
    fs.mkdirSync(d2);
    fs.writeFileSync(
      path.join(d2, 'results.csv'),
      'index,time_s,power_W,temperature_K,temperatureError_K,chi2,flags\n0,0,1,abc,1,1,\n1,0.1,1,2000,1,1,\n',
    );
    expect(() => loadShot(d2)).toThrow(/results\.csv: line 2: temperature_K "abc" is not a number/);
    fs.writeFileSync(path.join(d2, 'results.csv'), 'index,time,power,T\n');
    expect(() => loadShot(d2)).toThrow(/results\.csv: header lacks column "time_s"/);
  });
});

describe('pyrolive report (CLI)', () => {
  beforeAll(() => ensureBuilt(), 300_000);

  it('writes the page and says where', () => {
    const out = path.join(tmp, 'shot.html');
    const r = run(['report', jsonFile, '-o', out]);
    expect(r.err).toMatch(/wrote .*shot\.html \(60 frames, 1 event/);
    expect(r.code).toBe(0);
    const html = fs.readFileSync(out, 'utf8');
    expect(html).toContain('plateau at 24.0 W, 2940 K');
    const r2 = run(['report', recDir]);
    expect(r2.code).toBe(0);
    const rec = fs.readFileSync(path.join(recDir, 'report.html'), 'utf8');
    expect(rec).toContain('plateau at 24.0 W, 2940 K');
    expect(rec).toContain('29.50');
  });

  it('bad input: one line naming the file, exit 1', () => {
    const r = run(['report', path.join(tmp, 'nope.json'), '-o', path.join(tmp, 'x.html')]);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^pyrolive: .*nope\.json: no such file or folder/);
    expect(fs.existsSync(path.join(tmp, 'x.html'))).toBe(false);
  });
});
