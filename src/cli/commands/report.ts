/**
 * `pyrolive report RESULTS.json|RESULTS.csv|RECORDING_DIR -o shot.html`: a self-contained HTML page of a shot for
 * the logbook. Reads what `pyrolive analyze --json` / `--out x.json` writes, the results CSV of `analyze --out x.csv`,
 * or a recording folder (results.csv + events.jsonl).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Command } from 'commander';
import { InputFileError, UsageError } from '../../errors';
import { renderReport, ReportEvent, ReportFrame, ReportRoi, ShotData } from '../../report/html';
import { parseResultsCsv } from '../../analysis/resultsCsv';

function numOrNull(v: unknown, file: string, where: string): number | null {
  if (v === null || v === undefined) {
    return null;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new InputFileError(file, `${where} is not a number`);
  }
  return v;
}

function parseFlags(v: unknown, file: string, where: string): string[] {
  if (v === undefined || v === null) {
    return [];
  }
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw new InputFileError(file, `${where} is not a list of flag names`);
  }
  return v as string[];
}

/**
 * A detector event in any of the shapes the pipeline writes: SlopeEvent, LiveEvent, the live message
 * {type:'event', event}, or a recording's events.jsonl line {recordedAt, event}.
 */
export function parseEvent(
  raw: unknown,
  file: string,
  where: string,
): ReportEvent & { id: string | null; retracted: boolean } {
  let e = raw as Record<string, unknown>;
  if (e && typeof e === 'object' && e.kind === undefined && e.event && typeof e.event === 'object') {
    e = e.event as Record<string, unknown>;
  }
  if (!e || typeof e !== 'object' || Array.isArray(e)) {
    throw new InputFileError(file, `${where} is not an event object`);
  }
  if (typeof e.kind !== 'string') {
    throw new InputFileError(file, `${where}.kind is missing`);
  }
  const startPower = numOrNull(e.startPower, file, `${where}.startPower`);
  const temperature = numOrNull(e.temperature, file, `${where}.temperature`);
  if (startPower === null) {
    throw new InputFileError(file, `${where}.startPower is missing`);
  }
  if (temperature === null) {
    throw new InputFileError(file, `${where}.temperature is missing`);
  }
  const opt = (k: string) => numOrNull(e[k], file, `${where}.${k}`);
  return {
    id: e.id === undefined || e.id === null ? null : String(e.id),
    kind: e.kind,
    startPower,
    endPower: opt('endPower'),
    temperature,
    slopeBefore: opt('slopeBefore'),
    slopeAfter: opt('slopeAfter'),
    significance: opt('significance'),
    detectedAtIndex: opt('detectedAtIndex'),
    startIndex: opt('startIndex'),
    endIndex: opt('endIndex'),
    startPowerError: opt('startPowerError'),
    endPowerError: opt('endPowerError'),
    slopeBeforeError: opt('slopeBeforeError'),
    slopeAfterError: opt('slopeAfterError'),
    retracted: e.retracted === true,
  };
}

/**
 * Keeps the last version of each event id (an update reuses its id), in order of first appearance; an event whose
 * last version is retracted (withdrawn by the detector's end-of-run re-test) is left out.
 */
function latestById(events: (ReportEvent & { id: string | null; retracted: boolean })[]): ReportEvent[] {
  const byId = new Map<string, ReportEvent & { retracted: boolean }>();
  const out: ReportEvent[] = [];
  let anon = 0;
  for (const e of events) {
    const key = e.id ?? `#${anon++}`;
    const { id: _id, ...rest } = e;
    byId.set(key, rest);
  }
  for (const { retracted, ...e } of byId.values()) {
    if (!retracted) {
      out.push(e);
    }
  }
  return out;
}

/** A frame's `rois` ({name: {temperature, temperatureError, ...}}), as `{rois}`, or {} when there are none. */
function parseRois(v: unknown, file: string, where: string): { rois?: Record<string, ReportRoi> } {
  if (v === undefined || v === null) {
    return {};
  }
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw new InputFileError(file, `${where} is not an object of ROI results`);
  }
  const rois: Record<string, ReportRoi> = {};
  for (const [name, raw] of Object.entries(v as Record<string, unknown>)) {
    const roi = (raw ?? {}) as Record<string, unknown>;
    rois[name] = {
      temperature: numOrNull(roi.temperature, file, `${where}.${name}.temperature`),
      temperatureError: numOrNull(roi.temperatureError, file, `${where}.${name}.temperatureError`),
    };
  }
  return { rois };
}

function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputFileError(
      file,
      code === 'ENOENT' ? 'no such file' : `cannot read (${code ?? (e as Error).message})`,
    );
  }
}

/** The results CSV of `analyze --out x.csv` (no events: the detector's events are in the JSON only). */
export function loadResultsCsv(file: string): ShotData {
  const { frames } = parseResultsCsv(readText(file), file);
  const eventsUnknown =
    'no events: a results CSV holds none (`pyrolive detect` on it, or `analyze --out x.json`, finds them)';
  return { source: file, engine: null, frames, events: [], eventsUnknown };
}

