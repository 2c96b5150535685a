/**
 * watch(dir): SPE files that LightField (or anything) writes into a folder, picked up once complete, in order,
 * never twice, and their frames emitted as a live source.
 *
 * - chokidar 4 watches the folder (not sub-folders) for *.spe files, with awaitWriteFinish (the size must stay
 *   the same for `stabilityMs`); files already there at start are ignored unless `includeExisting`.
 * - A candidate is taken only when it is complete: its size and mtime did not change between two checks
 *   `pollMs` apart, the SPE header and (3.0) XML footer parse, and every declared frame is present (no truncated
 *   last frame). Otherwise it is checked again every `pollMs`; a file that stays unchanged but incomplete or
 *   unreadable for `settleMs` (a truncated file, not an SPE file), or that never completes within `giveUpMs`, is
 *   skipped, never half-read, and `onWarning` is told once, with why. If it changes later it is looked at again.
 * - A folder that is not there (at the start, or removed while watched) ends the source with an error whose
 *   `sourceState` is 'missing'.
 * - Files are emitted one after another in the order they became complete (ties: mtime, then natural name
 *   order, so "shot (2).spe" before "shot (10).spe"); a path is never emitted twice.
 * - Frames are read lazily and emitted in chunks of `chunk` per macrotask, so a 20,000-frame file does not stall
 *   the server; indices run on across files; time = the file's mtime (s since the watch started) minus the
 *   frame's distance in time from the file's last frame (the file's clock as `analyze` reads it, frameClock:
 *   `frameInterval`, else time stamps, frame rate, exposure). Only `.spe` files are watched (what LightField
 *   writes, and whose completeness can be checked); an Andor `.asc` export is replayed or analysed, not watched.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Observable, type Subscriber } from 'rxjs';
import { watch as chokidarWatch, type FSWatcher } from 'chokidar';
import { openSpe } from '../io/spe';
import { InputFileError } from '../errors';
import type { SpeFile } from '../io/types';
import type { SourceItem } from './types';
import { geometryOf } from './replay';
import { frameClock } from '../io/timing';

export interface WatchOptions {
  includeExisting?: boolean;
  /** chokidar awaitWriteFinish stability threshold (ms, default 300). */
  stabilityMs?: number;
  /** Re-check interval of an incomplete candidate (ms, default 200). */
  pollMs?: number;
  /** Give up on a file that never completes after this long (ms, default 10 min). */
  giveUpMs?: number;
  /** Skip a file that stays unchanged but incomplete or unreadable this long (ms, default 3000). */
  settleMs?: number;
  /** Seconds between frames, overriding each file's own clock (as `analyze`'s frameInterval). */
  frameInterval?: number | null;
  /** Frames emitted per macrotask (default 64). */
  chunk?: number;
  /** Use polling (network shares; default false). */
  usePolling?: boolean;
  onWarning?: (line: string) => void;
  /** Told each time a file has been taken (path, frames). */
  onFile?: (file: string, frames: number) => void;
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Opens an SPE file only when it is complete (header, footer, every frame); null otherwise. */
export function openIfComplete(file: string): SpeFile | null {
  const opened = openComplete(file);
  return 'spe' in opened ? opened.spe : null;
}

/** The SPE file opened when complete, else why not. */
export function openComplete(file: string): { spe: SpeFile } | { why: string } {
  let spe: SpeFile;
  try {
    spe = openSpe(file);
  } catch (e) {
    return { why: (e as Error).message };
  }
  const declared = spe.declaredFrames ?? spe.frames;
  let why: string | null = null;
  if (spe.frames < 1) {
    why = 'no complete frame';
  } else if (declared !== spe.frames) {
    why = `truncated: ${spe.frames} of ${declared} frames`;
  } else if (spe.version >= 3 && spe.xml === null) {
    why = 'no XML footer (SPE 3.0 file not finished)';
  }
  if (why !== null) {
    spe.close();
    return { why };
  }
  return { spe };
}

