/**
 * Power logs in the forms LabVIEW, EPICS tools and spreadsheets write them (domain.md §9), text spectra with
 * decimal commas, and the shared column-header parser (src/io/columns.ts) that `--power` logs and `detect` curves
 * both use. Every file here is written by hand in the test.
 */
import { describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as path from 'path';
import { parseColumnHeader } from '../../src/io/columns';
import { parsePlainSpectra, parsePowerLog, readPowerLog } from '../../src/io/tables';
import { parseCurve } from '../../src/detect/input';
import { pairPower, powerLogSpan } from '../../src/analysis/power';
import { InputFileError } from '../../src/errors';
import { tmpDir } from '../support/speBytes';

describe('column headers: quantity, unit, scale to SI', () => {
  it('the header forms of power logs, curves and manifests', () => {
    const cases: [string, string, string | null, number | null][] = [
      ['Time (ms)', 'time', 'ms', 1e-3],
      ['time_ms', 'time', 'ms', 1e-3],
      ['t_us', 'time', 'us', 1e-6],
      ['Time [µs]', 'time', 'µs', 1e-6],
      ['time_s', 'time', 's', 1],
      ['time', 'time', null, 1],
      ['power_mW', 'power', 'mW', 1e-3],
      ['Power (W)', 'power', 'W', 1],
      ['power_W', 'power', 'W', 1],
      ['power_percent', 'power', 'percent', null],
      ['Power (%)', 'power', '%', null],
      ['pressure_GPa', 'pressure', 'GPa', 1e9],
      ['Temperature (K)', 'temperature', 'K', 1],
      ['temperatureError_K', 'temperatureError', 'K', 1],
      ['frame', 'frame', null, 1],
      ['index', 'frame', null, 1],
      ['chi2', 'unknown', null, 1],
    ];
    for (const [cell, quantity, unit, scale] of cases) {
      const h = parseColumnHeader(cell);
      expect([cell, h.quantity, h.unit, h.scale]).toEqual([cell, quantity, unit, scale]);
    }
  });

  it('°C converts with an offset (an error in °C without one); a contradicting unit has no scale', () => {
    expect(parseColumnHeader('T [°C]')).toMatchObject({ quantity: 'temperature', scale: 1, offset: 273.15 });
    expect(parseColumnHeader('temperatureError (C)')).toMatchObject({ quantity: 'temperatureError', offset: 0 });
    expect(parseColumnHeader('time_K')).toMatchObject({ quantity: 'time', scale: null });
    expect(parseColumnHeader('P (GPa)')).toMatchObject({ quantity: 'pressure', scale: 1e9 });
  });
});

describe('power logs: units from the header', () => {
  it('time in ms and power in mW become s and W', () => {
    const log = parsePowerLog('Time (ms),Power (mW)\n0,500\n250,1500\n500,2500\n', 'ms.csv');
    expect(log.kind).toBe('time');
    expect(Array.from(log.key)).toEqual([0, 0.25, 0.5]);
    expect(Array.from(log.power)).toEqual([0.5, 1.5, 2.5]);
    expect(log.powerUnit).toBe('W');
  });

  it('time_ms,power_mW and t_us,power_W', () => {
    const a = parsePowerLog('time_ms,power_mW\n1000,55500\n', 'a.csv');
    expect([a.key[0], a.power[0]]).toEqual([1, 55.5]);
    const b = parsePowerLog('t_us,power_W\n2000000,3\n', 'b.csv');
    expect([b.key[0], b.power[0]]).toEqual([2, 3]);
  });

  it('the power column is found by name in any position; other columns are ignored', () => {
    const log = parsePowerLog('time_s,setpoint_A,Power (W)\n0,1,10\n1,2,20\n', 'c.csv');
    expect(Array.from(log.power)).toEqual([10, 20]);
  });

  it('a percentage is refused unless allowed (then kept as written)', () => {
    const text = 'time_s,power_percent\n0,10\n1,50\n';
    expect(() => parsePowerLog(text, 'pct.csv')).toThrow(InputFileError);
    expect(() => parsePowerLog(text, 'pct.csv')).toThrow(
      /pct\.csv: power column "power_percent" is a percentage, not watts/,
    );
    const kept = parsePowerLog(text, 'pct.csv', { allowPercent: true });
    expect([kept.powerUnit, ...kept.power]).toEqual(['%', 10, 50]);
  });

  it('unknown units are refused with the column named', () => {
    expect(() => parsePowerLog('time (h2),power_W\n0,1\n', 'u.csv')).toThrow(
      /time column "time \(h2\)": unknown unit "h2"/,
    );
    expect(() => parsePowerLog('time_s,Power (A)\n0,1\n', 'v.csv')).toThrow(
      /power column "Power \(A\)": unknown unit "A"/,
    );
  });

  it('";" separators with decimal commas (a spreadsheet export), from a file', () => {
    const file = path.join(tmpDir(), 'semicolon.csv');
    fs.writeFileSync(file, 'Zeit (ms);Power (W)\r\n0;1,5\r\n100,5;2,25\r\n');
    // "Zeit" is no known name, but its unit makes it a time
    const log = readPowerLog(file);
    expect(Array.from(log.key)).toEqual([0, 0.1005]);
    expect(Array.from(log.power)).toEqual([1.5, 2.25]);
  });
});

describe('frames outside the power log get no power', () => {
  it('a log that stops 2 s into a 20 s shot: later frames NaN, never the last value held', () => {
    const log = parsePowerLog('time_s,power_W\n0,1\n0.5,2\n1,3\n1.5,4\n2,5\n', 'short.csv');
    // median reading interval 0.5 s: the span is −0.5…2.5 s
    expect(powerLogSpan(log)).toEqual([-0.5, 2.5]);
    const times = [0, 1.2, 2.4, 2.6, 10, 19.9];
    const powers = Array.from(pairPower(times, log));
    expect(powers.slice(0, 3)).toEqual([1, 3, 5]);
    expect(powers.slice(3).every(Number.isNaN)).toBe(true);
  });

  it('a log that starts late: earlier frames NaN', () => {
    const log = parsePowerLog('time_s,power_W\n5,1\n6,2\n', 'late.csv');
    expect(Array.from(pairPower([0, 3.9, 4.1, 5.4], log)).map((p) => (Number.isNaN(p) ? null : p))).toEqual([
      null,
      null,
      1,
      1,
    ]);
  });
});

describe('detect reads the same headers as --power', () => {
  it('"Power (W),Temperature (K)" and power_mW with °C', () => {
    const a = parseCurve('Power (W),Temperature (K)\n10,1500\n20,1700\n', 'a.csv');
    expect(a.points.map((p) => [p.power, p.temperature])).toEqual([
      [10, 1500],
      [20, 1700],
    ]);
    const b = parseCurve('power_mW;T [°C]\n10500;1226,85\n', 'b.csv');
    expect(b.points[0].power).toBeCloseTo(10.5, 12);
    expect(b.points[0].temperature).toBeCloseTo(1500, 9);
  });

  it('a percentage power is refused by detect too', () => {
    expect(() => parseCurve('power_percent,temperature_K\n10,1500\n', 'p.csv')).toThrow(
      /unit "percent" cannot be converted/,
    );
  });
});

describe('text spectra with decimal commas', () => {
  it('"500,00<TAB>38,710" is one spectrum, not three', () => {
    const s = parsePlainSpectra('500,00\t38,710\n501,50\t39,5\n503,00\t40,125\n', 'comma.txt');
    expect(Array.from(s.wavelength)).toEqual([500, 501.5, 503]);
    expect(s.columns).toHaveLength(1);
    expect(Array.from(s.columns[0])).toEqual([38.71, 39.5, 40.125]);
  });

  it('";" and blank separated decimal commas; a header', () => {
    const s = parsePlainSpectra('nm;radiance\n600,5;1,5\n601,5;2\n602,5;2,5\n', 'semi.txt');
    expect(Array.from(s.columns[0])).toEqual([1.5, 2, 2.5]);
    const b = parsePlainSpectra('600,5 1,5\n601,5 2,0\n602,5 2,5\n', 'blank.txt');
    expect(Array.from(b.wavelength)).toEqual([600.5, 601.5, 602.5]);
  });

  it('ambiguous tables are refused with one line naming the file', () => {
    const cases: [string, RegExp][] = [
      ['600,5\t1.5\n601,5\t2.5\n602,5\t3.5\n', /mixed\.txt: .*decimal comma and others a decimal point/],
      ['600\t1.234,5\n601\t2\n602\t3\n', /mixed\.txt: line 1: "1\.234,5" mixes a decimal point and a comma/],
      [
        'nm,radiance\n500,00,38,710\n501,00,39,000\n502,00,40,000\n',
        /mixed\.txt: the header names 2 column\(s\) but line 2 has 4/,
      ],
    ];
    for (const [text, message] of cases) {
      expect(() => parsePlainSpectra(text, 'mixed.txt')).toThrow(message);
    }
  });

  it('comma-separated tables with decimal points are read as before', () => {
    const s = parsePlainSpectra('nm, a, b\n600, 1.5, 2\n601, 1.75, 3\n602, 2, 4\n', 'csv.txt');
    expect(s.columns.map((c) => Array.from(c))).toEqual([
      [1.5, 1.75, 2],
      [2, 3, 4],
    ]);
  });
});
