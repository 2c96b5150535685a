/**
 * One opener for every frame file the analysis reads (shot, lamp, dark): a Princeton Instruments SPE file
 * (src/io/spe.ts) or an Andor SOLIS ASCII export (src/io/andor.ts), both behind the SpeFile interface.
 * `.asc` files, and any non-`.spe` file whose first line is an Andor header line, are read as Andor exports.
 */
import * as fs from 'fs';
import { InputFileError } from '../errors';
import { openAndorAscii, looksLikeAndorAscii } from './andor';
import { openSpe, type OpenSpeOptions } from './spe';
import type { SpeFile } from './types';

/** InputFileError "no such file" (or "is a directory") before anything else is said about `path`. */
export function checkFileExists(path: string): void {
  let stats: fs.Stats;
  try {
    stats = fs.statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new InputFileError(path, 'no such file');
    }
    if (code === 'EACCES' || code === 'EPERM') {
      throw new InputFileError(path, 'permission denied');
    }
    throw new InputFileError(path, `cannot open (${(e as Error).message})`);
  }
  if (stats.isDirectory()) {
    throw new InputFileError(path, 'is a directory, not a file');
  }
}

/** The first bytes of a file as text (empty when unreadable). */
function head(path: string, bytes = 512): string {
  let fd: number | null = null;
  try {
    fd = fs.openSync(path, 'r');
    const buf = Buffer.alloc(bytes);
    const got = fs.readSync(fd, buf, 0, bytes, 0);
    return buf.subarray(0, got).toString('latin1');
  } catch {
    return '';
  } finally {
    if (fd !== null) {
      fs.closeSync(fd);
    }
  }
}

/** Is this file an Andor SOLIS ASCII export (by extension, or by its first line when it is not `.spe`)? */
export function isAndorAscii(path: string): boolean {
  if (/\.asc$/i.test(path)) {
    return true;
  }
  if (/\.spe$/i.test(path)) {
    return false;
  }
  return looksLikeAndorAscii(head(path));
}

/** Open a frame file: SPE or Andor ASCII. Throws InputFileError on anything unreadable. */
export function openFrames(path: string, options: OpenSpeOptions = {}): SpeFile {
  checkFileExists(path);
  return isAndorAscii(path) ? openAndorAscii(path) : openSpe(path, options);
}
