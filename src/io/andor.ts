/**
 * Andor SOLIS ASCII exports (`.asc`, domain.md §9): a `key: value` header (Exposure Time (secs), Kinetic Cycle
 * Time (secs), Number in Kinetics Series, Readout Mode, Model, Output Amplifier …) and rows
 * `wavelength,count1,…,countN,` (a trailing comma), one column per kinetic frame. Spectra exports only (full
 * vertical binning, single track: one row per frame); an image export is refused.
 *
 * The file is read whole at open (a 1600-pixel, 10-frame series is ~100 kB) and exposed through the same
 * SpeFile interface as an SPE file (`format: 'andor-asc'`, height 1), so the analysis treats both alike.
 * Timing: exposure from `Exposure Time (secs)`, frame rate from `Kinetic Cycle Time (secs)` (no time stamps).
 * Problems are InputFileError naming the file and the line.
 */
import { InputFileError } from '../errors';
import { readTextFile } from './textFile';
import type { CameraInfo, SpeDataType, SpeFile } from './types';

/** Header keys the reader uses, as Andor SOLIS writes them. */
export const ANDOR_KEYS = {
  exposure: 'Exposure Time (secs)',
  kineticCycle: 'Kinetic Cycle Time (secs)',
  accumulateCycle: 'Accumulate Cycle Time (secs)',
  kineticSeries: 'Number in Kinetics Series',
  acquisitionMode: 'Acquisition Mode',
  readoutMode: 'Readout Mode',
  model: 'Model',
  temperature: 'Temperature (C)',
  amplifier: 'Output Amplifier',
  emLevel: 'EM DAC level',
  preAmpGain: 'Pre-Amplifier Gain',
  dataType: 'Data Type',
  extendedRange: 'Extended Data Range',
} as const;

/** A line of data: starts with a number (the wavelength or pixel). */
const DATA_LINE = /^[-+]?(\d|\.\d)/;

/** Does this text look like an Andor SOLIS ASCII export (its first line is an Andor `key: value` header line)? */
export function looksLikeAndorAscii(head: string): boolean {
  const firstLine = head.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/, 1)[0] ?? '';
  const andorFirstLine = /^(Date and Time|Software Version|Andor)\b[^:]*:/.test(firstLine);
  return andorFirstLine || /Number in Kinetics Series\s*:/.test(head);
}

function readText(path: string): string {
  return readTextFile(path, 'an Andor ASCII export');
}

/** The `key: value` header lines (first occurrence of a key wins; section lines like `SR303i:` have value ""). */
function parseHeaderLine(line: string, header: Record<string, string>): void {
  const colon = line.indexOf(':');
  if (colon <= 0) {
    return;
  }
  const key = line.slice(0, colon).trim();
  if (!(key in header)) {
    header[key] = line.slice(colon + 1).trim();
  }
}

/** The number cells of a data line (the trailing comma leaves an empty last cell, dropped). */
function parseDataLine(line: string, lineNo: number, path: string): number[] {
  const cells = line.split(/[,\t]/).map((c) => c.trim());
  if (cells.length > 1 && cells[cells.length - 1] === '') {
    cells.pop();
  }
  const values = cells.map(Number);
  const bad = values.findIndex((v, k) => cells[k] === '' || !Number.isFinite(v));
  if (bad >= 0) {
    throw new InputFileError(path, `line ${lineNo}: "${cells[bad]}" is not a number`);
  }
  return values;
}

interface AndorTable {
  header: Record<string, string>;
  rows: number[][];
  firstDataLine: number;
}

function parseAndorText(text: string, path: string): AndorTable {
  const header: Record<string, string> = {};
  const rows: number[][] = [];
  let firstDataLine = 0;
  const lines = text.split(/\r\n|\r|\n/);
  for (let ln = 0; ln < lines.length; ln++) {
    const line = lines[ln].trim();
    if (line === '') {
      continue;
    }
    if (!DATA_LINE.test(line)) {
      parseHeaderLine(line, header);
      continue;
    }
    const values = parseDataLine(line, ln + 1, path);
    if (rows.length === 0) {
      firstDataLine = ln + 1;
      if (values.length < 2) {
        throw new InputFileError(path, `line ${ln + 1}: one value, need a wavelength and at least one frame`);
      }
    } else if (values.length !== rows[0].length) {
      const expected = rows[0].length;
      throw new InputFileError(
        path,
        `line ${ln + 1}: ${values.length} value(s), expected ${expected} like line ${firstDataLine}`,
      );
    }
    rows.push(values);
  }
  if (rows.length === 0) {
    throw new InputFileError(path, 'no data lines (wavelength,count,… rows) after the header');
  }
  return { header, rows, firstDataLine };
}

