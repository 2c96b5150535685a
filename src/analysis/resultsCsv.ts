/**
 * The results CSV: one line per frame, written by `pyrolive analyze --out` and by the live recorder
 * (results.csv of a recording), read back by parseResultsCsv (`pyrolive report`; `pyrolive detect` finds its
 * columns by name). The one definition of its columns and of how a FrameResult becomes a line:
 *
 *   index,time_s,power_W,temperature_K,temperatureError_K,chi2,flags[,<ROI>_temperature_K,<ROI>_temperatureError_K ...]
 *
 * Numbers are written with String(x) (shortest exact form, e.g. 1e-7, 1e+21); null, undefined, NaN and ±Infinity
 * are empty cells; flags are joined by ';'. ROI columns come in pairs, in the order of the ROI names given (the
 * keys of the first frame's `rois`).
 */
import { InputFileError } from '../errors';
import type { FrameFlag, FrameResult } from './types';
import { FrameBlock } from './frameBlock';

/** The columns every results CSV has, in order. */
export const RESULTS_CSV_COLUMNS = [
  'index',
  'time_s',
  'power_W',
  'temperature_K',
  'temperatureError_K',
  'chi2',
  'flags',
] as const;
export type ResultsCsvColumn = (typeof RESULTS_CSV_COLUMNS)[number];

/** Separator of the flags within their cell. */
export const RESULTS_CSV_FLAG_SEPARATOR = ';';

/** The two columns of a ROI. */
export function roiColumns(roi: string): [string, string] {
  return [`${roi}_temperature_K`, `${roi}_temperatureError_K`];
}

/** The ROI names of a run's columns: the keys of the first frame's `rois` (none without several ROIs). */
export function resultsCsvRois(first: Pick<FrameResult, 'rois'> | undefined): string[] {
  return first?.rois ? Object.keys(first.rois) : [];
}

/** The header line (no newline). */
export function resultsCsvHeader(rois: readonly string[]): string {
  const head: string[] = [...RESULTS_CSV_COLUMNS];
  for (const r of rois) {
    head.push(...roiColumns(r));
  }
  return head.join(',');
}

/** A cell of a number: '' for null/undefined/NaN/±Infinity, else String(x). */
export function csvNumber(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '' : String(x);
}

/** What a line is made of. */
export type ResultsCsvFrame = Pick<
  FrameResult,
  'index' | 'time' | 'power' | 'temperature' | 'temperatureError' | 'chi2' | 'flags' | 'rois'
>;

/** One line (no newline) for the columns of `resultsCsvHeader(rois)`. */
export function resultsCsvRow(f: ResultsCsvFrame, rois: readonly string[]): string {
  const row = [
    String(f.index),
    csvNumber(f.time),
    csvNumber(f.power),
    csvNumber(f.temperature),
    csvNumber(f.temperatureError),
    csvNumber(f.chi2),
    f.flags.join(RESULTS_CSV_FLAG_SEPARATOR),
  ];
  for (const r of rois) {
    row.push(csvNumber(f.rois?.[r]?.temperature), csvNumber(f.rois?.[r]?.temperatureError));
  }
  return row.join(',');
}

/** A whole results CSV (header and one line per frame, each ending in a newline). */
export function formatResultsCsv(frames: readonly ResultsCsvFrame[]): string {
  const rois = resultsCsvRois(frames[0]);
  const lines = [resultsCsvHeader(rois)];
  for (const f of frames) {
    lines.push(resultsCsvRow(f, rois));
  }
  return lines.join('\n') + '\n';
}

/**
 * The results CSV written as the analysis goes, in the text formatResultsCsv gives for the whole run: the header
 * with the first chunk (its ROIs), then one line per frame; `end()` writes the header of a run without frames.
 */
export class ResultsCsvWriter {
  private rois: string[] | null = null;

  constructor(private readonly write: (text: string) => void) {}

  begin(): void {
    // the header waits for the first frame, which names the ROIs
  }

  /** The next frames: a block of the analysis (its objects are written) or frames as objects. */
  frames(frames: FrameBlock | readonly ResultsCsvFrame[]): void {
    const chunk = frames instanceof FrameBlock ? frames.toResults() : frames;
    if (chunk.length === 0) {
      return;
    }
    const lines: string[] = [];
    if (this.rois === null) {
      this.rois = resultsCsvRois(chunk[0]);
      lines.push(resultsCsvHeader(this.rois));
    }
    for (const f of chunk) {
      lines.push(resultsCsvRow(f, this.rois));
    }
    this.write(lines.join('\n') + '\n');
  }

  end(): void {
    if (this.rois === null) {
      this.rois = [];
      this.write(resultsCsvHeader(this.rois) + '\n');
    }
  }
}

