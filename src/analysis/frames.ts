/**
 * Streaming frames of an SPE file in chunks for the batch pipeline: one read per chunk of frames (the frame
 * geometry comes from the reader's SpeInfo: dataOffset, frameStride, dataType). Aligned frames are returned as
 * typed-array views of the file's own data type on the block (no decoding: the analyzer reads any typed array, and
 * every SPE type converts to a double exactly); unaligned ones are decoded into a pool of reused Float64Array
 * frames. Any problem with a block (short read, I/O error) falls back to the reader's per-frame
 * readFrame, and a frame the reader cannot read becomes all-NaN (flagged `corrupt` downstream).
 */
import * as fs from 'fs';
import * as os from 'os';
import type { SpeFile } from '../io/types';
import type { FrameData } from './analyzer';

const LE = os.endianness() === 'LE';

export class ChunkReader {
  private readonly file: SpeFile;
  private readonly n: number;
  /**
   * three rotating blocks: while block k+2 is being read, chunk k may still be prepared and fitted on the native
   * worker threads (analyzeCountsBatch reads the raw frames there) and chunk k+1 is waiting
   */
  private readonly blocks: Buffer[] = [Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0)];
  private fd: number | null = null;
  private readonly pools: Float64Array[][] = [[], [], []];
  private which = 0;

  constructor(file: SpeFile, private readonly chunk: number) {
    this.file = file;
    this.n = file.width * file.height;
    try { this.fd = fs.openSync(file.path, 'r'); } catch { this.fd = null; }
  }

  /**
   * Frames from..to−1 (height × width values each, as typed arrays). They live in one of three rotating blocks
   * and pools, so the result of a call stays valid until the third call after it (two earlier chunks may still be in use).
   */
  read(from: number, to: number): FrameData[] {
    const count = to - from;
    const pool = this.pools[this.which];
    const block = this.which;
    this.which = (this.which + 1) % 3;
    const out: FrameData[] = new Array(count);
    const geo = this.geometry(from, count, block);
    let ok = false;
    if (geo !== null) {
      let got = 0;
      try {
        while (got < geo.total) {
          const r = fs.readSync(this.fd as number, geo.bytes, got, geo.total - got, geo.pos + got);
          if (r <= 0) break;
          got += r;
        }
      } catch {
        got = -1;
      }
      ok = got === geo.total && this.viewBlock(count, out, pool, geo.bytes);
    }
    return ok ? out : this.fallback(from, count, out, pool);
  }

  /**
   * The same as read(), with the block read on a libuv thread (so the caller can prepare the previous chunk
   * meanwhile). Frames that cannot be read this way are read frame by frame, as by read().
   */
  readAsync(from: number, to: number): Promise<FrameData[]> {
    const count = to - from;
    const pool = this.pools[this.which];
    const block = this.which;
    this.which = (this.which + 1) % 3;
    const out: FrameData[] = new Array(count);
    const geo = this.geometry(from, count, block);
    if (geo === null) return Promise.resolve(this.fallback(from, count, out, pool));
    const fd = this.fd as number;
    return new Promise((resolve) => {
      let got = 0;
      const done = (ok: boolean) => {
        let frames: FrameData[];
        try {
          frames = ok && this.viewBlock(count, out, pool, geo.bytes) ? out : this.fallback(from, count, out, pool);
        } catch {
          frames = this.fallback(from, count, out, pool);
        }
        resolve(frames);
      };
      const step = (): void => {
        fs.read(fd, geo.bytes, got, geo.total - got, geo.pos + got, (err, r) => {
          if (err || r <= 0) { done(false); return; }
          got += r;
          if (got < geo.total) step(); else done(true);
        });
      };
      step();
    });
  }

  /** Frame by frame through the reader (all-NaN for a frame it cannot read). */
  private fallback(from: number, count: number, out: FrameData[], pool: Float64Array[]): FrameData[] {
    this.grow(pool, count);
    for (let k = 0; k < count; k++) {
      out[k] = pool[k];
      try {
        const f = this.file.readFrame(from + k);
        pool[k].set(f.subarray(0, this.n));
      } catch {
        pool[k].fill(NaN);
      }
    }
    return out;
  }

  /** Where the block of `count` frames from `from` lies, and the buffer for it; null when it cannot be read whole. */
  private geometry(from: number, count: number, block: number): { bytes: Buffer; total: number; pos: number } | null {
    const f = this.file;
    if (this.fd === null || !LE || count <= 0 || from < 0 || from + count > f.frames) return null;
    const frameBytes = this.n * f.bytesPerPixel;
    const stride = f.frameStride;
    if (!(stride >= frameBytes)) return null;
    const total = (count - 1) * stride + frameBytes;
    if (this.blocks[block].length < total) this.blocks[block] = Buffer.alloc(total);
    return { bytes: this.blocks[block], total, pos: f.dataOffset + from * stride };
  }

  /** Typed-array views of the frames of a block read whole (decoded copies where unaligned). */
  private viewBlock(count: number, out: FrameData[], pool: Float64Array[], bytes: Buffer): boolean {
    const f = this.file;
    const bpp = f.bytesPerPixel;
    const frameBytes = this.n * bpp;
    const stride = f.frameStride;
    const ab = bytes.buffer; const base = bytes.byteOffset;
    for (let k = 0; k < count; k++) {
      const off = base + k * stride;
      if (off % bpp !== 0) {
        const dv = new DataView(ab, off, frameBytes);
        this.grow(pool, k + 1);
        decodeDataView(dv, f.dataType, this.n, pool[k]);
        out[k] = pool[k];
        continue;
      }
      let src: FrameData;
      switch (f.dataType) {
        case 'uint16': src = new Uint16Array(ab, off, this.n); break;
        case 'int16': src = new Int16Array(ab, off, this.n); break;
        case 'uint32': src = new Uint32Array(ab, off, this.n); break;
        case 'int32': src = new Int32Array(ab, off, this.n); break;
        case 'float32': src = new Float32Array(ab, off, this.n); break;
        case 'float64': src = new Float64Array(ab, off, this.n); break;
        case 'uint8': src = new Uint8Array(ab, off, this.n); break;
        default: return false;
      }
      out[k] = src; // a view: no copy, no conversion (the analyzer reads the values as numbers)
    }
    return true;
  }

  /** Decoded frames are needed only for unaligned or unreadable blocks: allocated on first use. */
  private grow(pool: Float64Array[], count: number): void {
    while (pool.length < count) pool.push(new Float64Array(this.n));
  }

  close(): void {
    if (this.fd !== null) { try { fs.closeSync(this.fd); } catch { /* ignore */ } this.fd = null; }
  }
}

function decodeDataView(dv: DataView, type: string, n: number, dst: Float64Array): void {
  for (let p = 0; p < n; p++) {
    switch (type) {
      case 'uint16': dst[p] = dv.getUint16(2 * p, true); break;
      case 'int16': dst[p] = dv.getInt16(2 * p, true); break;
      case 'uint32': dst[p] = dv.getUint32(4 * p, true); break;
      case 'int32': dst[p] = dv.getInt32(4 * p, true); break;
      case 'float32': dst[p] = dv.getFloat32(4 * p, true); break;
      case 'float64': dst[p] = dv.getFloat64(8 * p, true); break;
      default: dst[p] = dv.getUint8(p);
    }
  }
}
