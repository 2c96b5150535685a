/**
 * Published points or a theory line to draw beside a phase diagram: a CSV with a header
 *   pressure_GPa,temperature_K[,label][,style][,temperatureError_K]
 * (pressure in any unit the manifest accepts, temperature in K or °C). Rows with the same label form one series;
 * `style` is `points` (default) or `line` (a line through the rows in file order). Without a label column the
 * series is named after the file. Separators and quoting as in the manifest.
 */
import * as path from 'path';
import { InputFileError } from '../errors';
import { readTextFile, separatorOf, splitQuotedCells } from '../io/textFile';
import { parseColumnHeader, pressureScale } from './manifest';

export interface OverlayPoint {
  pressure: number;
  temperature: number;
  temperatureError: number | null;
}

export interface OverlaySeries {
  label: string;
  style: 'points' | 'line';
  points: OverlayPoint[];
}

interface OverlayColumns {
  pressure: number;
  pressureScale: number;
  temperature: number;
  temperatureOffset: number;
  label: number;
  style: number;
  error: number;
}

function temperatureOffset(unit: string | null, file: string): number {
  if (unit === null || unit === 'K' || unit === 'k') {
    return 0;
  }
  if (/^(\u00b0?C|degC|celsius)$/i.test(unit)) {
    return 273.15;
  }
  throw new InputFileError(file, `unknown temperature unit "${unit}" (use K or °C)`);
}

function overlayColumns(header: string[], file: string): OverlayColumns {
  const parsed = header.map(parseColumnHeader);
  const find = (names: string[]) => parsed.findIndex((h) => names.includes(h.name));
  const pressure = find(['pressure', 'p', 'press']);
  const temperature = find(['temperature', 't', 'temp']);
  if (pressure < 0 || temperature < 0) {
    throw new InputFileError(
      file,
      `header "${header.join(',')}" needs a pressure and a temperature column ` +
        '(e.g. pressure_GPa,temperature_K,label)',
    );
  }
  const scale = pressureScale(parsed[pressure].unit);
  if (scale === null) {
    throw new InputFileError(
      file,
      `unknown pressure unit "${parsed[pressure].unit}" (use GPa, kbar, MPa, bar or Mbar)`,
    );
  }
  const error = parsed.findIndex((h) =>
    ['temperature_error', 'temperatureerror', 'error', 'sigma', 't_error', 'dt'].includes(h.name),
  );
  return {
    pressure,
    pressureScale: scale,
    temperature,
    temperatureOffset: temperatureOffset(parsed[temperature].unit, file),
    label: find(['label', 'source', 'name', 'series']),
    style: find(['style', 'kind']),
    error,
  };
}

function numberCell(cell: string | undefined, decimalComma: boolean, file: string, line: number, what: string): number {
  const text = (cell ?? '').trim();
  const value = Number(decimalComma ? text.replace(',', '.') : text);
  if (text === '' || !Number.isFinite(value)) {
    throw new InputFileError(file, `line ${line}: ${what} "${cell ?? ''}" is not a number`);
  }
  return value;
}

function styleCell(cell: string | undefined, file: string, line: number): 'points' | 'line' | null {
  const text = (cell ?? '').trim().toLowerCase();
  if (text === '') {
    return null;
  }
  if (/^(points?|markers?|scatter)$/.test(text)) {
    return 'points';
  }
  if (/^(line|lines|curve|theory)$/.test(text)) {
    return 'line';
  }
  throw new InputFileError(file, `line ${line}: style "${cell}" is not points or line`);
}

/** Parses overlay text; `file` names it in messages and gives the default label. */
export function parseOverlay(text: string, file: string): OverlaySeries[] {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\r|\n/)
    .map((t, k) => ({ text: t, line: k + 1 }))
    .filter((l) => l.text.trim() !== '' && !l.text.trimStart().startsWith('#'));
  if (lines.length < 2) {
    throw new InputFileError(file, 'expected a header row and at least one data row');
  }
  const separator = separatorOf(lines[0].text);
  const columns = overlayColumns(splitQuotedCells(lines[0].text, separator), file);
  const decimalComma = separator !== ',';
  const byLabel = new Map<string, OverlaySeries>();
  const fallback = path.basename(file).replace(/\.[^.]*$/, '');
  for (const row of lines.slice(1)) {
    const cells = splitQuotedCells(row.text, separator);
    const label = (columns.label >= 0 ? cells[columns.label] : '') || fallback;
    const series = byLabel.get(label) ?? { label, style: 'points' as const, points: [] };
    const style = columns.style >= 0 ? styleCell(cells[columns.style], file, row.line) : null;
    if (style && series.points.length === 0) {
      series.style = style;
    }
    const error =
      columns.error >= 0 && (cells[columns.error] ?? '') !== ''
        ? numberCell(cells[columns.error], decimalComma, file, row.line, 'temperature error')
        : null;
    series.points.push({
      pressure: numberCell(cells[columns.pressure], decimalComma, file, row.line, 'pressure') * columns.pressureScale,
      temperature:
        numberCell(cells[columns.temperature], decimalComma, file, row.line, 'temperature') + columns.temperatureOffset,
      temperatureError: error,
    });
    byLabel.set(label, series);
  }
  return [...byLabel.values()];
}

export function readOverlay(file: string): OverlaySeries[] {
  const text = readTextFile(file, 'an overlay table (CSV)');
  return parseOverlay(text, file);
}
