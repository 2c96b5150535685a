/**
 * SPE 3.0 writer (LightField layout): a 4100-byte header with the legacy fields filled (xdim, ydim, datatype,
 * NumFrames, exposure, version 3.0, XML offset, 0x5555 end mark), the frames, then the XML footer
 * (DataFormat Frame/Region, MetaFormat when frame times are given, Calibrations with the wavelength list,
 * SensorInformation and SensorMapping, exposure time in ms in the Cameras section).
 *
 * `writeSpe(path, options)` writes everything at once (frames from an array or any iterable/generator);
 * `SpeStreamWriter` appends frames one by one and writes the footer at `finish()`, so a 20,000-frame shot is
 * never held in memory. The output is deterministic: same inputs → identical bytes (no clock is written unless
 * `absoluteTime` is given).
 *
 * `SpeStreamWriter.checkpoint()` makes the file on disk a complete, valid SPE file of the frames appended so far
 * (used by the live recorder, src/stream/recorder.ts): the frames appended since the last checkpoint are written
 * over the previous XML footer, then a fresh footer and the header (frame count, footer offset) are written. After
 * the first checkpoint, appended frames wait in memory (`bufferedBytes`) until the next checkpoint or finish(),
 * so a crash or `kill -9` at any moment leaves the valid file of the last checkpoint.
 *
 * Integer types round to the nearest integer and clip to the type's range; NaN is written as 0 for integer types.
 */
import * as fs from 'fs';
import * as os from 'os';
import { InputFileError, UsageError } from '../errors';
import type { SpeDataType } from './types';
import { BYTES_PER_PIXEL, PIXEL_FORMAT_OF, SPE_HEADER_SIZE, SPE_OFFSETS, SPE_TYPE_TO_CODE } from './spe';

export interface SpeWriteOptions {
  width: number;
  height: number;
  /** 'uint16' by default. */
  dataType?: SpeDataType;
  /** Wavelength (nm) of each pixel, length = width. Omit for an uncalibrated file. */
  wavelength?: Float64Array | number[] | null;
  /** Exposure time in s (written in ms in the XML, in s in the legacy header). */
  exposureTime?: number | null;
  /**
   * Write per-frame time stamps (TimeStamp ExposureStarted, Int64 ticks at `timeResolution` per second) after each
   * frame's pixels, as LightField does. With writeSpe: give `frameTimes`; with the stream writer: set
   * `withFrameTimes: true` and pass the time to append().
   */
  withFrameTimes?: boolean;
  /** Ticks per second of the time stamps (default 1e6, µs, as LightField). */
  timeResolution?: number;
  /** Optional ISO date written as the time stamps' absoluteTime (omitted by default: output stays reproducible). */
  absoluteTime?: string;
  /** Free-text origin/comment written into the XML (escaped; any Unicode). */
  comment?: string;
  /** Software named in the XML Origin (default 'pyrolive'). */
  software?: string;
  /** Sensor geometry for SensorMapping/SensorInformation: region position on a larger sensor (default 0,0, same size). */
  sensor?: { x?: number; y?: number; width?: number; height?: number };
}

export interface SpeWriteAllOptions extends SpeWriteOptions {
  /** Frames (each width·height values, row-major), as an array or any iterable (e.g. a generator). */
  frames: Iterable<Float64Array | ArrayLike<number>>;
  /** Per-frame time stamps in s; when given, written as per-frame metadata. */
  frameTimes?: Float64Array | number[] | null;
}

const LE = os.endianness() === 'LE';

const RANGES: Partial<Record<SpeDataType, [number, number]>> = {
  uint16: [0, 65535],
  int16: [-32768, 32767],
  uint32: [0, 4294967295],
  int32: [-2147483648, 2147483647],
  uint8: [0, 255],
};

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Frames are written to disk in batches of about this many bytes (before the first checkpoint). */
const WRITE_BATCH = 1 << 20;

/**
 * Append frames, then finish() to write the XML footer and the final header. checkpoint() at any time makes the
 * file on disk a valid SPE file of the frames so far (see the file comment).
 */