/** The error that ends a watch whose folder is not there (`sourceState: 'missing'` for the dashboard). */
export function missingFolder(dir: string, problem: string): InputFileError {
  return Object.assign(new InputFileError(dir, problem), { sourceState: 'missing' as const });
}

/** A file being checked for completeness: when first seen, its last size and mtime, since when unchanged. */
interface Candidate {
  firstSeen: number;
  size: number;
  mtime: number;
  stableSince: number;
  timer: NodeJS.Timeout | null;
}

/** A complete file waiting its turn to be emitted. */
export interface ReadyFile {
  file: string;
  spe: SpeFile;
  mtime: number;
}

/** Size and mtime of a skipped file, to tell when it changes. */
interface SkippedFile {
  size: number;
  mtime: number;
}

/** The watch's settings with their defaults filled in. */
interface WatchSettings {
  pollMs: number;
  giveUpMs: number;
  settleMs: number;
  chunk: number;
  warn: (line: string) => void;
}

function watchSettings(options: WatchOptions): WatchSettings {
  return {
    pollMs: options.pollMs ?? 200,
    giveUpMs: options.giveUpMs ?? 10 * 60_000,
    settleMs: options.settleMs ?? 3000,
    chunk: Math.max(1, options.chunk ?? 64),
    warn: options.onWarning ?? (() => undefined),
  };
}

/** Why `dir` cannot be watched (not there: 'missing'; not a folder), or null when it can. */
export function folderProblem(dir: string): InputFileError | null {
  let stats: fs.Stats;
  try {
    stats = fs.statSync(dir);
  } catch {
    return missingFolder(dir, 'no such folder to watch');
  }
  if (!stats.isDirectory()) {
    return new InputFileError(dir, 'is not a folder');
  }
  return null;
}

/** Ready files in emission order: by mtime, ties in natural name order ("shot (2).spe" before "shot (10).spe"). */
export function byCompletionOrder(a: ReadyFile, b: ReadyFile): number {
  return a.mtime - b.mtime || collator.compare(path.basename(a.file), path.basename(b.file));
}

/**
 * The live time of each frame of a file (s since the watch started): the file's mtime `end` minus the frame's
 * distance in time from the last frame on the file's own clock; `end` for every frame when the clock has no time.
 */
export function liveFrameTimes(fileTimes: (number | null)[], end: number): number[] {
  const last = fileTimes[fileTimes.length - 1];
  return fileTimes.map((time) => (time !== null && last !== null ? end - (last - time) : end));
}

/** Closes an SPE file, ignoring that it is already closed. */
function closeQuietly(spe: SpeFile): void {
  try {
    spe.close();
  } catch {
    /* closed */
  }
}

/** A file being emitted: its frames' times and the next frame to read. */
interface FileEmission {
  file: string;
  spe: SpeFile;
  geometry: ReturnType<typeof geometryOf>;
  times: number[];
  blank: Float64Array;
  nextFrame: number;
}

/**
 * One subscription's watch of a folder: the chokidar watcher, the files being checked, skipped and ready, the file
 * being emitted, and the check that the folder is still there. `teardown` stops all of it.
 */
class FolderWatch {
  private readonly startedAt = Date.now();
  /** Files taken (or given up). */
  private readonly seen = new Set<string>();
  private readonly checking = new Map<string, Candidate>();
  /** Skipped files and the size and mtime they had: looked at again when they change. */
  private readonly skipped = new Map<string, SkippedFile>();
  private readonly ready: ReadyFile[] = [];
  private emitting = false;
  private nextIndex = 0;
  private stopped = false;
  private emitTimer: NodeJS.Immediate | null = null;
  private current: SpeFile | null = null;
  private watcher: FSWatcher | null = null;
  private folderCheck: NodeJS.Timeout | null = null;

  constructor(
    private readonly dir: string,
    private readonly options: WatchOptions,
    private readonly settings: WatchSettings,
    private readonly subscriber: Subscriber<SourceItem>,
  ) {}

