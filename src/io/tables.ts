/**
 * Text tables: lamp radiance tables, laser power logs and plain spectra (as T-Rax / PyRadiant export them).
 *
 * Common rules: cells separated by commas, semicolons, tabs or spaces; `#` starts a comment (whole line or end of
 * line); blank lines are skipped; the first non-comment line may be a header (any non-numeric cell makes it one);
 * every other line must hold the same number of numeric cells. Problems are InputFileError naming the file and
 * the line.
 */
import * as fs from 'fs';
import { InputFileError } from '../errors';

export interface ParsedTable {
  /** Header names (from the header line), or null when the file has none. */
  header: string[] | null;
  /** Columns of numbers. */
  columns: Float64Array[];
  /** 1-based source line of each row. */
  lines: number[];
}

export interface LampTable { wavelength: Float64Array; radiance: Float64Array }
export interface PowerLog { kind: 'time' | 'frame'; key: Float64Array; power: Float64Array; names: [string, string] }
export interface PlainSpectra { wavelength: Float64Array; columns: Float64Array[]; names: string[] }

const SPLIT = /\s*[,;\t]\s*|\s+/;

function readText(path: string): string {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputFileError(path, 'no such file');
    if (code === 'EISDIR') throw new InputFileError(path, 'is a directory, not a table');
    throw new InputFileError(path, `cannot read (${(e as Error).message})`);
  }
  if (buf.length === 0) throw new InputFileError(path, 'empty file');
  if (buf.includes(0)) throw new InputFileError(path, 'binary data, not a text table');
  return buf.toString('utf8').replace(/^\uFEFF/, '');
}

/** Parse table text. `file` names the source in error messages. */
export function parseTable(text: string, file: string, minColumns = 2): ParsedTable {
  const rawLines = text.split(/\r\n|\r|\n/);
  let header: string[] | null = null;
  let ncol = -1;
  const rows: number[][] = [];
  const lines: number[] = [];
  for (let ln = 0; ln < rawLines.length; ln++) {
    let line = rawLines[ln];
    const hash = line.indexOf('#');
    if (hash >= 0) line = line.slice(0, hash);
    line = line.trim();
    if (line === '') continue;
    const cells = line.split(SPLIT).map((c) => c.replace(/^"(.*)"$/, '$1').trim());
    const nums = cells.map((c) => (c === '' ? NaN : Number(c)));
    const numeric = nums.every((x) => Number.isFinite(x));
    if (!numeric) {
      if (rows.length === 0 && header === null) {
        // header line: accept only if it has at least one non-numeric word
        header = cells;
        continue;
      }
      const bad = cells[nums.findIndex((x) => !Number.isFinite(x))];
      throw new InputFileError(file, `line ${ln + 1}: "${bad}" is not a number`);
    }
    if (ncol < 0) {
      ncol = cells.length;
      if (ncol < minColumns) {
        throw new InputFileError(file, `line ${ln + 1}: ${ncol} column(s), need at least ${minColumns}`);
      }
    } else if (cells.length !== ncol) {
      throw new InputFileError(file, `line ${ln + 1}: ${cells.length} value(s), expected ${ncol} like the first data line`);
    }
    rows.push(nums);
    lines.push(ln + 1);
  }
  if (rows.length === 0) throw new InputFileError(file, header ? 'a header but no data lines' : 'no data lines (only comments or blank lines)');
  if (header && header.length !== ncol) {
    // tolerate a header with a different count only when it cannot be mapped: drop it
    header = header.length > ncol ? header.slice(0, ncol) : null;
  }
  const columns: Float64Array[] = [];
  for (let c = 0; c < ncol; c++) columns.push(Float64Array.from(rows, (r) => r[c]));
  return { header, columns, lines };
}

/** Any numeric table from a file (header optional). */
export function readTable(path: string, minColumns = 1): ParsedTable {
  return parseTable(readText(path), path, minColumns);
}

/** A lamp radiance table: wavelength (nm) and radiance, ascending in wavelength. */
export function parseLampTable(text: string, file: string): LampTable {
  const t = parseTable(text, file, 2);
  let wl = t.columns[0];
  let rad = t.columns[1];
  if (wl.length < 2) throw new InputFileError(file, 'a lamp table needs at least 2 rows');
  if (wl[wl.length - 1] < wl[0]) { wl = wl.slice().reverse(); rad = rad.slice().reverse(); }
  for (let i = 0; i < wl.length; i++) {
    if (!(wl[i] > 0)) throw new InputFileError(file, `line ${t.lines[i]}: wavelength ${wl[i]} nm is not positive`);
    if (i > 0 && !(wl[i] > wl[i - 1])) throw new InputFileError(file, `line ${t.lines[i]}: wavelengths are not strictly monotonic`);
    if (rad[i] < 0) throw new InputFileError(file, `line ${t.lines[i]}: negative radiance ${rad[i]}`);
  }
  if (!rad.some((r) => r > 0)) throw new InputFileError(file, 'all radiances are zero');
  return { wavelength: wl, radiance: rad };
}