function headerNumber(header: Record<string, string>, key: string): number | null {
  const text = header[key];
  if (text === undefined || text.trim() === '') {
    return null;
  }
  const value = Number(text.trim().split(/\s+/)[0]);
  return Number.isFinite(value) ? value : null;
}

/** The camera facts of the header (model, EM amplifier and gain level, pre-amplifier gain, temperature). */
export function andorCamera(header: Record<string, string>): CameraInfo | null {
  const model = header[ANDOR_KEYS.model]?.trim() || null;
  const emAmplifier = /electron\s*multiplying/i.test(header[ANDOR_KEYS.amplifier] ?? '');
  const emLevel = headerNumber(header, ANDOR_KEYS.emLevel);
  const camera: CameraInfo = {
    model,
    // iStar intensified cameras are the DH models
    intensified: /^DH\d/i.test(model ?? ''),
    electronMultiplying: emAmplifier && emLevel !== null && emLevel > 0,
    emGain: emAmplifier ? emLevel : null,
    adcGain: header[ANDOR_KEYS.preAmpGain]?.trim() || null,
    sensorTemperature: headerNumber(header, ANDOR_KEYS.temperature),
  };
  return model !== null || camera.sensorTemperature !== null ? camera : null;
}

/** Pixel numbers instead of wavelengths: consecutive integers from 0 or 1 (an uncalibrated export). */
function isPixelColumn(x: Float64Array): boolean {
  if (!(x[0] === 0 || x[0] === 1)) {
    return false;
  }
  for (let i = 1; i < x.length; i++) {
    if (x[i] !== x[0] + i) {
      return false;
    }
  }
  return true;
}

/** uint16 (full scale 65535) when every count is an integer in 0..65535 and the extended range is off. */
function countsType(frames: Float64Array[], header: Record<string, string>): SpeDataType {
  if (/^on/i.test(header[ANDOR_KEYS.extendedRange] ?? '')) {
    return 'float64';
  }
  for (const frame of frames) {
    for (let i = 0; i < frame.length; i++) {
      const v = frame[i];
      if (!Number.isInteger(v) || v < 0 || v > 65535) {
        return 'float64';
      }
    }
  }
  return 'uint16';
}

/** Checks the export is a spectrum series whose frame count agrees with the header (else a warning). */
function checkLayout(table: AndorTable, frameCount: number, path: string, warnings: string[]): void {
  const readout = table.header[ANDOR_KEYS.readoutMode] ?? '';
  if (/^image/i.test(readout.trim())) {
    throw new InputFileError(
      path,
      `Readout Mode "${readout}": an image export; only spectra (full vertical binning, ` +
        'single track: one row per frame) are read',
    );
  }
  const series = headerNumber(table.header, ANDOR_KEYS.kineticSeries);
  const kinetic = /kinetic/i.test(table.header[ANDOR_KEYS.acquisitionMode] ?? '');
  if (kinetic && series !== null && series !== frameCount) {
    warnings.push(
      `the header says ${series} frame(s) (${ANDOR_KEYS.kineticSeries}) but the data have ${frameCount} ` +
        `column(s) of counts: read ${frameCount}`,
    );
  }
}

