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
import { readTextFile } from './textFile';
import { parseColumnHeader, toSI, type ColumnHeader } from './columns';
import { plainRows } from './plainRows';

export interface ParsedTable {
  /** Header names (from the header line), or null when the file has none. */
  header: string[] | null;
  /** Columns of numbers. */
  columns: Float64Array[];
  /** 1-based source line of each row. */
  lines: number[];
}

export interface LampTable {
  wavelength: Float64Array;
  radiance: Float64Array;
}
export interface PowerLog {
  kind: 'time' | 'frame';
  /** Seconds (time log) or frame numbers (frame log), ascending. */
  key: Float64Array;
  /** Watts, or percent when `powerUnit` is '%'. */
  power: Float64Array;
  /** The header cells of the key and power columns (defaults when the log has no header). */
  names: [string, string];
  powerUnit: 'W' | '%';
}
export interface PlainSpectra {
  wavelength: Float64Array;
  columns: Float64Array[];
  names: string[];
}

const SPLIT = /\s*[,;\t]\s*|\s+/;

function readText(path: string): string {
  return readTextFile(path, 'a text table');
}

/** Whether a table's numbers use a decimal comma (then commas never separate cells). */
interface TableDialect {
  decimalComma: boolean;
}

const DECIMAL_COMMA_NUMBER = /^[-+]?\d*,\d+(?:[eE][-+]?\d+)?$/;
const DECIMAL_POINT_NUMBER = /^[-+]?\d*\.\d+(?:[eE][-+]?\d+)?$|^[-+]?\d+\.(?:[eE][-+]?\d+)?$/;
/** The dialect of most tables: decimal points, commas may separate cells. */
const DECIMAL_POINT: TableDialect = { decimalComma: false };
/** Cell separators when commas are decimal marks. */
const SPLIT_DECIMAL_COMMA = /\s*[;\t]\s*|\s+/;

/** A line without its comment (`#` to the end) and surrounding blanks. */
function stripComment(line: string): string {
  const hash = line.indexOf('#');
  return (hash >= 0 ? line.slice(0, hash) : line).trim();
}

function splitCells(line: string, dialect: TableDialect): string[] {
  const parts = line.split(dialect.decimalComma ? SPLIT_DECIMAL_COMMA : SPLIT);
  return parts.map((cell) => cell.replace(/^"(.*)"$/, '$1').trim());
}

/**
 * Whether the first data line says the cells are separated by commas (its numbers then have decimal points): it
 * has no other separator (`;`, a tab, blanks between cells), or a cell with a comma that is not a decimal-comma
 * number. Refused with one line, as ambiguous: a number like `1.234,5` beside other separators.
 */
function separatesWithCommas(first: string, file: string, firstLineNo: number): boolean {
  const otherSeparator = /[;\t]/.test(first) || /\S\s+\S/.test(first);
  const tokens = first.split(SPLIT_DECIMAL_COMMA).filter((t) => t !== '');
  const thousands = tokens.find((t) => /\d\.\d+,\d/.test(t) || /\d,\d+\.\d/.test(t));
  if (otherSeparator && thousands) {
    throw new InputFileError(
      file,
      `line ${firstLineNo}: "${thousands}" mixes a decimal point and a comma (thousands ` +
        'separator?): ambiguous, write plain numbers',
    );
  }
  return !otherSeparator || tokens.some((t) => t.includes(',') && !DECIMAL_COMMA_NUMBER.test(t));
}

/**
 * Decimal commas: when the first data line separates its cells with `;`, tabs or blanks and holds a number with
 * a comma (`500,00<TAB>38,710`, `0,5;12,3`, `0,5 12,3`). Refused with one line, as ambiguous: decimal points and
 * decimal commas mixed, or a number like `1.234,5`.
 */
function detectDialect(dataLines: string[], file: string, firstLineNo: number): TableDialect {
  if (separatesWithCommas(dataLines[0], file, firstLineNo)) {
    return DECIMAL_POINT;
  }
  const dialect = { decimalComma: true };
  let commas = 0;
  let points = 0;
  for (const line of dataLines) {
    for (const cell of splitCells(line, dialect)) {
      if (cell.includes(',') && cell.includes('.')) {
        throw new InputFileError(
          file,
          `"${cell}" mixes a decimal point and a comma (thousands separator?): ambiguous, ` + 'write plain numbers',
        );
      }
      if (DECIMAL_COMMA_NUMBER.test(cell)) {
        commas++;
      } else if (DECIMAL_POINT_NUMBER.test(cell)) {
        points++;
      }
    }
  }
  if (commas > 0 && points > 0) {
    throw new InputFileError(
      file,
      `from line ${firstLineNo}: some numbers have a decimal comma and others a decimal ` +
        'point: ambiguous, use one decimal mark',
    );
  }
  return { decimalComma: commas > 0 };
}

