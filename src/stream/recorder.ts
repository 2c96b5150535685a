/**
 * Recording of a live run into a folder, crash-safe (see docs/live.md):
 *
 *   frames.spe     every frame, SPE 3.0 (LightField layout, per-frame time stamps), readable at every checkpoint
 *   power.csv      time_s,power_W             every power reading received
 *   results.csv    index,time_s,power_W,temperature_K,temperatureError_K,chi2,flags[,ROI columns]  (as `analyze --out`)
 *   events.jsonl   one JSON object per event message (new and updated slope-change/plateau events)
 *   recording.json what was recorded and how to post-process it
 *
 * Everything is appended, and flushed to the files at least every `flushMs` (default 1 s). frames.spe is kept a
 * valid SPE file at each flush: the frames received since the last flush are written over the old XML footer,
 * then a new footer and the header (frame count, footer offset) are rewritten. A crash or `kill -9` therefore
 * loses at most the last second, and `pyrolive analyze frames.spe --power power.csv ...` reads what is there.
 *
 * Times: one recording clock. Its zero is the first frame's time; each new run (a looped replay) continues
 * after the previous one, so times and indices only grow and `analyze` pairs power.csv with frames.spe the way
 * the live pipeline did.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { FrameResult } from '../analysis/types';
import type { LiveEvent } from '../server/protocol';
import type { SpeDataType } from '../io/types';
import { InputFileError } from '../errors';
import { BYTES_PER_PIXEL, PIXEL_FORMAT_OF, SPE_HEADER_SIZE, SPE_OFFSETS, SPE_TYPE_TO_CODE } from '../io/spe';
import type { FrameGeometry, LiveFrame } from './types';

const LE = os.endianness() === 'LE';
const RANGES: Partial<Record<SpeDataType, [number, number]>> = {
  uint16: [0, 65535], int16: [-32768, 32767], uint32: [0, 4294967295], int32: [-2147483648, 2147483647], uint8: [0, 255],
};
const TIME_RESOLUTION = 1e6; // ticks per second of the frame time stamps (µs, as LightField)

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * An SPE 3.0 file that is valid after every checkpoint(): frames are buffered in memory between checkpoints,
 * then written over the previous footer, followed by a fresh footer and header.
 */
export class CheckpointSpeWriter {
  readonly path: string;
  readonly geometry: FrameGeometry;
  private fd: number | null;
  private frames = 0;
  private written = 0;
  private pos = SPE_HEADER_SIZE;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly pixelBytes: number;
  private readonly stride: number;
  private readonly comment: string;

  constructor(file: string, geometry: FrameGeometry, comment = '') {
    this.path = file;
    this.geometry = geometry;
    this.comment = comment;
    this.pixelBytes = geometry.width * geometry.height * BYTES_PER_PIXEL[geometry.dataType];
    this.stride = this.pixelBytes + 8;
    try {
      this.fd = fs.openSync(file, 'w+');
      fs.writeSync(this.fd, Buffer.alloc(SPE_HEADER_SIZE), 0, SPE_HEADER_SIZE, 0);
    } catch (e) {
      throw new InputFileError(file, `cannot write: ${(e as Error).message}`);
    }
  }

  get frameCount(): number { return this.frames; }
  get bufferedBytes(): number { return this.pendingBytes; }

  matches(g: FrameGeometry): boolean {
    return g.width === this.geometry.width && g.height === this.geometry.height && g.dataType === this.geometry.dataType;
  }

  append(counts: Float64Array, time: number): void {
    const n = this.geometry.width * this.geometry.height;
    const ab = new ArrayBuffer(this.stride);
    const type = this.geometry.dataType;
    const r = RANGES[type];
    const clip = (v: number) => { if (!(v === v)) return 0; const x = Math.round(v); return x < r![0] ? r![0] : x > r![1] ? r![1] : x; };
    if (LE) {
      switch (type) {
        case 'uint16': { const v = new Uint16Array(ab, 0, n); for (let k = 0; k < n; k++) v[k] = clip(counts[k]); break; }
        case 'int16': { const v = new Int16Array(ab, 0, n); for (let k = 0; k < n; k++) v[k] = clip(counts[k]); break; }
        case 'uint32': { const v = new Uint32Array(ab, 0, n); for (let k = 0; k < n; k++) v[k] = clip(counts[k]); break; }
        case 'int32': { const v = new Int32Array(ab, 0, n); for (let k = 0; k < n; k++) v[k] = clip(counts[k]); break; }
        case 'uint8': { const v = new Uint8Array(ab, 0, n); for (let k = 0; k < n; k++) v[k] = clip(counts[k]); break; }
        case 'float32': new Float32Array(ab, 0, n).set(counts.subarray(0, n)); break;
        case 'float64': new Float64Array(ab, 0, n).set(counts.subarray(0, n)); break;
      }
    } else {
      const dv = new DataView(ab);
      const bpp = BYTES_PER_PIXEL[type];
      for (let k = 0; k < n; k++) {
        const v = counts[k];
        switch (type) {
          case 'uint16': dv.setUint16(k * bpp, clip(v), true); break;
          case 'int16': dv.setInt16(k * bpp, clip(v), true); break;
          case 'uint32': dv.setUint32(k * bpp, clip(v), true); break;
          case 'int32': dv.setInt32(k * bpp, clip(v), true); break;
          case 'uint8': dv.setUint8(k, clip(v)); break;
          case 'float32': dv.setFloat32(k * bpp, v, true); break;
          case 'float64': dv.setFloat64(k * bpp, v, true); break;
        }
      }
    }
    new DataView(ab).setBigInt64(this.pixelBytes, BigInt(Math.round((Number.isFinite(time) ? time : 0) * TIME_RESOLUTION)), true);
    this.pending.push(Buffer.from(ab));
    this.pendingBytes += this.stride;
    this.frames++;
  }

