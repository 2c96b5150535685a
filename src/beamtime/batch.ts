/**
 * `runBatch`: a beamtime manifest (or one shard of it) through the analysis, one DIR/<name>.json per shot.
 *
 * - Resumable: a shot whose result file exists is skipped (results are written atomically, so an existing file is
 *   a finished shot), unless `force`. Temporary files that a killed run left for this shard's shots are removed.
 * - Failures are per shot: a bad manifest row, a missing file, an analysis error or a crashed worker fails that
 *   shot only; the others run.
 * - `jobs` > 1 runs shots in that many worker processes (src/beamtime/worker.ts), each with its share of the cores
 *   for the native fits; a crashing shot takes down its worker only (a new one takes the next shots).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { fork } from 'child_process';
import { ConfigError } from '../errors';
import type { AnalysisOptions } from '../analysis/run';
import type { PhysicsEngine } from '../physics/types';
import type { Manifest, ManifestShot } from './manifest';
import { inShard, type Shard } from './shard';
import { removeStaleTemporaries, resultPath, runShotJob, type ShotJob, type ShotOutcome } from './job';
import { failureMessage, type WorkerReply } from './worker';

/** Settings common to every shot (a manifest row may override the analysis ones). */
export interface BatchAnalysis extends AnalysisOptions {
  powerExpr?: string | null;
  chunkFrames?: number;
}

export interface BatchConfig {
  manifest: Manifest;
  outDir: string;
  /** Only this shard of the manifest (default: all of it). */
  shard?: Shard | null;
  /** Shots analysed at the same time, each in its own worker process (default 1: in this process). */
  jobs?: number;
  /** Re-analyse shots whose result exists. */
  force?: boolean;
  /** Also write DIR/<name>.html, the shot report. */
  reports?: boolean;
  analysis: BatchAnalysis;
  version?: string;
  /** The worker script (default: worker.js next to this file, i.e. the built package). */
  workerScript?: string;
}

export interface BatchFailure {
  name: string;
  line: number;
  message: string;
}

export interface BatchPlan {
  /** Shots of this shard. */
  selected: ManifestShot[];
  /** Names skipped because their result exists. */
  skipped: string[];
  /** Jobs to run. */
  pending: ShotJob[];
}

export interface BatchHooks {
  onPlan?(plan: BatchPlan): void;
  onDone?(outcome: ShotOutcome): void;
  onFailed?(failure: BatchFailure): void;
}

export interface BatchResult {
  selected: number;
  done: ShotOutcome[];
  skipped: string[];
  failed: BatchFailure[];
}

/** The analysis of one row: the common settings with the row's overrides (rows and roi replace each other). */
export function shotAnalysis(shot: ManifestShot, common: BatchAnalysis): ShotJob['analysis'] {
  const { engine: _engine, ...rest } = common;
  const merged = { ...rest, ...shot.overrides, shots: shot.shots, power: shot.power };
  if (shot.overrides.rows) {
    merged.roi = [];
  }
  if (shot.overrides.roi && shot.overrides.roi.length) {
    merged.rows = null;
  }
  return merged;
}

function jobOf(shot: ManifestShot, config: BatchConfig, threads: number | undefined): ShotJob {
  const analysis = shotAnalysis(shot, config.analysis);
  if (threads !== undefined) {
    analysis.threads = threads;
  }
  return {
    name: shot.name,
    outDir: config.outDir,
    analysis,
    report: !!config.reports,
    version: config.version ?? '',
    meta: {
      name: shot.name,
      manifest: path.resolve(config.manifest.file),
      line: shot.line,
      shot: shot.shots,
      power: shot.power,
      pressure_GPa: shot.pressureGPa,
      columns: shot.columns,
    },
  };
}

function jobCount(config: BatchConfig): number {
  const jobs = config.jobs ?? 1;
  if (!Number.isInteger(jobs) || jobs < 1) {
    throw new ConfigError('jobs', `must be a whole number ≥ 1 (got ${jobs})`);
  }
  return jobs;
}

/** What a batch would do: this shard's shots, those already done, the jobs to run; failures of bad rows. */
export function planBatch(config: BatchConfig, failures: BatchFailure[] = []): BatchPlan {
  const jobs = jobCount(config);
  const threads = jobs > 1 ? Math.max(1, Math.floor(os.availableParallelism() / jobs)) : undefined;
  const selected = config.manifest.shots.filter((shot) => !config.shard || inShard(shot.position, config.shard));
  const skipped: string[] = [];
  const pending: ShotJob[] = [];
  for (const shot of selected) {
    const target = resultPath(config.outDir, shot.name);
    if (!config.force && fs.existsSync(target)) {
      skipped.push(shot.name);
      continue;
    }
    if (shot.problem) {
      failures.push({ name: shot.name, line: shot.line, message: shot.problem });
      continue;
    }
    pending.push(jobOf(shot, config, threads));
  }
  return { selected, skipped, pending };
}

