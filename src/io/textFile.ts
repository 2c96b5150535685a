/**
 * Reading a text input file (tables, power logs, Andor ASCII exports, beamtime manifests and overlays): one place
 * that turns the file system's refusals and non-text content into a one-line InputFileError naming the file.
 */
import * as fs from 'fs';
import { InputFileError } from '../errors';

/**
 * The file's text (UTF-8, byte-order mark removed). `kind` names what the file should be, e.g. "a text table", for
 * the messages about a folder or binary data given in its place.
 */
export function readTextFile(path: string, kind: string): string {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new InputFileError(path, 'no such file');
    }
    if (code === 'EISDIR') {
      throw new InputFileError(path, `is a directory, not ${kind}`);
    }
    throw new InputFileError(path, `cannot read (${(e as Error).message})`);
  }
  if (buf.length === 0) {
    throw new InputFileError(path, 'empty file (0 bytes)');
  }
  if (buf.includes(0)) {
    throw new InputFileError(path, `binary data, not ${kind}`);
  }
  return buf.toString('utf8').replace(/^\uFEFF/, '');
}
