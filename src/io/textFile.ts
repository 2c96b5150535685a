/**
 * Reading a text input file (tables, power logs, Andor ASCII exports, beamtime manifests and overlays): one place
 * that turns the file system's refusals and non-text content into a one-line InputFileError naming the file; and
 * the one splitter of quoted delimited lines (manifests, overlays, power–temperature curves).
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

/**
 * Splits one line of a delimited table on `separator`, cells trimmed; a cell may be double-quoted (a quote opens
 * only at the start of a cell; "" inside quotes is one quote), so a quoted cell may hold the separator.
 */
export function splitQuotedCells(line: string, separator: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        cell += ch;
      }
    } else if (ch === '"' && cell.trim() === '') {
      quoted = true;
      cell = '';
    } else if (ch === separator) {
      cells.push(cell.trim());
      cell = '';
    } else {
      cell += ch;
    }
  }
  cells.push(cell.trim());
  return cells;
}

/** The separator of a header row: whichever of `,` `;` and tab splits it into the most cells (`,` on a tie). */
export function separatorOf(headerLine: string): string {
  const counts = [',', ';', '\t'].map((sep) => ({ sep, count: splitQuotedCells(headerLine, sep).length }));
  counts.sort((a, b) => b.count - a.count);
  return counts[0].count > 1 ? counts[0].sep : ',';
}
