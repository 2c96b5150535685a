/** Row selections: `A:B` (0-based, inclusive) and named ROIs `NAME=A:B`. Pure. */
import { UsageError } from '../errors';

export interface Roi {
  name: string;
  /** first row, 0-based */
  first: number;
  /** last row, 0-based inclusive */
  last: number;
}

/** Parses `A:B` (or a single row `A`) into [A, B]; throws UsageError naming `what`. */
export function parseRowRange(text: string, what = '--rows'): [number, number] {
  const m = /^\s*(\d+)\s*(?::\s*(\d+)\s*)?$/.exec(text);
  if (!m) {
    throw new UsageError(`${what}: expected rows as A:B (0-based, inclusive), got "${text}"`);
  }
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (b < a) {
    throw new UsageError(`${what}: last row ${b} is before first row ${a} in "${text}"`);
  }
  return [a, b];
}

/** Parses `NAME=A:B`. */
export function parseRoi(text: string): Roi {
  const m = /^\s*([A-Za-z_][\w.-]*)\s*=\s*(.+)$/.exec(text);
  if (!m) {
    throw new UsageError(`--roi: expected NAME=A:B (e.g. DS=10:30), got "${text}"`);
  }
  const [first, last] = parseRowRange(m[2], `--roi ${m[1]}`);
  return { name: m[1], first, last };
}

/** Checks ROIs against the frame height (rows out of range name `file`) and unique names. */
export function validateRois(rois: Roi[], height: number, file: string): void {
  const seen = new Set<string>();
  for (const r of rois) {
    if (seen.has(r.name)) {
      throw new UsageError(`--roi: the name "${r.name}" is given twice`);
    }
    seen.add(r.name);
    if (r.last >= height) {
      throw new UsageError(
        `${file}: rows ${r.first}:${r.last}${r.name === 'all' || r.name === 'rows' ? '' : ` of ROI ${r.name}`} are out of range: the frames have ${height} row${height === 1 ? '' : 's'} (0..${height - 1})`,
      );
    }
  }
}

/** Sum of rows first..last (inclusive) of a row-major height×width frame, into `out` (length width). */
export function sumRows(
  frame: Float64Array,
  width: number,
  first: number,
  last: number,
  out = new Float64Array(width),
): Float64Array {
  out.fill(0);
  for (let r = first; r <= last; r++) {
    const off = r * width;
    for (let i = 0; i < width; i++) {
      out[i] += frame[off + i];
    }
  }
  return out;
}
