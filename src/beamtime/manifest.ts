/**
 * The beamtime manifest: a header row, then one shot per row.
 *
 *   shot,power,pressure_GPa,rows,note
 *   p082/shot.spe,p082/power.csv,82.0,40:48,first heating
 *   p095/shot.spe,p095/power.csv,95.5,,
 *
 * Columns: `shot` (required; several files of one run joined by `|`), `power` (power log, optional),
 * a pressure column (optional: `pressure_GPa`, `pressure (GPa)`, `P_GPa`, `pressure_kbar` …, converted to GPa).
 * Columns named like an analysis option (`calibration`, `background`, `lamp_temperature`, `lamp_spectrum`,
 * `tungsten`, `rows`, `roi`, `range`, `method`, `emissivity`, `gain`, `read_noise`, `saturation`, `power_expr`)
 * override the common options for that row when the cell is not empty; every further column is metadata.
 * Paths resolve against the manifest's folder.
 *
 * Cells are separated by commas, semicolons or tabs (the separator the header row uses most); a cell may be
 * quoted ("a, b"); with `;` or tab separators numbers may use a decimal comma. Lines starting with `#` and blank
 * lines are skipped. A bad value in one row is that shot's problem (reported when it would run), not the
 * manifest's: the other shots still run.
 *
 * Header names: parseColumnHeader (here, since manifest columns name files and options, not quantities); the
 * pressure unit's factor comes from the shared unit table of src/io/columns.ts, the one power logs use.
 */
import * as path from 'path';
import { InputFileError } from '../errors';
import { readTextFile, separatorOf, splitQuotedCells } from '../io/textFile';
import { pressureUnitToGPa } from '../io/columns';
import { parseRange, type AnalysisOptions } from '../analysis/run';
import type { Method } from '../analysis/analyzer';

/** A column header split into a quantity name (lower case, `_` for spaces), a unit and its scale to SI-ish base. */
export interface ColumnHeader {
  raw: string;
  name: string;
  unit: string | null;
}

/** Pressure units written as a `_unit` suffix (their factors to GPa come from src/io/columns, as for power logs). */
const PRESSURE_UNITS = ['GPa', 'gpa', 'kbar', 'Kbar', 'kb', 'MPa', 'mpa', 'bar', 'Mbar', 'TPa'];
const KNOWN_UNITS = new Set([...PRESSURE_UNITS, 'K', 'k', 'C', 'degC', 'F', 'nm', 'W', 'w', 's', 'ms']);
const PRESSURE_NAMES = ['pressure', 'p', 'press'];
const SHOT_NAMES = ['shot', 'shots', 'shot_file', 'file'];
const POWER_NAMES = ['power', 'power_log', 'powerlog', 'power_file'];
const NAME_NAMES = ['name', 'id', 'shot_name'];

/**
 * `pressure (GPa)`, `pressure [GPa]`, `pressure_GPa`, `P GPa` → {name: 'pressure' | 'p' | …, unit: 'GPa'}.
 * A trailing `_word` counts as a unit only when it is a known unit, so `read_noise` stays one name.
 */
export function parseColumnHeader(raw: string): ColumnHeader {
  const text = raw.trim();
  const bracketed = /^(.*?)\s*[([]\s*([^)\]]*?)\s*[)\]]\s*$/.exec(text);
  if (bracketed && bracketed[1] !== '') {
    return { raw, name: normaliseName(bracketed[1]), unit: bracketed[2] || null };
  }
  const suffixed = /^(.+?)[_\s]+([A-Za-z]+)$/.exec(text);
  if (suffixed && KNOWN_UNITS.has(suffixed[2])) {
    return { raw, name: normaliseName(suffixed[1]), unit: suffixed[2] };
  }
  return { raw, name: normaliseName(text), unit: null };
}

function normaliseName(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
}

/** Scale of a pressure unit to GPa (null unit: GPa, the unit of the field), or null when unknown. */
export function pressureScale(unit: string | null): number | null {
  if (unit === null) {
    return 1;
  }
  return pressureUnitToGPa(unit);
}