  /** Writes the buffered frames, the footer and the header: the file is a complete SPE file afterwards. */
  checkpoint(): void {
    if (this.fd === null || (this.pending.length === 0 && this.written === this.frames && this.written > 0)) return;
    if (this.frames === 0) return;
    const fd = this.fd;
    if (this.pending.length) {
      const data = Buffer.concat(this.pending, this.pendingBytes);
      let done = 0;
      while (done < data.length) done += fs.writeSync(fd, data, done, data.length - done, this.pos + done);
      this.pos += data.length;
      this.pending = [];
      this.pendingBytes = 0;
    }
    this.written = this.frames;
    const xml = Buffer.from(this.footer(), 'utf8');
    let done = 0;
    while (done < xml.length) done += fs.writeSync(fd, xml, done, xml.length - done, this.pos + done);
    fs.ftruncateSync(fd, this.pos + xml.length);
    const h = this.header(this.pos);
    fs.writeSync(fd, h, 0, h.length, 0);
  }

  close(sync = true): void {
    if (this.fd === null) return;
    this.checkpoint();
    if (sync) { try { fs.fsyncSync(this.fd); } catch { /* not supported */ } }
    fs.closeSync(this.fd);
    this.fd = null;
  }

  private header(xmlOffset: number): Buffer {
    const h = Buffer.alloc(SPE_HEADER_SIZE);
    const { width, height, dataType, exposureTime } = this.geometry;
    if (exposureTime !== null && Number.isFinite(exposureTime)) h.writeFloatLE(exposureTime, SPE_OFFSETS.exposure);
    h.writeUInt16LE(Math.min(width, 65535), SPE_OFFSETS.xDimDet);
    h.writeUInt16LE(Math.min(height, 65535), SPE_OFFSETS.yDimDet);
    h.writeUInt16LE(Math.min(width, 65535), SPE_OFFSETS.xdim);
    h.writeInt16LE(SPE_TYPE_TO_CODE[dataType], SPE_OFFSETS.datatype);
    h.writeUInt16LE(Math.min(height, 65535), SPE_OFFSETS.ydim);
    h.writeBigUInt64LE(BigInt(xmlOffset), SPE_OFFSETS.xmlOffset);
    h.writeInt32LE(Math.min(this.written, 2147483647), SPE_OFFSETS.numFrames);
    h.writeFloatLE(3.0, SPE_OFFSETS.version);
    h.writeUInt16LE(0x5555, SPE_OFFSETS.lastValue);
    return h;
  }

