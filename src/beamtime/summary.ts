/**
 * The beamtime summary: one row per shot result (DIR/<name>.json of `batch`, or any `analyze --json` file), sorted
 * by pressure: frames, flagged frames, the highest temperature, the main plateau (onset power, temperature at
 * onset with its error, end power, significance; src/beamtime/plateau.ts) and the events. Shots without a
 * pressure come last, by name.
 */
import * as fs from 'fs';
import * as path from 'path';
import { InputFileError } from '../errors';
import { isShotColumn } from './manifest';
import { mainPlateau, onsetTemperatureError, type OnsetFrame, type PlateauEvent } from './plateau';

export interface PlateauSummary {
  startPower: number;
  startPowerError: number | null;
  endPower: number | null;
  temperature: number;
  temperatureError: number | null;
  significance: number | null;
}

export interface EventSummary {
  kind: string;
  startPower: number;
  endPower: number | null;
  temperature: number;
  significance: number | null;
}

export interface ShotSummaryRow {
  shot: string;
  pressure_GPa: number | null;
  /** The manifest row's further columns (everything but shot, power and pressure), as written. */
  meta: Record<string, string>;
  frames: number;
  flagged: number;
  /** Highest temperature of an unflagged frame, K. */
  maxTemperature: number | null;
  plateau: PlateauSummary | null;
  events: EventSummary[];
  /** The result file the row comes from. */
  file: string;
}

interface ResultDocument {
  frames: OnsetFrame[];
  events: PlateauEvent[];
  meta?: { name?: string; pressure_GPa?: number | null; columns?: Record<string, string>; power?: string | null };
}

function isResultDocument(doc: unknown): doc is ResultDocument {
  const d = doc as Record<string, unknown> | null;
  return !!d && typeof d === 'object' && Array.isArray(d.frames);
}

/** Reads a result JSON; null (not a shot result) when it has no frames list and `lenient`. */
export function readResult(file: string, lenient = false): ResultDocument | null {
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputFileError(file, code ? `cannot read (${code})` : `not valid JSON (${(e as Error).message})`);
  }
  if (!isResultDocument(doc)) {
    if (lenient) {
      return null;
    }
    throw new InputFileError(file, 'not a shot result (expected the JSON of `pyrolive batch` or `analyze --json`)');
  }
  if (doc.events !== undefined && !Array.isArray(doc.events)) {
    throw new InputFileError(file, '"events" is not a list');
  }
  return { ...doc, events: doc.events ?? [] };
}

/** Columns kept as metadata: all but the shot, power log and pressure. */
function metadataColumns(columns: Record<string, string> | undefined): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(columns ?? {})) {
    if (!isShotColumn(name)) {
      kept[name] = value;
    }
  }
  return kept;
}

function usableTemperatures(frames: OnsetFrame[]): number | null {
  let max = -Infinity;
  for (const f of frames) {
    if (f.flags.length === 0 && f.temperature !== null && Number.isFinite(f.temperature)) {
      max = Math.max(max, f.temperature);
    }
  }
  return Number.isFinite(max) ? max : null;
}

function plateauSummary(doc: ResultDocument): PlateauSummary | null {
  const live = doc.events.filter((e) => !e.retracted);
  const plateau = mainPlateau(live);
  if (!plateau) {
    return null;
  }
  return {
    startPower: plateau.startPower,
    startPowerError: plateau.startPowerError ?? null,
    endPower: plateau.endPower,
    temperature: plateau.temperature,
    temperatureError: onsetTemperatureError(doc.frames, plateau, live),
    significance: plateau.significance,
  };
}

/** The summary row of one result file. */
export function summarizeResult(file: string, doc: ResultDocument): ShotSummaryRow {
  const name = doc.meta?.name ?? path.basename(file).replace(/\.json$/i, '');
  const pressure = doc.meta?.pressure_GPa;
  return {
    shot: name,
    pressure_GPa: typeof pressure === 'number' && Number.isFinite(pressure) ? pressure : null,
    meta: metadataColumns(doc.meta?.columns),
    frames: doc.frames.length,
    flagged: doc.frames.filter((f) => Array.isArray(f.flags) && f.flags.length > 0).length,
    maxTemperature: usableTemperatures(doc.frames),
    plateau: plateauSummary(doc),
    events: doc.events
      .filter((e) => !e.retracted)
      .map((e) => ({
        kind: e.kind,
        startPower: e.startPower,
        endPower: e.endPower,
        temperature: e.temperature,
        significance: e.significance,
      })),
    file,
  };
}