/** A frame read back from a results CSV: what the columns hold (ROI temperatures only with ROI columns). */
export interface ResultsCsvRecord {
  index: number;
  time: number | null;
  power: number | null;
  temperature: number | null;
  temperatureError: number | null;
  chi2: number | null;
  flags: FrameFlag[];
  rois?: Record<string, { temperature: number | null; temperatureError: number | null }>;
}

export interface ParsedResultsCsv {
  /** ROI names of the `<ROI>_temperature_K` / `<ROI>_temperatureError_K` column pairs, in column order. */
  rois: string[];
  frames: ResultsCsvRecord[];
}

const KNOWN_FLAGS: ReadonlySet<string> = new Set<FrameFlag>([
  'saturated',
  'cosmic',
  'weak',
  'corrupt',
  'fit-failed',
  'misfit',
]);
const ROI_TEMPERATURE_SUFFIX = '_temperature_K';

/** The ROI names of a header: each `<ROI>_temperature_K` followed by its `<ROI>_temperatureError_K`. */
function roisOfHeader(header: readonly string[], file: string): string[] {
  const rois: string[] = [];
  for (let j = RESULTS_CSV_COLUMNS.length; j < header.length; j++) {
    const name = header[j];
    if (!name.endsWith(ROI_TEMPERATURE_SUFFIX)) {
      continue;
    }
    const roi = name.slice(0, -ROI_TEMPERATURE_SUFFIX.length);
    if (header[j + 1] !== roiColumns(roi)[1]) {
      throw new InputFileError(file, `header: column "${name}" is not followed by "${roiColumns(roi)[1]}"`);
    }
    rois.push(roi);
  }
  return rois;
}

/** Column positions of a header; a missing standard column is an error naming the expected header. */
function columnsOfHeader(header: readonly string[], file: string): Record<ResultsCsvColumn, number> {
  const columns = {} as Record<ResultsCsvColumn, number>;
  for (const name of RESULTS_CSV_COLUMNS) {
    const position = header.indexOf(name);
    if (position < 0) {
      throw new InputFileError(file, `header lacks column "${name}" (expected ${RESULTS_CSV_COLUMNS.join(',')})`);
    }
    columns[name] = position;
  }
  return columns;
}

/** One line's cells as a record (line is 1-based, for messages). */
function recordOf(
  cells: string[],
  line: number,
  file: string,
  columns: Map<string, number>,
  rois: string[],
): ResultsCsvRecord {
  const num = (name: string): number | null => {
    const text = (cells[columns.get(name) as number] ?? '').trim();
    if (text === '') {
      return null;
    }
    const value = Number(text);
    if (!Number.isFinite(value)) {
      throw new InputFileError(file, `line ${line}: ${name} "${text}" is not a number`);
    }
    return value;
  };
  const flagText = (cells[columns.get('flags') as number] ?? '').trim();
  const flags = flagText
    ? flagText
        .split(/[;|]/)
        .map((flag) => flag.trim())
        .filter(Boolean)
    : [];
  for (const flag of flags) {
    if (!KNOWN_FLAGS.has(flag)) {
      throw new InputFileError(file, `line ${line}: unknown flag "${flag}"`);
    }
  }
  const record: ResultsCsvRecord = {
    index: num('index') ?? line - 2,
    time: num('time_s'),
    power: num('power_W'),
    temperature: num('temperature_K'),
    temperatureError: num('temperatureError_K'),
    chi2: num('chi2'),
    flags: flags as FrameFlag[],
  };
  if (rois.length) {
    record.rois = {};
    for (const roi of rois) {
      const [temperature, temperatureError] = roiColumns(roi);
      record.rois[roi] = { temperature: num(temperature), temperatureError: num(temperatureError) };
    }
  }
  return record;
}

/**
 * Reads a results CSV (as written by formatResultsCsv / the recorder) back: columns found by name, ROI column pairs
 * included. A short last line is dropped (a recording killed mid-write); a short line elsewhere, a cell that is
 * not a number or an unknown flag is an InputFileError naming `file` and the line.
 */
export function parseResultsCsv(text: string, file: string): ParsedResultsCsv {
  const lines = text.split(/\r?\n/);
  while (lines.length && !lines[lines.length - 1].trim()) {
    lines.pop();
  }
  const header = (lines[0] ?? '').split(',').map((name) => name.trim());
  const standard = columnsOfHeader(header, file);
  const rois = roisOfHeader(header, file);
  const columns = new Map<string, number>(header.map((name, position) => [name, position]));
  for (const name of RESULTS_CSV_COLUMNS) {
    columns.set(name, standard[name]);
  }
  const frames: ResultsCsvRecord[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (!lines[i].trim()) {
      continue;
    }
    const cells = lines[i].split(',');
    if (cells.length < header.length) {
      if (i === lines.length - 1) {
        break; // a torn last line: the recording was killed mid-write
      }
      throw new InputFileError(file, `line ${i + 1}: ${cells.length} fields, expected ${header.length}`);
    }
    frames.push(recordOf(cells, i + 1, file, columns, rois));
  }
  return { rois, frames };
}