  private footer(): string {
    const { width, height, dataType, wavelength, exposureTime } = this.geometry;
    const l: string[] = [];
    l.push('<?xml version="1.0" encoding="utf-8"?>');
    l.push('<SpeFormat version="3.0" xmlns="http://www.princetoninstruments.com/spe/2009">');
    l.push('<DataFormat>');
    l.push(`<DataBlock type="Frame" version="3.0" count="${this.written}" pixelFormat="${PIXEL_FORMAT_OF[dataType]}" size="${this.pixelBytes}" stride="${this.stride}" metaFormat="1" calibrations="1,2,3">`);
    l.push(`<DataBlock type="Region" count="1" width="${width}" height="${height}" size="${this.pixelBytes}" stride="${this.pixelBytes}" calibrations="1,2,3" />`);
    l.push('</DataBlock>');
    l.push('</DataFormat>');
    l.push('<MetaFormat><MetaBlock id="1">');
    l.push(`<TimeStamp event="ExposureStarted" type="Int64" bitDepth="64" resolution="${TIME_RESOLUTION}" />`);
    l.push('</MetaBlock></MetaFormat>');
    l.push('<Calibrations>');
    if (wavelength) {
      l.push('<WavelengthMapping id="1">');
      l.push(`<Wavelength xml:space="preserve">${Array.from(wavelength, (v) => String(v)).join(',')}</Wavelength>`);
      l.push('</WavelengthMapping>');
    }
    l.push(`<SensorInformation id="2" orientation="Normal" width="${width}" height="${height}" />`);
    l.push(`<SensorMapping id="3" x="0" y="0" width="${width}" height="${height}" xBinning="1" yBinning="1" />`);
    l.push('</Calibrations>');
    l.push('<DataHistories><DataHistory><Origin software="pyrolive live recording" company="pyrolive">');
    l.push('<Experiment xmlns="http://www.princetoninstruments.com/experiment/2009"><Devices><Cameras><Camera>');
    if (exposureTime !== null && Number.isFinite(exposureTime)) {
      l.push(`<ShutterTiming><ExposureTime type="Double">${String(exposureTime * 1000)}</ExposureTime></ShutterTiming>`);
    }
    l.push('</Camera></Cameras></Devices></Experiment>');
    if (this.comment) l.push(`<Comment>${xmlEscape(this.comment)}</Comment>`);
    l.push('</Origin></DataHistory></DataHistories>');
    l.push('</SpeFormat>');
    return l.join('\n') + '\n';
  }
}

/** An append-only text file flushed on demand. */
class AppendFile {
  private fd: number;
  private buf: string[] = [];
  private size = 0;
  constructor(readonly file: string, header: string | null) {
    const fresh = !fs.existsSync(file) || fs.statSync(file).size === 0;
    try {
      this.fd = fs.openSync(file, 'a');
    } catch (e) {
      throw new InputFileError(file, `cannot write: ${(e as Error).message}`);
    }
    if (fresh && header) fs.writeSync(this.fd, header + '\n');
  }
  line(s: string): void { this.buf.push(s); this.size += s.length + 1; }
  get buffered(): number { return this.size; }
  flush(): void {
    if (this.buf.length === 0) return;
    const text = this.buf.join('\n') + '\n';
    this.buf = []; this.size = 0;
    fs.writeSync(this.fd, text);
  }
  close(): void { this.flush(); try { fs.fsyncSync(this.fd); } catch { /* ignore */ } fs.closeSync(this.fd); }
}

function num(x: number | null | undefined): string { return x === null || x === undefined || !Number.isFinite(x) ? '' : String(x); }

export interface RecorderOptions {
  /** Longest time data stay in memory before being written (ms, default 1000). */
  flushMs?: number;
  /** Free text stored in recording.json and the SPE comment (e.g. the command line). */
  description?: string;
  /** Source name for recording.json. */
  source?: string;
  /** Extra facts for recording.json (analysis options, calibration files...). */
  info?: Record<string, unknown>;
  /** Flush when this many bytes are buffered (default 32 MB). */
  maxBufferedBytes?: number;
}

export interface RecordedFrame { index: number; time: number }

export class Recorder {
  readonly dir: string;
  private spe: CheckpointSpeWriter | null = null;
  private speFiles: string[] = [];
  private powerFile: AppendFile;
  private resultsFile: AppendFile | null = null;
  private eventsFile: AppendFile;
  private timer: NodeJS.Timeout | null;
  private closed = false;
  private frameIndex = 0;
  /** recording time of the first frame (the zero), once known */
  private zero: number | null = null;
  private heldPower: { t: number; p: number }[] = [];
  private runOffsets = new Map<number, number>();
  private lastTime = 0;
  private lastStep = 0;
  private lastFrameTime: number | null = null;
  private readonly started = Date.now();
  private readonly maxBuffered: number;
  private roiNames: string[] | null = null;

  constructor(dir: string, private readonly options: RecorderOptions = {}) {
    this.dir = path.resolve(dir);
    try {
      fs.mkdirSync(this.dir, { recursive: true });
    } catch (e) {
      throw new InputFileError(dir, `cannot create the recording folder: ${(e as Error).message}`);
    }
    if (fs.existsSync(path.join(this.dir, 'frames.spe'))) {
      throw new InputFileError(this.dir, 'already holds a recording (frames.spe): choose a new folder');
    }
    this.powerFile = new AppendFile(path.join(this.dir, 'power.csv'), 'time_s,power_W');
    this.eventsFile = new AppendFile(path.join(this.dir, 'events.jsonl'), null);
    this.maxBuffered = options.maxBufferedBytes ?? 32 << 20;
    this.writeInfo(false);
    this.timer = setInterval(() => this.flush(), options.flushMs ?? 1000);
    this.timer.unref();
  }

