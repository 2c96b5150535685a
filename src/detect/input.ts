/**
 * Parsing of power–temperature curves for `pyrolive detect` (pure: text in, points out).
 * Accepted:
 *  - CSV with a header naming power_W and temperature_K (optional temperatureError_K, time_s, index, flags;
 *    other columns ignored, any order). Header cells are read by src/io/columns.ts, the parser `--power` logs
 *    use: `Power (W)`, `power_mW`, `Temperature (K)`, `T [°C]` … (converted to W and K). `;` or tab separated
 *    files may use decimal commas. This covers the CSV `pyrolive analyze --out` writes
 *    (index,time_s,power_W,temperature_K,temperatureError_K,chi2,flags with flags joined by ';').
 *    An empty cell (or `null`) means "no value": that row is skipped and counted; anything else that is not a
 *    finite number is an error.
 *  - JSON as `pyrolive analyze --json` writes it: {frames: [{index, time, power, temperature,
 *    temperatureError, flags}], ...}; frames with a null power or temperature are skipped and counted.
 *    A bare array of such frames is accepted too.
 */
import { InputFileError } from '../errors';
import type { DetectPoint } from './types';
import { parseColumnHeader, toSI, type ColumnHeader, type ColumnQuantity } from '../io/columns';
import { splitQuotedCells } from '../io/textFile';

export interface ParsedCurve {
  points: DetectPoint[];
  /** Rows/frames without a power or temperature value (skipped before the detector). */
  missing: number;
  format: 'csv' | 'json';
}

/** A column of the curve: where it is and how its values become SI (power in W, temperature in K). */
interface CurveColumn {
  index: number;
  header: ColumnHeader;
}

/**
 * The columns of a curve's header, by src/io/columns.ts (the header parser `--power` logs use too): the first
 * power, temperature, temperature error, frame and flags column. A power in percent or in an unknown unit is
 * refused (the detector works in W).
 */
function curveColumns(headerCells: string[], headerLine: string, file: string): Record<string, CurveColumn | null> {
  const parsed = headerCells.map(parseColumnHeader);
  const find = (quantity: ColumnQuantity): CurveColumn | null => {
    const index = parsed.findIndex((h) => h.quantity === quantity);
    return index < 0 ? null : { index, header: parsed[index] };
  };
  const columns = {
    power: find('power'),
    temperature: find('temperature'),
    error: find('temperatureError'),
    index: find('frame'),
    flags: find('flags'),
  };
  const missingCols = [columns.power ? null : 'power_W', columns.temperature ? null : 'temperature_K'].filter(Boolean);
  if (missingCols.length) {
    throw new InputFileError(
      file,
      `missing column ${missingCols.join(' and ')} (header: ${headerLine.trim().slice(0, 120)})`,
    );
  }
  for (const column of [columns.power, columns.temperature, columns.error]) {
    if (column && column.header.scale === null) {
      throw new InputFileError(
        file,
        `column "${column.header.cell}": unit "${column.header.unit}" cannot be converted ` +
          `(${column.header.quantity === 'power' ? 'use W, mW or kW' : 'use K or °C'})`,
      );
    }
  }
  return columns;
}

export function parseCurve(text: string, file: string): ParsedCurve {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') {
    throw new InputFileError(file, 'empty file');
  }
  const first = body.trimStart()[0];
  if (first === '{' || first === '[') {
    return parseJson(body, file);
  }
  return parseCsv(body, file);
}

