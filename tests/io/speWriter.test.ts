import { describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as path from 'path';
import { openSpe } from '../../src/io/spe';
import { SpeStreamWriter, writeSpe } from '../../src/io/speWriter';
import type { SpeDataType } from '../../src/io/types';
import { tmpDir } from '../support/speBytes';

const P = (name: string) => path.join(tmpDir(), name);

describe('SPE 3.0 writer', () => {
  it('round-trips uint16 frames, wavelengths, exposure and frame times exactly', () => {
    const w = 7;
    const h = 3;
    const nf = 5;
    const wl = Float64Array.from({ length: w }, (_, i) => 500 + i / 3 + 1e-7 * i * i);
    const frames = Array.from({ length: nf }, (_, f) =>
      Float64Array.from({ length: w * h }, (_, k) => (f * 977 + k * 31) % 65536),
    );
    const times = Array.from({ length: nf }, (_, f) => f * 0.125);
    writeSpe(P('rt.spe'), { width: w, height: h, frames, wavelength: wl, exposureTime: 0.02, frameTimes: times });
    const s = openSpe(P('rt.spe'));
    expect([s.version, s.width, s.height, s.frames, s.dataType]).toEqual([3, w, h, nf, 'uint16']);
    expect(s.geometrySource).toBe('xml');
    expect(Array.from(s.wavelength!)).toEqual(Array.from(wl));
    expect(s.exposureTime).toBe(0.02);
    expect(Array.from(s.frameTimes!)).toEqual(times);
    expect(s.frameStride).toBe(w * h * 2 + 8);
    for (let f = 0; f < nf; f++) {
      expect(Array.from(s.readFrame(f))).toEqual(Array.from(frames[f]));
    }
    s.close();
  });

  it('fills the legacy header fields (read here straight from the bytes)', () => {
    writeSpe(P('hdr.spe'), {
      width: 9,
      height: 2,
      frames: [new Float64Array(18), new Float64Array(18)],
      exposureTime: 1.5,
    });
    const b = fs.readFileSync(P('hdr.spe'));
    expect(b.readUInt16LE(42)).toBe(9);
    expect(b.readUInt16LE(656)).toBe(2);
    expect(b.readInt16LE(108)).toBe(3);
    expect(b.readInt32LE(1446)).toBe(2);
    expect(b.readFloatLE(1992)).toBe(3);
    expect(b.readFloatLE(10)).toBe(1.5);
    const off = Number(b.readBigUInt64LE(678));
    expect(off).toBe(4100 + 2 * 18 * 2);
    expect(b.subarray(off, off + 5).toString()).toBe('<?xml');
    const s = openSpe(P('hdr.spe'));
    expect(s.wavelength).toBeNull();
    expect(s.frameTimes).toBeNull();
  });

  it('writes every data type; integer types round and clip', () => {
    const types: SpeDataType[] = ['uint16', 'int16', 'uint32', 'int32', 'uint8', 'float32', 'float64'];
    const input = [-5.4, 0.49, 1.5, 300.2, 70000, 1e10, 123.456];
    const expected: Record<SpeDataType, number[]> = {
      uint16: [0, 0, 2, 300, 65535, 65535, 123],
      int16: [-5, 0, 2, 300, 32767, 32767, 123],
      uint32: [0, 0, 2, 300, 70000, 4294967295, 123],
      int32: [-5, 0, 2, 300, 70000, 2147483647, 123],
      uint8: [0, 0, 2, 255, 255, 255, 123],
      float32: input.map(Math.fround),
      float64: input,
    };
    for (const t of types) {
      writeSpe(P(`w-${t}.spe`), { width: 7, height: 1, frames: [Float64Array.from(input)], dataType: t });
      const s = openSpe(P(`w-${t}.spe`));
      expect(s.dataType).toBe(t);
      expect(Array.from(s.readFrame(0))).toEqual(expected[t]);
    }
  });

  it('streams frames from a generator and gives identical bytes for identical input', () => {
    function* gen() {
      for (let f = 0; f < 50; f++) {
        yield Float64Array.from({ length: 40 }, (_, k) => f + k);
      }
    }
    writeSpe(P('g1.spe'), {
      width: 20,
      height: 2,
      frames: gen(),
      wavelength: Float64Array.from({ length: 20 }, (_, i) => 600 + i),
    });
    const sw = new SpeStreamWriter(P('g2.spe'), {
      width: 20,
      height: 2,
      wavelength: Float64Array.from({ length: 20 }, (_, i) => 600 + i),
    });
    for (const f of gen()) {
      sw.append(f);
    }
    expect(sw.finish()).toBe(50);
    expect(fs.readFileSync(P('g1.spe')).equals(fs.readFileSync(P('g2.spe')))).toBe(true);
    const s = openSpe(P('g2.spe'));
    expect(s.frames).toBe(50);
    expect(Array.from(s.readRows(49, 0, 1)).slice(0, 3)).toEqual([49 + 49 + 20, 49 + 1 + 49 + 21, 49 + 2 + 49 + 22]);
  });

  it('checkpoint(): the file on disk is a valid SPE of the frames so far after each one, and stays so while frames wait', () => {
    const w = 5;
    const h = 3;
    const stride = w * h * 2 + 8; // uint16 pixels + Int64 time stamp
    const frameOf = (f: number) => Float64Array.from({ length: w * h }, (_, k) => (f * 1009 + k * 17) % 65536);
    const timeOf = (f: number) => 0.25 + f * 0.020001; // µs ticks: 250000 + 20001·f
    const file = P('ckpt.spe');
    const sw = new SpeStreamWriter(file, {
      width: w,
      height: h,
      withFrameTimes: true,
      wavelength: [600, 601, 602, 603, 604],
      exposureTime: 0.02,
    });
    const check = (n: number) => {
      const s = openSpe(file);
      expect([s.frames, s.width, s.height, s.dataType]).toEqual([n, w, h, 'uint16']);
      expect(Array.from(s.frameTimes!)).toEqual(Array.from({ length: n }, (_, f) => (250000 + 20001 * f) / 1e6));
      for (let f = 0; f < n; f++) {
        expect(Array.from(s.readFrame(f))).toEqual(Array.from(frameOf(f)));
      }
      expect(Array.from(s.wavelength!)).toEqual([600, 601, 602, 603, 604]);
      s.close();
    };
    let next = 0;
    const add = (k: number) => {
      for (let i = 0; i < k; i++, next++) {
        sw.append(frameOf(next), timeOf(next));
      }
    };
    sw.checkpoint(); // no frame yet: nothing to write, the file is the blank header
    expect(fs.statSync(file).size).toBe(4100);
    add(1);
    expect(sw.bufferedBytes).toBe(stride);
    sw.checkpoint();
    expect(sw.bufferedBytes).toBe(0);
    check(1);
    add(3);
    expect(sw.bufferedBytes).toBe(3 * stride);
    check(1); // appended frames are not on disk yet: the file is still the last checkpoint's
    sw.checkpoint();
    check(4);
    const bytes = fs.readFileSync(file);
    sw.checkpoint(); // nothing new: same bytes
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    add(5);
    sw.checkpoint();
    check(9);
    add(2);
    check(9);
    expect(sw.frameCount).toBe(11);
    expect(sw.finish({ fsync: true })).toBe(11);
    check(11);
    // the same frames written in one go give the same file
    writeSpe(P('ckpt-once.spe'), {
      width: w,
      height: h,
      frames: Array.from({ length: 11 }, (_, f) => frameOf(f)),
      frameTimes: Array.from({ length: 11 }, (_, f) => timeOf(f)),
      wavelength: [600, 601, 602, 603, 604],
      exposureTime: 0.02,
    });
    expect(fs.readFileSync(file).equals(fs.readFileSync(P('ckpt-once.spe')))).toBe(true);
  });

  it('checkpoint() with frames larger than the write batch: written through before the first checkpoint, held after it', () => {
    const w = 1000;
    const h = 600; // 1.2 MB per uint16 frame
    const file = P('ckpt-big.spe');
    const sw = new SpeStreamWriter(file, { width: w, height: h, withFrameTimes: true });
    const frameOf = (f: number) => new Float64Array(w * h).fill(100 + f);
    sw.append(frameOf(0), 0);
    expect(sw.bufferedBytes).toBe(0); // no valid file to protect yet: on disk at once
    expect(fs.statSync(file).size).toBe(4100 + w * h * 2 + 8);
    sw.checkpoint();
    sw.append(frameOf(1), 0.5);
    expect(sw.bufferedBytes).toBe(w * h * 2 + 8);
    let s = openSpe(file);
    expect(s.frames).toBe(1);
    expect(s.readFrame(0)[w * h - 1]).toBe(100);
    s.close();
    sw.checkpoint();
    s = openSpe(file);
    expect(s.frames).toBe(2);
    expect(Array.from(s.frameTimes!)).toEqual([0, 0.5]);
    expect(s.readFrame(1)[w * h - 1]).toBe(101);
    s.close();
    sw.finish();
  });

  it('rejects inconsistent input', () => {
    expect(() => writeSpe(P('bad1.spe'), { width: 3, height: 1, frames: [new Float64Array(4)] })).toThrow(
      /4 values, expected 3/,
    );
    expect(fs.existsSync(P('bad1.spe'))).toBe(false);
    expect(() =>
      writeSpe(P('bad2.spe'), { width: 3, height: 1, frames: [new Float64Array(3)], wavelength: [1, 2] }),
    ).toThrow(/2 wavelengths/);
    expect(() => writeSpe(P('bad3.spe'), { width: 3, height: 1, frames: [] })).toThrow(/no frames/);
  });
});