function parseCell(cell: string, dialect: TableDialect): number {
  if (cell === '') {
    return NaN;
  }
  return Number(dialect.decimalComma ? cell.replace(',', '.') : cell);
}

/** Parse table text. `file` names the source in error messages. */
export function parseTable(text: string, file: string, minColumns = 2): ParsedTable {
  return plainTable(text, file, minColumns) ?? generalTable(text, file, minColumns);
}

/**
 * The header cells of a table's first line, or null when it is a data line (every cell a number). A header with
 * `,` `;` or tabs is split on those only, so that `Time (ms),Power (mW)` keeps its units.
 */
function headerCells(first: string): string[] | null {
  const hasHeader = first.split(SPLIT).some((c) => c !== '' && !Number.isFinite(Number(c.replace(/^"(.*)"$/, '$1'))));
  if (!hasHeader) {
    return null;
  }
  const headerSplit = /[,;\t]/.test(first) ? /\s*[,;\t]\s*/ : SPLIT;
  return first.split(headerSplit).map((c) => c.replace(/^"(.*)"$/, '$1').trim());
}

/**
 * The header as the table keeps it for `ncol` columns: as written, cut to ncol, or dropped when it names fewer
 * columns (refused when the counts suggest decimal commas read as separators).
 */
function fitHeader(
  header: string[] | null,
  ncol: number,
  dialect: TableDialect,
  file: string,
  firstDataLineNo: number,
): string[] | null {
  if (!header || header.length === ncol) {
    return header;
  }
  if (!dialect.decimalComma && header.length < ncol && ncol % header.length === 0) {
    throw new InputFileError(
      file,
      `the header names ${header.length} column(s) but line ${firstDataLineNo} has ${ncol} ` +
        'comma-separated values: decimal commas? ambiguous, separate the columns with ";" or a tab',
    );
  }
  // tolerate a header with a different count only when it cannot be mapped: drop it
  return header.length > ncol ? header.slice(0, ncol) : null;
}

/** A line of a table: its text without blanks around, its 1-based number and where it starts in the text. */
interface SourceLine {
  text: string;
  lineNo: number;
  start: number;
}

/** The first `count` lines of the text that are not blank (lines end with \n, a \r before it is dropped). */
function firstLines(text: string, count: number): SourceLine[] {
  const found: SourceLine[] = [];
  let start = 0;
  let lineNo = 1;
  while (start < text.length && found.length < count) {
    const newline = text.indexOf('\n', start);
    const stop = newline < 0 ? text.length : newline;
    const line = text.slice(start, stop).trim();
    if (line !== '') {
      found.push({ text: line, lineNo, start });
    }
    start = stop + 1;
    lineNo++;
  }
  return found;
}

/**
 * A table without comments or quotes whose numbers have decimal points and whose data lines are plain
 * (src/io/plainRows.ts), read without a string per line; null for any other table (generalTable reads it). The same
 * result as generalTable where both read it (tests/io/plainRows.test.ts compares them).
 */