/** Parse the text of an Andor SOLIS ASCII export (for tests and for openAndorAscii). */
export function parseAndorAscii(text: string, path: string): SpeFile {
  const table = parseAndorText(text, path);
  const frameCount = table.rows[0].length - 1;
  const warnings: string[] = [];
  checkLayout(table, frameCount, path, warnings);
  const x = Float64Array.from(table.rows, (r) => r[0]);
  const frames: Float64Array[] = [];
  for (let f = 0; f < frameCount; f++) {
    frames.push(Float64Array.from(table.rows, (r) => r[f + 1]));
  }
  const uncalibrated = isPixelColumn(x);
  if (uncalibrated) {
    warnings.push('the first column holds pixel numbers, not wavelengths: no wavelength calibration');
  }
  const dataType = countsType(frames, table.header);
  const cycle =
    headerNumber(table.header, ANDOR_KEYS.kineticCycle) ?? headerNumber(table.header, ANDOR_KEYS.accumulateCycle);
  const exposure = headerNumber(table.header, ANDOR_KEYS.exposure);
  return new AndorReader(path, frames, {
    wavelength: uncalibrated ? null : x,
    dataType,
    exposureTime: exposure !== null && exposure > 0 ? exposure : null,
    frameRate: cycle !== null && cycle > 0 ? 1 / cycle : null,
    header: table.header,
    warnings,
  });
}

/** Open an Andor SOLIS ASCII export. Throws InputFileError on anything it cannot read. */
export function openAndorAscii(path: string): SpeFile {
  return parseAndorAscii(readText(path), path);
}

interface AndorFacts {
  wavelength: Float64Array | null;
  dataType: SpeDataType;
  exposureTime: number | null;
  frameRate: number | null;
  header: Record<string, string>;
  warnings: string[];
}

/** An Andor export in memory, behind the SpeFile interface (one row per frame). */
class AndorReader implements SpeFile {
  readonly version = 0;
  readonly height = 1;
  readonly dataOffset = 0;
  readonly format = 'andor-asc' as const;
  readonly wavelengthSource: 'xml' | 'polynomial' | 'none';
  readonly frameTimes = null;
  readonly xml = null;
  readonly width: number;
  readonly frames: number;
  readonly dataType: SpeDataType;
  readonly bytesPerPixel: number;
  readonly frameStride: number;
  readonly frameSize: number;
  readonly fullScale: number | null;
  readonly exposureTime: number | null;
  readonly wavelength: Float64Array | null;
  readonly frameRate: number | null;
  readonly header: Record<string, string>;
  readonly camera: CameraInfo | null;
  readonly backgroundCorrected: boolean;
  readonly backgroundReference = null;
  readonly warnings: string[];
  private closed = false;

  constructor(
    readonly path: string,
    private readonly data: Float64Array[],
    facts: AndorFacts,
  ) {
    this.width = data[0].length;
    this.frames = data.length;
    this.dataType = facts.dataType;
    this.bytesPerPixel = facts.dataType === 'uint16' ? 2 : 8;
    this.frameSize = this.width * this.bytesPerPixel;
    this.frameStride = this.frameSize;
    this.fullScale = facts.dataType === 'uint16' ? 65535 : null;
    this.exposureTime = facts.exposureTime;
    this.wavelength = facts.wavelength;
    this.wavelengthSource = facts.wavelength ? 'xml' : 'none';
    this.frameRate = facts.frameRate;
    this.header = facts.header;
    this.camera = andorCamera(facts.header);
    this.backgroundCorrected = /background|\bbg\b/i.test(facts.header[ANDOR_KEYS.dataType] ?? '');
    this.warnings = facts.warnings;
  }

  private checkFrame(i: number): void {
    if (this.closed) {
      throw new InputFileError(this.path, 'file already closed');
    }
    if (!Number.isInteger(i) || i < 0 || i >= this.frames) {
      throw new InputFileError(this.path, `frame ${i} does not exist (the file has ${this.frames} frame(s), 0-based)`);
    }
  }

  readFrame(i: number): Float64Array {
    return this.readFrameInto(i, new Float64Array(this.width));
  }

  readFrameInto(i: number, out: Float64Array): Float64Array {
    this.checkFrame(i);
    if (out.length < this.width) {
      throw new RangeError('readFrameInto: output buffer too small');
    }
    out.set(this.data[i]);
    return out;
  }

  readRows(i: number, a: number, b: number): Float64Array {
    return this.readRowsInto(i, a, b, new Float64Array(this.width));
  }

  readRowsInto(i: number, a: number, b: number, out: Float64Array): Float64Array {
    this.checkFrame(i);
    if (a !== 0 || b !== 0) {
      throw new InputFileError(this.path, `rows ${a}:${b} are outside the frame (one row: 0:0)`);
    }
    return this.readFrameInto(i, out);
  }

  close(): void {
    this.closed = true;
  }
}
