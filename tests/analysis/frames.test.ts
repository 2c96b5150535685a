// ChunkReader: blocks of frames read whole (sync and on a libuv thread) give the file's values, as typed views or
// decoded copies (unaligned frames with per-frame metadata), and fall back frame by frame (NaN where unreadable).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChunkReader } from '../../src/analysis/frames';
import { declaredFrameLength, stridedFrames } from '../../src/physics/stridedFrames';
import { openSpe } from '../../src/io/spe';
import { writeSpe } from '../../src/io/speWriter';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-frames-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const W = 7;
const H = 3;
const N = 10;
const frameValues = (f: number) => Float64Array.from({ length: W * H }, (_v, i) => 1000 * f + 3 * i + 1);

describe('ChunkReader', () => {
  it.each([
    ['uint16', false],
    ['float32', false],
    ['uint16', true],
    ['int32', true],
  ] as const)('%s, frame times %s: read and readAsync give every value', async (dataType, withTimes) => {
    const file = path.join(dir, `f-${dataType}-${withTimes}.spe`);
    writeSpe(file, {
      width: W,
      height: H,
      dataType,
      frames: Array.from({ length: N }, (_v, f) => frameValues(f)),
      frameTimes: withTimes ? Array.from({ length: N }, (_v, f) => 0.01 * f) : null,
    });
    const spe = openSpe(file);
    const r = new ChunkReader(spe, 4);
    try {
      const a = r.read(2, 6);
      const b = await r.readAsync(6, 10);
      const all = [...a, ...b];
      expect(all.length).toBe(8);
      all.forEach((fr, k) => expect(Array.from(fr)).toEqual(Array.from(frameValues(k + 2))));
      // the views of a call stay valid across the next call (two alternating blocks)
      expect(Array.from(a[0])).toEqual(Array.from(frameValues(2)));
      // frames declared strided (every one a view): the declared block holds exactly them
      for (const frames of [a, b]) {
        if (declaredFrameLength(frames) !== null) {
          const block = stridedFrames(frames)!;
          expect(declaredFrameLength(frames)).toBe(W * H);
          frames.forEach((fr, k) => {
            const inBlock = block.data.subarray(k * block.stride, k * block.stride + W * H);
            expect(Array.from(inBlock)).toEqual(Array.from(fr));
          });
        }
      }
      if (dataType === 'uint16') {
        expect(declaredFrameLength(b)).toBe(W * H); // two-byte values at any stride of whole values: views
      }
    } finally {
      r.close();
      spe.close();
    }
  });

  it('the blocks rotate and grow: every read gives its own frames (views made once per block buffer)', async () => {
    const file = path.join(dir, 'rotate.spe');
    writeSpe(file, {
      width: W,
      height: H,
      dataType: 'uint16',
      frames: Array.from({ length: N }, (_v, f) => frameValues(f)),
    });
    const spe = openSpe(file);
    const r = new ChunkReader(spe, 4);
    try {
      // sizes that make blocks grow after their views were made, over more reads than there are blocks
      const spans: [number, number][] = [
        [0, 1],
        [1, 3],
        [3, 4],
        [4, 8],
        [0, 4],
        [2, 9],
        [5, 10],
        [0, 2],
      ];
      for (const [from, to] of spans) {
        const frames = from % 2 === 0 ? r.read(from, to) : await r.readAsync(from, to);
        expect(frames.length).toBe(to - from);
        frames.forEach((fr, k) => expect(Array.from(fr)).toEqual(Array.from(frameValues(from + k))));
        expect(declaredFrameLength(frames)).toBe(W * H);
      }
    } finally {
      r.close();
      spe.close();
    }
  });

  it('a block cut short by the end of the file: frame by frame, the missing frames NaN', async () => {
    const file = path.join(dir, 'cut.spe');
    writeSpe(file, { width: W, height: H, frames: Array.from({ length: N }, (_v, f) => frameValues(f)) });
    const spe = openSpe(file);
    const r = new ChunkReader(spe, 4);
    try {
      // ask for frames past the end (as a lying header would): the readable ones come through
      const fr = await r.readAsync(8, 12);
      expect(Array.from(fr[0])).toEqual(Array.from(frameValues(8)));
      expect(Array.from(fr[1])).toEqual(Array.from(frameValues(9)));
      expect(Array.from(fr[2]).every(Number.isNaN)).toBe(true);
      expect(Array.from(fr[3]).every(Number.isNaN)).toBe(true);
    } finally {
      r.close();
      spe.close();
    }
  });
});
