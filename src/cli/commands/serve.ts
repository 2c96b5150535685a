/**
 * `pyrolive serve`: the live dashboard on a source — a replayed shot, a folder LightField writes into, or the
 * simulator — through the same analysis as `pyrolive analyze`, optionally recorded. All the work is in
 * src/stream (pipeline) and src/server (HTTP + WebSocket); this file parses options and wires them.
 */
import * as path from 'path';
import { Command } from 'commander';
import { InputFileError, UsageError } from '../../errors';
import { addAnalysisOptions, analysisOptionsFrom, num } from '../options';
import { startServer, isLoopback } from '../../server';
import { getEngine } from '../../physics';
import {
  afterPriming,
  buildAnalyzer,
  checkAnalysisOptions,
  firstChunkOf,
  liveAnalyzer,
  primeAnalyzer,
  shotAnalyzer,
  watchAnalyzer,
  type LiveAnalysisOptions,
} from '../../stream/analyzer';
import { readPowerLines } from '../../stream/powerLines';
import { compilePowerExpr } from '../../analysis/expr';
import { createLivePipeline, type LivePipeline } from '../../stream/pipeline';
import { replay } from '../../stream/replay';
import { watch } from '../../stream/watch';
import {
  demoShotOptions,
  firstChunkOfShotAsync,
  simulate,
  simulatedCalibration,
  writeSimulatedCalibration,
} from '../../stream/simulate';
import * as fs from 'fs';
import type { LiveAnalyzer, SourceItem } from '../../stream/types';
import type { Observable } from 'rxjs';

function port(v: string): number {
  const x = Number(v);
  if (!Number.isInteger(x) || x < 0 || x > 65535) {
    throw new UsageError(`--port must be an integer 0–65535 (0 = any free port), got "${v}"`);
  }
  return x;
}

export interface RunLiveOptions {
  source: Observable<SourceItem>;
  sourceName: string;
  analyzer: LiveAnalyzer;
  host: string;
  port: number;
  record?: string | null;
  recordInfo?: Record<string, unknown>;
  /** The simulated shot (its lamp and dark are written next to the recording). */
  simulated?: import('../../sim/shot').ShotOptions;
  /** Printed after the URL. */
  note?: string;
  /** Read laser power readings from standard input (see src/stream/powerLines.ts). */
  powerStdin?: boolean;
  /** Converts a value read from standard input into W. */
  powerExpr?: string | null;
}

/** Feeds the pipeline with the readings on standard input; reports bad lines and the totals at its end. */
function feedPowerFromStdin(pipeline: LivePipeline, powerExpr: string | null, err: (line: string) => void): void {
  const convert = powerExpr ? compilePowerExpr(powerExpr) : null;
  void readPowerLines(process.stdin, {
    onReading: (reading) => pipeline.ingestPower(reading),
    onBadLine: (note) => err(`warning: ${note}`),
    convert,
  }).then((stats) => {
    err(`standard input ended: ${stats.readings} power reading(s), ${stats.bad} bad line(s)`);
  });
}

