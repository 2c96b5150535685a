/**
 * The results CSV: one line per frame, written by `pyrolive analyze --out` and by the live recorder
 * (results.csv of a recording), read back by `pyrolive report` (and by `pyrolive detect`, which finds its columns
 * by name). The one definition of its columns and of how a FrameResult becomes a line:
 *
 *   index,time_s,power_W,temperature_K,temperatureError_K,chi2,flags[,<ROI>_temperature_K,<ROI>_temperatureError_K ...]
 *
 * Numbers are written with String(x) (shortest exact form, e.g. 1e-7, 1e+21); null, undefined, NaN and ±Infinity
 * are empty cells; flags are joined by ';'. ROI columns come in pairs, in the order of the ROI names given (the
 * keys of the first frame's `rois`).
 */
import type { FrameResult } from './types';

/** The columns every results CSV has, in order. */
export const RESULTS_CSV_COLUMNS = ['index', 'time_s', 'power_W', 'temperature_K', 'temperatureError_K', 'chi2', 'flags'] as const;
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
  for (const r of rois) head.push(...roiColumns(r));
  return head.join(',');
}

/** A cell of a number: '' for null/undefined/NaN/±Infinity, else String(x). */
export function csvNumber(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '' : String(x);
}

/** What a line is made of. */
export type ResultsCsvFrame = Pick<FrameResult, 'index' | 'time' | 'power' | 'temperature' | 'temperatureError' | 'chi2' | 'flags' | 'rois'>;

/** One line (no newline) for the columns of `resultsCsvHeader(rois)`. */
export function resultsCsvRow(f: ResultsCsvFrame, rois: readonly string[]): string {
  const row = [String(f.index), csvNumber(f.time), csvNumber(f.power), csvNumber(f.temperature), csvNumber(f.temperatureError),
    csvNumber(f.chi2), f.flags.join(RESULTS_CSV_FLAG_SEPARATOR)];
  for (const r of rois) row.push(csvNumber(f.rois?.[r]?.temperature), csvNumber(f.rois?.[r]?.temperatureError));
  return row.join(',');
}

/** A whole results CSV (header and one line per frame, each ending in a newline). */
export function formatResultsCsv(frames: readonly ResultsCsvFrame[]): string {
  const rois = resultsCsvRois(frames[0]);
  const lines = [resultsCsvHeader(rois)];
  for (const f of frames) lines.push(resultsCsvRow(f, rois));
  return lines.join('\n') + '\n';
}
