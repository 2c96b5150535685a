import { describe, expect, it } from 'vitest';
import { greybodyLampRadiance, tableLampRadiance, tungstenEmissivity } from '../../src/calibration/lamp';
import { parseRoi, parseRowRange, sumRows, validateRois } from '../../src/calibration/rows';
import { UsageError } from '../../src/errors';
import { meanFrames } from '../../src/calibration';
import { openSpe } from '../../src/io/spe';
import { encode, header, writeFile } from '../support/speBytes';

describe('lamp radiance', () => {
  it('greybody: Planck with c1 = 2hc², c2 = hc/k (checked against a value worked out by hand)', () => {
    // L(600 nm, 2800 K): x = c2/(λT) = 0.01438776877/(600e-9·2800) = 8.564148077; L = c1/λ⁵/(e^x − 1)
    const x = 0.01438776877 / (600e-9 * 2800);
    const expected = 1.191042972e-16 / 600e-9 ** 5 / (Math.exp(x) - 1);
    expect(greybodyLampRadiance(Float64Array.from([600]), 2800)[0]).toBeCloseTo(expected, -6);
    expect(Math.abs(greybodyLampRadiance(Float64Array.from([600]), 2800)[0] / expected - 1)).toBeLessThan(1e-12);
  });
  it('tungsten emissivity: Larrabee values, decreasing with wavelength and temperature', () => {
    expect(tungstenEmissivity(650, 2000)).toBeCloseTo(
      0.4655 + 0.01558 * 0.65 + 2.675e-5 * 2000 - 7.305e-5 * 0.65 * 2000,
      12,
    );
    expect(tungstenEmissivity(650, 2000)).toBeGreaterThan(0.42);
    expect(tungstenEmissivity(650, 2000)).toBeLessThan(0.45);
    expect(tungstenEmissivity(800, 2800)).toBeLessThan(tungstenEmissivity(500, 2800));
    const w =
      greybodyLampRadiance(Float64Array.from([700]), 2800, true)[0] /
      greybodyLampRadiance(Float64Array.from([700]), 2800)[0];
    expect(w).toBeCloseTo(tungstenEmissivity(700, 2800), 12);
  });
  it('lamp temperature ≤ 0 is a UsageError', () => {
    expect(() => greybodyLampRadiance(Float64Array.from([600]), 0)).toThrow(UsageError);
    expect(() => greybodyLampRadiance(Float64Array.from([600]), -5)).toThrow(/positive/);
  });
  it('table: linear interpolation onto the pixels, NaN outside, any row order', () => {
    const t = { wavelength: Float64Array.from([700, 600, 800]), radiance: Float64Array.from([3, 1, 4]) };
    const r = tableLampRadiance(Float64Array.from([590, 600, 650, 725, 800, 801]), t, 'lamp.txt');
    expect(r[0]).toBeNaN();
    expect(r[1]).toBe(1);
    expect(r[2]).toBeCloseTo(2, 12); // halfway 600→700: (1+3)/2
    expect(r[3]).toBeCloseTo(3.25, 12); // a quarter 700→800: 3 + 0.25·1
    expect(r[4]).toBe(4);
    expect(r[5]).toBeNaN();
  });
  it('bad tables name the file', () => {
    expect(() =>
      tableLampRadiance(
        Float64Array.from([600]),
        { wavelength: Float64Array.from([600]), radiance: Float64Array.from([1]) },
        'lamp.txt',
      ),
    ).toThrow(/lamp\.txt/);
    expect(() =>
      tableLampRadiance(
        Float64Array.from([600]),
        { wavelength: Float64Array.from([600, 700]), radiance: Float64Array.from([1, -1]) },
        'lamp.txt',
      ),
    ).toThrow(/lamp\.txt: .*positive/);
  });
});

describe('rows and ROIs', () => {
  it('parses A:B and NAME=A:B', () => {
    expect(parseRowRange('3:7')).toEqual([3, 7]);
    expect(parseRowRange('5')).toEqual([5, 5]);
    expect(parseRoi('DS=10:30')).toEqual({ name: 'DS', first: 10, last: 30 });
    expect(() => parseRowRange('7:3')).toThrow(/before/);
    expect(() => parseRowRange('a:b')).toThrow(/A:B/);
    expect(() => parseRoi('10:30')).toThrow(/NAME=A:B/);
  });
  it('rows out of range name the file; duplicate names are refused', () => {
    expect(() => validateRois([{ name: 'DS', first: 0, last: 16 }], 16, 'shot.spe')).toThrow(
      /^shot\.spe: rows 0:16 of ROI DS are out of range: the frames have 16 rows/,
    );
    expect(() =>
      validateRois(
        [
          { name: 'A', first: 0, last: 1 },
          { name: 'A', first: 2, last: 3 },
        ],
        16,
        'x',
      ),
    ).toThrow(/twice/);
  });
  it('sums rows inclusive', () => {
    const f = Float64Array.from([1, 2, 3, 10, 20, 30, 100, 200, 300]);
    expect(Array.from(sumRows(f, 3, 1, 2))).toEqual([110, 220, 330]);
    expect(Array.from(sumRows(f, 3, 0, 0))).toEqual([1, 2, 3]);
  });
});

describe('meanFrames', () => {
  // 2.x files of 3 frames × 4 pixels (header fields only), the values chosen by hand
  const frames = [
    [1, 2, 3, 4],
    [3, 4, 5, 6],
    [5, 9, 7, 8],
  ];

  it('integer counts: the mean of every frame, and the first `keep` frames kept', () => {
    const file = openSpe(
      writeFile(
        'mean-uint16.spe',
        header({ xdim: 4, ydim: 1, datatype: 3, frames: 3 }),
        encode('uint16', frames.flat()),
      ),
    );
    try {
      const m = meanFrames(file, 2);
      expect(Array.from(m.mean)).toEqual([3, 5, 5, 6]);
      expect(m.frames).toBe(3);
      expect(m.kept.map((f) => Array.from(f))).toEqual(frames.slice(0, 2));
    } finally {
      file.close();
    }
  });

  it('float counts: a frame holding NaN or Infinity is left out of the mean', () => {
    const values = [...frames[0], 1, NaN, 1, 1, ...frames[1], Infinity, 0, 0, 0, ...frames[2]];
    const file = openSpe(
      writeFile('mean-float32.spe', header({ xdim: 4, ydim: 1, datatype: 0, frames: 5 }), encode('float32', values)),
    );
    try {
      const m = meanFrames(file);
      expect(Array.from(m.mean)).toEqual([3, 5, 5, 6]);
      expect(m.frames).toBe(3);
    } finally {
      file.close();
    }
  });
});
