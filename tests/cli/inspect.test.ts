import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureBuilt } from '../support/build';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-inspect-'));

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A WinSpec 2.x file built byte by byte: uint16, 8 px × 3 rows × 2 frames, linear calibration 600 + 0.5·px. */
function v2File(name: string): string {
  const h = Buffer.alloc(4100);
  h.writeFloatLE(0.25, 10);
  h.writeUInt16LE(8, 42);
  h.writeInt16LE(3, 108);
  h.writeUInt16LE(3, 656);
  h.writeInt32LE(2, 1446);
  h.writeFloatLE(2.2, 1992);
  h.writeInt8(1, 3101);
  h.writeDoubleLE(600, 3263);
  h.writeDoubleLE(0.5, 3271);
  const d = Buffer.alloc(2 * 8 * 3 * 2);
  for (let k = 0; k < 48; k++) {
    d.writeUInt16LE(k < 24 ? 100 + k : 7, 2 * k);
  }
  const p = path.join(tmp, name);
  fs.writeFileSync(p, Buffer.concat([h, d]));
  return p;
}

beforeAll(() => ensureBuilt(), 180_000);

describe('pyrolive inspect', () => {
  it('--json prints exactly the documented fields', () => {
    const p = v2File('a.spe');
    const r = run(['inspect', p, '--json']);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const j = JSON.parse(r.out);
    // frame 0: 100 … 123 → 24·100 + (0+…+23) = 2676
    // wavelength: 600 + 0.5·px over 1-based pixels 1…8
    // a WinSpec 2.x file states no camera, frame rate or background correction; its frame clock is the exposure
    expect(j).toEqual({
      version: 2.2,
      width: 8,
      height: 3,
      frames: 2,
      dataType: 'uint16',
      exposureTime: 0.25,
      wavelength: { first: 600.5, last: 604, count: 8 },
      sum: 2676,
      format: 'spe',
      frameRate: null,
      frameTiming: { source: 'exposure', interval: 0.25 },
      camera: null,
      backgroundCorrected: false,
    });
    expect(Object.keys(j)).toEqual([
      'version',
      'width',
      'height',
      'frames',
      'dataType',
      'exposureTime',
      'wavelength',
      'sum',
      'format',
      'frameRate',
      'frameTiming',
      'camera',
      'backgroundCorrected',
    ]);
  });

  it('wavelength is null for an uncalibrated file', () => {
    const h = Buffer.alloc(4100);
    h.writeUInt16LE(2, 42);
    h.writeInt16LE(0, 108);
    h.writeUInt16LE(1, 656);
    h.writeInt32LE(1, 1446);
    const d = Buffer.alloc(8);
    d.writeFloatLE(1.5, 0);
    d.writeFloatLE(-0.25, 4);
    const p = path.join(tmp, 'u.spe');
    fs.writeFileSync(p, Buffer.concat([h, d]));
    const j = JSON.parse(run(['inspect', p, '--json']).out);
    expect(j.wavelength).toBeNull();
    expect(j.exposureTime).toBeNull();
    expect(j.sum).toBe(1.25);
    expect(j.dataType).toBe('float32');
  });

  it('without --json prints a readable summary', () => {
    const r = run(['inspect', v2File('b.spe')]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/2 × 3 row\(s\) × 8 px, uint16/);
    expect(r.out).toMatch(/600\.5 – 604 nm over 8 px \(x-calibration polynomial\)/);
    expect(r.out).toMatch(/frame stride 48 bytes/);
  });

  it('bad files: one line on stderr naming the file, exit 1, no stack', () => {
    const trunc = path.join(tmp, 'trunc.spe');
    fs.writeFileSync(trunc, fs.readFileSync(v2File('c.spe')).subarray(0, 3000));
    const empty = path.join(tmp, 'empty.spe');
    fs.writeFileSync(empty, '');
    for (const [p, re] of [
      [trunc, /too short/],
      [empty, /empty/],
      [path.join(tmp, 'missing.spe'), /no such file/],
    ] as const) {
      const r = run(['inspect', p, '--json']);
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err.trim().split('\n').length).toBe(1);
      expect(r.err).toContain(p);
      expect(r.err).toMatch(re);
      expect(r.err).toMatch(/^pyrolive: /);
      expect(r.err).not.toMatch(/\s+at\s/);
    }
  });
});

