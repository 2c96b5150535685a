import { describe, expect, it } from 'vitest';
import * as fs from 'fs';
import { openSpe } from '../../src/io/spe';
import { InputFileError } from '../../src/errors';
import { BPP, encode, header, int64, TypeName, TYPE_CODE, v3File, writeFile, xmlDoc } from '../support/speBytes';

/** value of pixel (frame f, row r, column c) in the synthetic files */
const val = (f: number, r: number, c: number) => f * 1000 + r * 10 + c;
function frames(nf: number, h: number, w: number, v = val): number[] {
  const out: number[] = [];
  for (let f = 0; f < nf; f++) {
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        out.push(v(f, r, c));
      }
    }
  }
  return out;
}
function sumFrame(f: number, h: number, w: number, v = val): number {
  let s = 0;
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      s += v(f, r, c);
    }
  }
  return s;
}

describe('SPE 2.x (WinSpec)', () => {
  it('reads dims, data, exposure and the x-calibration polynomial over 1-based pixels', () => {
    const w = 10;
    const h = 3;
    const nf = 2;
    const coeffs = [400, 0.5, 0.001];
    const p = writeFile(
      'v2poly.spe',
      header({ xdim: w, ydim: h, datatype: 3, frames: nf, version: 2.2, exposure: 0.5, polyOrder: 2, coeffs }),
      encode('uint16', frames(nf, h, w)),
    );
    const s = openSpe(p);
    expect([s.version, s.width, s.height, s.frames, s.dataType]).toEqual([2.2, w, h, nf, 'uint16']);
    expect(s.exposureTime).toBe(0.5);
    expect(s.wavelengthSource).toBe('polynomial');
    for (let i = 0; i < w; i++) {
      const px = i + 1;
      expect(s.wavelength![i]).toBeCloseTo(400 + 0.5 * px + 0.001 * px * px, 10);
    }
    const f1 = s.readFrame(1);
    expect(f1.length).toBe(w * h);
    expect(f1[2 * w + 7]).toBe(val(1, 2, 7));
    // frame 0: Σr Σc (10 r + c) = 10·w·(0+1+2) + h·(0+…+9) = 300 + 135
    expect(Array.from(s.readFrame(0)).reduce((a, b) => a + b, 0)).toBe(435);
    expect(sumFrame(0, h, w)).toBe(435);
    // rows 1..2 of frame 1: (1010 + c) + (1020 + c)
    expect(Array.from(s.readRows(1, 1, 2))).toEqual(Array.from({ length: w }, (_, c) => 2030 + 2 * c));
    expect(s.frameTimes).toBeNull();
    s.close();
  });

  it('the identity polynomial (pixel numbers) is WinSpec\'s "uncalibrated", not nm', () => {
    const p = writeFile(
      'v2ident.spe',
      header({ xdim: 4, ydim: 1, frames: 1, polyOrder: 1, coeffs: [0, 1] }),
      encode('uint16', [1, 2, 3, 4]),
    );
    const s = openSpe(p);
    expect(s.wavelength).toBeNull();
    expect(s.wavelengthSource).toBe('none');
  });

  it('reads every data type exactly', () => {
    const w = 5;
    const h = 2;
    const nf = 3;
    const values: Record<TypeName, (f: number, r: number, c: number) => number> = {
      uint16: (f, r, c) => 65535 - val(f, r, c),
      int16: (f, r, c) => -val(f, r, c) - 1,
      uint32: (f, r, c) => 4000000000 + val(f, r, c),
      int32: (f, r, c) => -2000000000 + val(f, r, c),
      float32: (f, r, c) => Math.fround(val(f, r, c) / 7),
      float64: (f, r, c) => val(f, r, c) / 7 - 1e-9,
      uint8: (f, r, c) => (f * 50 + r * 20 + c) % 256,
    };
    for (const t of Object.keys(TYPE_CODE) as TypeName[]) {
      const p = writeFile(
        `type-${t}.spe`,
        header({ xdim: w, ydim: h, datatype: TYPE_CODE[t], frames: nf }),
        encode(t, frames(nf, h, w, values[t])),
      );
      const s = openSpe(p);
      expect(s.dataType).toBe(t);
      expect(s.bytesPerPixel).toBe(BPP[t]);
      expect(s.frameStride).toBe(w * h * BPP[t]);
      for (let f = 0; f < nf; f++) {
        const got = Array.from(s.readFrame(f));
        expect(got).toEqual(frames(1, h, w, (_f, r, c) => values[t](f, r, c)));
      }
      expect(s.wavelength).toBeNull();
      expect(s.wavelengthSource).toBe('none');
      s.close();
    }
  });

  it('a truncated last frame: an error by default; with allowTruncated, dropped with a warning', () => {
    const w = 4;
    const h = 2;
    const data = encode('uint16', frames(3, h, w)).subarray(0, 2 * w * h * 2 + 5); // 2 full frames + 5 bytes
    const p = writeFile('lastcut.spe', header({ xdim: w, ydim: h, frames: 3 }), data);
    expect(() => openSpe(p)).toThrow(/truncated data: the last frame \(2\) is incomplete, 2 of 3/);
    const s = openSpe(p, { allowTruncated: true });
    expect(s.frames).toBe(2);
    expect(s.declaredFrames).toBe(3);
    expect(s.warnings!.join(' ')).toMatch(/truncated/);
    expect(s.readFrame(1)[w + 3]).toBe(val(1, 1, 3));
    expect(() => s.readFrame(2)).toThrow(InputFileError);
  });
});

