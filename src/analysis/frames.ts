/**
 * Streaming frames of an SPE file in chunks for the batch pipeline: one read per chunk of frames (the frame
 * geometry comes from the reader's SpeInfo: dataOffset, frameStride, dataType). Aligned frames are returned as
 * typed-array views of the file's own data type on the block (no decoding: the analyzer reads any typed array, and
 * every SPE type converts to a double exactly); unaligned ones are decoded into a pool of reused Float64Array
 * frames. Any problem with a block (short read, I/O error) falls back to the reader's per-frame
 * readFrame, and a frame the reader cannot read becomes all-NaN (flagged `corrupt` downstream). Files that are not
 * binary SPE (Andor ASCII exports, read whole at open) always go through readFrame.
 *
 * Each block also covers the per-frame time stamps of its frames (LightField metadata after each frame's pixels),
 * which it hands to the file's `stamps`: a frame clock (src/io/timing.ts) asked for those frames' times after their
 * chunk was read costs no read. Before, each stamp costs one small read (the result is the same).
 */
import * as fs from 'fs';
import * as os from 'os';
import { decodePixels, pixelView } from '../io/spe';
import type { SpeFile } from '../io/types';
import { markStrided } from '../physics/stridedFrames';
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
  /** each block's frame views, made once per block buffer (viewsOf) */
  private readonly frameViews = new WeakMap<Buffer, FrameData[]>();
  private which = 0;

  constructor(
    file: SpeFile,
    private readonly chunk: number,
  ) {
    this.file = file;
    this.n = file.width * file.height;
    // an Andor ASCII export is held in memory by its reader: frame by frame through readFrame (no block reads)
    if (file.format !== 'andor-asc') {
      try {
        this.fd = fs.openSync(file.path, 'r');
      } catch {
        this.fd = null;
      }
    }
  }

  /**
   * Frames from..to−1 (height × width values each, as typed arrays). They live in one of three rotating blocks
   * and pools, so the result of a call stays valid until the third call after it (two earlier chunks may still be in use).
   */
  read(from: number, to: number): FrameData[] {
    const count = to - from;
    const { pool, out, geo } = this.next(from, count);
    if (geo !== null) {
      let got = 0;
      try {
        while (got < geo.total) {
          const r = fs.readSync(this.fd as number, geo.bytes, got, geo.total - got, geo.pos + got);
          if (r <= 0) {
            break;
          }
          got += r;
        }
      } catch {
        got = -1;
      }
      if (got === geo.total) {
        this.takeStamps(from, count, geo);
        return this.viewBlock(count, out, pool, geo.bytes);
      }
    }
    return this.fallback(from, count, out, pool);
  }

  /**
   * The same as read(), with the block read on a libuv thread (so the caller can prepare the previous chunk
   * meanwhile). Frames that cannot be read this way are read frame by frame, as by read().
   */
  readAsync(from: number, to: number): Promise<FrameData[]> {
    const count = to - from;
    const { pool, out, geo } = this.next(from, count);
    if (geo === null) {
      return Promise.resolve(this.fallback(from, count, out, pool));
    }
    const fd = this.fd as number;
    return new Promise((resolve) => {
      let got = 0;
      const done = (ok: boolean) => {
        let frames: FrameData[];
        try {
          if (ok) {
            this.takeStamps(from, count, geo);
          }
          frames = ok ? this.viewBlock(count, out, pool, geo.bytes) : this.fallback(from, count, out, pool);
        } catch {
          frames = this.fallback(from, count, out, pool);
        }
        resolve(frames);
      };
      const step = (): void => {
        fs.read(fd, geo.bytes, got, geo.total - got, geo.pos + got, (err, r) => {
          if (err || r <= 0) {
            done(false);
            return;
          }
          got += r;
          if (got < geo.total) {
            step();
          } else {
            done(true);
          }
        });
      };
      step();
    });
  }

  /** The next of the three rotating blocks and pools, with the output array and where the frames lie. */
  private next(
    from: number,
    count: number,
  ): { pool: Float64Array[]; out: FrameData[]; geo: ReturnType<ChunkReader['geometry']> } {
    const block = this.which;
    this.which = (this.which + 1) % 3;
    return { pool: this.pools[block], out: new Array(count), geo: this.geometry(from, count, block) };
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
    if (this.fd === null || !LE || count <= 0 || from < 0 || from + count > f.frames) {
      return null;
    }
    const frameBytes = this.n * f.bytesPerPixel;
    const stride = f.frameStride;
    if (!(stride >= frameBytes)) {
      return null;
    }
    // the block also covers the frames' time stamps (per-frame metadata after the pixels): they come at no read
    const total = Math.max((count - 1) * stride + frameBytes, f.stamps?.spanOf(from, count) ?? 0);
    if (this.blocks[block].length < total) {
      // not zero-filled: a block is used only once a read has filled it whole (else the frames are read one by one),
      // and zeroing 5.5 MB on the main thread cost ~1 ms per block before the first fit (the read's copy then
      // touches the new pages on the libuv thread)
      this.blocks[block] = Buffer.allocUnsafeSlow(total);
    }
    return { bytes: this.blocks[block], total, pos: f.dataOffset + from * stride };
  }

  /** Hands the time stamps in a block read whole to the file's stamps (src/io/stamps.ts), so they cost no read. */
  private takeStamps(from: number, count: number, geo: { bytes: Buffer; total: number }): void {
    this.file.stamps?.takeFromBlock(from, count, geo.bytes, geo.total);
  }

  /**
   * Typed-array views of the frames of a block read whole (decoded copies where unaligned), into out. When every
   * frame is a view, the frames are declared strided (src/physics/stridedFrames.ts): the analyzer and the engine
   * then take the block as one array without looking at each frame.
   */
  private viewBlock(count: number, out: FrameData[], pool: Float64Array[], bytes: Buffer): FrameData[] {
    const f = this.file;
    const bpp = f.bytesPerPixel;
    const stride = f.frameStride;
    const ab = bytes.buffer;
    const base = bytes.byteOffset;
    if (base % bpp === 0 && stride % bpp === 0) {
      const frames = this.viewsOf(bytes, count);
      const strideValues = stride / bpp;
      const data = pixelView(ab, base, f.dataType, (count - 1) * strideValues + this.n);
      markStrided(frames, { data, stride: strideValues, count }, this.n);
      return frames;
    }
    for (let k = 0; k < count; k++) {
      const off = base + k * stride;
      if (off % bpp !== 0) {
        this.grow(pool, k + 1);
        out[k] = decodePixels(ab, off, f.dataType, this.n, pool[k]);
      } else {
        out[k] = pixelView(ab, off, f.dataType, this.n);
      }
    }
    return out;
  }

  /**
   * The views of the first `count` frames of an aligned block, in a new array. The views of a block are made once
   * (a block's frames always lie at the same places in it): ~3 × 1,024 views for a shot of any length instead of one
   * per frame, and no loop per chunk for V8 to optimise.
   */
  private viewsOf(bytes: Buffer, count: number): FrameData[] {
    let views = this.frameViews.get(bytes);
    if (views === undefined) {
      views = [];
      this.frameViews.set(bytes, views);
    }
    const f = this.file;
    for (let k = views.length; k < count; k++) {
      views.push(pixelView(bytes.buffer, bytes.byteOffset + k * f.frameStride, f.dataType, this.n));
    }
    return views.slice(0, count);
  }

  /** Decoded frames are needed only for unaligned or unreadable blocks: allocated on first use. */
  private grow(pool: Float64Array[], count: number): void {
    while (pool.length < count) {
      pool.push(new Float64Array(this.n));
    }
  }

  close(): void {
    if (this.fd !== null) {
      try {
        fs.closeSync(this.fd);
      } catch {
        /* ignore */
      }
      this.fd = null;
    }
  }
}
