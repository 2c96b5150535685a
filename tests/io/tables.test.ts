import { describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as path from 'path';
import {
  formatCsv,
  parseLampTable,
  parsePlainSpectra,
  parsePowerLog,
  readLampTable,
  readPowerLog,
  readPlainSpectra,
} from '../../src/io/tables';
import { InputFileError } from '../../src/errors';
import { tmpDir } from '../support/speBytes';

const write = (name: string, text: string) => {
  const p = path.join(tmpDir(), name);
  fs.writeFileSync(p, text);
  return p;
};

describe('lamp radiance tables', () => {
  it('reads comma or whitespace columns, comments, a header; sorts descending tables', () => {
    const t = parseLampTable(
      '# tungsten ribbon lamp, NIST\nnm, radiance\n600, 1.5e-3\n610,1.7e-3 # note\n\n620\t1.9e-3\n',
      'lamp.txt',
    );
    expect(Array.from(t.wavelength)).toEqual([600, 610, 620]);
    expect(Array.from(t.radiance)).toEqual([1.5e-3, 1.7e-3, 1.9e-3]);
    const d = parseLampTable('900 5\n800 4\n700 3\n', 'desc.txt');
    expect(Array.from(d.wavelength)).toEqual([700, 800, 900]);
    expect(Array.from(d.radiance)).toEqual([3, 4, 5]);
  });
  it('clear errors naming the file and line', () => {
    const bad: [string, RegExp][] = [
      ['600, 1\n610, abc\n', /line 2: "abc" is not a number/],
      ['600\n610\n', /1 column/],
      ['# only comments\n', /no data lines/],
      ['600, 1\n600, 2\n', /monotonic/],
      ['600, 1\n610, -2\n', /negative/],
      ['600, 1, 2\n610, 2\n', /line 2: 2 value/],
    ];
    for (const [text, re] of bad) {
      expect(() => parseLampTable(text, 'L.csv')).toThrow(InputFileError);
      expect(() => parseLampTable(text, 'L.csv')).toThrow(re);
      expect(() => parseLampTable(text, 'L.csv')).toThrow(/^L\.csv: /);
    }
    expect(() => readLampTable(write('empty.csv', ''))).toThrow(/empty file/);
    expect(() => readLampTable('/no/such/lamp.csv')).toThrow(/no such file/);
  });
});

describe('power logs', () => {
  it('time_s,power_W, frame,power_W and header-less logs', () => {
    const a = readPowerLog(write('p1.csv', 'time_s,power_W\n0,5\n0.02,5.5\n0.04,6\n'));
    expect(a.kind).toBe('time');
    expect(Array.from(a.key)).toEqual([0, 0.02, 0.04]);
    expect(Array.from(a.power)).toEqual([5, 5.5, 6]);
    const b = parsePowerLog('frame,power_W\n0,10\n1,10\n2,12\n', 'p2.csv');
    expect(b.kind).toBe('frame');
    expect(Array.from(b.power)).toEqual([10, 10, 12]);
    const c = parsePowerLog('0.1 3\n0.0 2\n0.2 4\n', 'p3.txt');
    expect(c.kind).toBe('time');
    expect(Array.from(c.key)).toEqual([0, 0.1, 0.2]);
    expect(Array.from(c.power)).toEqual([2, 3, 4]);
    expect(() => parsePowerLog('frame,power_W\n0.5,3\n', 'p4.csv')).toThrow(/not a non-negative integer/);
    expect(() => parsePowerLog('time_s,power_W\n0,3\n1,NaN\n', 'p5.csv')).toThrow(/line 3/);
  });
});

describe('plain spectra', () => {
  it('wavelength then several value columns, as T-Rax / PyRadiant export', () => {
    const s = readPlainSpectra(
      write(
        'spec.txt',
        '# exported\n# wavelength counts\nlambda\tds\tus\n570.0\t1.0\t2.0\n570.5\t1.5\t2.5\n571.0\t2.0\t3.0\n',
      ),
    );
    expect(Array.from(s.wavelength)).toEqual([570, 570.5, 571]);
    expect(s.names).toEqual(['ds', 'us']);
    expect(Array.from(s.columns[1])).toEqual([2, 2.5, 3]);
    const n = parsePlainSpectra('500 1\n501 2\n502 3\n', 'x.txt');
    expect(n.names).toEqual(['column1']);
    expect(() => parsePlainSpectra('500\n501\n', 'one.txt')).toThrow(/1 column/);
  });
  it('formatCsv writes numbers that parse back', () => {
    const csv = formatCsv(
      ['a', 'b'],
      [
        [1, 2.5],
        [null, 1 / 3],
      ],
      ['made by a test'],
    );
    expect(csv).toBe('# made by a test\na,b\n1,\n2.5,0.3333333333333333\n');
  });
});