describe('SPE 3.0 (LightField): the XML footer is authoritative', () => {
  it('custom region: wavelength list of the full sensor cropped by SensorMapping', () => {
    const sensorW = 20;
    const x = 5;
    const w = 8;
    const h = 2;
    const wl = Array.from({ length: sensorW }, (_, i) => 500 + i * 0.25);
    const data = encode('uint16', frames(1, h, w));
    const xml = xmlDoc(
      `<DataFormat><DataBlock type="Frame" version="3.0" count="1" pixelFormat="MonochromeUnsigned16" size="${w * h * 2}" stride="${w * h * 2}">` +
        `<DataBlock type="Region" count="1" width="${w}" height="${h}" size="${w * h * 2}" stride="${w * h * 2}" calibrations="1,2,3"/></DataBlock></DataFormat>` +
        `<Calibrations><WavelengthMapping id="1"><Wavelength xml:space="preserve">${wl.join(',')}</Wavelength></WavelengthMapping>` +
        `<SensorInformation id="2" orientation="Normal" width="${sensorW}" height="100"/>` +
        `<SensorMapping id="3" x="${x}" y="40" width="${w}" height="${h}" xBinning="1" yBinning="1"/></Calibrations>`,
    );
    // legacy header deliberately wrong: the XML wins
    const s = openSpe(v3File('v3crop.spe', { xdim: sensorW, ydim: 100, frames: 7, datatype: 0 }, data, xml));
    expect([s.version, s.width, s.height, s.frames, s.dataType]).toEqual([3, w, h, 1, 'uint16']);
    expect(s.wavelengthSource).toBe('xml');
    expect(Array.from(s.wavelength!)).toEqual(wl.slice(x, x + w));
    expect(s.wavelength![0]).toBe(501.25);
    expect(s.sensorMapping).toMatchObject({ x, y: 40, width: w, height: h });
    expect(Array.from(s.readFrame(0)).reduce((a, b) => a + b, 0)).toBe(sumFrame(0, h, w));
  });

  it('binned SensorMapping averages the wavelengths of each bin', () => {
    const w = 4;
    const bin = 3;
    const wl = Array.from({ length: 30 }, (_, i) => 600 + i);
    const xml = xmlDoc(
      `<DataFormat><DataBlock type="Frame" count="1" pixelFormat="MonochromeUnsigned16" size="${w * 2}" stride="${w * 2}">` +
        `<DataBlock type="Region" width="${w}" height="1" calibrations="1,3"/></DataBlock></DataFormat>` +
        `<Calibrations><WavelengthMapping id="1"><Wavelength>${wl.join(',')}</Wavelength></WavelengthMapping>` +
        `<SensorMapping id="3" x="6" y="0" width="${w * bin}" height="1" xBinning="${bin}" yBinning="1"/></Calibrations>`,
    );
    const s = openSpe(v3File('v3bin.spe', {}, encode('uint16', [1, 2, 3, 4]), xml));
    // bins of pixels 6-8, 9-11, 12-14, 15-17 → 607, 610, 613, 616 nm
    expect(Array.from(s.wavelength!)).toEqual([607, 610, 613, 616]);
  });

  it('step-and-glue: 6216 px wide although the header says 1340', () => {
    const w = 6216;
    const wl = Array.from({ length: w }, (_, i) => 450 + i * 0.0625);
    const values = Array.from({ length: w }, (_, i) => Math.fround(100 + Math.sin(i / 10)));
    const xml = xmlDoc(
      `<DataFormat><DataBlock type="Frame" version="3.0" count="1" pixelFormat="MonochromeFloating32" size="${w * 4}" stride="${w * 4}">` +
        `<DataBlock type="Region" count="1" width="${w}" height="1" size="${w * 4}" stride="${w * 4}" calibrations="1"/></DataBlock></DataFormat>` +
        `<Calibrations><WavelengthMapping id="1"><Wavelength>${wl.join(',')}</Wavelength></WavelengthMapping></Calibrations>`,
    );
    const s = openSpe(v3File('glue.spe', { xdim: 1340, ydim: 1, datatype: 3 }, encode('float32', values), xml));
    expect([s.width, s.height, s.frames, s.dataType]).toEqual([w, 1, 1, 'float32']);
    expect(s.wavelength!.length).toBe(w);
    expect(s.wavelength![w - 1]).toBe(450 + (w - 1) * 0.0625);
    const f = s.readFrame(0);
    expect(f[3000]).toBe(values[3000]);
    expect(f.reduce((a, b) => a + b, 0)).toBeCloseTo(
      values.reduce((a, b) => a + b, 0),
      6,
    );
  });

  it('frame stride with per-frame metadata: steps by stride, reads time stamps', () => {
    const w = 4;
    const h = 2;
    const nf = 3;
    const size = w * h * 2;
    const stride = size + 16;
    const parts: Buffer[] = [];
    const ticks = [1000, 51000, 101000]; // µs
    for (let f = 0; f < nf; f++) {
      parts.push(
        encode(
          'uint16',
          frames(1, h, w, (_f, r, c) => val(f, r, c)),
        ),
      );
      parts.push(int64([ticks[f], f + 1])); // ExposureStarted, FrameTrackingNumber
    }
    const xml = xmlDoc(
      `<DataFormat><DataBlock type="Frame" version="3.0" count="${nf}" pixelFormat="MonochromeUnsigned16" size="${size}" stride="${stride}" metaFormat="1">` +
        `<DataBlock type="Region" count="1" width="${w}" height="${h}" size="${size}" stride="${size}"/></DataBlock></DataFormat>` +
        '<MetaFormat><MetaBlock id="1"><TimeStamp event="ExposureStarted" type="Int64" bitDepth="64" resolution="1000000" absoluteTime="2024-05-01T10:00:00Z"/>' +
        '<FrameTrackingNumber type="Int64" bitDepth="64"/></MetaBlock></MetaFormat>',
    );
    const s = openSpe(v3File('stride.spe', { xdim: w, ydim: h }, Buffer.concat(parts), xml));
    expect(s.frameStride).toBe(stride);
    expect(s.frameSize).toBe(size);
    expect(s.frames).toBe(nf);
    for (let f = 0; f < nf; f++) {
      expect(Array.from(s.readFrame(f))).toEqual(frames(1, h, w, (_f, r, c) => val(f, r, c)));
    }
    expect(Array.from(s.frameTimes!)).toEqual([0.001, 0.051, 0.101]);
    expect(s.metadata!.map((m) => m.kind)).toEqual(['TimeStamp', 'FrameTrackingNumber']);
    expect(Array.from(s.readRows(2, 0, 1))).toEqual(Array.from({ length: w }, (_, c) => val(2, 0, c) + val(2, 1, c)));
  });

  it('non-ASCII (Korean) UTF-8 text in the XML, exposure in ms from the Cameras section, namespaces', () => {
    const w = 3;
    const xml = xmlDoc(
      `<DataFormat><DataBlock type="Frame" count="1" pixelFormat="MonochromeUnsigned32" size="${w * 4}" stride="${w * 4}">` +
        `<DataBlock type="Region" width="${w}" height="1"/></DataBlock></DataFormat>` +
        '<Calibrations><WavelengthMapping id="1"><Wavelength>700.5,701.5,702.5</Wavelength></WavelengthMapping></Calibrations>' +
        '<DataHistories><DataHistory><Origin software="LightField" user="김민준 (고압 실험실)">' +
        '<Experiment xmlns="http://www.princetoninstruments.com/experiment/2009" xmlns:px="urn:x"><px:Operator>이서연 &amp; 박지훈</px:Operator>' +
        '<Devices><Cameras><Camera><Sensor><ExposureTime>999</ExposureTime></Sensor><ShutterTiming><ExposureTime type="Double">250</ExposureTime></ShutterTiming></Camera></Cameras></Devices>' +
        '</Experiment></Origin></DataHistory></DataHistories>',
    );
    const s = openSpe(v3File('korean.spe', {}, encode('uint32', [7, 8, 4000000000]), xml));
    expect(s.exposureTime).toBe(0.25);
    expect(s.dataType).toBe('uint32');
    expect(s.xml).toContain('김민준 (고압 실험실)');
    expect(Array.from(s.wavelength!)).toEqual([700.5, 701.5, 702.5]);
    expect(Array.from(s.readFrame(0))).toEqual([7, 8, 4000000000]);
  });

  it('converted from 2.x: XML without a wavelength list → the header polynomial over the XML width', () => {
    const w = 4711;
    const coeffs = [420, 0.1, -1e-6];
    const values = Array.from({ length: w }, (_, i) => Math.fround(i % 97));
    const xml = xmlDoc(
      `<DataFormat><DataBlock type="Frame" count="1" pixelFormat="MonochromeFloating32" size="${w * 4}" stride="${w * 4}">` +
        `<DataBlock type="Region" count="1" width="${w}" height="1" size="${w * 4}" stride="${w * 4}" calibrations="1"/></DataBlock></DataFormat>` +
        '<Calibrations><SensorInformation id="1" orientation="Normal" width="1024" height="127"/></Calibrations>',
    );
    const s = openSpe(
      v3File('conv.spe', { xdim: 1024, ydim: 1, datatype: 0, polyOrder: 2, coeffs }, encode('float32', values), xml),
    );
    expect(s.width).toBe(w);
    expect(s.wavelengthSource).toBe('polynomial');
    expect(s.wavelength!.length).toBe(w);
    expect(s.wavelength![w - 1]).toBeCloseTo(420 + 0.1 * w - 1e-6 * w * w, 9);
  });

  it('ignores look-alike elements in the DataHistories (export settings <Wavelength>Nanometers</Wavelength>)', () => {
    const xml = xmlDoc(
      '<DataFormat><DataBlock type="Frame" count="1" pixelFormat="MonochromeUnsigned16" size="4" stride="4">' +
        '<DataBlock type="Region" width="2" height="1" calibrations="2,3"/></DataBlock></DataFormat>' +
        '<Calibrations><WavelengthMapping id="1" orientation="Normal"><Wavelength xml:space="preserve">610.5,611.5</Wavelength></WavelengthMapping>' +
        '<SensorMapping id="3" x="0" y="0" width="2" height="1" xBinning="1" yBinning="1"/></Calibrations>' +
        '<DataHistories><DataHistory><Origin><Experiment><Units><Wavelength type="LightUnit">Nanometers</Wavelength></Units>' +
        '<WavelengthMapping id="2"><Wavelength>1,2</Wavelength></WavelengthMapping></Experiment></Origin></DataHistory></DataHistories>',
    );
    const s = openSpe(v3File('lookalike.spe', {}, encode('uint16', [5, 6]), xml));
    expect(Array.from(s.wavelength!)).toEqual([610.5, 611.5]);
  });

  it('WavelengthError pairs "nm,err": takes the nm', () => {
    const xml = xmlDoc(
      '<DataFormat><DataBlock type="Frame" count="1" pixelFormat="MonochromeUnsigned16" size="6" stride="6">' +
        '<DataBlock type="Region" width="3" height="1"/></DataBlock></DataFormat>' +
        '<Calibrations><WavelengthMapping id="1"><WavelengthError>550.1,0.02 551.2,0.03 552.3,0.02</WavelengthError></WavelengthMapping></Calibrations>',
    );
    const s = openSpe(v3File('wlerr.spe', {}, encode('uint16', [1, 2, 3]), xml));
    expect(Array.from(s.wavelength!)).toEqual([550.1, 551.2, 552.3]);
  });

  it('several regions of the same width and sensor columns are stacked into one frame (DS/US ROIs)', () => {
    const w = 4;
    const nf = 2;
    const meta = 8;
    const r1 = 2;
    const r2 = 3; // rows
    const size = w * (r1 + r2) * 2;
    const parts: Buffer[] = [];
    for (let f = 0; f < nf; f++) {
      parts.push(
        encode(
          'uint16',
          frames(1, r1, w, (_f, r, c) => val(f, r, c)),
        ),
      ); // region 1, rows 0-1
      parts.push(
        encode(
          'uint16',
          frames(1, r2, w, (_f, r, c) => 500 + val(f, r, c)),
        ),
      ); // region 2
      parts.push(int64([f * 20000]));
    }
    const wl = Array.from({ length: 10 }, (_, i) => 700 + i);
    const xml = xmlDoc(
      `<DataFormat><DataBlock type="Frame" count="${nf}" pixelFormat="MonochromeUnsigned16" size="${size}" stride="${size + meta}" metaFormat="1" calibrations="1">` +
        `<DataBlock type="Region" calibrations="2,3" width="${w}" height="${r1}" size="${w * r1 * 2}" stride="${w * r1 * 2}"/>` +
        `<DataBlock type="Region" calibrations="2,4" width="${w}" height="${r2}" size="${w * r2 * 2}" stride="${w * r2 * 2}"/></DataBlock></DataFormat>` +
        '<MetaFormat><MetaBlock id="1"><TimeStamp event="ExposureStarted" type="Int64" bitDepth="64" resolution="1000000"/></MetaBlock></MetaFormat>' +
        `<Calibrations><WavelengthMapping id="1"><Wavelength>${wl.join(',')}</Wavelength></WavelengthMapping>` +
        '<SensorInformation id="2" width="10" height="100"/>' +
        `<SensorMapping id="3" x="3" y="10" width="${w}" height="${r1}" xBinning="1" yBinning="1"/>` +
        `<SensorMapping id="4" x="3" y="60" width="${w}" height="${r2}" xBinning="1" yBinning="1"/></Calibrations>`,
    );
    const s = openSpe(v3File('stacked.spe', { frames: nf }, Buffer.concat(parts), xml));
    expect([s.width, s.height, s.frames, s.frameStride, s.frameSize]).toEqual([w, r1 + r2, nf, size + meta, size]);
    expect(s.regions!.map((r) => r.rows)).toEqual([
      [0, 1],
      [2, 4],
    ]);
    expect(Array.from(s.wavelength!)).toEqual([703, 704, 705, 706]);
    const f1 = s.readFrame(1);
    expect(f1[1 * w + 2]).toBe(val(1, 1, 2)); // region 1, row 1
    expect(f1[2 * w + 0]).toBe(500 + val(1, 0, 0)); // region 2, row 0 = stacked row 2
    expect(f1[4 * w + 3]).toBe(500 + val(1, 2, 3));
    expect(Array.from(s.readRows(0, 2, 4))).toEqual(
      Array.from({ length: w }, (_, c) => 1500 + 3 * c + 10 * (0 + 1 + 2)),
    );
    expect(Array.from(s.readRegionFrame!(1, 1))).toEqual(frames(1, r2, w, (_f, r, c) => 500 + val(1, r, c)));
    expect(Array.from(s.frameTimes!)).toEqual([0, 0.02]);
    expect(s.warnings).toEqual([]);
  });

  it('several regions of different widths: the first is exposed, with a warning', () => {
    const xml = xmlDoc(
      '<DataFormat><DataBlock type="Frame" count="2" pixelFormat="MonochromeUnsigned16" size="14" stride="14">' +
        '<DataBlock type="Region" width="3" height="1" size="6"/><DataBlock type="Region" width="2" height="2" size="8"/></DataBlock></DataFormat>',
    );
    const data = encode('uint16', [1, 2, 3, 90, 91, 92, 93, 4, 5, 6, 94, 95, 96, 97]);
    const s = openSpe(v3File('regions.spe', {}, data, xml));
    expect([s.width, s.height, s.frames, s.frameStride]).toEqual([3, 1, 2, 14]);
    expect(Array.from(s.readFrame(1))).toEqual([4, 5, 6]);
    expect(s.regions!.length).toBe(2);
    expect(s.warnings!.join(' ')).toMatch(/2 regions/);
    expect(Array.from(s.readRegionFrame!(1, 1))).toEqual([94, 95, 96, 97]);
    expect(Array.from(s.readRegionFrame!(0, 1))).toEqual([90, 91, 92, 93]);
  });

  it('a garbage XML offset falls back to the header dimensions and the polynomial', () => {
    const w = 6;
    const h = 1;
    const coeffs = [300, 2];
    const data = encode('uint16', frames(2, h, w));
    const expectWl = Array.from({ length: w }, (_, i) => 300 + 2 * (i + 1));
    // "2.5" with an offset inside the data, with an offset past the end, with zero; "3.0" pointing at non-XML bytes
    const cases: [string, number, number][] = [
      ['v25-inside', 2.5, 4102],
      ['v25-past', 2.5, 1e12],
      ['v25-zero', 2.5, 0],
      ['v30-notxml', 3, 4100],
    ];
    for (const [name, version, off] of cases) {
      const p = writeFile(
        `${name}.spe`,
        header({ xdim: w, ydim: h, frames: 2, version, xmlOffset: off, polyOrder: 1, coeffs }),
        data,
        'garbage that is not xml',
      );
      const s = openSpe(p);
      expect(s.geometrySource).toBe('header');
      expect([s.width, s.height]).toEqual([w, h]);
      expect(s.wavelengthSource).toBe('polynomial');
      expect(Array.from(s.wavelength!)).toEqual(expectWl);
      expect(Array.from(s.readFrame(1))).toEqual(frames(1, h, w, (_f, r, c) => val(1, r, c)));
    }
  });
});

