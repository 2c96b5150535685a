import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureBuilt } from '../support/build';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { simulateShot, writeShot } from '../../src/sim/shot';
import { writeSpe } from '../../src/io/speWriter';
import { planckRadiance } from '../../src/sim/spectrum';
import { calibrationArgs, twoSidedShot } from '../support/shotFiles';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-analyze-'));

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'analyze', ...args], { encoding: 'utf8', cwd: tmp });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const FRAMES = 120;
let files: ReturnType<typeof writeShot>['files'];
let truth: number[][];
let sim: ReturnType<typeof simulateShot>;

beforeAll(() => {
  ensureBuilt();
  sim = simulateShot(twoSidedShot({ frames: FRAMES, seed: 17, cosmicRate: 0.08, saturateFrame: 7 }));
  files = writeShot(sim, path.join(tmp, 'shot')).files;
  truth = fs
    .readFileSync(files.truth, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',').map(Number));
}, 240_000);

const base = () => [files.shot, '--calibration', files.lamp, '--lamp-temperature', '2800', '--background', files.dark];

describe('pyrolive analyze on a simulated shot (lamp, dark, power log)', () => {
  let json: { engine: string; frames: Array<Record<string, any>>; events: unknown[] };

  it('--json: one frame per SPE frame, temperatures right with honest errors, flags, power, ROIs', () => {
    const r = run([
      ...base(),
      '--power',
      files.power,
      '--roi',
      'DS=1:3',
      '--roi',
      'US=5:6',
      '--range',
      '570:830',
      '--json',
    ]);
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(0);
    json = JSON.parse(r.out);
    expect(['native', 'js']).toContain(json.engine);
    // the simulated plateau (25–31 W) is found by the slope-change detector
    const ev = json.events as Array<{ kind: string; startPower: number; endPower: number | null }>;
    expect(
      ev.some(
        (e) =>
          e.kind === 'plateau' &&
          Math.abs(e.startPower - 25) < 2 &&
          e.endPower !== null &&
          Math.abs(e.endPower - 31) < 2,
      ),
    ).toBe(true);
    expect(json.frames.length).toBe(FRAMES);
    const pulls: number[] = [];
    const rel: number[] = [];
    let cosmicSeen = 0;
    json.frames.forEach((f, i) => {
      expect(f.index).toBe(i);
      expect(f.time).toBeCloseTo(truth[i][1], 6);
      expect(Object.keys(f.rois)).toEqual(['DS', 'US']);
      expect(f.temperature).toBe(f.rois.DS.temperature);
      if (truth[i][6] === 1) {
        expect(f.flags).toContain('saturated');
        return;
      }
      expect(f.flags).not.toContain('saturated');
      if (truth[i][5] === 1) {
        // where the simulator put the spike: the largest excess over the expected counts
        const c = sim.frame(i);
        const e = sim.expectedFrame(i);
        let at = 0;
        for (let k = 0; k < c.length; k++) {
          if (c[k] - e[k] > c[at] - e[at]) {
            at = k;
          }
        }
        const nm = sim.wavelength[at % sim.options.width];
        if (nm >= 571 && nm <= 829) {
          expect(f.flags).toContain('cosmic');
        }
        cosmicSeen += f.flags.includes('cosmic') ? 1 : 0;
      } else {
        expect(f.flags).not.toContain('cosmic');
      }
      expect(f.temperature).not.toBeNull();
      pulls.push((f.temperature - truth[i][3]) / f.temperatureError);
      rel.push(Math.abs(f.temperature / truth[i][3] - 1));
      if (truth[i][5] === 1) {
        expect(Math.abs(f.temperature / truth[i][3] - 1)).toBeLessThan(0.003);
      }
      expect(Math.abs(f.rois.US.temperature / truth[i][4] - 1)).toBeLessThan(0.01);
      expect(f.twoColor.mean).toBeGreaterThan(0);
    });
    expect(cosmicSeen).toBeGreaterThanOrEqual(3);
    const m = pulls.reduce((a, b) => a + b, 0) / pulls.length;
    const sd = Math.sqrt(pulls.reduce((a, b) => a + (b - m) ** 2, 0) / (pulls.length - 1));
    expect(sd).toBeGreaterThan(0.75);
    expect(sd).toBeLessThan(1.25);
    rel.sort((a, b) => a - b);
    expect(rel[rel.length >> 1]).toBeLessThan(0.002);
    // power: the reading of power.csv nearest in time to each frame, worked out here from the files
    const log = fs
      .readFileSync(files.power, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',').map(Number));
    for (const i of [0, 33, 77, 119]) {
      let best = log[0];
      for (const row of log) {
        if (Math.abs(row[0] - truth[i][1]) < Math.abs(best[0] - truth[i][1])) {
          best = row;
        }
      }
      expect(json.frames[i].power).toBe(best[1]);
    }
  });

  it('--out CSV: the documented header, one line per frame, ROI columns', () => {
    const out = path.join(tmp, 'res.csv');
    const r = run([...base(), '--roi', 'DS=1:3', '--roi', 'US=5:6', '--range', '570:830', '--out', out]);
    expect(r.code).toBe(0);
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe(
      'index,time_s,power_W,temperature_K,temperatureError_K,chi2,flags,DS_temperature_K,DS_temperatureError_K,US_temperature_K,US_temperatureError_K',
    );
    expect(lines.length).toBe(FRAMES + 1);
    const row7 = lines[8].split(',');
    expect(row7[0]).toBe('7');
    expect(row7[6]).toContain('saturated');
    const row1 = lines[2].split(',');
    expect(Math.abs(Number(row1[3]) / truth[1][3] - 1)).toBeLessThan(0.01);
  });

  it('several shot files are one run: indices and times continue', () => {
    const r = run([files.shot, files.shot, ...calibrationArgs(files), '--rows', '1:3', '--gain', '2', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.frames.length).toBe(2 * FRAMES);
    expect(j.frames[FRAMES].index).toBe(FRAMES);
    expect(j.frames[FRAMES].temperature).toBe(j.frames[0].temperature);
    // the second file starts one frame interval after the last frame of the first
    expect(j.frames[FRAMES].time).toBeCloseTo(truth[FRAMES - 1][1] + 0.01, 6);
  });

  it('without --json/--out: a readable summary', () => {
    const r = run([...base(), '--rows', '1:3']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/120 frame\(s\), engine (native|js)/);
    expect(r.out).toMatch(/saturated 1/);
  });

  it('a shot with one NaN frame (float32): that frame corrupt, the others as in the uint16 file', () => {
    const frames = Array.from({ length: 12 }, (_, i) => sim.frame(i));
    const bad = frames.map((f, i) => (i === 4 ? Float64Array.from(f, (v, k) => (k === 3000 ? NaN : v)) : f));
    const f32 = path.join(tmp, 'nan.spe');
    const u16 = path.join(tmp, 'ok.spe');
    writeSpe(f32, {
      width: sim.options.width,
      height: sim.options.rows,
      dataType: 'float32',
      wavelength: sim.wavelength,
      frames: bad,
      exposureTime: 0.008,
    });
    writeSpe(u16, {
      width: sim.options.width,
      height: sim.options.rows,
      dataType: 'uint16',
      wavelength: sim.wavelength,
      frames,
      exposureTime: 0.008,
    });
    const args = [...calibrationArgs(files), '--rows', '1:3', '--gain', '2', '--saturation', '65535', '--json'];
    const a = JSON.parse(run([f32, ...args]).out);
    const b = JSON.parse(run([u16, ...args]).out);
    expect(a.frames.length).toBe(12);
    expect(a.frames[4].flags).toEqual(['corrupt']);
    expect(a.frames[4].temperature).toBeNull();
    for (const i of [0, 1, 2, 3, 5, 6, 8, 9, 10, 11]) {
      expect(a.frames[i].temperature).toBe(b.frames[i].temperature);
    }
  });

  it('--power-expr with a frame-indexed log in percent', () => {
    const log = path.join(tmp, 'percent.csv');
    fs.writeFileSync(log, 'frame,power_percent\n0,10\n60,50\n119,90\n');
    const r = run([...base(), '--rows', '1:3', '--power', log, '--power-expr', 'x / 100 * 40', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.frames[0].power).toBeCloseTo(4, 12);
    expect(j.frames[61].power).toBeCloseTo(20, 12);
    expect(j.frames[119].power).toBeCloseTo(36, 12);
  });

  it('a lamp radiance table instead of a temperature gives the same temperatures', () => {
    const table = path.join(tmp, 'lamp.txt');
    const rows = ['# nm, radiance (greybody 2800 K, arbitrary units)'];
    for (let nm = 500; nm <= 900; nm += 10) {
      rows.push(`${nm}, ${(planckRadiance(nm, 2800) * 1e-12).toPrecision(10)}`);
    }
    fs.writeFileSync(table, rows.join('\n') + '\n');
    const r = run([
      files.shot,
      '--calibration',
      files.lamp,
      '--lamp-spectrum',
      table,
      '--background',
      files.dark,
      '--rows',
      '1:3',
      '--range',
      '570:830',
      '--json',
    ]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    for (const i of [20, 60, 100]) {
      expect(Math.abs(j.frames[i].temperature / truth[i][3] - 1)).toBeLessThan(0.005);
    }
    const bad = run([
      files.shot,
      '--calibration',
      files.lamp,
      '--lamp-spectrum',
      table,
      '--background',
      files.dark,
      '--range',
      '460:830',
      '--json',
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.err.trim()).toMatch(/^pyrolive: --range 460:830 nm is not covered by the lamp radiance of .*lamp\.txt/);
  });

  it('plain spectra already corrected for the response: one frame per radiance column', () => {
    const p = path.join(tmp, 'spectrum.txt');
    const lines = ['# T-Rax style export', '# wavelength radiance1 radiance2'];
    for (let nm = 500; nm <= 850; nm += 0.5) {
      lines.push(
        `${nm}\t${planckRadiance(nm, 2100) * 3e-13 * (1 + 0.001 * Math.sin(nm * 7))}\t${planckRadiance(nm, 2650) * 1e-13 * (1 + 0.001 * Math.cos(nm * 5))}`,
      );
    }
    fs.writeFileSync(p, lines.join('\n') + '\n');
    const r = run([p, '--range', '550:800', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.frames.length).toBe(2);
    expect(Math.abs(j.frames[0].temperature / 2100 - 1)).toBeLessThan(0.002);
    expect(Math.abs(j.frames[1].temperature / 2650 - 1)).toBeLessThan(0.002);
  });
});

describe('pyrolive analyze: bad input is one line naming the file, exit ≠ 0, no stack trace', () => {
  const expectOneLine = (args: string[], re: RegExp) => {
    const r = run(args);
    expect(r.code).not.toBe(0);
    expect(r.out).toBe('');
    const lines = r.err
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('pyrolive: warning'));
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatch(/^pyrolive: /);
    expect(lines[0]).toMatch(re);
    expect(r.err).not.toMatch(/\n\s+at /);
  };
  const write = (name: string, data: Buffer | string) => {
    const p = path.join(tmp, name);
    fs.writeFileSync(p, data);
    return p;
  };

  it('missing, empty, random, truncated shot files', () => {
    expectOneLine(
      [path.join(tmp, 'nope.spe'), '--calibration', files.lamp, '--lamp-temperature', '2800'],
      /nope\.spe: no such file/,
    );
    expectOneLine(
      [write('empty.spe', Buffer.alloc(0)), '--calibration', files.lamp, '--lamp-temperature', '2800'],
      /empty\.spe/,
    );
    const rnd = Buffer.alloc(9000);
    for (let i = 0; i < rnd.length; i++) {
      rnd[i] = (i * 2654435761) >>> 24;
    }
    expectOneLine([write('random.spe', rnd), '--calibration', files.lamp, '--lamp-temperature', '2800'], /random\.spe/);
    expectOneLine(
      [
        write('short.spe', fs.readFileSync(files.shot).subarray(0, 1000)),
        '--calibration',
        files.lamp,
        '--lamp-temperature',
        '2800',
      ],
      /short\.spe/,
    );
    expectOneLine(
      [files.shot, '--calibration', path.join(tmp, 'nolamp.spe'), '--lamp-temperature', '2800'],
      /nolamp\.spe: no such file/,
    );
  });

  it('SPE headers that lie: a billion frames, zero width', () => {
    // a WinSpec 2.x header built byte by byte: uint16, 8 px × 1 row × 2 frames
    const v2 = (mut: (h: Buffer) => void) => {
      const h = Buffer.alloc(4100);
      h.writeUInt16LE(8, 42);
      h.writeInt16LE(3, 108);
      h.writeUInt16LE(1, 656);
      h.writeInt32LE(2, 1446);
      h.writeFloatLE(2.5, 1992);
      h.writeInt8(1, 3101);
      h.writeDoubleLE(600, 3263);
      h.writeDoubleLE(0.5, 3271);
      mut(h);
      return Buffer.concat([h, Buffer.alloc(2 * 8 * 2, 1)]);
    };
    expectOneLine(
      [
        write(
          'billion.spe',
          v2((h) => h.writeInt32LE(1e9, 1446)),
        ),
        '--calibration',
        files.lamp,
        '--lamp-temperature',
        '2800',
      ],
      /billion\.spe/,
    );
    expectOneLine(
      [
        write(
          'zerowidth.spe',
          v2((h) => h.writeUInt16LE(0, 42)),
        ),
        '--calibration',
        files.lamp,
        '--lamp-temperature',
        '2800',
      ],
      /zerowidth\.spe/,
    );
  });

  it('lamp: no temperature or spectrum, temperature ≤ 0, mismatched width', () => {
    expectOneLine(
      [files.shot, '--calibration', files.lamp],
      /lamp\.spe: the lamp needs --lamp-temperature K .* or --lamp-spectrum/,
    );
    expectOneLine(
      [files.shot, '--calibration', files.lamp, '--lamp-temperature', '0'],
      /--lamp-temperature must be a positive/,
    );
    expectOneLine(
      [files.shot, '--calibration', files.lamp, '--lamp-temperature=-300'],
      /--lamp-temperature must be a positive/,
    );
    const narrow = path.join(tmp, 'narrow.spe');
    writeSpe(narrow, {
      width: 1000,
      height: sim.options.rows,
      dataType: 'uint16',
      wavelength: sim.wavelength.subarray(0, 1000),
      frames: [new Float64Array(1000 * sim.options.rows).fill(1000)],
    });
    expectOneLine(
      [files.shot, '--calibration', narrow, '--lamp-temperature', '2800'],
      /narrow\.spe: the lamp is 1000 pixels wide but .*shot\.spe is 1340/,
    );
    expectOneLine(
      [files.shot, '--calibration', files.lamp, '--lamp-temperature', '2800', '--background', narrow],
      /narrow\.spe: the dark is 1000 pixels wide/,
    );
    // the shot's first chunk is being read while the calibration loads: a lamp that fails leaves that read behind
    const truncatedLamp = path.join(tmp, 'truncated-lamp.spe');
    fs.writeFileSync(truncatedLamp, fs.readFileSync(files.lamp).subarray(0, 3000));
    expectOneLine(
      [files.shot, '--calibration', truncatedLamp, '--lamp-temperature', '2800', '--chunk', '4'],
      /truncated-lamp\.spe: too short for an SPE file/,
    );
  });

  it('fit range outside the data, rows out of range, bad expressions, bad options', () => {
    expectOneLine(
      [...base(), '--range', '1000:1100'],
      /--range 1000:1100 nm is outside the data of .*shot\.spe \(450\.0–950\.0 nm\)/,
    );
    expectOneLine([...base(), '--range', 'abc'], /--range: expected LO:HI/);
    expectOneLine([...base(), '--rows', '0:99'], /shot\.spe: rows 0:99 .*out of range: the frames have 8 rows/);
    expectOneLine(
      [...base(), '--roi', 'DS=1:3', '--roi', 'US=5:60'],
      /shot\.spe: rows 5:60 of ROI US are out of range/,
    );
    expectOneLine([...base(), '--power', files.power, '--power-expr', 'x *'], /--power-expr: cannot parse/);
    expectOneLine([...base(), '--emissivity', 'lambda - 700'], /--emissivity: .* positive and finite/);
    expectOneLine([...base(), '--power', path.join(tmp, 'nopower.csv')], /nopower\.csv: no such file/);
    expectOneLine([...base(), '--gain', '-2'], /--gain must be a positive number/);
    expectOneLine([files.shot], /calibration is needed for the raw counts of .*shot\.spe/);
  });
});

describe('inputs: missing files first, frame timing, power-log units and spans, decimal commas', () => {
  const write = (name: string, data: Buffer | string) => {
    const p = path.join(tmp, name);
    fs.writeFileSync(p, data);
    return p;
  };
  const parse = (out: string) =>
    JSON.parse(out) as {
      frames: Array<{ index: number; time: number | null; power: number | null; temperature: number | null }>;
    };
  const rowsArgs = ['--rows', '1:3', '--json'];

  it('a missing shot says so before anything else (no calibration given, .spe or .asc)', () => {
    for (const name of ['missing.spe', 'missing.asc', 'missing.txt']) {
      const r = run([path.join(tmp, name)]);
      expect(r.code).toBe(1);
      expect(r.err.trim()).toBe(`pyrolive: ${path.join(tmp, name)}: no such file`);
    }
  });

  it('a power log in ms and mW with ";" and decimal commas pairs exactly like the time_s,power_W log', () => {
    const original = fs
      .readFileSync(files.power, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',').map(Number));
    const converted = original.map(
      ([t, p]) => `${String(t * 1000).replace('.', ',')};${String(p * 1000).replace('.', ',')}`,
    );
    const log = write('power_ms_mW.csv', ['Time (ms);Power (mW)', ...converted].join('\r\n') + '\r\n');
    const a = parse(run([...base(), ...rowsArgs, '--power', files.power]).out);
    const b = parse(run([...base(), ...rowsArgs, '--power', log]).out);
    expect(b.frames.length).toBe(FRAMES);
    for (let i = 0; i < FRAMES; i++) {
      expect(b.frames[i].power).toBeCloseTo(a.frames[i].power as number, 9);
    }
  });

  it('a log that stops early: later frames get power null and one warning, never the last value held', () => {
    const lines = fs.readFileSync(files.power, 'utf8').trim().split('\n');
    const header = lines[0];
    const readings = lines
      .slice(1)
      .map((l) => l.split(',').map(Number))
      .filter(([t]) => t <= 0.3);
    const log = write('power_short.csv', [header, ...readings.map((r) => r.join(','))].join('\n') + '\n');
    const r = run([...base(), ...rowsArgs, '--power', log]);
    expect(r.code).toBe(0);
    const out = parse(r.out);
    const gap = readings[1][0] - readings[0][0];
    const last = readings[readings.length - 1][0];
    for (const f of out.frames) {
      if ((f.time as number) > last + gap + 1e-9) {
        expect(f.power).toBeNull();
      } else {
        expect(f.power).not.toBeNull();
      }
    }
    const outside = out.frames.filter((f) => f.power === null).length;
    expect(outside).toBeGreaterThan(50);
    const warnings = r.err.split('\n').filter((l) => /outside the log's span/.test(l));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${outside} of ${FRAMES} frame(s)`);
  });

  it('a percentage log is refused without --power-expr, with a message saying so', () => {
    const log = write('power_pct.csv', 'time_s,power_percent\n0,10\n1,90\n');
    const r = run([...base(), '--power', log]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/power_pct\.csv: power column "power_percent" is a percentage, not watts/);
  });

  it('a power log that cannot be read stops the run before any output (it is read at the first fitted frames)', () => {
    const log = write('power_bad.csv', 'time_s,power_W\n0,10\n0.5,x\n1,12\n');
    const onStdout = run([...base(), '--power', log, '--json', '--chunk', '16']);
    expect([onStdout.code, onStdout.out, onStdout.err.trim()]).toEqual([
      1,
      '',
      `pyrolive: ${log}: line 3: "x" is not a number`,
    ]);
    const outFile = write('kept_bad_log.json', 'OLD');
    const toFile = run([...base(), '--power', log, '--out', outFile, '--chunk', '16']);
    expect(toFile.code).toBe(1);
    expect(fs.readFileSync(outFile, 'utf8')).toBe('OLD');
    expect(fs.readdirSync(path.dirname(outFile)).filter((name) => name.includes('kept_bad_log.json.tmp-'))).toEqual([]);
  });

  it('a shot without time stamps or exposure: a time log needs --frame-interval; --time-offset shifts the frames', () => {
    const n = 6;
    const w = sim.wavelength.length;
    const shot = path.join(tmp, 'untimed.spe');
    const counts = Array.from({ length: n }, () => new Float64Array(w * sim.options.rows).fill(2000));
    writeSpe(shot, {
      width: w,
      height: sim.options.rows,
      dataType: 'uint16',
      wavelength: sim.wavelength,
      frames: counts,
    });
    const log = write('power_t.csv', 'time_s,power_W\n0,1\n0.1,2\n0.2,3\n0.3,4\n0.4,5\n0.5,6\n');
    const args = [shot, ...calibrationArgs(files), '--rows', '1:3', '--power', log, '--json'];
    const refused = run(args);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/--frame-interval is needed: .*untimed\.spe has no frame times/);
    // found at the first chunk while later chunks are read and fitted: still one line, exit 1
    const refusedChunked = run([...args, '--chunk', '2']);
    expect(refusedChunked.code).toBe(1);
    expect(refusedChunked.err.trim().split('\n')).toHaveLength(1);
    expect(refusedChunked.err).toMatch(/--frame-interval is needed/);
    // --out is written while the run goes: a refused run leaves the file as it was, and no temporary beside it
    const outFile = write('kept.json', 'OLD');
    const outArgs = args.filter((a) => a !== '--json');
    const refusedOut = run([...outArgs, '--out', outFile]);
    expect(refusedOut.code).toBe(1);
    expect(refusedOut.err).toMatch(/--frame-interval is needed/);
    expect(fs.readFileSync(outFile, 'utf8')).toBe('OLD');
    expect(fs.readdirSync(path.dirname(outFile)).filter((name) => name.includes('.tmp-'))).toEqual([]);
    const paced = parse(run([...args, '--frame-interval', '0.1']).out);
    expect(paced.frames.map((f) => f.time)).toEqual([0, 0.1, 0.2, 0.30000000000000004, 0.4, 0.5]);
    expect(paced.frames.map((f) => f.power)).toEqual([1, 2, 3, 4, 5, 6]);
    // started 0.22 s into the log: frame k is at 0.22 + 0.1 k; the last two frames (0.62, 0.72 s) lie beyond the
    // log's span (its last reading at 0.5 s plus one 0.1 s reading interval)
    const shifted = parse(run([...args, '--frame-interval', '0.1', '--time-offset', '0.22']).out);
    expect(shifted.frames.map((f) => f.power)).toEqual([3, 4, 5, 6, null, null]);
  });

  it('a text spectrum with decimal commas is one frame at the right temperature', () => {
    const wl = Array.from({ length: 200 }, (_v, i) => 550 + i * 1.5);
    const radiance = wl.map((x) => planckRadiance(x, 2100));
    const text = wl.map(
      (x, i) => `${x.toFixed(2).replace('.', ',')}\t${(radiance[i] * 1e-6).toPrecision(8).replace('.', ',')}`,
    );
    const file = write('comma_spectrum.txt', text.join('\n') + '\n');
    const r = run([file, '--json']);
    expect(r.code).toBe(0);
    const out = parse(r.out);
    expect(out.frames).toHaveLength(1);
    expect(out.frames[0].temperature as number).toBeCloseTo(2100, 0);
  });
});