export function readLampTable(path: string): LampTable {
  return parseLampTable(readText(path), path);
}

/**
 * A laser power log: `time_s,power_W` or `frame,power_W` (header names decide: a first column named frame/index
 * is a frame number; anything else, or no header, is a time in s). Sorted by key (stable).
 */
export function parsePowerLog(text: string, file: string): PowerLog {
  const t = parseTable(text, file, 2);
  const h = t.header;
  let powerCol = 1;
  if (h) {
    const p = h.findIndex((name, i) => i > 0 && /power|^p(_|$|\s|\()/i.test(name));
    if (p > 0) powerCol = p;
  }
  const first = (h?.[0] ?? '').toLowerCase();
  const kind: 'time' | 'frame' = /^(frame|index|idx|n)\b/.test(first) || first.startsWith('frame') ? 'frame' : 'time';
  const key = t.columns[0];
  const power = t.columns[powerCol];
  if (kind === 'frame') {
    for (let i = 0; i < key.length; i++) {
      if (!Number.isInteger(key[i]) || key[i] < 0) throw new InputFileError(file, `line ${t.lines[i]}: frame number ${key[i]} is not a non-negative integer`);
    }
  }
  // sort by key when needed
  let sorted = true;
  for (let i = 1; i < key.length; i++) if (key[i] < key[i - 1]) { sorted = false; break; }
  let k = key; let p = power;
  if (!sorted) {
    const idx = Array.from(key, (_v, i) => i).sort((a, b) => key[a] - key[b] || a - b);
    k = Float64Array.from(idx, (i) => key[i]);
    p = Float64Array.from(idx, (i) => power[i]);
  }
  const names: [string, string] = [h?.[0] ?? (kind === 'time' ? 'time_s' : 'frame'), h?.[powerCol] ?? 'power_W'];
  return { kind, key: k, power: p, names };
}

export function readPowerLog(path: string): PowerLog {
  return parsePowerLog(readText(path), path);
}

/** Plain spectra: wavelength (nm) then one or more value columns (one spectrum each). */
export function parsePlainSpectra(text: string, file: string): PlainSpectra {
  const t = parseTable(text, file, 2);
  const wl = t.columns[0];
  for (let i = 0; i < wl.length; i++) {
    if (!(wl[i] > 0)) throw new InputFileError(file, `line ${t.lines[i]}: wavelength ${wl[i]} nm is not positive`);
  }
  if (wl.length < 3) throw new InputFileError(file, `only ${wl.length} data line(s): not a spectrum`);
  const columns = t.columns.slice(1);
  const names = columns.map((_c, i) => t.header?.[i + 1] ?? `column${i + 1}`);
  return { wavelength: wl, columns, names };
}

export function readPlainSpectra(path: string): PlainSpectra {
  return parsePlainSpectra(readText(path), path);
}

/** Format a CSV (comma separated, header line, numbers in shortest round-trip form; null/NaN → empty cell). */
export function formatCsv(header: string[], columns: ArrayLike<number | null>[], comments: string[] = []): string {
  const n = columns.length ? columns[0].length : 0;
  for (const c of columns) if (c.length !== n) throw new RangeError('formatCsv: columns of different lengths');
  const out: string[] = comments.map((c) => `# ${c}`);
  out.push(header.join(','));
  for (let i = 0; i < n; i++) {
    const cells = new Array<string>(columns.length);
    for (let j = 0; j < columns.length; j++) {
      const v = columns[j][i];
      cells[j] = v === null || v === undefined || Number.isNaN(v) ? '' : String(v);
    }
    out.push(cells.join(','));
  }
  return out.join('\n') + '\n';
}

export function writeCsv(path: string, header: string[], columns: ArrayLike<number | null>[], comments: string[] = []): void {
  try {
    fs.writeFileSync(path, formatCsv(header, columns, comments));
  } catch (e) {
    throw new InputFileError(path, `cannot write (${(e as Error).message})`);
  }
}