describe('layouts seen in real files (PI sample reader, imageio, LightField footers)', () => {
  it('2.x: garbage in the spare bytes at 678 that point into the data is not taken for a footer', () => {
    const w = 5;
    const h = 2;
    // WinSpec leaves bytes 678-687 as spare: here they point at frame 1 of the data (not XML)
    const p = writeFile(
      'v2spare.spe',
      header({
        xdim: w,
        ydim: h,
        frames: 2,
        version: 2.5,
        xmlOffset: 4100 + w * h * 2,
        polyOrder: 1,
        coeffs: [500, 0.5],
      }),
      encode('uint16', frames(2, h, w)),
    );
    const s = openSpe(p);
    expect([s.geometrySource, s.width, s.height, s.frames, s.xml]).toEqual(['header', w, h, 2, null]);
    expect(s.warnings).toEqual([]); // a 2.x file says nothing about a footer: no warning either
    expect(s.readFrame(1)[w + 4]).toBe(val(1, 1, 4));
  });

  it('early WinSpec files with NumFrames 0: the count comes from the data length when it is whole frames', () => {
    const w = 4;
    const h = 1;
    const s = openSpe(
      writeFile('v1zero.spe', header({ xdim: w, ydim: h, frames: 0, version: 1.6 }), encode('uint16', frames(3, h, w))),
    );
    expect(s.frames).toBe(3);
    expect(s.warnings!.join(' ')).toMatch(/0 frames.*3 frame\(s\) taken from the data length/);
    expect(s.readFrame(2)[3]).toBe(val(2, 0, 3));
    // not a whole number of frames, or a negative count: refused
    expect(() =>
      openSpe(writeFile('v1zero-odd.spe', header({ xdim: w, ydim: h, frames: 0 }), Buffer.alloc(w * 2 * 2 + 3))),
    ).toThrow(/0 frames/);
    expect(() =>
      openSpe(writeFile('v1neg.spe', header({ xdim: w, ydim: h, frames: -2 }), Buffer.alloc(w * 2 * 2))),
    ).toThrow(/-2 frames/);
  });

  it('3.0 footer with a BOM, CRLF line ends, a spe: prefix, attributes in any order and NUL padding after it', () => {
    const w = 3;
    const xml =
      '\ufeff<?xml version="1.0" encoding="utf-8"?>\r\n' +
      '<spe:SpeFormat xmlns:spe="http://www.princetoninstruments.com/spe/2009" version="3.0">\r\n' +
      `  <spe:DataFormat>\r\n    <spe:DataBlock stride="${w * 2}" size="${w * 2}" pixelFormat="MonochromeSigned16" count="2" version="3.0" type="Frame">\r\n` +
      `      <spe:DataBlock calibrations="1" height="1" width="${w}" type="Region" />\r\n    </spe:DataBlock>\r\n  </spe:DataFormat>\r\n` +
      '  <spe:Calibrations>\r\n    <spe:WavelengthMapping id="1">\r\n      <spe:Wavelength xml:space="preserve">\r\n' +
      '        601.5,602.5,603.5\r\n      </spe:Wavelength>\r\n    </spe:WavelengthMapping>\r\n  </spe:Calibrations>\r\n</spe:SpeFormat>\r\n';
    const data = encode('int16', [-1, 2, -3, 4, -5, 6]);
    const s = openSpe(
      v3File('bomcrlf.spe', { xdim: 99, ydim: 9, datatype: 3, frames: 2 }, data, xml + '\0'.repeat(37)),
    );
    expect([s.width, s.height, s.frames, s.dataType]).toEqual([w, 1, 2, 'int16']);
    expect(Array.from(s.wavelength!)).toEqual([601.5, 602.5, 603.5]);
    expect(Array.from(s.readFrame(1))).toEqual([4, -5, 6]);
    expect(s.warnings).toEqual([]);
  });

  it('exposure: Devices/Cameras/Camera/ShutterTiming/ExposureTime (ms) even when System/Cameras comes first', () => {
    const xml = xmlDoc(
      '<DataFormat><DataBlock type="Frame" count="1" pixelFormat="MonochromeUnsigned16" size="4" stride="4">' +
        '<DataBlock type="Region" width="2" height="1"/></DataBlock></DataFormat>' +
        '<DataHistories><DataHistory><Origin><Experiment xmlns="http://www.princetoninstruments.com/experiment/2009">' +
        '<System><Cameras><Camera model="PIXIS: 400BR eXcelon" serialNumber="X1"/></Cameras></System>' +
        '<Devices><Cameras><Camera><Adc><Speed>2</Speed></Adc><ShutterTiming><Mode>Normal</Mode>' +
        '<ExposureTime type="Double" relevance="True">12.5</ExposureTime></ShutterTiming></Camera></Cameras></Devices>' +
        '</Experiment></Origin></DataHistory></DataHistories>',
    );
    const s = openSpe(v3File('expo.spe', { exposure: 7 }, encode('uint16', [1, 2]), xml));
    expect(s.exposureTime).toBe(0.0125); // 12.5 ms, not the legacy header's 7 s
  });

  it('regions without calibrations ids: the k-th SensorMapping belongs to the k-th region', () => {
    const w = 3;
    const sensorW = 12;
    const wl = Array.from({ length: sensorW }, (_, i) => 800 + 2 * i);
    const region = (rows: number) =>
      `<DataBlock type="Region" width="${w}" height="${rows}" size="${w * rows * 2}" stride="${w * rows * 2}"/>`;
    const mk = (xs: [number, number]) =>
      xmlDoc(
        `<DataFormat><DataBlock type="Frame" count="1" pixelFormat="MonochromeUnsigned16" size="${w * 3 * 2}" stride="${w * 3 * 2}">` +
          region(1) +
          region(2) +
          '</DataBlock></DataFormat>' +
          `<Calibrations><WavelengthMapping id="1"><Wavelength>${wl.join(',')}</Wavelength></WavelengthMapping>` +
          `<SensorInformation id="2" width="${sensorW}" height="50"/>` +
          `<SensorMapping id="3" x="${xs[0]}" y="5" width="${w}" height="1" xBinning="1" yBinning="1"/>` +
          `<SensorMapping id="4" x="${xs[1]}" y="30" width="${w}" height="2" xBinning="1" yBinning="1"/></Calibrations>`,
      );
    const data = encode('uint16', [1, 2, 3, 10, 20, 30, 40, 50, 60]);
    // same columns (x = 4): stacked, 3 rows, wavelengths of sensor columns 4..6
    const a = openSpe(v3File('regions-order-same.spe', {}, data, mk([4, 4])));
    expect([a.width, a.height]).toEqual([w, 3]);
    expect(Array.from(a.wavelength!)).toEqual([808, 810, 812]);
    expect(Array.from(a.readRows(0, 0, 2))).toEqual([1 + 10 + 40, 2 + 20 + 50, 3 + 30 + 60]);
    // different columns (x = 4 and x = 8): not stacked; region 0 exposed with ITS mapping
    const b = openSpe(v3File('regions-order-diff.spe', {}, data, mk([4, 8])));
    expect([b.width, b.height]).toEqual([w, 1]);
    expect(b.sensorMapping!.x).toBe(4);
    expect(Array.from(b.wavelength!)).toEqual([808, 810, 812]);
    expect(b.warnings!.join(' ')).toMatch(/2 regions/);
  });
});