/** The per-shot analysis settings a manifest row may override. */
export type ShotOverrides = Partial<
  Pick<
    AnalysisOptions,
    | 'calibration'
    | 'lampTemperature'
    | 'lampSpectrum'
    | 'tungsten'
    | 'background'
    | 'rows'
    | 'roi'
    | 'range'
    | 'method'
    | 'emissivity'
    | 'gain'
    | 'readNoise'
    | 'saturation'
  >
> & { powerExpr?: string };

type OverrideKey = keyof ShotOverrides;
type CellParser = (cell: string, config: CellContext) => ShotOverrides[OverrideKey];
interface CellContext {
  dir: string;
  decimalComma: boolean;
  column: string;
}

/** Manifest column name (normalised) → the option it overrides and how to read the cell. */
const OVERRIDE_COLUMNS: Record<string, { key: OverrideKey; parse: CellParser }> = {
  calibration: { key: 'calibration', parse: pathCell },
  background: { key: 'background', parse: pathCell },
  lamp_spectrum: { key: 'lampSpectrum', parse: pathCell },
  lamp_temperature: { key: 'lampTemperature', parse: positiveCell },
  tungsten: { key: 'tungsten', parse: booleanCell },
  rows: { key: 'rows', parse: (cell) => cell },
  roi: { key: 'roi', parse: (cell) => cell.split(/[\s|]+/).filter(Boolean) },
  range: { key: 'range', parse: rangeCell },
  method: { key: 'method', parse: methodCell },
  emissivity: { key: 'emissivity', parse: (cell) => cell },
  gain: { key: 'gain', parse: positiveCell },
  read_noise: { key: 'readNoise', parse: nonNegativeCell },
  saturation: { key: 'saturation', parse: positiveCell },
  power_expr: { key: 'powerExpr', parse: (cell) => cell },
};

/** Whether a manifest column sets an analysis option or names the output (so it is not a free note). */
export function isOptionColumn(header: string): boolean {
  const name = parseColumnHeader(header).name;
  return name in OVERRIDE_COLUMNS || NAME_NAMES.includes(name);
}

/** Whether a manifest column is the shot, its power log or its pressure (kept apart from the metadata). */
export function isShotColumn(header: string): boolean {
  const name = parseColumnHeader(header).name;
  return SHOT_NAMES.includes(name) || POWER_NAMES.includes(name) || PRESSURE_NAMES.includes(name);
}

function pathCell(cell: string, context: CellContext): string {
  return path.resolve(context.dir, cell);
}

function numberCell(cell: string, context: CellContext): number {
  const text = context.decimalComma ? cell.replace(',', '.') : cell;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw new Error(`${context.column} "${cell}" is not a number`);
  }
  return value;
}

function positiveCell(cell: string, context: CellContext): number {
  const value = numberCell(cell, context);
  if (!(value > 0)) {
    throw new Error(`${context.column} ${value} must be positive`);
  }
  return value;
}

function nonNegativeCell(cell: string, context: CellContext): number {
  const value = numberCell(cell, context);
  if (value < 0) {
    throw new Error(`${context.column} ${value} must not be negative`);
  }
  return value;
}

function rangeCell(cell: string, context: CellContext): [number, number] {
  try {
    return parseRange(cell);
  } catch {
    throw new Error(`${context.column} "${cell}" is not LO:HI in nm (0 < LO < HI)`);
  }
}

function booleanCell(cell: string, context: CellContext): boolean {
  const text = cell.trim().toLowerCase();
  if (['1', 'yes', 'y', 'true', 'x'].includes(text)) {
    return true;
  }
  if (['0', 'no', 'n', 'false'].includes(text)) {
    return false;
  }
  throw new Error(`${context.column} "${cell}" is not yes/no`);
}

function methodCell(cell: string, context: CellContext): Method {
  const text = cell.trim().toLowerCase();
  if (text !== 'planck' && text !== 'wien' && text !== 'two-color') {
    throw new Error(`${context.column} "${cell}" is not planck, wien or two-color`);
  }
  return text;
}

