/**
 * `pyrolive analyze`: SPE shot(s) + lamp (+ dark, power log) → one FrameResult per frame, as JSON, CSV or a
 * readable table. All the work is in src/analysis (analyzeFiles); this file parses options and formats output.
 */
import * as path from 'path';
import { Command } from 'commander';
import { addAnalysisOptions, analysisOptionsFrom, num } from '../options';
import { InputFileError, UsageError } from '../../errors';
import {
  analyzeFiles,
  analyzeFilesTo,
  type AnalyzeOptions,
  type AnalyzeOutput,
  type AnalyzeSummary,
} from '../../analysis/run';
import { formatResultsCsv, ResultsCsvWriter } from '../../analysis/resultsCsv';
import { resultsJsonPieces, ResultsJsonWriter, streamPieceWriter, type Piece } from '../../analysis/resultsJson';
import { AtomicFile } from '../../io/atomicFile';

function fmt(x: number | null, digits: number): string {
  return x === null || !Number.isFinite(x) ? '' : x.toFixed(digits);
}
/** The results CSV of `--out` (format: src/analysis/resultsCsv.ts, shared with the live recorder and `report`). */
export function toCsv(out: AnalyzeOutput): string {
  return formatResultsCsv(out.frames);
}

/**
 * The same text as toJson, written in pieces of `framesPerPiece` frames (no single string of the whole run: a
 * 20,000-frame run is ~4 MB of JSON).
 */
export function writeJson(out: AnalyzeOutput, write: (piece: Piece) => void, framesPerPiece = 2000): void {
  for (const piece of resultsJsonPieces(out, framesPerPiece)) {
    write(piece);
  }
}

export function toJson(out: AnalyzeOutput): string {
  // FrameResult objects already have the documented keys in order (rois only with several ROIs)
  return JSON.stringify({ engine: out.engine, frames: out.frames, events: out.events }) + '\n';
}

export function toTable(out: AnalyzeOutput, maxRows = 40): string {
  const lines: string[] = [];
  const n = out.frames.length;
  const withT = out.frames.filter((f) => f.temperature !== null);
  const flagged: Record<string, number> = {};
  for (const f of out.frames) {
    for (const fl of f.flags) {
      flagged[fl] = (flagged[fl] ?? 0) + 1;
    }
  }
  lines.push(
    `${n} frame(s), engine ${out.engine}, fitted ${Object.entries(out.ranges)
      .map(([k, [a, b]]) => `${out.rois.length > 1 ? k + ' ' : ''}${a.toFixed(1)}–${b.toFixed(1)} nm`)
      .join(', ')}`,
  );
  if (out.noise) {
    lines.push(
      `noise model: gain ${out.noise.gain.toPrecision(3)} e-/count (${out.noise.gainSource}), read noise ${out.noise.readNoise.toPrecision(3)} counts (${out.noise.readNoiseSource})`,
    );
  }
  if (withT.length) {
    const ts = withT.map((f) => f.temperature!);
    lines.push(`temperature: ${withT.length} frame(s), ${Math.min(...ts).toFixed(0)}–${Math.max(...ts).toFixed(0)} K`);
  }
  lines.push(
    `flagged: ${
      Object.keys(flagged).length
        ? Object.entries(flagged)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')
        : 'none'
    }`,
  );
  const rois = out.rois.length > 1 ? out.rois : [];
  const head = [
    'frame',
    'time s',
    'power W',
    'T K',
    'σT K',
    'χ²/dof',
    '2-col K',
    ...rois.map((r) => `${r} T K`),
    'flags',
  ];
  const rows: string[][] = [];
  const step = n > maxRows ? Math.ceil(n / maxRows) : 1;
  for (let i = 0; i < n; i += step) {
    const f = out.frames[i];
    rows.push([
      String(f.index),
      fmt(f.time, 3),
      fmt(f.power, 3),
      fmt(f.temperature, 1),
      fmt(f.temperatureError, 1),
      fmt(f.chi2, 2),
      f.twoColor ? `${f.twoColor.mean.toFixed(0)}±${f.twoColor.std.toFixed(0)}` : '',
      ...rois.map((r) => fmt(f.rois?.[r]?.temperature ?? null, 1)),
      f.flags.join(','),
    ]);
  }
  const w = head.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  lines.push(head.map((h, j) => h.padStart(w[j])).join('  '));
  for (const r of rows) {
    lines.push(r.map((c, j) => c.padStart(w[j])).join('  '));
  }
  if (step > 1) {
    lines.push(`(every ${step}th frame shown; --json or --out for all)`);
  }
  if (out.events.length) {
    lines.push(
      `events: ${JSON.stringify(
        out.events.map((e) => {
          const x = e as Record<string, unknown>;
          return { kind: x.kind, startPower: x.startPower, endPower: x.endPower };
        }),
      )}`,
    );
  }
  return lines.join('\n') + '\n';
}

/** The format `--out` writes, from its extension: .json or .csv; anything else is a usage error. */
export function outFormat(file: string): 'json' | 'csv' {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.json' || extension === '.csv') {
    return extension === '.json' ? 'json' : 'csv';
  }
  throw new UsageError(`--out ${file}: give a .json or a .csv file (the extension says what is written)`);
}

/** The run's options without the output callbacks. */
type RunOptions = Omit<AnalyzeOptions, 'onStart' | 'onProgress'>;

/** The progress bar on stderr (a terminal only), driven by the run's onStart/onProgress. */
class ProgressBar {
  private bar: import('cli-progress').SingleBar | null = null;

  readonly start = (total: number): void => {
    if (!process.stderr.isTTY || total <= 1) {
      return;
    }
    const cliProgress = require('cli-progress') as typeof import('cli-progress');
    this.bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: 'analyze |{bar}| {value}/{total} frames  {eta_formatted}',
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(total, 0);
  };

