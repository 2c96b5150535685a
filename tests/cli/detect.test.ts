import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Rng } from '../../src/sim/rng';
import { ensureBuilt } from '../support/build';

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'pyrolive.js');
let dir: string;

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, 'detect', ...args], { cwd: dir, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A plateau curve: 100 K/W up to 22 W, 8 K/W up to 30 W, 100 K/W after; 0.4 W steps, 15 K noise. */
function curve(seed = 4): Array<{ P: number; T: number }> {
  const rng = new Rng(seed);
  const out = [];
  for (let P = 6; P <= 42.001; P += 0.4) {
    const T = P <= 22 ? 500 + 100 * P : P <= 30 ? 2700 + 8 * (P - 22) : 2764 + 100 * (P - 30);
    out.push({ P, T: T + 15 * rng.normal() });
  }
  return out;
}

beforeAll(() => {
  ensureBuilt();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-detect-'));
  const c = curve();
  // columns in a different order plus an extra one
  fs.writeFileSync(
    path.join(dir, 'curve.csv'),
    'time_s,temperature_K,power_W,comment\n' +
      c.map((p, i) => `${i * 0.1},${p.T.toFixed(1)},${p.P.toFixed(2)},x`).join('\n') +
      '\n',
  );
  // the CSV analyze --out writes, with flagged frames and an empty (withheld) temperature
  const rows = c.map((p, i) => {
    const flagged = i % 17 === 5;
    const T = i === 3 ? '' : (flagged ? 9999 : p.T).toFixed(1);
    return `${i},${(i * 0.1).toFixed(1)},${p.P.toFixed(2)},${T},${i === 3 ? '' : '12.0'},1.02,${flagged ? 'weak;cosmic' : ''}`;
  });
  fs.writeFileSync(
    path.join(dir, 'analyze.csv'),
    'index,time_s,power_W,temperature_K,temperatureError_K,chi2,flags\n' + rows.join('\n') + '\n',
  );
  const frames = c.map((p, i) => ({
    index: i,
    time: i * 0.1,
    power: i === 7 ? null : p.P,
    temperature: i === 8 ? null : p.T,
    temperatureError: 12,
    chi2: 1.1,
    flags: i === 9 ? ['fit-failed'] : [],
  }));
  fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify({ engine: 'js', frames, events: [] }));
  fs.writeFileSync(path.join(dir, 'empty.csv'), '');
  fs.writeFileSync(
    path.join(dir, 'text.csv'),
    'power_W,temperature_K\n' +
      c
        .slice(0, 20)
        .map((p, i) => (i === 12 ? `${p.P},hot` : `${p.P},${p.T}`))
        .join('\n') +
      '\n',
  );
  fs.writeFileSync(
    path.join(dir, 'nan.csv'),
    'power_W,temperature_K\n' +
      c
        .slice(0, 20)
        .map((p, i) => (i === 4 ? `NaN,${p.T}` : `${p.P},${p.T}`))
        .join('\n') +
      '\n',
  );
  fs.writeFileSync(path.join(dir, 'nocol.csv'), 'power_W,temp\n1,2\n');
  fs.writeFileSync(
    path.join(dir, 'few.csv'),
    'power_W,temperature_K\n' +
      c
        .slice(0, 12)
        .map((p, i) => `${p.P},${i < 4 ? 800 : p.T}`)
        .join('\n') +
      '\n',
  );
});