  /** Starts watching the folder for SPE files, and checking that the folder is still there. */
  start(): void {
    const pollMs = this.settings.pollMs;
    const watcher = chokidarWatch(this.dir, {
      ignoreInitial: !this.options.includeExisting,
      depth: 0,
      usePolling: this.options.usePolling ?? false,
      interval: pollMs,
      awaitWriteFinish: { stabilityThreshold: this.options.stabilityMs ?? 300, pollInterval: Math.min(100, pollMs) },
      ignored: (filePath: string, stats?: fs.Stats) => !!stats?.isFile() && !/\.spe$/i.test(filePath),
    });
    watcher.on('add', (filePath: string) => this.fileAppeared(filePath));
    watcher.on('change', (filePath: string) => this.fileAppeared(filePath));
    watcher.on('error', (e) => this.settings.warn(`watching ${this.dir}: ${(e as Error).message}`));
    this.watcher = watcher;
    // the folder itself removed (chokidar does not tell): the source has nothing left to watch
    this.folderCheck = setInterval(() => this.checkFolderStillThere(), Math.max(250, 5 * pollMs));
    this.folderCheck.unref();
  }

  /** Ends the source with a 'missing' error when the folder was removed. */
  private checkFolderStillThere(): void {
    if (!this.stopped && !fs.existsSync(this.dir)) {
      this.subscriber.error(missingFolder(this.dir, 'the watched folder was removed'));
    }
  }

  /** An SPE file appeared or changed: (re)starts its completeness check unless it was taken and is unchanged. */
  private fileAppeared(filePath: string): void {
    const file = path.resolve(filePath);
    if (!/\.spe$/i.test(file)) {
      return;
    }
    if (this.seen.has(file) && !this.changedSinceSkipped(file)) {
      return;
    }
    const candidate = this.checking.get(file);
    if (candidate) {
      if (candidate.timer) {
        clearTimeout(candidate.timer);
      }
      this.checkComplete(file);
      return;
    }
    this.checking.set(file, { firstSeen: Date.now(), size: -1, mtime: -1, stableSince: Date.now(), timer: null });
    this.checkComplete(file);
  }

  /**
   * Takes the file when it is unchanged since the last check and complete; skips it when it stays unchanged but
   * incomplete for `settleMs` or never completes within `giveUpMs`; otherwise checks again after `pollMs`.
   */
  private checkComplete(file: string): void {
    const candidate = this.checking.get(file);
    if (!candidate || this.stopped) {
      return;
    }
    candidate.timer = null;
    let stats: fs.Stats;
    try {
      stats = fs.statSync(file);
    } catch {
      this.checking.delete(file); // removed
      return;
    }
    const stable = stats.size === candidate.size && stats.mtimeMs === candidate.mtime && stats.size > 0;
    candidate.size = stats.size;
    candidate.mtime = stats.mtimeMs;
    if (!stable) {
      candidate.stableSince = Date.now();
    } else {
      const opened = openComplete(file);
      if ('spe' in opened) {
        this.take(file, opened.spe, stats.mtimeMs);
        return;
      }
      const settleMs = this.settings.settleMs;
      if (Date.now() - candidate.stableSince >= settleMs) {
        this.skip(file, stats, `${opened.why}, unchanged for ${(settleMs / 1000).toFixed(1)} s`);
        return;
      }
    }
    const giveUpMs = this.settings.giveUpMs;
    if (Date.now() - candidate.firstSeen > giveUpMs) {
      this.skip(file, stats, `still not a complete SPE file after ${Math.round(giveUpMs / 1000)} s`);
      return;
    }
    candidate.timer = setTimeout(() => this.checkComplete(file), this.settings.pollMs);
  }

  /** A complete file: queued for emission, never taken again. */
  private take(file: string, spe: SpeFile, mtime: number): void {
    this.checking.delete(file);
    this.seen.add(file);
    this.ready.push({ file, spe, mtime });
    this.emitNext();
  }

