/**
 * Per-frame time stamps of a LightField 3.0 file (the 8-byte TimeStamp item of the per-frame metadata that follows
 * each frame's pixels), read when they are asked for, not at open: a 20,000-frame shot would otherwise cost 20,000
 * small reads before the first frame is fitted.
 *
 * - `at(i)` gives frame i's time in s: from the cache, else by one 8-byte read (as the reader did at open before).
 * - A block reader that reads frames whole anyway (src/analysis/frames.ts ChunkReader) extends its block to
 *   `spanOf(from, count)` bytes and hands it to `takeFromBlock`: the stamps of those frames then cost no read.
 * - A stamp that lies past the end of the data (the last frame's metadata cut off), or that cannot be read, is NaN.
 * - The time is ticks / resolution with the ticks read as a 64-bit integer (signed unless the type says unsigned)
 *   and rounded to the nearest double: every path (cache, block, single read) decodes the same bytes the same way.
 */
import * as fs from 'fs';
import * as os from 'os';
import type { FrameStamps } from './types';

/** Where the stamps lie in the file and how they are coded. */
export interface StampLayout {
  /** Frames in the file. */
  frames: number;
  /** Byte offset of frame 0. */
  dataOffset: number;
  /** Bytes between the starts of two frames. */
  stride: number;
  /** Byte offset of a frame's stamp from the start of the frame (pixels of all regions + item offset). */
  offsetInFrame: number;
  /** End of the frame data (the XML footer's offset): a stamp must end at or before it. */
  dataEnd: number;
  /** Ticks per second. */
  resolution: number;
  /** Unsigned 64-bit ticks (type "UInt64"), else signed. */
  unsigned: boolean;
}

/** Fills `buffer` from byte `position` of the file; returns the bytes read (fewer at the end, 0 on failure). */
export type ReadAt = (buffer: Buffer, position: number) => number;

const STAMP_BYTES = 8;
const LITTLE_ENDIAN_HOST = os.endianness() === 'LE';
const TWO_TO_32 = 4294967296;

/** The time in s of the 8 little-endian bytes at `at` of `bytes`. */
function decodeStamp(bytes: Buffer, at: number, layout: StampLayout): number {
  const low = bytes.readUInt32LE(at);
  const high = layout.unsigned ? bytes.readUInt32LE(at + 4) : bytes.readInt32LE(at + 4);
  // high·2³² is exact and the sum is rounded once: the same double as Number(BigInt ticks)
  return (high * TWO_TO_32 + low) / layout.resolution;
}

export class SpeFrameStamps implements FrameStamps {
  readonly frames: number;
  private readonly times: Float64Array;
  private readonly known: Uint8Array;
  private readonly single = Buffer.alloc(STAMP_BYTES);

  constructor(
    private readonly layout: StampLayout,
    private readonly readAt: ReadAt,
  ) {
    this.frames = layout.frames;
    this.times = new Float64Array(layout.frames);
    this.known = new Uint8Array(layout.frames);
  }

  /** Byte position of frame i's stamp in the file. */
  private positionOf(i: number): number {
    return this.layout.dataOffset + i * this.layout.stride + this.layout.offsetInFrame;
  }

  /** Frame i's stamp lies inside the data. */
  private inData(i: number): boolean {
    return this.positionOf(i) + STAMP_BYTES <= this.layout.dataEnd;
  }

  at(i: number): number {
    if (!(Number.isInteger(i) && i >= 0 && i < this.frames)) {
      return NaN;
    }
    if (this.known[i] === 0) {
      this.times[i] = this.readOne(i);
      this.known[i] = 1;
    }
    return this.times[i];
  }

  /** One frame's stamp by its own read (NaN when it lies past the data or cannot be read). */
  private readOne(i: number): number {
    if (!this.inData(i)) {
      return NaN;
    }
    let got = 0;
    try {
      got = this.readAt(this.single, this.positionOf(i));
    } catch {
      got = 0;
    }
    return got === STAMP_BYTES ? decodeStamp(this.single, 0, this.layout) : NaN;
  }

  spanOf(from: number, count: number): number {
    let last = Math.min(from + count, this.frames) - 1;
    while (last >= from && !this.inData(last)) {
      last--;
    }
    return last < from ? 0 : (last - from) * this.layout.stride + this.layout.offsetInFrame + STAMP_BYTES;
  }

  takeFromBlock(from: number, count: number, block: Buffer, length: number): void {
    const { stride, offsetInFrame } = this.layout;
    const first = Math.max(0, from);
    // the last frame whose stamp lies inside both the data and the block
    const byData = Math.floor((this.layout.dataEnd - STAMP_BYTES - this.layout.dataOffset - offsetInFrame) / stride);
    const byBlock = from + Math.floor((length - STAMP_BYTES - offsetInFrame) / stride);
    const last = Math.min(from + count, this.frames) - 1;
    const end = Math.min(last, byData, byBlock) + 1;
    if (end <= first) {
      return;
    }
    const aligned = block.byteOffset % 4 === 0 && stride % 4 === 0 && offsetInFrame % 4 === 0;
    if (aligned && LITTLE_ENDIAN_HOST) {
      this.takeAligned(from, first, end, block);
      return;
    }
    for (let i = first; i < end; i++) {
      this.times[i] = decodeStamp(block, (i - from) * stride + offsetInFrame, this.layout);
      this.known[i] = 1;
    }
  }

  /**
   * takeFromBlock through 32-bit views of the block (no call per frame: this runs on the main thread for every
   * frame of a shot, mostly before the JIT has optimised it).
   */
  private takeAligned(from: number, first: number, end: number, block: Buffer): void {
    const { stride, offsetInFrame, resolution, unsigned } = this.layout;
    const words = Math.floor(block.length / 4);
    const low = new Uint32Array(block.buffer, block.byteOffset, words);
    const high = unsigned ? low : new Int32Array(block.buffer, block.byteOffset, words);
    const wordsPerFrame = stride / 4;
    let word = ((first - from) * stride + offsetInFrame) / 4;
    const times = this.times;
    for (let i = first; i < end; i++) {
      times[i] = (high[word + 1] * TWO_TO_32 + low[word]) / resolution;
      word += wordsPerFrame;
    }
    this.known.fill(1, first, end);
  }

  into(from: number, count: number, out: Float64Array): void {
    const known = this.known;
    const times = this.times;
    for (let k = 0; k < count; k++) {
      const i = from + k;
      out[k] = i >= 0 && i < this.frames && known[i] === 1 ? times[i] : this.at(i);
    }
  }

  all(): Float64Array {
    for (let i = 0; i < this.frames; i++) {
      this.at(i);
    }
    return this.times;
  }
}

/** A ReadAt on the reader's fd while it is open, else on the file reopened for that one read (after close). */
export function readAtOf(path: string, fdOf: () => number | null): ReadAt {
  return (buffer, position) => {
    const fd = fdOf();
    if (fd !== null) {
      return fs.readSync(fd, buffer, 0, buffer.length, position);
    }
    const reopened = fs.openSync(path, 'r');
    try {
      return fs.readSync(reopened, buffer, 0, buffer.length, position);
    } finally {
      fs.closeSync(reopened);
    }
  };
}