export function loadResultsJson(file: string): ShotData {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputFileError(file, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new InputFileError(file, `not valid JSON (${(e as Error).message})`);
  }
  if (!doc || typeof doc !== 'object' || !Array.isArray((doc as Record<string, unknown>).frames)) {
    throw new InputFileError(
      file,
      'expected the JSON of `pyrolive analyze --json`: {engine, frames: [...], events: [...]}',
    );
  }
  const d = doc as { engine?: unknown; frames: unknown[]; events?: unknown };
  const frames: ReportFrame[] = d.frames.map((raw, i) => {
    const where = `frames[${i}]`;
    if (!raw || typeof raw !== 'object') {
      throw new InputFileError(file, `${where} is not an object`);
    }
    const f = raw as Record<string, unknown>;
    const index = numOrNull(f.index, file, `${where}.index`);
    return {
      index: index ?? i,
      time: numOrNull(f.time, file, `${where}.time`),
      power: numOrNull(f.power, file, `${where}.power`),
      temperature: numOrNull(f.temperature, file, `${where}.temperature`),
      temperatureError: numOrNull(f.temperatureError, file, `${where}.temperatureError`),
      chi2: numOrNull(f.chi2, file, `${where}.chi2`),
      flags: parseFlags(f.flags, file, `${where}.flags`),
      ...parseRois(f.rois, file, `${where}.rois`),
    };
  });
  if (d.events !== undefined && d.events !== null && !Array.isArray(d.events)) {
    throw new InputFileError(file, '"events" is not a list');
  }
  const events = ((d.events as unknown[] | undefined) ?? []).map((e, i) => parseEvent(e, file, `events[${i}]`));
  return { source: file, engine: typeof d.engine === 'string' ? d.engine : null, frames, events: latestById(events) };
}

export function loadRecording(dir: string): ShotData {
  const csv = path.join(dir, 'results.csv');
  let text: string;
  try {
    text = fs.readFileSync(csv, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputFileError(
      csv,
      code === 'ENOENT' ? 'missing: not a pyrolive recording folder' : `cannot read (${code})`,
    );
  }
  const { frames } = parseResultsCsv(text, csv);
  const eventsFile = path.join(dir, 'events.jsonl');
  const events: ReturnType<typeof parseEvent>[] = [];
  if (fs.existsSync(eventsFile)) {
    const ev = fs.readFileSync(eventsFile, 'utf8').split(/\r?\n/);
    ev.forEach((line, k) => {
      if (!line.trim()) {
        return;
      }
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch {
        if (k >= ev.length - 2) {
          return;
        } // torn last line
        throw new InputFileError(eventsFile, `line ${k + 1} is not valid JSON`);
      }
      events.push(parseEvent(raw, eventsFile, `line ${k + 1}`));
    });
  }
  let engine: string | null = null;
  for (const meta of ['meta.json', 'run.json', 'recording.json']) {
    const p = path.join(dir, meta);
    if (!fs.existsSync(p)) {
      continue;
    }
    try {
      const m = JSON.parse(fs.readFileSync(p, 'utf8')) as Record<string, unknown>;
      if (typeof m.engine === 'string') {
        engine = m.engine;
      }
    } catch {
      /* metadata is optional */
    }
    if (engine) {
      break;
    }
  }
  return { source: dir, engine, frames, events: latestById(events) };
}

export function loadShot(input: string): ShotData {
  let st: fs.Stats;
  try {
    st = fs.statSync(input);
  } catch {
    throw new InputFileError(input, 'no such file or folder');
  }
  if (st.isDirectory()) {
    return loadRecording(input);
  }
  return /\.csv$/i.test(input) ? loadResultsCsv(input) : loadResultsJson(input);
}

export function defaultOutput(input: string): string {
  const st = fs.statSync(input);
  if (st.isDirectory()) {
    return path.join(input, 'report.html');
  }
  return input.replace(/\.(json|csv)$/i, '') + '.html';
}

export function register(program: Command): void {
  program
    .command('report')
    .description('write a self-contained HTML page of a shot (charts, plateaus, events, summary) for the logbook')
    .argument('<input>', 'results from `pyrolive analyze` (--json, --out x.json or --out x.csv), or a recording folder')
    .option('-o, --out <file>', 'output HTML file ("-" for stdout; default: next to the input, .html)')
    .option('--title <text>', 'title of the page', 'pyrolive shot report')
    .addHelpText(
      'after',
      `
Examples:
  $ pyrolive analyze shot.spe --calibration lamp.spe --lamp-temperature 2800 --power power.csv --json > results.json
  $ pyrolive report results.json -o shot.html
  $ pyrolive analyze shot.spe --calibration lamp.spe --lamp-temperature 2800 --roi DS=20:40 --roi US=60:80 --out results.csv
  $ pyrolive report results.csv                        # writes results.html (every ROI drawn; no events in a CSV)
  $ pyrolive report recordings/2024-05-02T10-31-07/ -o shot.html --title "H2, 95 GPa, run 3"`,
    )
    .action((input: string, o: { out?: string; title: string }) => {
      const shot = loadShot(input);
      if (!shot.frames.length) {
        throw new InputFileError(input, 'contains no frames');
      }

      const pkg = require('../../../package.json') as { version: string };
      const html = renderReport(shot, { title: o.title, version: pkg.version });
      const out = o.out ?? defaultOutput(input);
      if (out === '-') {
        process.stdout.write(html);
        return;
      }
      try {
        fs.writeFileSync(out, html);
      } catch (e) {
        throw new UsageError(`cannot write ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      process.stderr.write(`wrote ${out} (${shot.frames.length} frames, ${shot.events.length} event(s))\n`);
    });
}