describe('pyrolive inspect: acquisition facts and Andor exports', () => {
  /** A LightField 3.0 file built by hand: 2 px × 1 row × 1 frame, background-corrected PI-MAX, FrameRate 2 Hz. */
  function lightFieldFile(name: string): string {
    const data = Buffer.alloc(8);
    data.writeFloatLE(-3.5, 0);
    data.writeFloatLE(10, 4);
    const xml =
      '<?xml version="1.0" encoding="utf-8"?><SpeFormat version="3.0"><DataFormat><DataBlock type="Frame" ' +
      'count="1" pixelFormat="MonochromeFloating32" size="8" stride="8"><DataBlock type="Region" width="2" height="1"/>' +
      '</DataBlock></DataFormat><Calibrations><WavelengthMapping id="1"><Wavelength>700,701</Wavelength>' +
      '</WavelengthMapping></Calibrations><DataHistories><DataHistory><Origin><Experiment><System><Cameras>' +
      '<Camera model="PI-MAX3: 1024x256"/></Cameras></System><Devices><Cameras><Camera><Sensor><Temperature>' +
      '<Reading>-25</Reading></Temperature></Sensor><Intensifier><Enabled>True</Enabled></Intensifier><Adc>' +
      '<AnalogGain>High</AnalogGain></Adc><Acquisition><FrameRate>2</FrameRate></Acquisition><BackgroundCorrection>' +
      '<Enabled>True</Enabled><ReferenceFile>dark_ref.spe</ReferenceFile></BackgroundCorrection></Camera></Cameras>' +
      '</Devices></Experiment></Origin></DataHistory></DataHistories></SpeFormat>';
    const h = Buffer.alloc(4100);
    h.writeUInt16LE(2, 42);
    h.writeUInt16LE(1, 656);
    h.writeInt32LE(1, 1446);
    h.writeFloatLE(3, 1992);
    h.writeBigUInt64LE(BigInt(4100 + data.length), 678);
    const p = path.join(tmp, name);
    fs.writeFileSync(p, Buffer.concat([h, data, Buffer.from(xml)]));
    return p;
  }

  it('a background-corrected intensified LightField file: inspect says so, no dark needed; --json carries the facts', () => {
    const p = lightFieldFile('corrected.spe');
    const text = run(['inspect', p]);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/camera +PI-MAX3: 1024x256: intensified, ADC gain High, sensor -25 °C/);
    expect(text.out).toMatch(
      /background +already subtracted by the acquisition software \(reference dark_ref\.spe\): no --background needed/,
    );
    expect(text.out).toMatch(/frame rate +2 Hz/);
    expect(text.out).toMatch(/timing +frame rate, 0\.5 s per frame/);
    const j = JSON.parse(run(['inspect', p, '--json']).out);
    expect(j.camera).toEqual({
      model: 'PI-MAX3: 1024x256',
      intensified: true,
      electronMultiplying: false,
      emGain: null,
      adcGain: 'High',
      sensorTemperature: -25,
    });
    expect([j.backgroundCorrected, j.frameRate, j.frameTiming, j.sum]).toEqual([
      true,
      2,
      { source: 'frameRate', interval: 0.5 },
      6.5,
    ]);
  });

  it('an Andor ASCII export: format, frames as columns, timing from the kinetic cycle time', () => {
    const p = path.join(tmp, 'series.asc');
    fs.writeFileSync(
      p,
      [
        'Date and Time: Mon Nov 21 21:21:42.000 2022',
        'Model: DU970P_BV',
        'Temperature (C): -50',
        'Exposure Time (secs): 0.1',
        'Kinetic Cycle Time (secs): 0.25',
        'Acquisition Mode: Kinetics',
        'Number in Kinetics Series: 2',
        '',
        '600,300,301,',
        '601,302,303,',
        '602,304,305,',
      ].join('\r\n') + '\r\n',
    );
    const j = JSON.parse(run(['inspect', p, '--json']).out);
    expect(j).toMatchObject({
      format: 'andor-asc',
      width: 3,
      height: 1,
      frames: 2,
      dataType: 'uint16',
      exposureTime: 0.1,
      frameRate: 4,
      frameTiming: { source: 'frameRate', interval: 0.25 },
      wavelength: { first: 600, last: 602, count: 3 },
      sum: 906,
    });
    const text = run(['inspect', p]).out;
    expect(text).toMatch(/format +Andor SOLIS ASCII export/);
    expect(text).toMatch(/camera +DU970P_BV: ADC gain|camera +DU970P_BV: sensor -50 °C/);
  });
});
