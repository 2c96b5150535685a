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
import * as path from 'path';
import type { FrameResult } from '../analysis/types';
import { csvNumber as num, resultsCsvHeader, resultsCsvRois, resultsCsvRow } from '../analysis/resultsCsv';
import type { LiveEvent } from '../protocol';
import { InputFileError } from '../errors';
import { SpeStreamWriter } from '../io/speWriter';
import type { FrameGeometry, LiveFrame } from './types';

/** Ticks per second of the frame time stamps (µs, as LightField). */
const TIME_RESOLUTION = 1e6;

/** A checkpointed SPE 3.0 file with per-frame time stamps, in the frames' own geometry and data type. */
function openFramesFile(file: string, g: FrameGeometry, comment: string): SpeStreamWriter {
  return new SpeStreamWriter(file, {
    width: g.width,
    height: g.height,
    dataType: g.dataType,
    wavelength: g.wavelength,
    exposureTime: g.exposureTime,
    withFrameTimes: true,
    timeResolution: TIME_RESOLUTION,
    comment,
    software: 'pyrolive live recording',
  });
}

function sameGeometry(w: SpeStreamWriter, g: FrameGeometry): boolean {
  return g.width === w.width && g.height === w.height && g.dataType === w.dataType;
}

/** An append-only text file flushed on demand. */
class AppendFile {
  private fd: number;
  private buf: string[] = [];
  private size = 0;
  constructor(
    readonly file: string,
    header: string | null,
  ) {
    const fresh = !fs.existsSync(file) || fs.statSync(file).size === 0;
    try {
      this.fd = fs.openSync(file, 'a');
    } catch (e) {
      throw new InputFileError(file, `cannot write: ${(e as Error).message}`);
    }
    if (fresh && header) {
      fs.writeSync(this.fd, header + '\n');
    }
  }
  line(s: string): void {
    this.buf.push(s);
    this.size += s.length + 1;
  }
  get buffered(): number {
    return this.size;
  }
  flush(): void {
    if (this.buf.length === 0) {
      return;
    }
    const text = this.buf.join('\n') + '\n';
    this.buf = [];
    this.size = 0;
    fs.writeSync(this.fd, text);
  }
  close(): void {
    this.flush();
    try {
      fs.fsyncSync(this.fd);
    } catch {
      /* ignore */
    }
    fs.closeSync(this.fd);
  }
}

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

export interface RecordedFrame {
  index: number;
  time: number;
}

export class Recorder {
  readonly dir: string;
  private spe: SpeStreamWriter | null = null;
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

  constructor(
    dir: string,
    private readonly options: RecorderOptions = {},
  ) {
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
      for (const r of this.runOffsets.keys()) {
        if (r < run - 1) {
          this.runOffsets.delete(r);
        }
      }
    }
    if (time === null || !Number.isFinite(time)) {
      return Math.max(this.lastTime, (Date.now() - this.started) / 1000);
    }
    return off + time;
  }

  /** Records a frame; returns its index and time in the recording (what results.csv uses). */
  frame(frame: LiveFrame): RecordedFrame {
    const t = this.clock(frame.run, frame.time);
    if (this.lastFrameTime !== null && t > this.lastFrameTime) {
      this.lastStep = t - this.lastFrameTime;
    }
    this.lastFrameTime = t;
    if (t > this.lastTime) {
      this.lastTime = t;
    }
    if (this.zero === null) {
      this.zero = t;
      for (const h of this.heldPower) {
        this.powerFile.line(`${num(h.t - t)},${num(h.p)}`);
      }
      this.heldPower = [];
    }
    const rel = t - this.zero;
    if (!this.spe || !sameGeometry(this.spe, frame.geometry)) {
      const name = this.speFiles.length === 0 ? 'frames.spe' : `frames-${this.speFiles.length + 1}.spe`;
      this.spe?.finish({ fsync: true });
      this.spe = openFramesFile(path.join(this.dir, name), frame.geometry, this.options.description ?? '');
      this.speFiles.push(name);
      this.writeInfo(false);
    }
    this.spe.append(frame.counts, rel);
    const index = this.frameIndex++;
    if (this.spe.bufferedBytes > this.maxBuffered) {
      this.flush();
    }
    return { index, time: rel };
  }

  power(run: number, time: number, power: number): void {
    const t = this.clock(run, time);
    if (t > this.lastTime) {
      this.lastTime = t;
    }
    if (this.zero === null) {
      if (this.heldPower.length < 1_000_000) {
        this.heldPower.push({ t, p: power });
      }
      return;
    }
    this.powerFile.line(`${num(t - this.zero)},${num(power)}`);
  }

  result(rec: RecordedFrame, r: FrameResult): void {
    if (!this.resultsFile) {
      this.roiNames = resultsCsvRois(r);
      this.resultsFile = new AppendFile(path.join(this.dir, 'results.csv'), resultsCsvHeader(this.roiNames));
    }
    // index and time of the recording (they only grow across runs), as in frames.spe
    this.resultsFile.line(resultsCsvRow({ ...r, index: rec.index, time: rec.time }, this.roiNames ?? []));
  }

  event(e: LiveEvent): void {
    this.eventsFile.line(JSON.stringify({ recordedAt: new Date().toISOString(), event: e }));
  }

  /** Writes everything buffered (called every flushMs, and at close). */
  flush(): void {
    if (this.closed) {
      return;
    }
    this.spe?.checkpoint();
    this.powerFile.flush();
    this.resultsFile?.flush();
    this.eventsFile.flush();
  }

  get frames(): number {
    return this.frameIndex;
  }

  close(): void {
    if (this.closed) {
      return;
    }
    if (this.zero === null) {
      for (const h of this.heldPower) {
        this.powerFile.line(`${num(h.t)},${num(h.p)}`);
      }
      this.heldPower = [];
    }
    this.flush();
    this.closed = true;
    if (this.timer) {
      clearInterval(this.timer);
    }
    this.timer = null;
    this.spe?.finish({ fsync: true });
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
      files: {
        frames: this.speFiles.length ? this.speFiles : ['frames.spe'],
        power: 'power.csv',
        results: 'results.csv',
        events: 'events.jsonl',
      },
      ...(this.options.info ?? {}),
    };
    fs.writeFileSync(path.join(this.dir, 'recording.json'), JSON.stringify(info, null, 2) + '\n');
  }
}