describe('bad files: one-line InputFileError naming the file', () => {
  const good = () => header({ xdim: 4, ydim: 2, frames: 2 });
  const cases: [string, () => string, RegExp][] = [
    ['missing file', () => '/nonexistent/dir/shot.spe', /no such file/],
    ['empty file', () => writeFile('empty.spe'), /empty/],
    ['truncated header', () => writeFile('shorthdr.spe', good().subarray(0, 1000)), /too short|header/],
    [
      'random bytes',
      () => {
        let x = 12345;
        const b = Buffer.alloc(20000);
        for (let i = 0; i < b.length; i++) {
          x = (Math.imul(x, 1103515245) + 12345) >>> 0;
          b[i] = x >>> 24;
        }
        b.writeInt16LE(77, 108); // make sure the type code is not a valid one
        b.writeFloatLE(1.7, 1992);
        return writeFile('random.spe', b);
      },
      /data type|not an SPE/,
    ],
    [
      'billion frames',
      () => writeFile('billion.spe', header({ xdim: 4, ydim: 2, frames: 1e9 }), Buffer.alloc(64)),
      /truncated|need/,
    ],
    [
      'zero width (2.x)',
      () => writeFile('zerow.spe', header({ xdim: 0, ydim: 2, frames: 1 }), Buffer.alloc(64)),
      /zero width/,
    ],
    [
      'zero width (3.0 region)',
      () =>
        v3File(
          'zerow3.spe',
          {},
          Buffer.alloc(16),
          xmlDoc(
            '<DataFormat><DataBlock type="Frame" count="1" pixelFormat="MonochromeUnsigned16" size="16" stride="16"><DataBlock type="Region" width="0" height="1"/></DataBlock></DataFormat>',
          ),
        ),
      /zero width/,
    ],
    [
      'truncated data (one frame, half missing)',
      () => writeFile('cutdata.spe', header({ xdim: 100, ydim: 10, frames: 1 }), Buffer.alloc(1000)),
      /truncated/,
    ],
    [
      'truncated data (several frames missing)',
      () => writeFile('cutmany.spe', header({ xdim: 4, ydim: 2, frames: 10 }), Buffer.alloc(16 * 3)),
      /truncated/,
    ],
    [
      'XML offset past the end',
      () =>
        writeFile(
          'xmlpast.spe',
          header({ xdim: 4, ydim: 2, frames: 1, version: 3, xmlOffset: 99999 }),
          Buffer.alloc(16),
        ),
      /past the end/,
    ],
    [
      '3.0 data block shorter than count × stride',
      () =>
        v3File(
          'v3short.spe',
          {},
          Buffer.alloc(16),
          xmlDoc(
            '<DataFormat><DataBlock type="Frame" count="50" pixelFormat="MonochromeUnsigned16" size="16" stride="16"><DataBlock type="Region" width="8" height="1"/></DataBlock></DataFormat>',
          ),
        ),
      /truncated/,
    ],
    [
      'a directory',
      () => {
        const d = writeFile('x').replace(/x$/, 'adir.spe');
        fs.mkdirSync(d, { recursive: true });
        return d;
      },
      /directory/,
    ],
  ];
  for (const [what, make, re] of cases) {
    it(what, () => {
      const p = make();
      let err: unknown = null;
      try {
        openSpe(p).close();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InputFileError);
      const msg = (err as Error).message;
      expect(msg.startsWith(p)).toBe(true);
      expect(msg).toMatch(re);
      expect(msg).not.toContain('\n');
    });
  }

  it('out-of-range frames and rows are InputFileErrors too', () => {
    const s = openSpe(writeFile('ok.spe', header({ xdim: 4, ydim: 2, frames: 2 }), Buffer.alloc(32)));
    expect(() => s.readFrame(2)).toThrow(InputFileError);
    expect(() => s.readRows(0, 1, 2)).toThrow(/rows 1:2/);
    s.close();
    expect(() => s.readFrame(0)).toThrow(/closed/);
  });
});