function parseCsv(text: string, file: string): ParsedCurve {
  const lines = text.split(/\r?\n/);
  let h = 0;
  while (h < lines.length && (lines[h].trim() === '' || lines[h].trimStart().startsWith('#'))) {
    h++;
  }
  if (h >= lines.length) {
    throw new InputFileError(file, 'empty file');
  }
  const headerLine = lines[h];
  const sep = headerLine.includes(';') ? ';' : headerLine.includes('\t') ? '\t' : ',';
  // with `;` or tab separators a comma in a number is a decimal comma (spreadsheet exports)
  const decimalComma = sep !== ',';
  const headerCells = splitQuotedCells(headerLine, sep);
  const header = headerCells.map((s) => s.toLowerCase());
  const columns = curveColumns(headerCells, headerLine, file);
  const ip = columns.power?.index ?? -1;
  const it = columns.temperature?.index ?? -1;
  const ie = columns.error?.index ?? -1;
  const ii = columns.index?.index ?? -1;
  const ifl = columns.flags?.index ?? -1;
  const points: DetectPoint[] = [];
  let missing = 0;
  let row = 0;
  for (let k = h + 1; k < lines.length; k++) {
    const raw = lines[k];
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) {
      continue;
    }
    const cells = splitQuotedCells(raw, sep);
    const lineNo = k + 1;
    const num = (i: number, name: string, required: boolean): number | null => {
      if (i < 0) {
        return null;
      }
      const c = cells[i];
      if (c === undefined || c === '' || c.toLowerCase() === 'null') {
        if (required) {
          return null;
        }
        return null;
      }
      const v = Number(decimalComma ? c.replace(',', '.') : c);
      if (!Number.isFinite(v)) {
        throw new InputFileError(file, `line ${lineNo}: ${name} is not a finite number: '${c.slice(0, 40)}'`);
      }
      return v;
    };
    const inSI = (value: number | null, column: CurveColumn | null): number | null =>
      value === null || column === null ? value : toSI(value, column.header);
    const P = inSI(num(ip, header[ip], true), columns.power);
    const T = inSI(num(it, header[it], true), columns.temperature);
    const E = inSI(num(ie, ie >= 0 ? header[ie] : '', false), columns.error);
    const I = num(ii, ii >= 0 ? header[ii] : '', false);
    const index = I ?? row;
    row++;
    if (P === null || T === null) {
      missing++;
      continue;
    }
    const p: DetectPoint = { index, power: P, temperature: T };
    if (E !== null) {
      if (!(E > 0)) {
        throw new InputFileError(file, `line ${lineNo}: ${header[ie]} must be > 0: '${cells[ie]}'`);
      }
      p.temperatureError = E;
    }
    if (ifl >= 0 && cells[ifl]) {
      p.flags = cells[ifl]
        .split(/[;|]/)
        .map((s) => s.trim())
        .filter(Boolean);
    }
    points.push(p);
  }
  if (points.length === 0 && missing === 0) {
    throw new InputFileError(file, 'no data rows after the header');
  }
  return { points, missing, format: 'csv' };
}

function parseJson(text: string, file: string): ParsedCurve {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new InputFileError(file, `not valid JSON (${(e as Error).message.split('\n')[0]})`);
  }
  const frames = Array.isArray(doc)
    ? doc
    : doc && typeof doc === 'object'
      ? (doc as { frames?: unknown }).frames
      : undefined;
  if (!Array.isArray(frames)) {
    throw new InputFileError(file, 'JSON has no "frames" array (expected the output of pyrolive analyze --json)');
  }
  if (frames.length === 0) {
    throw new InputFileError(file, 'JSON "frames" array is empty');
  }
  const points: DetectPoint[] = [];
  let missing = 0;
  frames.forEach((f: unknown, k: number) => {
    if (!f || typeof f !== 'object') {
      throw new InputFileError(file, `frame ${k}: not an object`);
    }
    const fr = f as Record<string, unknown>;
    const val = (name: string): number | null => {
      const v = fr[name];
      if (v === null || v === undefined) {
        return null;
      }
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new InputFileError(
          file,
          `frame ${k}: ${name} is not a finite number: ${JSON.stringify(v)?.slice(0, 40)}`,
        );
      }
      return v;
    };
    const P = val('power');
    const T = val('temperature');
    const E = val('temperatureError');
    const I = val('index');
    if (P === null || T === null) {
      missing++;
      return;
    }
    const p: DetectPoint = { index: I ?? k, power: P, temperature: T };
    if (E !== null && E > 0) {
      p.temperatureError = E;
    }
    if (Array.isArray(fr.flags)) {
      p.flags = fr.flags.filter((x): x is string => typeof x === 'string');
    }
    points.push(p);
  });
  return { points, missing, format: 'json' };
}