/** Starts the pipeline and the server, prints the URL, runs until SIGINT/SIGTERM, then stops cleanly. */
export async function runLive(options: RunLiveOptions): Promise<void> {
  const err = (line: string) => process.stderr.write(`pyrolive: ${line}\n`);
  if (!isLoopback(options.host)) {
    err(
      `warning: listening on ${options.host}: anyone who can reach this machine can watch the shot and push laser powers (no authentication); use the default 127.0.0.1 and an SSH tunnel unless you mean it`,
    );
  }
  let recordInfo = options.recordInfo;
  if (options.record && options.simulated) {
    if (fs.existsSync(path.join(options.record, 'frames.spe'))) {
      throw new UsageError(`${options.record}: already holds a recording (frames.spe): choose a new folder`);
    }
    fs.mkdirSync(options.record, { recursive: true });
    const written = writeSimulatedCalibration(options.simulated, options.record);
    recordInfo = {
      ...(recordInfo ?? {}),
      postProcess: `pyrolive analyze frames.spe --calibration lamp.spe --lamp-temperature ${written.lampTemperature} --background dark.spe --power power.csv`,
    };
  }
  const pipeline: LivePipeline = createLivePipeline({
    source: options.source,
    sourceName: options.sourceName,
    analyzer: options.analyzer,
    record: options.record ?? null,
    recordOptions: { description: `pyrolive ${process.argv.slice(2).join(' ')}`, info: recordInfo },
    onWarning: (line) => err(`warning: ${line}`),
  });
  let server;
  try {
    server = await startServer({ host: options.host, port: options.port, source: pipeline, log: (line) => err(line) });
  } catch (e) {
    await pipeline.stop();
    throw e;
  }
  process.stdout.write(`pyrolive live dashboard: ${server.url}\n`);
  if (options.note) {
    process.stdout.write(`${options.note}\n`);
  }
  if (options.record) {
    process.stdout.write(`recording into ${path.resolve(options.record)}\n`);
  }
  process.stdout.write('press Ctrl-C to stop\n');
  if (options.powerStdin) {
    feedPowerFromStdin(pipeline, options.powerExpr ?? null, err);
  }
  void pipeline.done.then(() => {
    if (!stopping) {
      err(
        `the source ${options.sourceName} has ended (${pipeline.counts().received} frames); the dashboard stays up until Ctrl-C`,
      );
    }
  });
  let stopping = false;
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      if (stopping) {
        return;
      }
      stopping = true;
      void (async () => {
        await pipeline.stop();
        await server.close();
        const n = pipeline.counts().received;
        err(
          `stopped (${signal}) after ${n} frame(s)${options.record ? `; recording finalized in ${path.resolve(options.record)}` : ''}`,
        );
        resolve();
      })();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

/**
 * A replayed shot and its analyzer, read and timed as `analyze` reads them (SPE or Andor ASCII, frameClock with
 * --frame-interval/--time-offset, the power log with --power-expr); the noise model from its first chunk.
 */
async function replaySource(
  cliOptions: Record<string, unknown>,
  analysisOptions: LiveAnalysisOptions,
  powerExpr: string | null,
  warn: (line: string) => void,
): Promise<{ source: Observable<SourceItem>; analyzer: LiveAnalyzer }> {
  const shotPath = String(cliOptions.replay);
  const clockOptions = { frameInterval: analysisOptions.frameInterval, timeOffset: analysisOptions.timeOffset };
  const source = replay(shotPath, (cliOptions.power as string) ?? null, {
    rate: cliOptions.rate as number | undefined,
    loop: !!cliOptions.loop,
    powerExpr: cliOptions.power ? powerExpr : null,
    ...clockOptions,
  });
  const built = shotAnalyzer(analysisOptions, shotPath);
  built.warnings.forEach(warn);
  await primeAnalyzer(built.analyzer, firstChunkOf(shotPath, clockOptions));
  return { source, analyzer: liveAnalyzer(built.analyzer) };
}

/** Option combinations serve refuses (beyond those of the analysis). */
function checkServeOptions(cliOptions: Record<string, unknown>, mode: string): void {
  if (cliOptions.power && mode !== 'replay') {
    throw new UsageError('--power goes with --replay (for live sources, --power-stdin or POST /api/power)');
  }
  if (cliOptions.power && cliOptions.powerStdin) {
    throw new UsageError('give either --power LOG or --power-stdin, not both');
  }
  if (cliOptions.powerExpr && !cliOptions.power && !cliOptions.powerStdin) {
    throw new UsageError('--power-expr goes with --power or --power-stdin');
  }
  if (cliOptions.loop && mode !== 'replay') {
    throw new UsageError('--loop goes with --replay');
  }
  if (cliOptions.rate && mode === 'watch') {
    throw new UsageError('--rate goes with --replay or --simulate');
  }
  if (cliOptions.timeOffset != null && mode !== 'replay') {
    throw new UsageError('--time-offset goes with --replay (watched and simulated frames are on the live clock)');
  }
  if (cliOptions.frameInterval != null && mode === 'simulate') {
    throw new UsageError('--frame-interval goes with --replay or --watch');
  }
}

const DESCRIPTION =
  'The live dashboard (HTTP + WebSocket) on a replayed shot, a folder LightField writes into, or the simulator:\n' +
  'every frame fitted as in `analyze`, paired with the laser power, plateau detected live; optionally recorded.';

const HELP = `
Examples:
  $ pyrolive serve --simulate                               # dashboard on http://127.0.0.1:8787/
  $ pyrolive serve --replay shot.spe --power power.csv --calibration lamp.spe --lamp-temperature 2800 \\
        --background dark.spe --range 570:830 --rate 100 --loop
  $ pyrolive serve --watch D:/LightField/today --calibration lamp.spe --lamp-temperature 2800 \\
        --background dark.spe --roi DS=10:30 --record run-042
  $ curl -X POST -H 'Content-Type: application/json' -d '{"power": 24.1}' http://127.0.0.1:8787/api/power

Laser power: --power for a replay; --power-stdin reads another program's output, one reading a line
(VALUE, TIME VALUE, or camonitor's NAME DATE TIME VALUE; bad lines are counted and reported):
  $ camonitor LASER:POWER | pyrolive serve --watch D:/LightField/today ... --power-stdin
otherwise POST /api/power {"power": W, "time"?: s} or a WebSocket
{"type":"power",...} message (time: s since the run started, or Unix seconds; absent = now).
Recording (--record DIR): frames.spe, power.csv, results.csv, events.jsonl, flushed every second, so a crash
loses at most the last second; post-process with
  $ pyrolive analyze DIR/frames.spe --power DIR/power.csv --calibration ... (same options as live)`;

/** --seed: an integer, else a one-line UsageError. */
function seed(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value)) {
    throw new UsageError(`--seed must be an integer (got "${text}")`);
  }
  return value;
}