describe('pyrolive detect', () => {
  it('--json finds the plateau in a CSV (columns in any order, extra columns ignored)', () => {
    const r = cli('curve.csv', '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.points).toBe(91);
    expect(j.skipped).toBe(0);
    expect(j.events).toHaveLength(1);
    const e = j.events[0];
    expect(e.kind).toBe('plateau');
    expect(Math.abs(e.startPower - 22)).toBeLessThan(0.5);
    expect(Math.abs(e.endPower - 30)).toBeLessThan(0.5);
    expect(e.slopeBefore).toBeGreaterThan(95);
    expect(e.slopeBefore).toBeLessThan(105);
    expect(e.slopeAfter).toBeLessThan(20);
    expect(e.significance).toBeGreaterThan(4);
    expect(j.offline.legs[0].breakpoints).toHaveLength(2);
  });

  it('prints a readable table without --json', () => {
    const r = cli('curve.csv');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/91 usable points, 0 skipped/);
    expect(r.out).toMatch(/plateau\s+2[12]\.\d\d ± 0\.\d\d\s+(29|30)\.\d\d ± /);
    expect(r.out).toMatch(/slope before K\/W/);
    expect(r.out).toMatch(/\d+\.\dσ/);
  });

  it('reads the CSV and the JSON that analyze writes, skipping flagged and withheld frames', () => {
    const a = JSON.parse(cli('analyze.csv', '--json').out);
    const flagged = curve().filter((_, i) => i % 17 === 5).length;
    expect(a.skipped).toBe(flagged + 1);
    expect(a.skippedDetail.flagged).toBe(flagged);
    expect(a.points).toBe(91 - flagged - 1);
    expect(a.events).toHaveLength(1);
    expect(Math.abs(a.events[0].startPower - 22)).toBeLessThan(0.5);
    const j = JSON.parse(cli('results.json', '--json').out);
    expect(j.skipped).toBe(3);
    expect(j.points).toBe(88);
    expect(j.events[0].kind).toBe('plateau');
  });

  it('--plot writes a self-contained HTML chart', () => {
    const r = cli('curve.csv', '--plot', 'chart.html');
    expect(r.code, r.err).toBe(0);
    const html = fs.readFileSync(path.join(dir, 'chart.html'), 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<svg');
    expect(html).toContain('Laser power (W)');
    expect(html).toContain('Temperature (K)');
    expect(html).toMatch(/class="interval"/); // the shaded plateau
    expect(html).toMatch(/class="series-line"/); // fitted segments
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//); // no external assets
    expect(html).not.toMatch(/<script/);
  });

  it.each([
    ['missing.csv', /missing\.csv: no such file/],
    ['empty.csv', /empty\.csv: empty file/],
    ['text.csv', /text\.csv: line 14: temperature_k is not a finite number: 'hot'/],
    ['nan.csv', /nan\.csv: line 6: power_w is not a finite number: 'NaN'/],
    ['nocol.csv', /nocol\.csv: missing column temperature_K/],
    ['few.csv', /few\.csv: only 8 usable points \(need at least 10\); skipped: 4 below 1000 K/],
  ])('bad input %s: one line, exit 1, no stack', (file, msg) => {
    const r = cli(file);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^pyrolive: /);
    expect(r.err).toMatch(msg);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('bad option values are a one-line usage error', () => {
    const r = cli('curve.csv', '--threshold', 'abc');
    expect(r.code).toBe(1);
    expect(r.err.trim()).toBe("pyrolive: --threshold must be a number, got 'abc'");
  });

  it('--help shows the options and examples', () => {
    const r = cli('--help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--plot <file\.html>/);
    expect(r.out).toMatch(/--min-temperature <K>/);
    expect(r.out).toMatch(/Examples:/);
  });
});

describe('pyrolive detect reads the power-log header forms (src/io/columns.ts)', () => {
  it('"Power (W),Temperature (K)", and "Power (mW);T [°C]" with decimal commas, give the same event as power_W,temperature_K', () => {
    const c = curve();
    fs.writeFileSync(
      path.join(dir, 'units.csv'),
      'Power (W),Temperature (K)\n' + c.map((p) => `${p.P.toFixed(2)},${p.T.toFixed(1)}`).join('\n') + '\n',
    );
    // the same curve in mW and °C, as a spreadsheet with a decimal comma writes it
    fs.writeFileSync(
      path.join(dir, 'units_semicolon.csv'),
      'Power (mW);T [°C]\n' +
        c.map((p) => `${(p.P * 1000).toFixed(0)};${(p.T - 273.15).toFixed(2).replace('.', ',')}`).join('\n') +
        '\n',
    );
    const plain = JSON.parse(cli('curve.csv', '--json').out);
    const units = cli('units.csv', '--json');
    expect(units.code, units.err).toBe(0);
    const semicolon = cli('units_semicolon.csv', '--json');
    expect(semicolon.code, semicolon.err).toBe(0);
    for (const out of [JSON.parse(units.out), JSON.parse(semicolon.out)]) {
      expect(out.points).toBe(plain.points);
      expect(out.events).toHaveLength(1);
      // temperatures rounded to 0.1 K vs 0.01 °C: the kink powers agree to ~1e-4 W
      expect(out.events[0].startPower).toBeCloseTo(plain.events[0].startPower, 3);
      expect(out.events[0].endPower).toBeCloseTo(plain.events[0].endPower, 3);
    }
  });
});