/** One row of the manifest. */
export interface ManifestShot {
  /** 0-based position among the shots (the order sharding uses). */
  position: number;
  /** 1-based line in the manifest file. */
  line: number;
  /** Output name: DIR/<name>.json (the shot file's stem, made unique; or the `name` column). */
  name: string;
  /** The shot file(s) of this run, resolved. */
  shots: string[];
  /** The power log, resolved, or null. */
  power: string | null;
  pressureGPa: number | null;
  overrides: ShotOverrides;
  /** Every cell of the row by its header as written (the metadata kept with the result). */
  columns: Record<string, string>;
  /** A bad cell in this row (the shot fails with this message; the others run), or null. */
  problem: string | null;
}

export interface Manifest {
  file: string;
  dir: string;
  header: string[];
  shots: ManifestShot[];
  warnings: string[];
}

/** File stem: `p095/shot.spe` → `shot`. */
function stemOf(file: string): string {
  return path.basename(file).replace(/\.[^.]*$/, '');
}

function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '') || 'shot';
}

/**
 * Output names: the stem of the (first) shot file; where stems repeat (every simulated shot is `shot.spe`), the
 * path relative to the manifest without extension (`p095/shot.spe` → `p095_shot`); a `name` column wins.
 */
function assignNames(rows: { explicit: string | null; first: string; relative: string }[], file: string): string[] {
  const stems = rows.map((row) => safeName(stemOf(row.first)));
  const count = new Map<string, number>();
  for (const stem of stems) {
    count.set(stem, (count.get(stem) ?? 0) + 1);
  }
  const names = rows.map((row, k) => {
    if (row.explicit) {
      return safeName(row.explicit);
    }
    return count.get(stems[k])! > 1 ? safeName(row.relative.replace(/\.[^./\\]*$/, '')) : stems[k];
  });
  const seen = new Map<string, number>();
  names.forEach((name, k) => {
    if (seen.has(name)) {
      throw new InputFileError(
        file,
        `rows ${seen.get(name)! + 1} and ${k + 1} give the same output name "${name}" ` +
          '(the same shot twice? add a name column to tell them apart)',
      );
    }
    seen.set(name, k);
  });
  return names;
}

interface HeaderPlan {
  shot: number;
  power: number;
  pressure: number;
  pressureScale: number;
  name: number;
  overrides: { index: number; column: string; key: OverrideKey; parse: CellParser }[];
}

function planHeader(header: string[], file: string, warnings: string[]): HeaderPlan {
  const parsed = header.map(parseColumnHeader);
  const find = (names: string[]) => parsed.findIndex((h) => names.includes(h.name));
  const shot = find(SHOT_NAMES);
  if (shot < 0) {
    throw new InputFileError(
      file,
      `header "${header.join(',')}" has no shot column (the first row must name the ` +
        'columns, e.g. shot,power,pressure_GPa)',
    );
  }
  const pressure = parsed.findIndex((h) => PRESSURE_NAMES.includes(h.name));
  const unknownUnit = parsed.find((h) => h.unit === null && /^pressure_[a-z]+$/.test(h.name));
  if (pressure < 0 && unknownUnit) {
    throw new InputFileError(
      file,
      `column "${unknownUnit.raw}": unknown pressure unit ` +
        `"${unknownUnit.raw.trim().slice('pressure_'.length)}" (use GPa, kbar, MPa, bar or Mbar)`,
    );
  }
  let scale = 1;
  if (pressure >= 0) {
    const found = pressureScale(parsed[pressure].unit);
    if (found === null) {
      throw new InputFileError(
        file,
        `column "${header[pressure]}": unknown pressure unit "${parsed[pressure].unit}" ` +
          '(use GPa, kbar, MPa, bar or Mbar)',
      );
    }
    if (parsed[pressure].unit === null) {
      warnings.push(`${file}: column "${header[pressure]}" names no unit: taken as GPa`);
    }
    scale = found;
  }
  const overrides: HeaderPlan['overrides'] = [];
  parsed.forEach((h, index) => {
    const known = OVERRIDE_COLUMNS[h.name];
    if (known) {
      overrides.push({ index, column: header[index], key: known.key, parse: known.parse });
    }
  });
  return {
    shot,
    power: find(POWER_NAMES),
    pressure,
    pressureScale: scale,
    name: find(NAME_NAMES),
    overrides,
  };
}

