/**
 * `pyrolive batch MANIFEST.csv --out-dir DIR`: every shot of a beamtime manifest (or one shard of it) through the
 * analysis of `analyze`, one DIR/<name>.json per shot. The work is in src/beamtime (runBatch); this file parses
 * options and reports progress.
 */
import * as path from 'path';
import { Command } from 'commander';
import { addAnalysisOptions, analysisOptionsFrom, num } from '../options';
import { ConfigError, UsageError } from '../../errors';
import { readManifest } from '../../beamtime/manifest';
import { parseShard, type Shard } from '../../beamtime/shard';
import {
  planBatch,
  runBatch,
  type BatchAnalysis,
  type BatchConfig,
  type BatchFailure,
  type BatchResult,
} from '../../beamtime/batch';
import type { ShotOutcome } from '../../beamtime/job';

interface Progress {
  start(total: number): void;
  done(outcome: ShotOutcome): void;
  failed(failure: BatchFailure): void;
  stop(): void;
}

function outcomeText(outcome: ShotOutcome): string {
  const plateau = outcome.plateau
    ? `plateau at ${outcome.plateau.startPower.toFixed(1)} W, ${outcome.plateau.temperature.toFixed(0)} K`
    : 'no plateau';
  return `${outcome.name}: ${outcome.frames} frame(s), ${plateau} (${outcome.seconds.toFixed(1)} s)`;
}

function failureText(failure: BatchFailure): string {
  return `pyrolive: FAILED ${failure.name} (manifest line ${failure.line}): ${failure.message}`;
}

/** A bar on a terminal (failure lines printed above it); one line per shot otherwise (cluster logs). */
function createProgress(): Progress {
  if (!process.stderr.isTTY) {
    let count = 0;
    let total = 0;
    return {
      start(n) {
        total = n;
      },
      done(outcome) {
        process.stderr.write(`[${++count}/${total}] ${outcomeText(outcome)}\n`);
      },
      failed(failure) {
        count++;
        process.stderr.write(`${failureText(failure)}\n`);
      },
      stop() {
        /* nothing to clear */
      },
    };
  }

  const cliProgress = require('cli-progress') as typeof import('cli-progress');
  const bars = new cliProgress.MultiBar(
    {
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
      format: 'batch |{bar}| {value}/{total} shots  {eta_formatted}  {last}',
    },
    cliProgress.Presets.shades_classic,
  );
  let bar: import('cli-progress').SingleBar | null = null;
  return {
    start(n) {
      bar = bars.create(n, 0, { last: '' });
    },
    done(outcome) {
      bar?.increment(1, { last: outcomeText(outcome) });
    },
    failed(failure) {
      bars.log(`${failureText(failure)}\n`);
      bar?.increment(1, { last: `${failure.name}: failed` });
    },
    stop() {
      bars.stop();
    },
  };
}

function resolvePaths(analysis: BatchAnalysis): BatchAnalysis {
  const resolve = (file: string | null | undefined) => (file ? path.resolve(file) : file);
  return {
    ...analysis,
    calibration: resolve(analysis.calibration),
    background: resolve(analysis.background),
    lampSpectrum: resolve(analysis.lampSpectrum),
  };
}

function parseShardOption(text: string): Shard {
  try {
    return parseShard(text);
  } catch (e) {
    if (e instanceof ConfigError) {
      throw new UsageError(`--shard ${e.problem}`);
    }
    throw e;
  }
}

function finalLine(result: BatchResult, shard: Shard | null): string {
  const where = shard ? ` (shard ${shard.index}/${shard.count})` : '';
  return (
    `batch: ${result.selected} shot(s)${where}: ${result.done.length} done, ${result.skipped.length} already done ` +
    `(skipped), ${result.failed.length} failed`
  );
}

const HELP = `
Manifest (paths relative to the manifest's folder; a per-shot column overrides the option for that row):
  shot,power,pressure_GPa,rows,note
  p082/shot.spe,p082/power.csv,82,2:5,first heating
  p095/shot.spe,p095/power.csv,95.5,,
Pressure columns: pressure_GPa, "pressure (GPa)", P_GPa, pressure_kbar (converted to GPa), ...

Examples:
  $ pyrolive batch beamtime.csv --calibration lamp.spe --lamp-temperature 2800 --background dark.spe \\
        --range 570:830 --out-dir results/ --jobs 2 --reports
  $ pyrolive batch beamtime.csv ... --out-dir results/ --shard 3/20      # the 3rd of 20 jobs
  $ pyrolive batch beamtime.csv --out-dir results/ --dry-run            # what is not done yet
  $ pyrolive summary results/ --plot phase.html --out summary.csv

Slurm job array (20 jobs; each writes its own shots' files, nothing to merge):
  #SBATCH --array=1-20
  pyrolive batch beamtime.csv ... --out-dir results/ --shard $SLURM_ARRAY_TASK_ID/20
See docs/beamtime.md for a full script and other schedulers.
Exit status: 0 when every shot of the shard is done, 1 when any failed (one line each, the others still run).`;