  /** Recording time (s, before the zero shift) of a source time in a run. */
  private clock(run: number, time: number | null): number {
    let off = this.runOffsets.get(run);
    if (off === undefined) {
      // a new run continues one frame step after everything recorded so far
      const first = time !== null && Number.isFinite(time) ? time : 0;
      off = this.runOffsets.size === 0 ? 0 : this.lastTime + (this.lastStep > 0 ? this.lastStep : 0.001) - first;
      this.runOffsets.set(run, off);
      for (const r of this.runOffsets.keys()) if (r < run - 1) this.runOffsets.delete(r);
    }
    if (time === null || !Number.isFinite(time)) return Math.max(this.lastTime, (Date.now() - this.started) / 1000);
    return off + time;
  }

  /** Records a frame; returns its index and time in the recording (what results.csv uses). */
  frame(frame: LiveFrame): RecordedFrame {
    const t = this.clock(frame.run, frame.time);
    if (this.lastFrameTime !== null && t > this.lastFrameTime) this.lastStep = t - this.lastFrameTime;
    this.lastFrameTime = t;
    if (t > this.lastTime) this.lastTime = t;
    if (this.zero === null) {
      this.zero = t;
      for (const h of this.heldPower) this.powerFile.line(`${num(h.t - t)},${num(h.p)}`);
      this.heldPower = [];
    }
    const rel = t - this.zero;
    if (!this.spe || !this.spe.matches(frame.geometry)) {
      const name = this.speFiles.length === 0 ? 'frames.spe' : `frames-${this.speFiles.length + 1}.spe`;
      this.spe?.close();
      this.spe = new CheckpointSpeWriter(path.join(this.dir, name), frame.geometry, this.options.description ?? '');
      this.speFiles.push(name);
      this.writeInfo(false);
    }
    this.spe.append(frame.counts, rel);
    const index = this.frameIndex++;
    if (this.spe.bufferedBytes > this.maxBuffered) this.flush();
    return { index, time: rel };
  }

  power(run: number, time: number, power: number): void {
    const t = this.clock(run, time);
    if (t > this.lastTime) this.lastTime = t;
    if (this.zero === null) {
      if (this.heldPower.length < 1_000_000) this.heldPower.push({ t, p: power });
      return;
    }
    this.powerFile.line(`${num(t - this.zero)},${num(power)}`);
  }

  result(rec: RecordedFrame, r: FrameResult): void {
    if (!this.resultsFile) {
      this.roiNames = r.rois ? Object.keys(r.rois) : [];
      const head = ['index', 'time_s', 'power_W', 'temperature_K', 'temperatureError_K', 'chi2', 'flags'];
      for (const n of this.roiNames) head.push(`${n}_temperature_K`, `${n}_temperatureError_K`);
      this.resultsFile = new AppendFile(path.join(this.dir, 'results.csv'), head.join(','));
    }
    const row = [String(rec.index), num(rec.time), num(r.power), num(r.temperature), num(r.temperatureError), num(r.chi2), r.flags.join(';')];
    for (const n of this.roiNames ?? []) row.push(num(r.rois?.[n]?.temperature), num(r.rois?.[n]?.temperatureError));
    this.resultsFile.line(row.join(','));
  }

  event(e: LiveEvent): void {
    this.eventsFile.line(JSON.stringify({ recordedAt: new Date().toISOString(), event: e }));
  }

  /** Writes everything buffered (called every flushMs, and at close). */
  flush(): void {
    if (this.closed) return;
    this.spe?.checkpoint();
    this.powerFile.flush();
    this.resultsFile?.flush();
    this.eventsFile.flush();
  }

  get frames(): number { return this.frameIndex; }

  close(): void {
    if (this.closed) return;
    if (this.zero === null) { for (const h of this.heldPower) this.powerFile.line(`${num(h.t)},${num(h.p)}`); this.heldPower = []; }
    this.flush();
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.spe?.close();
    this.powerFile.close();
    this.resultsFile?.close();
    this.eventsFile.close();
    this.writeInfo(true);
  }

  private writeInfo(complete: boolean): void {
    const info = {
      software: 'pyrolive',
      source: this.options.source ?? null,
      description: this.options.description ?? null,
      started: new Date(this.started).toISOString(),
      complete,
      frames: this.frameIndex,
      files: { frames: this.speFiles.length ? this.speFiles : ['frames.spe'], power: 'power.csv', results: 'results.csv', events: 'events.jsonl' },
      ...(this.options.info ?? {}),
    };
    fs.writeFileSync(path.join(this.dir, 'recording.json'), JSON.stringify(info, null, 2) + '\n');
  }
}
