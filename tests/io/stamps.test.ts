/**
 * Per-frame time stamps read on demand (src/io/stamps.ts) rather than at open: the same times whether a stamp is
 * read alone, all at once (frameTimes), or taken from the blocks the ChunkReader reads; the chunk reads leave no
 * stamp to read; a last frame whose metadata is cut off has no time. Expected values come from the bytes the test
 * writes, decoded here with BigInt (independently of the reader's own decoding).
 */
import * as fs from 'fs';
import * as path from 'path';
import { describe, expect, it } from 'vitest';
import { ChunkReader } from '../../src/analysis/frames';
import { openSpe } from '../../src/io/spe';
import { writeSpe } from '../../src/io/speWriter';
import { frameClock } from '../../src/io/timing';
import { encode, tmpDir, v3File, xmlDoc } from '../support/speBytes';

const W = 3;

/**
 * A uint16 3.0 file of one-row frames `width` pixels wide, each followed by an 8-byte TimeStamp of `type` (given
 * ticks). An odd width puts the stamps off 4-byte alignment in the file.
 */
function stampedFile(
  name: string,
  ticks: bigint[],
  type: 'Int64' | 'UInt64',
  resolution: number,
  options: { cutLast?: boolean; width?: number } = {},
) {
  const { cutLast = false, width = W } = options;
  const PIXEL_BYTES = width * 2;
  const STRIDE = PIXEL_BYTES + 8;
  const frames = ticks.length;
  const parts: Buffer[] = [];
  ticks.forEach((tick, f) => {
    parts.push(
      encode(
        'uint16',
        Array.from({ length: width }, (_v, k) => f + k),
      ),
    );
    if (!(cutLast && f === frames - 1)) {
      const stamp = Buffer.alloc(8);
      if (type === 'UInt64') {
        stamp.writeBigUInt64LE(tick);
      } else {
        stamp.writeBigInt64LE(tick);
      }
      parts.push(stamp);
    }
  });
  const xml = xmlDoc(
    `<DataFormat><DataBlock type="Frame" count="${frames}" pixelFormat="MonochromeUnsigned16" ` +
      `size="${PIXEL_BYTES}" stride="${STRIDE}" metaFormat="1"><DataBlock type="Region" width="${width}" height="1" ` +
      `size="${PIXEL_BYTES}"/></DataBlock></DataFormat><MetaFormat><MetaBlock id="1"><TimeStamp ` +
      `event="ExposureStarted" type="${type}" bitDepth="64" resolution="${resolution}"/></MetaBlock></MetaFormat>`,
  );
  return v3File(name, { xdim: width, ydim: 1, frames }, Buffer.concat(parts), xml);
}

/** Ticks beyond 2^53 (where the double rounds), negative ones, and ordinary ones. */
const SIGNED_TICKS = [
  0n,
  1234567890123n,
  (1n << 53n) + 1n,
  (1n << 60n) + 3n,
  -((1n << 62n) + 12345n),
  (1n << 63n) - 1n,
  -1n,
  987654321n,
];
const UNSIGNED_TICKS = [5n, (1n << 63n) + 1n, (1n << 64n) - 1n, (1n << 55n) + 7n, 42n];