/** The sources: --replay (with --power, --rate, --loop), --watch (with --existing), --simulate (with --seed). */
function addSourceOptions(command: Command): Command {
  return command
    .option('--replay <shot>', 'replay a shot (SPE, or Andor SOLIS .asc) as if it were arriving from the detector')
    .option(
      '--power <power.csv>',
      'with --replay: its laser power log (time_s,power_W or frame,power_W; a percent column with --power-expr)',
    )
    .option('--rate <fps>', "with --replay/--simulate: frames per second (default: the shot's own rate)", num('--rate'))
    .option('--loop', 'with --replay: start over at the end (the dashboard is reset)')
    .option('--watch <dir>', 'pick up each new SPE file written into this folder once complete, in order')
    .option('--existing', 'with --watch: also take the SPE files already in the folder')
    .option('--simulate', 'a simulated heating shot with a plateau, looping (brings its own lamp and dark)')
    .option('--seed <n>', 'with --simulate: random seed', seed, 1);
}

/** The server (--port, --host), the recording (--record) and the laser power from standard input. */
function addServerOptions(command: Command): Command {
  return command
    .option('--port <n>', 'TCP port (0 = any free port)', port, 8787)
    .option('--host <h>', 'address to listen on (default 127.0.0.1: this machine only)', '127.0.0.1')
    .option('--record <dir>', 'record frames (SPE), power, results and events into this new folder')
    .option(
      '--power-stdin',
      'read laser power readings from standard input, one per line: VALUE, TIME VALUE, or EPICS camonitor output',
    );
}

/** A live source with its name on the dashboard, its analyzer and, when simulated, the simulated shot. */
interface LiveSource {
  source: Observable<SourceItem>;
  sourceName: string;
  analyzer: LiveAnalyzer;
  simulated?: import('../../sim/shot').ShotOptions;
}

/** The one source given (--replay, --watch or --simulate), else a UsageError. */
function sourceMode(cliOptions: Record<string, unknown>): string {
  const modes = ['replay', 'watch', 'simulate'].filter((mode) => !!cliOptions[mode]);
  if (modes.length !== 1) {
    throw new UsageError('give exactly one source: --replay SHOT.spe, --watch DIR or --simulate');
  }
  return modes[0];
}

