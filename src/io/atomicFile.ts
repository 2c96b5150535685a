/**
 * A file written through a temporary sibling (DIR/.<name>.tmp-<pid>) and renamed into place when complete:
 * readers see the old file or the whole new one, never half of it; an aborted write leaves nothing behind.
 * Used by `analyze --out` (written while the shot is still being fitted) and the beamtime's result files.
 */
import * as fs from 'fs';
import * as path from 'path';

/** The temporary file a process writes `target` through. */
export function temporaryPath(target: string, pid = process.pid): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${pid}`);
}

/** Writes the whole of `piece` (a string as UTF-8, or bytes) to `fd`, looping over short writes. */
export function writeAllSync(fd: number, piece: string | Uint8Array): void {
  const bytes = typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
  let done = 0;
  while (done < bytes.length) {
    done += fs.writeSync(fd, bytes, done, bytes.length - done);
  }
}

export class AtomicFile {
  readonly temporary: string;
  private fd: number | null;

  /** Opens the temporary file (the fs error when the folder cannot be written). */
  constructor(readonly target: string) {
    this.temporary = temporaryPath(target);
    this.fd = fs.openSync(this.temporary, 'w');
  }

  /** Appends `text` (a string, or bytes), synchronously. */
  write(text: string | Uint8Array): void {
    if (this.fd === null) {
      throw new Error(`${this.target}: written after it was committed or aborted`);
    }
    writeAllSync(this.fd, text);
  }

  /** Closes the temporary file (after an fsync when `durable`) and renames it onto the target. */
  commit(durable = false): void {
    const fd = this.release();
    try {
      if (durable) {
        fs.fsyncSync(fd);
      }
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(this.temporary, this.target);
  }

  /** Closes and removes the temporary file; the target is left as it was. Safe to call more than once. */
  abort(): void {
    if (this.fd !== null) {
      fs.closeSync(this.release());
    }
    fs.rmSync(this.temporary, { force: true });
  }

  private release(): number {
    if (this.fd === null) {
      throw new Error(`${this.target}: already committed or aborted`);
    }
    const fd = this.fd;
    this.fd = null;
    return fd;
  }
}

/** Writes `target` through a temporary file, fsync and a rename: readers see the old file, or the whole new one. */
export function writeAtomically(
  target: string,
  writePieces: (write: (text: string | Uint8Array) => void) => void,
): void {
  const file = new AtomicFile(target);
  try {
    writePieces((text) => file.write(text));
  } catch (e) {
    file.abort();
    throw e;
  }
  file.commit(true);
}
