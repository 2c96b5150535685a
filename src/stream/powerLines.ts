/**
 * Laser power readings as lines of text from another program's output (`serve --power-stdin`), so that a
 * beamline's control system feeds the dashboard without glue code:
 *
 *   VALUE                       24.1                      (time: when it arrives)
 *   TIME VALUE                  12.5 24.1  or  12.5,24.1  (s since the run started, or Unix seconds)
 *   NAME DATE TIME VALUE [...]  LASER:POWER 2024-05-01 12:00:01.123456 24.1   (EPICS camonitor; the date and
 *                               time are local time, as camonitor prints them; alarm fields after the value
 *                               are ignored)
 *
 * Blank lines and lines starting with '#' are skipped. Any other line that is none of these (a disconnected PV
 * such as `LASER:POWER <undefined> ...`, text, a non-finite or negative value) is a bad line: counted and
 * reported, never fatal.
 */
import * as readline from 'readline';
import type { Readable } from 'stream';

export type PowerLine = { power: number; time?: number } | { skip: true } | { error: string };

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const CLOCK = /^\d{1,2}:\d{2}:\d{2}(\.\d+)?$/;

function toNumber(text: string): number | null {
  return NUMBER.test(text) ? Number(text) : null;
}

function reading(power: number | null, time?: number): PowerLine {
  if (power === null || !Number.isFinite(power)) {
    return { error: 'the value is not a number' };
  }
  if (power < 0) {
    return { error: `negative power ${power}` };
  }
  return time === undefined ? { power } : { power, time };
}

/** Unix seconds of a camonitor local date and time, or null. */
function camonitorTime(date: string, clock: string): number | null {
  const [hms, fraction = '0'] = clock.split('.');
  const [h, m, s] = hms.split(':').map(Number);
  const [year, month, day] = date.split('-').map(Number);
  const ms = new Date(year, month - 1, day, h, m, s).getTime();
  if (!Number.isFinite(ms)) {
    return null;
  }
  return ms / 1000 + Number(`0.${fraction}`);
}

/** Parses one line (see the file comment). */
export function parsePowerLine(line: string): PowerLine {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) {
    return { skip: true };
  }
  const fields = text.split(/[\s,;]+/);
  if (fields.length === 1) {
    return reading(toNumber(fields[0]));
  }
  if (fields.length === 2) {
    const time = toNumber(fields[0]);
    if (time === null) {
      return { error: 'expected TIME VALUE' };
    }
    return reading(toNumber(fields[1]), time);
  }
  if (fields.length >= 4 && DATE.test(fields[1]) && CLOCK.test(fields[2])) {
    const time = camonitorTime(fields[1], fields[2]);
    if (time === null) {
      return { error: `bad date or time ${fields[1]} ${fields[2]}` };
    }
    return reading(toNumber(fields[3]), time);
  }
  return { error: 'expected VALUE, TIME VALUE or camonitor output (NAME DATE TIME VALUE)' };
}

export interface PowerLineStats {
  readings: number;
  bad: number;
}

export interface ReadPowerLinesOptions {
  /** Each reading (time: s since the run started or Unix seconds, absent: now). May throw: counted as bad. */
  onReading: (reading: { power: number; time?: number }) => void;
  /** A one-line note about a bad line: the first `reportFirst` bad lines each, then every `reportEvery`th. */
  onBadLine?: (note: string) => void;
  /** Converts the value read into W (the power expression), applied before onReading. */
  convert?: ((value: number) => number) | null;
  reportFirst?: number;
  reportEvery?: number;
}

/**
 * Reads power lines from `input` until it ends; resolves with the counts. Never rejects on bad lines.
 */
export function readPowerLines(input: Readable, options: ReadPowerLinesOptions): Promise<PowerLineStats> {
  const stats: PowerLineStats = { readings: 0, bad: 0 };
  const reportFirst = options.reportFirst ?? 3;
  const reportEvery = options.reportEvery ?? 100;
  let lineNumber = 0;
  const bad = (why: string, line: string) => {
    stats.bad++;
    if (stats.bad <= reportFirst || stats.bad % reportEvery === 0) {
      const shown = line.length > 80 ? `${line.slice(0, 77)}...` : line;
      options.onBadLine?.(`power line ${lineNumber} "${shown}": ${why} (${stats.bad} bad line(s) so far)`);
    }
  };
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  lines.on('line', (line) => {
    lineNumber++;
    const parsed = parsePowerLine(line);
    if ('skip' in parsed) {
      return;
    }
    if ('error' in parsed) {
      bad(parsed.error, line);
      return;
    }
    try {
      const power = options.convert ? options.convert(parsed.power) : parsed.power;
      options.onReading({ ...parsed, power });
      stats.readings++;
    } catch (e) {
      bad((e as Error).message, line);
    }
  });
  return new Promise((resolve) => {
    lines.on('close', () => resolve(stats));
    input.on('error', () => lines.close());
  });
}