export class SpeStreamWriter {
  readonly path: string;
  readonly width: number;
  readonly height: number;
  readonly dataType: SpeDataType;
  private fd: number | null;
  /** frames appended */
  private frames = 0;
  /** frames in the file's header and footer (at the last checkpoint) */
  private written = 0;
  private checkpointed = false;
  private readonly opts: SpeWriteOptions;
  private readonly pixelBytes: number;
  private readonly stride: number;
  /** one frame, encoded (aligned scratch space, copied into `pending`) */
  private readonly buf: Buffer;
  private readonly withTimes: boolean;
  private readonly resolution: number;
  /** file offset where the next frame goes (after the frames on disk: where the footer is, once written) */
  private pos = SPE_HEADER_SIZE;
  /** encoded frames not yet on disk */
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(path: string, opts: SpeWriteOptions) {
    const { width, height } = opts;
    if (!Number.isInteger(width) || width < 1) {
      throw new UsageError(`SPE writer: width must be a positive integer, got ${width}`);
    }
    if (!Number.isInteger(height) || height < 1) {
      throw new UsageError(`SPE writer: height must be a positive integer, got ${height}`);
    }
    this.dataType = opts.dataType ?? 'uint16';
    if (!(this.dataType in BYTES_PER_PIXEL)) {
      throw new UsageError(`SPE writer: unknown data type ${String(this.dataType)}`);
    }
    if (opts.wavelength && opts.wavelength.length !== width) {
      throw new UsageError(`SPE writer: ${opts.wavelength.length} wavelengths for ${width} pixels`);
    }
    this.path = path;
    this.width = width;
    this.height = height;
    this.opts = opts;
    this.withTimes = !!opts.withFrameTimes;
    this.resolution = opts.timeResolution ?? 1e6;
    this.pixelBytes = width * height * BYTES_PER_PIXEL[this.dataType];
    this.stride = this.pixelBytes + (this.withTimes ? 8 : 0);
    this.buf = Buffer.alloc(this.stride);
    try {
      this.fd = fs.openSync(path, 'w');
      fs.writeSync(this.fd, Buffer.alloc(SPE_HEADER_SIZE), 0, SPE_HEADER_SIZE, 0);
    } catch (e) {
      throw new InputFileError(path, `cannot write: ${(e as Error).message}`);
    }
  }

  /** Frames appended so far (on disk or buffered). */
  get frameCount(): number {
    return this.frames;
  }

  /** Bytes of appended frames held in memory, not yet written (they reach the disk at the next checkpoint or finish). */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /** Append one frame (width·height values, row-major); `time` in s is required when withFrameTimes. */
  append(frame: ArrayLike<number>, time?: number): void {
    if (this.fd === null) {
      throw new UsageError('SPE writer: append after finish');
    }
    const n = this.width * this.height;
    if (frame.length !== n) {
      throw new UsageError(`SPE writer: frame ${this.frames} has ${frame.length} values, expected ${n}`);
    }
    const b = this.buf;
    const range = RANGES[this.dataType];
    if (LE && b.byteOffset % 8 === 0) {
      const ab = b.buffer;
      const o = b.byteOffset;
      switch (this.dataType) {
        case 'uint16': {
          const v = new Uint16Array(ab, o, n);
          for (let k = 0; k < n; k++) {
            v[k] = clipRound(frame[k], 0, 65535);
          }
          break;
        }
        case 'int16': {
          const v = new Int16Array(ab, o, n);
          for (let k = 0; k < n; k++) {
            v[k] = clipRound(frame[k], range![0], range![1]);
          }
          break;
        }
        case 'uint32': {
          const v = new Uint32Array(ab, o, n);
          for (let k = 0; k < n; k++) {
            v[k] = clipRound(frame[k], range![0], range![1]);
          }
          break;
        }
        case 'int32': {
          const v = new Int32Array(ab, o, n);
          for (let k = 0; k < n; k++) {
            v[k] = clipRound(frame[k], range![0], range![1]);
          }
          break;
        }
        case 'uint8': {
          const v = new Uint8Array(ab, o, n);
          for (let k = 0; k < n; k++) {
            v[k] = clipRound(frame[k], 0, 255);
          }
          break;
        }
        case 'float32': {
          const v = new Float32Array(ab, o, n);
          for (let k = 0; k < n; k++) {
            v[k] = frame[k];
          }
          break;
        }
        case 'float64': {
          const v = new Float64Array(ab, o, n);
          for (let k = 0; k < n; k++) {
            v[k] = frame[k];
          }
          break;
        }
      }
    } else {
      switch (this.dataType) {
        case 'uint16':
          for (let k = 0; k < n; k++) {
            b.writeUInt16LE(clipRound(frame[k], 0, 65535), 2 * k);
          }
          break;
        case 'int16':
          for (let k = 0; k < n; k++) {
            b.writeInt16LE(clipRound(frame[k], range![0], range![1]), 2 * k);
          }
          break;
        case 'uint32':
          for (let k = 0; k < n; k++) {
            b.writeUInt32LE(clipRound(frame[k], range![0], range![1]), 4 * k);
          }
          break;
        case 'int32':
          for (let k = 0; k < n; k++) {
            b.writeInt32LE(clipRound(frame[k], range![0], range![1]), 4 * k);
          }
          break;
        case 'uint8':
          for (let k = 0; k < n; k++) {
            b.writeUInt8(clipRound(frame[k], 0, 255), k);
          }
          break;
        case 'float32':
          for (let k = 0; k < n; k++) {
            b.writeFloatLE(frame[k], 4 * k);
          }
          break;
        case 'float64':
          for (let k = 0; k < n; k++) {
            b.writeDoubleLE(frame[k], 8 * k);
          }
          break;
      }
    }
    this.stampAndQueue(time);
  }