describe('per-frame time stamps on demand', () => {
  it.each([
    ['Int64', 3, SIGNED_TICKS, 1e7],
    ['UInt64', 3, UNSIGNED_TICKS, 1e6],
    ['Int64', 4, SIGNED_TICKS, 1e7],
    ['UInt64', 4, UNSIGNED_TICKS, 1e6],
  ] as const)(
    '%s ticks, frames %i px wide: one by one, all at once and from chunk blocks give Number(ticks) / resolution',
    async (type, width, ticks, resolution) => {
      const file = stampedFile(`stamps-${type}-${width}.spe`, ticks, type, resolution, { width });
      const expected = ticks.map((t) => Number(t) / resolution);
      const one = openSpe(file);
      const fromBlocks = openSpe(file);
      const reader = new ChunkReader(fromBlocks, 3);
      try {
        expect(Array.from({ length: ticks.length }, (_v, i) => one.stamps!.at(i))).toEqual(expected);
        expect(Array.from(openSpe(file).frameTimes!)).toEqual(expected);
        reader.read(0, 3);
        await reader.readAsync(3, ticks.length);
        fromBlocks.close();
        fs.renameSync(file, `${file}.moved`); // nothing left to read: every stamp must come from the blocks
        expect(Array.from({ length: ticks.length }, (_v, i) => fromBlocks.stamps!.at(i))).toEqual(expected);
      } finally {
        reader.close();
        one.close();
        fromBlocks.close();
      }
    },
  );

  it('the chunk reads leave no stamp to read: the clock gives the written times with the file gone', async () => {
    const frames = 50;
    const written = Array.from({ length: frames }, (_v, f) => 2.5 + 0.01 * f + 0.003 * (f % 3));
    const file = path.join(tmpDir(), 'clock.spe');
    const data = Array.from({ length: frames }, (_v, f) => Float64Array.from({ length: W * 2 }, (_x, k) => f + k));
    writeSpe(file, { width: W, height: 2, frames: data, frameTimes: written });
    // the writer stores round(t · 1e6) ticks at 1 MHz; the clock counts from frame 0
    const stored = written.map((t) => Math.round(t * 1e6) / 1e6);
    const expected = stored.map((t) => t - stored[0] + 10);
    const spe = openSpe(file);
    const unread = openSpe(file);
    const clock = frameClock(spe, { timeOffset: 10 });
    const unreadClock = frameClock(unread, { timeOffset: 10 });
    expect([clock.source, clock.interval]).toEqual(['timestamps', (stored[frames - 1] - stored[0]) / (frames - 1)]);
    const reader = new ChunkReader(spe, 7);
    for (let from = 0; from < frames; from += 7) {
      const chunk =
        from % 14 === 0
          ? reader.read(from, Math.min(frames, from + 7))
          : await reader.readAsync(from, Math.min(frames, from + 7));
      expect(Array.from(chunk[0])).toEqual(Array.from(data[from]));
    }
    reader.close();
    spe.close();
    unread.close();
    fs.rmSync(file);
    expect(Array.from({ length: frames }, (_v, i) => clock.timeOf(i))).toEqual(expected);
    // a chunk's times in one call: the same values (frames 5..18 of the 50)
    const chunkTimes = new Float64Array(14);
    clock.timesInto(5, 19, chunkTimes);
    expect(Array.from(chunkTimes)).toEqual(expected.slice(5, 19));
    // the control: a clock whose frames were never read now finds nothing to read
    expect([unreadClock.timeOf(0), unreadClock.timeOf(frames - 1), unreadClock.timeOf(20)]).toEqual([
      10,
      expected[frames - 1],
      null,
    ]);
  });

  it('the last frame’s metadata cut off: no time for it, no interval; its pixels are still read in a block', () => {
    const ticks = [1000n, 1500n, 2250n];
    const file = stampedFile('cut-stamp.spe', ticks, 'Int64', 1000, { cutLast: true });
    const spe = openSpe(file);
    const reader = new ChunkReader(spe, 3);
    try {
      expect(spe.frames).toBe(3);
      const clock = frameClock(spe);
      expect([clock.source, clock.interval, clock.timeOf(0), clock.timeOf(1), clock.timeOf(2)]).toEqual([
        'timestamps',
        null,
        0,
        0.5,
        null,
      ]);
      // in one call: NaN where timeOf gives null
      const times = new Float64Array(3);
      clock.timesInto(0, 3, times);
      expect(Array.from(times)).toEqual([0, 0.5, NaN]);
      const frames = reader.read(0, 3);
      expect(frames.map((f) => Array.from(f))).toEqual([
        [0, 1, 2],
        [1, 2, 3],
        [2, 3, 4],
      ]);
      expect(Array.from(reader.read(2, 3)[0])).toEqual([2, 3, 4]);
      expect(Array.from(spe.frameTimes!)).toEqual([1, 1.5, NaN]);
    } finally {
      reader.close();
      spe.close();
    }
  });
});