function plainTable(text: string, file: string, minColumns: number): ParsedTable | null {
  if (/[#"]|\r(?!\n)/.test(text)) {
    return null;
  }
  const head = firstLines(text, 2);
  if (head.length === 0) {
    return null;
  }
  const header = headerCells(head[0].text);
  const first = header ? head[1] : head[0];
  // decimal points: no comma anywhere (generalTable's dialect then finds no decimal comma), or the first data line
  // separates its cells with commas
  if (first === undefined || (text.includes(',') && !separatesWithCommas(first.text, file, first.lineNo))) {
    return null;
  }
  const ncol = splitCells(first.text, DECIMAL_POINT).length;
  if (ncol < minColumns) {
    return null;
  }
  const rows = plainRows(text, first.start, first.lineNo, ncol);
  if (rows === null) {
    return null;
  }
  return { header: fitHeader(header, ncol, DECIMAL_POINT, file, first.lineNo), ...rows };
}

/** Any table: comment-stripped lines, a header if the first line has one, the dialect, every row checked. */
function generalTable(text: string, file: string, minColumns: number): ParsedTable {
  const rawLines = text.split(/\r\n|\r|\n/);
  const content: { text: string; lineNo: number }[] = [];
  for (let ln = 0; ln < rawLines.length; ln++) {
    const line = stripComment(rawLines[ln]);
    if (line !== '') {
      content.push({ text: line, lineNo: ln + 1 });
    }
  }
  if (content.length === 0) {
    throw new InputFileError(file, 'no data lines (only comments or blank lines)');
  }
  const header = headerCells(content[0].text);
  const dataLines = header ? content.slice(1) : content;
  if (dataLines.length === 0) {
    throw new InputFileError(file, 'a header but no data lines');
  }
  const dialect = detectDialect(
    dataLines.map((l) => l.text),
    file,
    dataLines[0].lineNo,
  );
  const rows = readRows(dataLines, dialect, file, minColumns);
  const ncol = rows[0].length;
  const columns: Float64Array[] = [];
  for (let c = 0; c < ncol; c++) {
    columns.push(Float64Array.from(rows, (r) => r[c]));
  }
  return {
    header: fitHeader(header, ncol, dialect, file, dataLines[0].lineNo),
    columns,
    lines: dataLines.map((l) => l.lineNo),
  };
}

/** The numbers of every data line; all lines must have as many cells as the first. */
function readRows(
  dataLines: { text: string; lineNo: number }[],
  dialect: TableDialect,
  file: string,
  minColumns: number,
): number[][] {
  const rows: number[][] = [];
  let ncol = -1;
  for (const { text, lineNo } of dataLines) {
    const cells = splitCells(text, dialect);
    const nums = cells.map((c) => parseCell(c, dialect));
    const badIndex = nums.findIndex((x) => !Number.isFinite(x));
    if (badIndex >= 0) {
      throw new InputFileError(file, `line ${lineNo}: "${cells[badIndex]}" is not a number`);
    }
    if (ncol < 0) {
      ncol = cells.length;
      if (ncol < minColumns) {
        throw new InputFileError(file, `line ${lineNo}: ${ncol} column(s), need at least ${minColumns}`);
      }
    } else if (cells.length !== ncol) {
      throw new InputFileError(
        file,
        `line ${lineNo}: ${cells.length} value(s), expected ${ncol} like the first data line`,
      );
    }
    rows.push(nums);
  }
  return rows;
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
  if (wl.length < 2) {
    throw new InputFileError(file, 'a lamp table needs at least 2 rows');
  }
  if (wl[wl.length - 1] < wl[0]) {
    wl = wl.slice().reverse();
    rad = rad.slice().reverse();
  }
  for (let i = 0; i < wl.length; i++) {
    if (!(wl[i] > 0)) {
      throw new InputFileError(file, `line ${t.lines[i]}: wavelength ${wl[i]} nm is not positive`);
    }
    if (i > 0 && !(wl[i] > wl[i - 1])) {
      throw new InputFileError(file, `line ${t.lines[i]}: wavelengths are not strictly monotonic`);
    }
    if (rad[i] < 0) {
      throw new InputFileError(file, `line ${t.lines[i]}: negative radiance ${rad[i]}`);
    }
  }
  if (!rad.some((r) => r > 0)) {
    throw new InputFileError(file, 'all radiances are zero');
  }
  return { wavelength: wl, radiance: rad };
}

export function readLampTable(path: string): LampTable {
  return parseLampTable(readText(path), path);
}

export interface PowerLogOptions {
  /**
   * Accept a power column in percent (`power_percent`, `Power (%)`), kept as written: only when the caller turns
   * it into watts (a power expression). Default false: such a log is refused.
   */
  allowPercent?: boolean;
}

/** The key (time or frame) column and the power column of a power log's header. */
function powerLogColumns(
  header: string[] | null,
  file: string,
): { key: ColumnHeader; power: ColumnHeader; keyCol: number; powerCol: number } {
  if (!header) {
    return { key: parseColumnHeader('time_s'), power: parseColumnHeader('power_W'), keyCol: 0, powerCol: 1 };
  }
  const cells = header.map(parseColumnHeader);
  let keyCol = cells.findIndex((c) => c.quantity === 'time' || c.quantity === 'frame');
  if (keyCol < 0) {
    if (cells[0].quantity !== 'unknown') {
      throw new InputFileError(file, `first column "${cells[0].cell}" is neither a time nor a frame number`);
    }
    keyCol = 0;
  }
  let powerCol = cells.findIndex((c, i) => i !== keyCol && c.quantity === 'power');
  if (powerCol < 0) {
    powerCol = keyCol === 0 ? 1 : 0;
    if (cells[powerCol].quantity !== 'unknown') {
      throw new InputFileError(file, `no power column: the header names ${header.map((h) => `"${h}"`).join(', ')}`);
    }
  }
  return { key: cells[keyCol], power: cells[powerCol], keyCol, powerCol };
}

/** The key column as seconds (time) or frame numbers (frame); units from the header. */
function powerLogKeys(t: ParsedTable, key: ColumnHeader, keyCol: number, file: string): Float64Array {
  const values = t.columns[keyCol];
  if (key.quantity === 'frame') {
    for (let i = 0; i < values.length; i++) {
      if (!Number.isInteger(values[i]) || values[i] < 0) {
        throw new InputFileError(file, `line ${t.lines[i]}: frame number ${values[i]} is not a non-negative integer`);
      }
    }
    return values;
  }
  if (key.scale === null) {
    throw new InputFileError(file, `time column "${key.cell}": unknown unit "${key.unit}" (use s, ms or µs)`);
  }
  return values.map((v) => toSI(v, key));
}

/** The power column in W (W, mW, kW, µW), or as written for a percentage when the options allow it. */
function powerLogPowers(
  t: ParsedTable,
  power: ColumnHeader,
  powerCol: number,
  file: string,
  options: PowerLogOptions,
): { values: Float64Array; unit: 'W' | '%' } {
  const values = t.columns[powerCol];
  if (power.unit !== null && /^(%|percent|pct)$/i.test(power.unit)) {
    if (!options.allowPercent) {
      throw new InputFileError(
        file,
        `power column "${power.cell}" is a percentage, not watts: it needs a power ` +
          'expression (powerExpr) that turns the percentage into W',
      );
    }
    return { values, unit: '%' };
  }
  if (power.scale === null) {
    throw new InputFileError(file, `power column "${power.cell}": unknown unit "${power.unit}" (use W, mW or kW)`);
  }
  return { values: values.map((v) => toSI(v, power)), unit: 'W' };
}

/** Whether the values never decrease. */
function inOrder(values: Float64Array): boolean {
  for (let i = 1; i < values.length; i++) {
    if (values[i] < values[i - 1]) {
      return false;
    }
  }
  return true;
}

/**
 * A laser power log: a time or frame column and a power column, named by the header (`time_s`, `Time (ms)`,
 * `t_us`, `frame`, `index`; `power_W`, `Power (mW)`, `power_percent` …, see src/io/columns.ts), in any order;
 * without a header, time in s then power in W. Times are converted to s and powers to W; a percentage is refused
 * unless `options.allowPercent`. Separators `,` `;` tab or blanks; decimal commas with `;`/tab/blank separators.
 * Sorted by key (stable).
 */
export function parsePowerLog(text: string, file: string, options: PowerLogOptions = {}): PowerLog {
  const t = parseTable(text, file, 2);
  const { key, power, keyCol, powerCol } = powerLogColumns(t.header, file);
  const kind: 'time' | 'frame' = key.quantity === 'frame' ? 'frame' : 'time';
  const keys = powerLogKeys(t, key, keyCol, file);
  const powers = powerLogPowers(t, power, powerCol, file, options);
  const names: [string, string] = [t.header?.[keyCol] ?? 'time_s', t.header?.[powerCol] ?? 'power_W'];
  if (inOrder(keys)) {
    // (a log is written in time order: the stable sort below would keep it as it is)
    return {
      kind,
      key: Float64Array.from(keys),
      power: Float64Array.from(powers.values),
      names,
      powerUnit: powers.unit,
    };
  }
  const order = Array.from(keys, (_v, i) => i).sort((a, b) => keys[a] - keys[b] || a - b);
  return {
    kind,
    key: Float64Array.from(order, (i) => keys[i]),
    power: Float64Array.from(order, (i) => powers.values[i]),
    names,
    powerUnit: powers.unit,
  };
}

export function readPowerLog(path: string, options: PowerLogOptions = {}): PowerLog {
  return parsePowerLog(readText(path), path, options);
}

/** Plain spectra: wavelength (nm) then one or more value columns (one spectrum each). */
export function parsePlainSpectra(text: string, file: string): PlainSpectra {
  const t = parseTable(text, file, 2);
  const wl = t.columns[0];
  for (let i = 0; i < wl.length; i++) {
    if (!(wl[i] > 0)) {
      throw new InputFileError(file, `line ${t.lines[i]}: wavelength ${wl[i]} nm is not positive`);
    }
  }
  if (wl.length < 3) {
    throw new InputFileError(file, `only ${wl.length} data line(s): not a spectrum`);
  }
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
  for (const c of columns) {
    if (c.length !== n) {
      throw new RangeError('formatCsv: columns of different lengths');
    }
  }
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

export function writeCsv(
  path: string,
  header: string[],
  columns: ArrayLike<number | null>[],
  comments: string[] = [],
): void {
  try {
    fs.writeFileSync(path, formatCsv(header, columns, comments));
  } catch (e) {
    throw new InputFileError(path, `cannot write (${(e as Error).message})`);
  }
}