async function runInProcess(pending: ShotJob[], engine: PhysicsEngine | undefined, report: Reporter): Promise<void> {
  for (const job of pending) {
    try {
      const analysis = engine ? { ...job.analysis, engine } : job.analysis;
      report.done(await runShotJob({ ...job, analysis }));
    } catch (error) {
      report.failed(job, failureMessage(error));
    }
  }
}

interface Reporter {
  done(outcome: ShotOutcome): void;
  failed(job: ShotJob, message: string): void;
}

function deathMessage(code: number | null, signal: NodeJS.Signals | null): string {
  return `the worker process died (${signal ? `signal ${signal}` : `exit code ${code}`})`;
}

/** Runs jobs on worker processes; a worker that dies fails the shot it had and is replaced while shots remain. */
class WorkerPool {
  private next = 0;
  private alive = 0;
  private finish: () => void = () => undefined;

  constructor(
    private readonly pending: ShotJob[],
    private readonly script: string,
    private readonly report: Reporter,
  ) {}

  run(count: number): Promise<void> {
    return new Promise((resolve) => {
      this.finish = resolve;
      const workers = Math.min(count, this.pending.length);
      for (let k = 0; k < workers; k++) {
        this.startWorker();
      }
      if (workers === 0) {
        resolve();
      }
    });
  }

  private take(): ShotJob | null {
    return this.next < this.pending.length ? this.pending[this.next++] : null;
  }

  private startWorker(): void {
    const child = fork(this.script, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    let current: ShotJob | null = null;
    let ended = false;
    const giveNext = (): void => {
      current = this.take();
      if (current) {
        child.send({ type: 'job', job: current }, (error) => {
          if (error) {
            child.kill('SIGKILL');
          }
        });
      } else {
        child.disconnect();
      }
    };
    const end = (reason: string): void => {
      if (ended) {
        return;
      }
      ended = true;
      this.alive--;
      if (current) {
        this.report.failed(current, reason);
        current = null;
      }
      if (this.next < this.pending.length) {
        this.startWorker();
      } else if (this.alive === 0) {
        this.finish();
      }
    };
    child.on('message', (reply: WorkerReply) => {
      if (ended) {
        return;
      }
      if (reply.type === 'done') {
        this.report.done(reply.outcome);
      } else if (current) {
        this.report.failed(current, reply.message);
      }
      giveNext();
    });
    child.on('exit', (code, signal) => end(deathMessage(code, signal)));
    child.on('error', (error) => {
      end(`the worker process failed (${error.message})`);
      child.kill('SIGKILL');
    });
    this.alive++;
    giveNext();
  }
}

function defaultWorkerScript(): string {
  // (from dist/beamtime, or from the command line's bundle in dist/cli: src/cli/launch.ts)
  const script = path.resolve(__dirname, '..', 'beamtime', 'worker.js');
  if (!fs.existsSync(script)) {
    throw new ConfigError('jobs', `above 1 needs the built package (no ${script}: run npm run build)`);
  }
  return script;
}

/** Runs the batch (see the file comment). Never throws for a shot's failure: it is in the result. */
export async function runBatch(config: BatchConfig, hooks: BatchHooks = {}): Promise<BatchResult> {
  const jobs = jobCount(config);
  const failed: BatchFailure[] = [];
  const lineOf = new Map(config.manifest.shots.map((shot) => [shot.name, shot.line]));
  const done: ShotOutcome[] = [];
  const report: Reporter = {
    done(outcome) {
      done.push(outcome);
      hooks.onDone?.(outcome);
    },
    failed(job, message) {
      const failure = { name: job.name, line: lineOf.get(job.name) ?? 0, message };
      failed.push(failure);
      hooks.onFailed?.(failure);
    },
  };
  fs.mkdirSync(config.outDir, { recursive: true });
  const rowFailures: BatchFailure[] = [];
  const plan = planBatch(config, rowFailures);
  removeStaleTemporaries(config.outDir, new Set(plan.selected.map((shot) => shot.name)));
  hooks.onPlan?.(plan);
  for (const failure of rowFailures) {
    failed.push(failure);
    hooks.onFailed?.(failure);
  }
  if (jobs > 1 && plan.pending.length > 1) {
    await new WorkerPool(plan.pending, config.workerScript ?? defaultWorkerScript(), report).run(jobs);
  } else {
    await runInProcess(plan.pending, config.analysis.engine, report);
  }
  return { selected: plan.selected.length, done, skipped: plan.skipped, failed };
}
