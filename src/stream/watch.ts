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
import { Observable } from 'rxjs';
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
  let f: SpeFile;
  try {
    f = openSpe(file);
  } catch (e) {
    return { why: (e as Error).message };
  }
  const declared = f.declaredFrames ?? f.frames;
  let why: string | null = null;
  if (f.frames < 1) {
    why = 'no complete frame';
  } else if (declared !== f.frames) {
    why = `truncated: ${f.frames} of ${declared} frames`;
  } else if (f.version >= 3 && f.xml === null) {
    why = 'no XML footer (SPE 3.0 file not finished)';
  }
  if (why !== null) {
    f.close();
    return { why };
  }
  return { spe: f };
}

/** The error that ends a watch whose folder is not there (`sourceState: 'missing'` for the dashboard). */
export function missingFolder(dir: string, problem: string): InputFileError {
  return Object.assign(new InputFileError(dir, problem), { sourceState: 'missing' as const });
}

export function watch(dir: string, options: WatchOptions = {}): Observable<SourceItem> {
  const pollMs = options.pollMs ?? 200;
  const giveUpMs = options.giveUpMs ?? 10 * 60_000;
  const chunk = Math.max(1, options.chunk ?? 64);
  const warn = options.onWarning ?? (() => undefined);
  return new Observable<SourceItem>((subscriber) => {
    let st: fs.Stats;
    try {
      st = fs.statSync(dir);
    } catch {
      subscriber.error(missingFolder(dir, 'no such folder to watch'));
      return undefined;
    }
    if (!st.isDirectory()) {
      subscriber.error(new InputFileError(dir, 'is not a folder'));
      return undefined;
    }
    const t0 = Date.now();
    const seen = new Set<string>(); // taken (or given up)
    const settleMs = options.settleMs ?? 3000;
    const checking = new Map<
      string,
      { first: number; size: number; mtime: number; stableSince: number; timer: NodeJS.Timeout | null }
    >();
    /** Skipped files and the size and mtime they had: looked at again when they change. */
    const skipped = new Map<string, { size: number; mtime: number }>();
    const ready: { file: string; spe: SpeFile; mtime: number }[] = [];
    let emitting = false;
    let nextIndex = 0;
    let stopped = false;
    let emitTimer: NodeJS.Immediate | null = null;
    let current: SpeFile | null = null;

    const emitNext = () => {
      if (emitting || stopped || ready.length === 0) {
        return;
      }
      ready.sort((a, b) => a.mtime - b.mtime || collator.compare(path.basename(a.file), path.basename(b.file)));
      const { file, spe, mtime } = ready.shift()!;
      emitting = true;
      current = spe;
      options.onFile?.(file, spe.frames);
      const geometry = geometryOf(spe);
      const clock = frameClock(spe, { frameInterval: options.frameInterval });
      const rel = Array.from({ length: spe.frames }, (_f, k) => clock.timeOf(k));
      const last = rel[rel.length - 1];
      const end = (mtime - t0) / 1000;
      const blank = new Float64Array(spe.width * spe.height).fill(NaN);
      let i = 0;
      const step = () => {
        emitTimer = null;
        if (stopped) {
          return;
        }
        const stop = Math.min(spe.frames, i + chunk);
        for (; i < stop && !subscriber.closed; i++) {
          let counts: Float64Array;
          try {
            counts = spe.readFrame(i);
          } catch {
            counts = blank.slice();
          }
          const t = rel[i] !== null && last !== null ? end - ((last as number) - (rel[i] as number)) : end;
          subscriber.next({ kind: 'frame', frame: { index: nextIndex++, time: t, counts, geometry, origin: file } });
        }
        if (i < spe.frames) {
          emitTimer = setImmediate(step);
          return;
        }
        try {
          spe.close();
        } catch {
          /* closed */
        }
        current = null;
        emitting = false;
        emitNext();
      };
      step();
    };

    const check = (file: string) => {
      const c = checking.get(file);
      if (!c || stopped) {
        return;
      }
      c.timer = null;
      let s: fs.Stats;
      try {
        s = fs.statSync(file);
      } catch {
        checking.delete(file);
        return;
      } // removed
      const stable = s.size === c.size && s.mtimeMs === c.mtime && s.size > 0;
      c.size = s.size;
      c.mtime = s.mtimeMs;
      if (!stable) {
        c.stableSince = Date.now();
      } else {
        const opened = openComplete(file);
        if ('spe' in opened) {
          checking.delete(file);
          seen.add(file);
          ready.push({ file, spe: opened.spe, mtime: s.mtimeMs });
          emitNext();
          return;
        }
        if (Date.now() - c.stableSince >= settleMs) {
          skip(file, s, `${opened.why}, unchanged for ${(settleMs / 1000).toFixed(1)} s`);
          return;
        }
      }
      if (Date.now() - c.first > giveUpMs) {
        skip(file, s, `still not a complete SPE file after ${Math.round(giveUpMs / 1000)} s`);
        return;
      }
      c.timer = setTimeout(() => check(file), pollMs);
    };

    const skip = (file: string, s: fs.Stats, why: string) => {
      checking.delete(file);
      seen.add(file);
      skipped.set(file, { size: s.size, mtime: s.mtimeMs });
      warn(`${file}: skipped: ${why}`);
    };

    /** A skipped file that changed since is looked at again. */
    const changedSinceSkipped = (file: string): boolean => {
      const was = skipped.get(file);
      if (!was) {
        return false;
      }
      let s: fs.Stats;
      try {
        s = fs.statSync(file);
      } catch {
        return false;
      }
      if (s.size === was.size && s.mtimeMs === was.mtime) {
        return false;
      }
      skipped.delete(file);
      seen.delete(file);
      return true;
    };

    const candidate = (p: string) => {
      const file = path.resolve(p);
      if (!/\.spe$/i.test(file)) {
        return;
      }
      if (seen.has(file) && !changedSinceSkipped(file)) {
        return;
      }
      const c = checking.get(file);
      if (c) {
        if (c.timer) {
          clearTimeout(c.timer);
        }
        check(file);
        return;
      }
      checking.set(file, { first: Date.now(), size: -1, mtime: -1, stableSince: Date.now(), timer: null });
      check(file);
    };

    let watcher: FSWatcher | null = chokidarWatch(dir, {
      ignoreInitial: !options.includeExisting,
      depth: 0,
      usePolling: options.usePolling ?? false,
      interval: pollMs,
      awaitWriteFinish: { stabilityThreshold: options.stabilityMs ?? 300, pollInterval: Math.min(100, pollMs) },
      ignored: (p: string, stats?: fs.Stats) => !!stats?.isFile() && !/\.spe$/i.test(p),
    });
    watcher.on('add', candidate);
    watcher.on('change', candidate);
    watcher.on('error', (e) => warn(`watching ${dir}: ${(e as Error).message}`));
    // the folder itself removed (chokidar does not tell): the source has nothing left to watch
    const folderCheck = setInterval(
      () => {
        if (!stopped && !fs.existsSync(dir)) {
          subscriber.error(missingFolder(dir, 'the watched folder was removed'));
        }
      },
      Math.max(250, 5 * pollMs),
    );
    folderCheck.unref();

    return () => {
      stopped = true;
      clearInterval(folderCheck);
      if (emitTimer) {
        clearImmediate(emitTimer);
      }
      for (const c of checking.values()) {
        if (c.timer) {
          clearTimeout(c.timer);
        }
      }
      checking.clear();
      for (const r of ready) {
        try {
          r.spe.close();
        } catch {
          /* closed */
        }
      }
      ready.length = 0;
      if (current) {
        try {
          current.close();
        } catch {
          /* closed */
        }
        current = null;
      }
      const w = watcher;
      watcher = null;
      void w?.close();
    };
  });
}