describe('fuzz: mutated files either open or throw InputFileError, never anything else', () => {
  it('300 deterministic mutations of a 2.x and a 3.0 file', () => {
    const w = 6;
    const h = 2;
    const nf = 3;
    const v2 = Buffer.concat([
      header({ xdim: w, ydim: h, frames: nf, polyOrder: 1, coeffs: [500, 1] }),
      encode('uint16', frames(nf, h, w)),
    ]);
    const xml = xmlDoc(
      `<DataFormat><DataBlock type="Frame" count="${nf}" pixelFormat="MonochromeUnsigned16" size="${w * h * 2}" stride="${w * h * 2 + 8}" metaFormat="1">` +
        `<DataBlock type="Region" width="${w}" height="${h}" calibrations="1,3"/></DataBlock></DataFormat>` +
        '<MetaFormat><MetaBlock id="1"><TimeStamp event="ExposureStarted" type="Int64" bitDepth="64" resolution="1000"/></MetaBlock></MetaFormat>' +
        `<Calibrations><WavelengthMapping id="1"><Wavelength>${Array.from({ length: 10 }, (_, i) => 600 + i).join(',')}</Wavelength></WavelengthMapping>` +
        `<SensorMapping id="3" x="2" y="0" width="${w}" height="${h}" xBinning="1" yBinning="1"/></Calibrations>`,
    );
    const parts: Buffer[] = [];
    for (let f = 0; f < nf; f++) {
      parts.push(encode('uint16', frames(1, h, w)), int64([f * 10]));
    }
    const v3 = fs.readFileSync(v3File('fuzzbase3.spe', {}, Buffer.concat(parts), xml));
    let x = 987654321;
    const rnd = (n: number) => {
      x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
      return x % n;
    };
    let opened = 0;
    let refused = 0;
    for (let k = 0; k < 300; k++) {
      const base = k % 2 ? v3 : v2;
      let b = Buffer.from(base);
      const kind = rnd(4);
      if (kind === 0) {
        b = b.subarray(0, rnd(b.length));
      } // truncate anywhere
      else if (kind === 1) {
        for (let m = 0; m < 1 + rnd(8); m++) {
          b[rnd(b.length)] = rnd(256);
        }
      } // random bytes
      else if (kind === 2) {
        // hit the header fields that matter
        const offs = [42, 43, 108, 656, 678, 679, 682, 685, 1446, 1449, 1992, 1995, 3101, 3263, 3270];
        for (let m = 0; m < 1 + rnd(3); m++) {
          b[offs[rnd(offs.length)]] = rnd(256);
        }
      } else {
        // damage the XML text
        const at = 4100 + rnd(b.length - 4100);
        b = Buffer.concat([
          b.subarray(0, at),
          Buffer.from(['"', '<', '>', '/', '0', '99999999999', 'é'][rnd(7)]),
          b.subarray(at + 1),
        ]);
      }
      const p = writeFile(`fuzz${k}.spe`, b);
      try {
        const s = openSpe(p);
        for (let f = 0; f < s.frames; f++) {
          s.readFrame(f);
        }
        s.close();
        opened++;
      } catch (e) {
        expect(e).toBeInstanceOf(InputFileError);
        expect((e as Error).message).not.toContain('\n');
        refused++;
      }
    }
    expect(opened).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(20);
  });
});