  /** Append raw little-endian pixel bytes of one frame (already in the file's data type). */
  appendRaw(bytes: Uint8Array, time?: number): void {
    if (this.fd === null) {
      throw new UsageError('SPE writer: append after finish');
    }
    if (bytes.length !== this.pixelBytes) {
      throw new UsageError(`SPE writer: raw frame of ${bytes.length} bytes, expected ${this.pixelBytes}`);
    }
    this.buf.set(bytes, 0);
    this.stampAndQueue(time);
  }

  /** Writes the time stamp after the pixels in `buf`, then queues a copy of the frame. */
  private stampAndQueue(time: number | undefined): void {
    if (this.withTimes) {
      if (time === undefined || !Number.isFinite(time)) {
        throw new UsageError(`SPE writer: frame ${this.frames} needs a finite time stamp`);
      }
      this.buf.writeBigInt64LE(BigInt(Math.round(time * this.resolution)), this.pixelBytes);
    }
    this.pending.push(Buffer.from(this.buf));
    this.pendingBytes += this.stride;
    this.frames++;
    // before the first checkpoint there is no valid file to keep: write through in batches; after it, frames wait
    // for the next checkpoint (writing them now would overwrite the footer of the valid file on disk)
    if (!this.checkpointed && this.pendingBytes >= WRITE_BATCH) {
      this.writePending();
    }
  }

  private writePending(): void {
    if (this.pendingBytes === 0) {
      return;
    }
    const data = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    this.writeAt(data, data.length);
  }

  private writeAt(b: Buffer, n: number): void {
    let done = 0;
    while (done < n) {
      done += fs.writeSync(this.fd as number, b, done, n - done, this.pos + done);
    }
    this.pos += n;
  }

  /**
   * Makes the file on disk a complete SPE file of every frame appended so far: the frames appended since the last
   * checkpoint go over the previous footer, then a fresh footer and the header (frame count, footer offset).
   * Does nothing before the first frame (the file is then only a blank header) or when nothing was appended since.
   */
  checkpoint(): void {
    if (this.fd === null || this.frames === 0) {
      return;
    }
    if (this.checkpointed && this.written === this.frames) {
      return;
    }
    this.writePending();
    this.written = this.frames;
    const xmlOffset = this.pos;
    const xml = Buffer.from(this.footer(), 'utf8');
    let done = 0;
    while (done < xml.length) {
      done += fs.writeSync(this.fd, xml, done, xml.length - done, xmlOffset + done);
    }
    fs.ftruncateSync(this.fd, xmlOffset + xml.length);
    fs.writeSync(this.fd, this.header(xmlOffset), 0, SPE_HEADER_SIZE, 0);
    this.checkpointed = true;
  }

  /**
   * Write the XML footer and the final header (a last checkpoint); close the file. Returns the number of frames
   * written. `fsync: true` also flushes the file to the disk before closing. With no frame appended, the file is
   * deleted and a UsageError thrown.
   */
  finish(options: { fsync?: boolean } = {}): number {
    if (this.fd === null) {
      return this.frames;
    }
    if (this.frames === 0) {
      this.abort();
      throw new UsageError(`SPE writer: no frames written to ${this.path}`);
    }
    this.checkpoint();
    if (options.fsync) {
      try {
        fs.fsyncSync(this.fd);
      } catch {
        /* not supported here */
      }
    }
    fs.closeSync(this.fd);
    this.fd = null;
    return this.frames;
  }

  /** Close and delete a partly written file. */
  abort(): void {
    this.pending = [];
    this.pendingBytes = 0;
    if (this.fd !== null) {
      try {
        fs.closeSync(this.fd);
      } catch {
        /* ignore */
      }
      this.fd = null;
      try {
        fs.unlinkSync(this.path);
      } catch {
        /* ignore */
      }
    }
  }

  private header(xmlOffset: number): Buffer {
    const h = Buffer.alloc(SPE_HEADER_SIZE);
    const { width, height } = this;
    const exposure = this.opts.exposureTime ?? null;
    if (exposure !== null && Number.isFinite(exposure)) {
      h.writeFloatLE(exposure, SPE_OFFSETS.exposure);
    }
    h.writeUInt16LE(Math.min(width, 65535), SPE_OFFSETS.xDimDet);
    h.writeUInt16LE(Math.min(height, 65535), SPE_OFFSETS.yDimDet);
    h.writeUInt16LE(Math.min(width, 65535), SPE_OFFSETS.xdim);
    h.writeInt16LE(SPE_TYPE_TO_CODE[this.dataType], SPE_OFFSETS.datatype);
    h.writeUInt16LE(Math.min(height, 65535), SPE_OFFSETS.ydim);
    h.writeBigUInt64LE(BigInt(xmlOffset), SPE_OFFSETS.xmlOffset);
    h.writeInt32LE(Math.min(this.written, 2147483647), SPE_OFFSETS.numFrames);
    h.writeFloatLE(3.0, SPE_OFFSETS.version);
    h.writeUInt16LE(0x5555, SPE_OFFSETS.lastValue);
    return h;
  }