  readonly update = (done: number): void => {
    this.bar?.update(done);
  };

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

/** `--json`: the results JSON on stdout, written while the shot is analysed (frames as their chunk is done). */
async function printJson(options: AnalyzeOptions): Promise<AnalyzeSummary> {
  const writer = new ResultsJsonWriter(streamPieceWriter(process.stdout));
  const summary = await analyzeFilesTo(options, writer);
  await writer.end(summary.events);
  return summary;
}

/**
 * `--out FILE`: the results in the format the extension says, written while the shot is analysed into a temporary
 * file beside FILE that is renamed onto it at the end (a failed run leaves FILE as it was).
 */
async function writeOutFile(options: AnalyzeOptions, file: string): Promise<AnalyzeSummary> {
  const format = outFormat(file);
  let target: AtomicFile;
  try {
    target = new AtomicFile(file);
  } catch (e) {
    throw new InputFileError(file, `cannot write (${(e as Error).message})`);
  }
  const write = (text: Piece): void => {
    try {
      target.write(text);
    } catch (e) {
      throw new InputFileError(file, `cannot write (${(e as Error).message})`);
    }
  };
  try {
    const writer = format === 'csv' ? new ResultsCsvWriter(write) : new ResultsJsonWriter(write);
    const summary = await analyzeFilesTo(options, writer);
    await writer.end(summary.events);
    target.commit();
    return summary;
  } catch (e) {
    target.abort();
    throw e;
  }
}

function printWarnings(warnings: readonly string[]): void {
  for (const w of warnings) {
    process.stderr.write(`pyrolive: warning: ${w}\n`);
  }
}

/** Runs the analysis into the output the options ask for: stdout JSON, a file, or the readable table. */
async function runAnalysis(run: RunOptions, o: Record<string, unknown>): Promise<void> {
  const bar = new ProgressBar();
  const options: AnalyzeOptions = { ...run, onStart: bar.start, onProgress: bar.update };
  if (o.json) {
    const summary = await printJson(options).finally(() => bar.stop());
    printWarnings(summary.warnings);
    return;
  }
  if (o.out) {
    const file = String(o.out);
    const summary = await writeOutFile(options, file).finally(() => bar.stop());
    printWarnings(summary.warnings);
    process.stderr.write(`pyrolive: ${summary.frameCount} frame(s) written to ${file}\n`);
    return;
  }
  const out = await analyzeFiles(options).finally(() => bar.stop());
  printWarnings(out.warnings);
  process.stdout.write(toTable(out));
}

export function register(program: Command): void {
  addAnalysisOptions(
    program
      .command('analyze')
      .description(
        'Fit a temperature to every frame of one or more SPE shots or Andor SOLIS ASCII exports (.asc, ' +
          'calibrated with a lamp), or to text spectra ' +
          'already corrected for the system response; pair with a laser power log and find the plateau.',
      )
      .argument(
        '<shots...>',
        'SPE or Andor .asc shot file(s) (several = one run, in order), or text spectra ' +
          '(wavelength + radiance columns)',
      ),
  )
    .option(
      '--power <power.csv>',
      'laser power log: time,power (nearest in time) or frame,power; units from the header ' +
        '(time_s, Time (ms), t_us; power_W, Power (mW); power_percent only with --power-expr); frames outside the log get no power',
    )
    .option('--no-two-color', 'skip the per-frame sliding two-colour (twoColor null; ~25 % faster)')
    .option('--chunk <frames>', 'frames read and fitted per batch', num('--chunk'), 1024)
    .option('--json', 'print {engine, frames, events} as JSON on stdout')
    .option('--out <file>', 'write the results to a file: .json (as --json) or .csv (one line per frame)')
    .addHelpText(
      'after',
      `
Examples:
  $ pyrolive analyze shot.spe --calibration lamp.spe --lamp-temperature 2800 --background dark.spe \\
        --power power.csv --range 570:830 --json > results.json
  $ pyrolive analyze shot.spe --calibration lamp.spe --lamp-spectrum lamp_radiance.txt --background dark.spe \\
        --roi DS=20:40 --roi US=60:80 --out results.csv
  $ pyrolive analyze shot.spe --calibration lamp.spe --lamp-temperature 2800 --out results.json   # then: pyrolive report results.json
  $ pyrolive analyze spectrum.txt --range 600:800        # text spectra already corrected: one frame per column
  $ pyrolive analyze 950C.asc --calibration 999C.asc --lamp-temperature 1273.15 --background 23C.asc --range 600:1000
  $ pyrolive analyze shot.spe --calibration lamp.spe --lamp-temperature 2800 --power power.csv \\
        --frame-interval 0.05 --time-offset 0.2   # a shot without time stamps, started 0.2 s after the log

Flags per frame (the frame is always kept): saturated, cosmic (spike pixels masked), weak (T withheld:
total SNR < 5 or σT/T > 5 %), corrupt (NaN/Inf or unreadable: T withheld), fit-failed.`,
    )
    .action(async (shots: string[], o: Record<string, unknown>) => {
      if (o.json && o.out) {
        throw new UsageError('give either --json or --out, not both');
      }
      if (o.out) {
        outFormat(String(o.out));
      } // a wrong extension fails before the work, not after

      const run: RunOptions = {
        ...analysisOptionsFrom(o),
        shots,
        power: (o.power as string) ?? null,
        powerExpr: (o.powerExpr as string) ?? null,
        chunkFrames: o.chunk as number,
        twoColor: o.twoColor !== false,
      };
      await runAnalysis(run, o);
    });
}