/** Reads the manifest text. `file` names it in messages and fixes the folder paths resolve against. */
export function parseManifest(text: string, file: string): Manifest {
  const dir = path.dirname(path.resolve(file));
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const content = lines
    .map((line, k) => ({ line: k + 1, text: line }))
    .filter((l) => l.text.trim() !== '' && !l.text.trimStart().startsWith('#'));
  if (content.length === 0) {
    throw new InputFileError(file, 'empty manifest (expected a header row, then one shot per row)');
  }
  const separator = separatorOf(content[0].text);
  const header = splitQuotedCells(content[0].text, separator);
  const warnings: string[] = [];
  const plan = planHeader(header, file, warnings);
  const decimalComma = separator !== ',';
  const drafts = content.slice(1).map((row) => readRow(row, header, plan, { file, dir, separator, decimalComma }));
  if (drafts.length === 0) {
    throw new InputFileError(file, 'a header but no shots');
  }
  const names = assignNames(
    drafts.map((d) => ({ explicit: d.explicit, first: d.shots[0], relative: d.relative })),
    file,
  );
  const shots = drafts.map((draft, position): ManifestShot => ({
    position,
    line: draft.line,
    name: names[position],
    shots: draft.shots,
    power: draft.power,
    pressureGPa: draft.pressureGPa,
    overrides: draft.overrides,
    columns: draft.columns,
    problem: draft.problem,
  }));
  return { file, dir, header, shots, warnings };
}

interface RowDraft {
  line: number;
  explicit: string | null;
  relative: string;
  shots: string[];
  power: string | null;
  pressureGPa: number | null;
  overrides: ShotOverrides;
  columns: Record<string, string>;
  problem: string | null;
}

interface RowContext {
  file: string;
  dir: string;
  separator: string;
  decimalComma: boolean;
}

function readRow(
  row: { line: number; text: string },
  header: string[],
  plan: HeaderPlan,
  context: RowContext,
): RowDraft {
  const cells = splitQuotedCells(row.text, context.separator);
  if (cells.length > header.length && cells.slice(header.length).some((c) => c !== '')) {
    throw new InputFileError(
      context.file,
      `line ${row.line}: ${cells.length} cells but the header names ` +
        `${header.length} (quote a cell that holds "${context.separator}")`,
    );
  }
  const columns: Record<string, string> = {};
  header.forEach((name, k) => {
    columns[name] = cells[k] ?? '';
  });
  const shotCell = cells[plan.shot] ?? '';
  if (shotCell === '') {
    throw new InputFileError(context.file, `line ${row.line}: the shot cell is empty`);
  }
  const relativeShots = shotCell
    .split('|')
    .map((s) => s.trim())
    .filter(Boolean);
  const draft: RowDraft = {
    line: row.line,
    explicit: plan.name >= 0 && cells[plan.name] ? cells[plan.name] : null,
    relative: relativeShots[0],
    shots: relativeShots.map((s) => path.resolve(context.dir, s)),
    power: plan.power >= 0 && cells[plan.power] ? path.resolve(context.dir, cells[plan.power]) : null,
    pressureGPa: null,
    overrides: {},
    columns,
    problem: null,
  };
  const problems: string[] = [];
  const cellContext = (column: string): CellContext => ({
    dir: context.dir,
    decimalComma: context.decimalComma,
    column,
  });
  if (plan.pressure >= 0 && cells[plan.pressure]) {
    try {
      draft.pressureGPa = numberCell(cells[plan.pressure], cellContext(header[plan.pressure])) * plan.pressureScale;
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  for (const column of plan.overrides) {
    const cell = cells[column.index] ?? '';
    if (cell === '') {
      continue;
    }
    try {
      (draft.overrides as Record<string, unknown>)[column.key] = column.parse(cell, cellContext(column.column));
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  draft.problem = problems.length ? `${context.file} line ${row.line}: ${problems.join('; ')}` : null;
  return draft;
}

/** Reads a manifest file; problems name the file. */
export function readManifest(file: string): Manifest {
  const text = readTextFile(file, 'a manifest (CSV)');
  return parseManifest(text, file);
}