  /** Skips a file and says why, once (until it changes). */
  private skip(file: string, stats: fs.Stats, why: string): void {
    this.checking.delete(file);
    this.seen.add(file);
    this.skipped.set(file, { size: stats.size, mtime: stats.mtimeMs });
    this.settings.warn(`${file}: skipped: ${why}`);
  }

  /** A skipped file that changed since is looked at again. */
  private changedSinceSkipped(file: string): boolean {
    const was = this.skipped.get(file);
    if (!was) {
      return false;
    }
    let stats: fs.Stats;
    try {
      stats = fs.statSync(file);
    } catch {
      return false;
    }
    if (stats.size === was.size && stats.mtimeMs === was.mtime) {
      return false;
    }
    this.skipped.delete(file);
    this.seen.delete(file);
    return true;
  }

  /** Starts emitting the next ready file, unless one is being emitted. */
  private emitNext(): void {
    if (this.emitting || this.stopped || this.ready.length === 0) {
      return;
    }
    this.ready.sort(byCompletionOrder);
    const { file, spe, mtime } = this.ready.shift()!;
    this.emitting = true;
    this.current = spe;
    this.options.onFile?.(file, spe.frames);
    const clock = frameClock(spe, { frameInterval: this.options.frameInterval });
    const fileTimes = Array.from({ length: spe.frames }, (_frame, k) => clock.timeOf(k));
    const end = (mtime - this.startedAt) / 1000;
    const emission: FileEmission = {
      file,
      spe,
      geometry: geometryOf(spe),
      times: liveFrameTimes(fileTimes, end),
      blank: new Float64Array(spe.width * spe.height).fill(NaN),
      nextFrame: 0,
    };
    this.emitChunk(emission);
  }

  /** Emits the next `chunk` frames of the file (an unreadable frame as NaN), the rest on the next macrotask. */
  private emitChunk(emission: FileEmission): void {
    this.emitTimer = null;
    if (this.stopped) {
      return;
    }
    const { file, spe, geometry, times } = emission;
    const stop = Math.min(spe.frames, emission.nextFrame + this.settings.chunk);
    for (; emission.nextFrame < stop && !this.subscriber.closed; emission.nextFrame++) {
      const frameIndex = emission.nextFrame;
      let counts: Float64Array;
      try {
        counts = spe.readFrame(frameIndex);
      } catch {
        counts = emission.blank.slice();
      }
      const frame = { index: this.nextIndex++, time: times[frameIndex], counts, geometry, origin: file };
      this.subscriber.next({ kind: 'frame', frame });
    }
    if (emission.nextFrame < spe.frames) {
      this.emitTimer = setImmediate(() => this.emitChunk(emission));
      return;
    }
    closeQuietly(spe);
    this.current = null;
    this.emitting = false;
    this.emitNext();
  }

  /** Stops everything: the folder check, emission, pending checks, ready and current files, the watcher. */
  teardown(): void {
    this.stopped = true;
    if (this.folderCheck) {
      clearInterval(this.folderCheck);
    }
    if (this.emitTimer) {
      clearImmediate(this.emitTimer);
    }
    for (const candidate of this.checking.values()) {
      if (candidate.timer) {
        clearTimeout(candidate.timer);
      }
    }
    this.checking.clear();
    for (const readyFile of this.ready) {
      closeQuietly(readyFile.spe);
    }
    this.ready.length = 0;
    if (this.current) {
      closeQuietly(this.current);
      this.current = null;
    }
    const watcher = this.watcher;
    this.watcher = null;
    void watcher?.close();
  }
}

/** The SPE files written into `dir`, once complete, as a live source of frames (see the top of this file). */
export function watch(dir: string, options: WatchOptions = {}): Observable<SourceItem> {
  const settings = watchSettings(options);
  return new Observable<SourceItem>((subscriber) => {
    const problem = folderProblem(dir);
    if (problem) {
      subscriber.error(problem);
      return undefined;
    }
    const folderWatch = new FolderWatch(dir, options, settings, subscriber);
    folderWatch.start();
    return () => folderWatch.teardown();
  });
}
