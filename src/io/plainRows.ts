/**
 * The data lines of a plain numeric table read in one pass over the text, with no string or array per line: what
 * src/io/tables.ts tries first (the bench's 10,000-line power log loads in ~10 ms cold, where the general reader, a
 * split and a few regular expressions per line, takes ~25 ms, most of it garbage collection).
 *
 * Plain: cells of the characters JavaScript writes decimal numbers with (0–9 . + - e E), separated by blanks and
 * tabs with at most one comma or semicolon between two cells; lines end with \n or \r\n; blank lines are skipped.
 * Anything else (a comment, a quote, an empty cell, a number that does not parse, a line of another width) gives
 * null at once, and the general reader then reads the table and names the problem. Where it reads a table, it reads
 * the same cells as the general reader's separators (tables.ts SPLIT) do, so the same numbers and source lines.
 */

const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const COMMA = 44;
const SEMICOLON = 59;

/** The columns of a table's data lines and the 1-based source line of each row. */
export interface PlainRows {
  columns: Float64Array[];
  lines: number[];
}

/** A character of a decimal number as JavaScript writes it: 0–9 . + - e E. */
function isNumberChar(code: number): boolean {
  return (code >= 48 && code <= 57) || code === 46 || code === 43 || code === 45 || code === 101 || code === 69;
}

/** How many rows the text from `start` can hold at most: its line ends + 1. */
function maxRows(text: string, start: number): number {
  let rows = 1;
  for (let at = text.indexOf('\n', start); at >= 0; at = text.indexOf('\n', at + 1)) {
    rows++;
  }
  return rows;
}

/**
 * The rows of `ncol` cells from the line that starts at `start` (source line `firstLineNo`) to the end of the text,
 * or null when a line is not plain (see the module comment).
 */
export function plainRows(text: string, start: number, firstLineNo: number, ncol: number): PlainRows | null {
  const capacity = maxRows(text, start);
  const values = Array.from({ length: ncol }, () => new Float64Array(capacity));
  const lines: number[] = [];
  const end = text.length;
  let lineNo = firstLineNo;
  let i = start;
  while (i < end) {
    let cells = 0;
    // a comma or semicolon since the last cell
    let marked = false;
    while (i < end) {
      const code = text.charCodeAt(i);
      if (code === LF) {
        i++;
        break;
      }
      if (isNumberChar(code)) {
        const from = i;
        do {
          i++;
        } while (i < end && isNumberChar(text.charCodeAt(i)));
        const value = Number(text.slice(from, i));
        if (cells === ncol || !Number.isFinite(value)) {
          return null;
        }
        values[cells][lines.length] = value;
        cells++;
        marked = false;
      } else if (code === SPACE || code === TAB) {
        i++;
      } else if ((code === COMMA || code === SEMICOLON) && cells > 0 && !marked) {
        marked = true;
        i++;
      } else if (code === CR && i + 1 < end && text.charCodeAt(i + 1) === LF) {
        i++;
      } else {
        return null;
      }
    }
    if (marked || (cells !== 0 && cells !== ncol)) {
      return null;
    }
    if (cells === ncol) {
      lines.push(lineNo);
    }
    lineNo++;
  }
  if (lines.length === 0) {
    return null;
  }
  return { columns: values.map((column) => column.slice(0, lines.length)), lines };
}