/** --simulate: the demo shot, its own lamp and dark, the noise model primed from its first frames. */
function simulatedSource(cliOptions: Record<string, unknown>, analysisOptions: LiveAnalysisOptions): LiveSource {
  if (analysisOptions.calibration) {
    throw new UsageError('--simulate brings its own lamp and dark: drop --calibration/--background');
  }
  const shot = demoShotOptions({ seed: cliOptions.seed as number });
  const calibration = simulatedCalibration(shot);
  const built = buildAnalyzer(analysisOptions, calibration.geometry, 'simulated shot', calibration).analyzer;
  const analyzer = liveAnalyzer(built);
  // the noise model from the shot's first 1024 frames (as `analyze` of its recording), simulated meanwhile
  const priming = async () => primeAnalyzer(built, await firstChunkOfShotAsync(shot));
  const source = afterPriming(priming, simulate({ ...shot, rate: cliOptions.rate as number | undefined }));
  return { source, sourceName: 'simulate', analyzer, simulated: shot };
}

/** --watch DIR: the folder (it must be there) and the counts analyzer (it needs a calibration). */
function watchedSource(
  cliOptions: Record<string, unknown>,
  analysisOptions: LiveAnalysisOptions,
  warn: (line: string) => void,
): LiveSource {
  const dir = String(cliOptions.watch);
  if (!fs.existsSync(dir)) {
    throw new InputFileError(dir, 'no such folder to watch');
  }
  if (!fs.statSync(dir).isDirectory()) {
    throw new InputFileError(dir, 'is not a folder');
  }
  if (!analysisOptions.calibration) {
    throw new UsageError(
      '--watch needs --calibration LAMP.spe with --lamp-temperature or --lamp-spectrum (the frames are raw counts)',
    );
  }
  const analyzer = watchAnalyzer(analysisOptions, warn);
  const source = watch(dir, {
    includeExisting: !!cliOptions.existing,
    frameInterval: analysisOptions.frameInterval,
    onWarning: warn,
    onFile: (file, frames) => process.stderr.write(`pyrolive: ${path.basename(file)}: ${frames} frame(s)\n`),
  });
  return { source, sourceName: `watch ${dir}`, analyzer };
}

/** The source of the given mode with its analyzer. */
async function liveSource(
  mode: string,
  cliOptions: Record<string, unknown>,
  analysisOptions: LiveAnalysisOptions,
  powerExpr: string | null,
  warn: (line: string) => void,
): Promise<LiveSource> {
  if (mode === 'simulate') {
    return simulatedSource(cliOptions, analysisOptions);
  }
  if (mode === 'replay') {
    const { source, analyzer } = await replaySource(cliOptions, analysisOptions, powerExpr, warn);
    return { source, sourceName: `replay ${path.basename(String(cliOptions.replay))}`, analyzer };
  }
  return watchedSource(cliOptions, analysisOptions, warn);
}

/** The action: checks the options, builds the source and its analyzer, runs the dashboard until Ctrl-C. */
async function serveAction(cliOptions: Record<string, unknown>): Promise<void> {
  const mode = sourceMode(cliOptions);
  checkServeOptions(cliOptions, mode);
  const analysisOptions = analysisOptionsFrom(cliOptions);
  checkAnalysisOptions(analysisOptions);
  const powerExpr = (cliOptions.powerExpr as string) ?? null;
  const warn = (line: string) => process.stderr.write(`pyrolive: warning: ${line}\n`);
  const { source, sourceName, analyzer, simulated } = await liveSource(
    mode,
    cliOptions,
    analysisOptions,
    powerExpr,
    warn,
  );
  await runLive({
    source,
    sourceName,
    analyzer,
    host: String(cliOptions.host),
    port: cliOptions.port as number,
    record: (cliOptions.record as string) ?? null,
    simulated,
    powerStdin: !!cliOptions.powerStdin,
    powerExpr: cliOptions.powerStdin ? powerExpr : null,
    recordInfo: {
      engine: getEngine().name,
      analysis: { ...analysisOptions, engine: undefined },
      powerExpr,
      replay: cliOptions.replay ?? null,
      power: cliOptions.power ?? null,
      watch: cliOptions.watch ?? null,
      simulate: !!cliOptions.simulate,
    },
  });
}

export function register(program: Command): void {
  const command = program.command('serve').description(DESCRIPTION);
  addServerOptions(addAnalysisOptions(addSourceOptions(command)))
    .addHelpText('after', HELP)
    .action(serveAction);
}