/** Distinct warnings of the shots, at most `max` lines. */
function printWarnings(result: BatchResult, max = 10): void {
  const warnings = [...new Set(result.done.flatMap((outcome) => outcome.warnings))];
  for (const warning of warnings.slice(0, max)) {
    process.stderr.write(`pyrolive: warning: ${warning}\n`);
  }
  if (warnings.length > max) {
    process.stderr.write(`pyrolive: ${warnings.length - max} more warning(s): see "warnings" in the result files\n`);
  }
}

function printOutcome(result: BatchResult, shard: Shard | null): void {
  printWarnings(result);
  process.stderr.write(`${finalLine(result, shard)}\n`);
  for (const failure of result.failed) {
    process.stderr.write(`  failed: ${failure.name} (line ${failure.line}): ${failure.message}\n`);
  }
  if (result.failed.length) {
    process.exitCode = 1;
  }
}

function batchAnalysis(options: Record<string, unknown>): BatchAnalysis {
  return resolvePaths({
    ...analysisOptionsFrom(options),
    powerExpr: (options.powerExpr as string) ?? null,
    chunkFrames: options.chunk as number,
    twoColor: options.twoColor !== false,
  });
}

/** `--dry-run`: what this shard would do, one line per shot on stdout (nothing analysed, nothing written). */
function printPlan(config: BatchConfig): void {
  const failures: BatchFailure[] = [];
  const plan = planBatch(config, failures);
  const pending = new Set(plan.pending.map((job) => job.name));
  const problems = new Map(failures.map((failure) => [failure.name, failure.message]));
  for (const shot of plan.selected) {
    const state = pending.has(shot.name) ? 'to do' : problems.has(shot.name) ? 'bad row' : 'done';
    const detail = problems.get(shot.name) ?? shot.shots.join(' | ');
    process.stdout.write(`${state.padEnd(8)} ${shot.name} (line ${shot.line}): ${detail}\n`);
  }
  const where = config.shard ? ` in shard ${config.shard.index}/${config.shard.count}` : '';
  process.stdout.write(
    `${plan.selected.length} shot(s)${where}: ${pending.size} to do, ${plan.skipped.length} done, ` +
      `${failures.length} bad row(s)\n`,
  );
}

async function batchAction(manifestFile: string, options: Record<string, unknown>): Promise<void> {
  const jobs = options.jobs as number;
  if (!Number.isInteger(jobs)) {
    throw new UsageError(`--jobs must be a whole number (got ${jobs})`);
  }
  const shard = options.shard ? parseShardOption(String(options.shard)) : null;
  const manifest = readManifest(manifestFile);
  for (const warning of manifest.warnings) {
    process.stderr.write(`pyrolive: warning: ${warning}\n`);
  }

  const pkg = require('../../../package.json') as { version: string };
  const config = {
    manifest,
    outDir: String(options.outDir),
    shard,
    jobs,
    force: !!options.force,
    reports: !!options.reports,
    analysis: batchAnalysis(options),
    version: pkg.version,
  };
  if (options.dryRun) {
    printPlan(config);
    return;
  }
  const progress = createProgress();
  let result: BatchResult;
  try {
    result = await runBatch(config, {
      onPlan: (plan) => progress.start(plan.selected.length - plan.skipped.length),
      onDone: (outcome) => progress.done(outcome),
      onFailed: (failure) => progress.failed(failure),
    });
  } finally {
    progress.stop();
  }
  printOutcome(result, shard);
}

export function register(program: Command): void {
  const command = program
    .command('batch')
    .summary('analyse every shot of a beamtime manifest (shardable as a job array), one result file per shot')
    .description(
      'Analyse every shot listed in a manifest with the options of `analyze` and write DIR/<shot>.json ' +
        '(the `analyze --json` result plus the manifest row as "meta"). Resumable: a shot already done is ' +
        'skipped. Shardable: --shard K/N takes every N-th shot from the K-th, so N jobs of a scheduler split a ' +
        'beamtime with no coordination. Then: `pyrolive summary DIR --plot phase.html`.',
    )
    .argument(
      '<manifest>',
      'CSV: header row, then one shot per row; columns shot (required), power, pressure_GPa, ' +
        'per-shot options (calibration, background, rows, roi, range, ...) and any metadata (note, ...)',
    );
  addAnalysisOptions(command)
    .requiredOption('--out-dir <dir>', 'folder for the results (created if needed; shared by all shards)')
    .option('--shard <K/N>', 'only shard K of N (1-based): every N-th shot starting at the K-th')
    .option('-j, --jobs <J>', 'shots analysed in parallel on this machine (worker processes)', num('--jobs'), 1)
    .option('--force', 're-analyse shots whose result already exists')
    .option('--reports', 'also write DIR/<shot>.html, the shot report (linked from the phase plot)')
    .option('--dry-run', 'list what this shard would do (to do / done / bad row), analyse nothing')
    .option('--no-two-color', 'skip the per-frame sliding two-colour (~25 % faster)')
    .option('--chunk <frames>', 'frames read and fitted per batch', num('--chunk'), 1024)
    .addHelpText('after', HELP)
    .action(batchAction);
}