/** By pressure; shots without one last; then by name. */
export function compareRows(a: ShotSummaryRow, b: ShotSummaryRow): number {
  if (a.pressure_GPa !== b.pressure_GPa) {
    if (a.pressure_GPa === null) {
      return 1;
    }
    if (b.pressure_GPa === null) {
      return -1;
    }
    return a.pressure_GPa - b.pressure_GPa;
  }
  return a.shot.localeCompare(b.shot, undefined, { numeric: true });
}

/** Result files of the inputs: a folder gives its *.json (not hidden, not temporary), a file itself. */
export function resultFiles(inputs: string[]): { file: string; explicit: boolean }[] {
  const files: { file: string; explicit: boolean }[] = [];
  for (const input of inputs) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(input);
    } catch {
      throw new InputFileError(input, 'no such file or folder');
    }
    if (!stat.isDirectory()) {
      files.push({ file: input, explicit: true });
      continue;
    }
    const names = fs
      .readdirSync(input)
      .filter((n) => n.toLowerCase().endsWith('.json') && !n.startsWith('.'))
      .sort();
    for (const name of names) {
      files.push({ file: path.join(input, name), explicit: false });
    }
  }
  return files;
}

export interface BeamtimeSummary {
  shots: ShotSummaryRow[];
  /** Files in a folder that are not shot results (e.g. a summary written there), skipped. */
  skipped: string[];
}

/** The summary of the result files in `inputs` (folders and files). */
export function summarizeBeamtime(inputs: string[]): BeamtimeSummary {
  const shots: ShotSummaryRow[] = [];
  const skipped: string[] = [];
  for (const { file, explicit } of resultFiles(inputs)) {
    const doc = readResult(file, !explicit);
    if (!doc) {
      skipped.push(file);
      continue;
    }
    shots.push(summarizeResult(file, doc));
  }
  shots.sort(compareRows);
  return { shots, skipped };
}

/** The JSON of `summary --json`: {shots: [...]} without the file paths. */
export function summaryJson(summary: BeamtimeSummary): string {
  const shots = summary.shots.map(({ file: _file, ...row }) => row);
  return JSON.stringify({ shots }, null, 2) + '\n';
}

function csvCell(value: string | number | null): string {
  if (value === null) {
    return '';
  }
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function round(value: number | null, digits: number): number | null {
  return value === null || !Number.isFinite(value) ? null : Number(value.toFixed(digits));
}

export const SUMMARY_CSV_COLUMNS = [
  'shot',
  'pressure_GPa',
  'frames',
  'flagged',
  'maxTemperature_K',
  'plateau_startPower_W',
  'plateau_startPowerError_W',
  'plateau_endPower_W',
  'plateau_temperature_K',
  'plateau_temperatureError_K',
  'plateau_significance',
  'events',
] as const;

/** The table as CSV: the columns above, then every metadata column met in any row. */
export function summaryCsv(summary: BeamtimeSummary): string {
  const metaNames: string[] = [];
  for (const row of summary.shots) {
    for (const name of Object.keys(row.meta)) {
      if (!metaNames.includes(name) && !(SUMMARY_CSV_COLUMNS as readonly string[]).includes(name)) {
        metaNames.push(name);
      }
    }
  }
  const lines = [[...SUMMARY_CSV_COLUMNS, ...metaNames].map(csvCell).join(',')];
  for (const row of summary.shots) {
    const p = row.plateau;
    const cells: (string | number | null)[] = [
      row.shot,
      row.pressure_GPa,
      row.frames,
      row.flagged,
      round(row.maxTemperature, 1),
      round(p?.startPower ?? null, 3),
      round(p?.startPowerError ?? null, 3),
      round(p?.endPower ?? null, 3),
      round(p?.temperature ?? null, 1),
      round(p?.temperatureError ?? null, 1),
      round(p?.significance ?? null, 2),
      row.events.length,
      ...metaNames.map((name) => row.meta[name] ?? null),
    ];
    lines.push(cells.map(csvCell).join(','));
  }
  return lines.join('\n') + '\n';
}
