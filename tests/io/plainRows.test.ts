/**
 * The plain-table reader (src/io/plainRows.ts) that parseTable tries first: hand-checked tables, and a
 * differential test against the general reader. A table ending in a comment line is always read by the general
 * reader (plainRows refuses comments), and a comment changes neither its rows nor its line numbers: the two
 * readings of each generated table must agree, in the result or in the error message.
 */
import { describe, expect, it, vi } from 'vitest';
import { parsePowerLog, parseTable, type ParsedTable } from '../../src/io/tables';
import * as plain from '../../src/io/plainRows';

const { plainRows } = plain;
import { randomBits } from '../support/randomBits';

/** The table's result, or its error message. */
function reading(text: string, minColumns = 2): ParsedTable | string {
  try {
    return parseTable(text, 'log.csv', minColumns);
  } catch (e) {
    return (e as Error).message;
  }
}

/** The same table read by the general reader (the comment line at the end keeps plainRows out). */
function generalReading(text: string, minColumns = 2): ParsedTable | string {
  return reading(text + (text.endsWith('\n') || text === '' ? '' : '\n') + '# end\n', minColumns);
}

describe('plainRows', () => {
  it('reads cells separated by blanks, tabs and one comma or semicolon; skips blank lines; counts \\r\\n lines once', () => {
    const text = 'time_s,power_W\r\n0, 4.5\r\n\r\n0.02 ,-1e-3\r\n  0.04;\t+7.\r\n';
    expect(plainRows(text, 16, 2, 2)).toEqual({
      columns: [Float64Array.from([0, 0.02, 0.04]), Float64Array.from([4.5, -0.001, 7])],
      lines: [2, 4, 5],
    });
    expect(plainRows('1 2\n3\t4\n', 0, 1, 2)?.columns).toEqual([Float64Array.from([1, 3]), Float64Array.from([2, 4])]);
  });

  it('gives up (null) on anything the general reader must judge', () => {
    const refused = [
      '1,,2\n', // an empty cell
      '1,2,\n', // a trailing separator
      ',1,2\n', // a leading separator
      '1,2\n3\n', // a short line
      '1,2,3\n', // a long line
      '1,2 # note\n', // a comment
      '"1",2\n', // a quote
      '1,e\n', // not a number
      '1,2\r3,4\n', // a lone carriage return
      '1,0x10\n', // hex, which Number() reads
      '1,2\u00a03\n', // a no-break space
      '\n\n', // no row
    ];
    for (const text of refused) {
      expect(plainRows(text, 0, 1, 2), JSON.stringify(text)).toBeNull();
    }
  });
});

describe('parseTable: the plain path and the general reader agree', () => {
  it('hand-checked: a power log with a header, CRLF line ends and a blank line', () => {
    const log = parsePowerLog('Time (ms),Power (mW)\r\n0,4959.3\r\n\r\n20,4994.3\r\n', 'log.csv');
    expect([Array.from(log.key), Array.from(log.power), log.names]).toEqual([
      [0, 0.02],
      [4.9593, 4.9943],
      ['Time (ms)', 'Power (mW)'],
    ]);
  });

  it('on 4,000 generated tables (valid and not), the same rows, header and lines, or the same error', () => {
    const bits = randomBits(4000 * 400, 0x5eed5eedn);
    let at = 0;
    const pick = <T>(options: readonly T[]): T => options[Number(bits[at++] % BigInt(options.length))];
    const valid = ['0', '1', '-2.5', '0.02', '4.9593', '+7', '1e3', '-1.5E-2', '.5', '5.', '12345678901234567'];
    const invalid = ['1.2.3', 'e', '-', '0x10', '1,5', 'Infinity'];
    const separators = [',', ', ', ' ,', ';', '\t', ' ', '  ', ' ; ', '\t,'];
    const defects = ['', '', '', '', '', '', 'empty cell', 'bad number', 'short row', 'long row', 'other separator'];
    const headers = ['', '', 'time_s,power_W', 'Time (ms)\tPower (mW)', 't power', 'frame;power_W', 'a,b,c'];
    const spy = vi.spyOn(plain, 'plainRows');
    let readPlain = 0;
    for (let table = 0; table < 4000; table++) {
      const width = pick([1, 2, 2, 2, 3]);
      const separator = pick(separators);
      const end = pick(['\n', '\r\n']);
      const lines: string[] = [];
      const header = pick(headers);
      if (header !== '') {
        lines.push(header);
      }
      const rows = pick([1, 2, 5, 20]);
      for (let r = 0; r < rows; r++) {
        const defect = pick(defects);
        const count = defect === 'short row' ? width - 1 : defect === 'long row' ? width + 1 : width;
        const cells = Array.from({ length: count }, () => pick(valid));
        if (defect === 'bad number' && count > 0) {
          cells[pick(cells.map((_c, i) => i))] = pick(invalid);
        }
        if (defect === 'empty cell') {
          cells.splice(pick([0, count >> 1, count]), 0, '');
        }
        const between = defect === 'other separator' ? pick([...separators, ',,', ';;', ', ,', ';,']) : separator;
        lines.push(pick(['', ' ', '\t']) + cells.join(between) + pick(['', ' ']));
        if (pick([0, 0, 0, 1]) === 1) {
          lines.push(pick(['', '  ']));
        }
      }
      const text = lines.join(end) + pick(['\n', '\r\n', '']);
      spy.mockClear();
      const result = reading(text);
      if (spy.mock.results.some((r) => r.value !== null)) {
        readPlain++;
      }
      expect(result, JSON.stringify(text)).toEqual(generalReading(text));
    }
    spy.mockRestore();
    // enough of them were read by the plain path for the comparison to mean something
    expect(readPlain).toBeGreaterThan(500);
  });
});