  private footer(): string {
    const o = this.opts;
    const { width, height } = this;
    const pf = PIXEL_FORMAT_OF[this.dataType];
    const sx = o.sensor?.x ?? 0;
    const sy = o.sensor?.y ?? 0;
    const sw = o.sensor?.width ?? width;
    const sh = o.sensor?.height ?? height;
    const lines: string[] = [];
    lines.push('<?xml version="1.0" encoding="utf-8"?>');
    lines.push('<SpeFormat version="3.0" xmlns="http://www.princetoninstruments.com/spe/2009">');
    lines.push('<DataFormat>');
    lines.push(
      `<DataBlock type="Frame" version="3.0" count="${this.written}" pixelFormat="${pf}" size="${this.pixelBytes}" ` +
        `stride="${this.stride}"${this.withTimes ? ' metaFormat="1"' : ''} calibrations="1,2,3">`,
    );
    lines.push(
      `<DataBlock type="Region" count="1" width="${width}" height="${height}" size="${this.pixelBytes}" ` +
        `stride="${this.pixelBytes}" calibrations="1,2,3" />`,
    );
    lines.push('</DataBlock>');
    lines.push('</DataFormat>');
    if (this.withTimes) {
      lines.push('<MetaFormat>');
      lines.push('<MetaBlock id="1">');
      lines.push(
        `<TimeStamp event="ExposureStarted" type="Int64" bitDepth="64" resolution="${this.resolution}"` +
          `${o.absoluteTime ? ` absoluteTime="${xmlEscape(o.absoluteTime)}"` : ''} />`,
      );
      lines.push('</MetaBlock>');
      lines.push('</MetaFormat>');
    }
    lines.push('<Calibrations>');
    if (o.wavelength) {
      const wl = Array.from(o.wavelength, (v) => String(v)).join(',');
      lines.push('<WavelengthMapping id="1">');
      lines.push(`<Wavelength xml:space="preserve">${wl}</Wavelength>`);
      lines.push('</WavelengthMapping>');
    }
    lines.push(`<SensorInformation id="2" orientation="Normal" width="${sw}" height="${sh}" />`);
    lines.push(
      `<SensorMapping id="3" x="${sx}" y="${sy}" width="${width}" height="${height}" xBinning="1" yBinning="1" />`,
    );
    lines.push('</Calibrations>');
    lines.push(
      `<DataHistories><DataHistory><Origin software="${xmlEscape(o.software ?? 'pyrolive')}" company="pyrolive">`,
    );
    lines.push('<Experiment xmlns="http://www.princetoninstruments.com/experiment/2009"><Devices><Cameras><Camera>');
    if (o.exposureTime !== undefined && o.exposureTime !== null && Number.isFinite(o.exposureTime)) {
      lines.push(
        `<ShutterTiming><ExposureTime type="Double">${String(o.exposureTime * 1000)}</ExposureTime></ShutterTiming>`,
      );
    }
    lines.push('</Camera></Cameras></Devices></Experiment>');
    if (o.comment) {
      lines.push(`<Comment>${xmlEscape(o.comment)}</Comment>`);
    }
    lines.push('</Origin></DataHistory></DataHistories>');
    lines.push('</SpeFormat>');
    return lines.join('\n') + '\n';
  }
}

function clipRound(v: number, lo: number, hi: number): number {
  if (!(v === v)) {
    return 0;
  } // NaN
  const r = Math.round(v);
  return r < lo ? lo : r > hi ? hi : r;
}

/** Write a whole SPE 3.0 file. Returns the number of frames written. */
export function writeSpe(path: string, options: SpeWriteAllOptions): number {
  const times = options.frameTimes ?? null;
  const w = new SpeStreamWriter(path, { ...options, withFrameTimes: times !== null });
  try {
    let i = 0;
    for (const f of options.frames) {
      if (times !== null && i >= times.length) {
        throw new UsageError(`SPE writer: more frames than frame times (${times.length})`);
      }
      w.append(f, times !== null ? times[i] : undefined);
      i++;
    }
    if (times !== null && i !== times.length) {
      throw new UsageError(`SPE writer: ${i} frames but ${times.length} frame times`);
    }
    return w.finish();
  } catch (e) {
    w.abort();
    throw e;
  }
}
