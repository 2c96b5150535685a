/**
 * One shot of a batch: analyse it (src/analysis analyzeFiles) and write DIR/<name>.json — the `analyze --json`
 * result plus `meta` (the manifest row) and `analysis` (the settings used) — atomically: the text goes to
 * DIR/.<name>.json.tmp-<pid> and is renamed into place, so a killed batch never leaves a half file and a file that
 * exists is a finished shot. With `report`, DIR/<name>.html (src/report) is written first, the same way.
 *
 * A job is plain data (it crosses to a worker process as a message); runShotJob runs in the batch process or in a
 * worker (src/beamtime/worker.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import { analyzeFiles, type AnalyzeOptions, type AnalyzeOutput } from '../analysis/run';
import { renderReport } from '../report/html';
import { mainPlateau, type PlateauEvent } from './plateau';
import { writeAtomically } from '../io/atomicFile';
import { resultsJsonPieces } from '../analysis/resultsJson';

/** The manifest row as kept with the result (`meta` of DIR/<name>.json). */
export interface ShotMeta {
  name: string;
  manifest: string;
  line: number;
  shot: string[];
  power: string | null;
  pressure_GPa: number | null;
  /** Every cell of the row by its header, as written. */
  columns: Record<string, string>;
}

/** The analysis settings of one shot (AnalyzeOptions without callbacks or engine object). */
export type ShotAnalysis = Omit<AnalyzeOptions, 'engine' | 'onProgress' | 'onStart'>;

export interface ShotJob {
  name: string;
  outDir: string;
  analysis: ShotAnalysis;
  meta: ShotMeta;
  /** Also write DIR/<name>.html. */
  report: boolean;
  /** pyrolive version, for the report footer and the result file. */
  version: string;
}

/** What a finished shot tells the batch (for its progress line). */
export interface ShotOutcome {
  name: string;
  frames: number;
  withTemperature: number;
  plateau: { startPower: number; temperature: number } | null;
  warnings: string[];
  seconds: number;
}

export function resultPath(outDir: string, name: string): string {
  return path.join(outDir, `${name}.json`);
}

export function reportPath(outDir: string, name: string): string {
  return path.join(outDir, `${name}.html`);
}

/**
 * Removes the temporary files that killed runs (any pid) left in `outDir` for the shots in `names` (their result
 * and report files); other shots' files, which another shard may be writing, are left alone.
 */
export function removeStaleTemporaries(outDir: string, names: ReadonlySet<string>): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(outDir);
  } catch {
    return;
  }
  for (const entry of entries) {
    const match = /^\.(.+)\.(json|html)\.tmp-\d+$/.exec(entry);
    if (match && names.has(match[1])) {
      fs.rmSync(path.join(outDir, entry), { force: true });
    }
  }
}

/** The result JSON in pieces (no single string of a long shot): `analyze --json`'s text with the shot's keys after. */
function writeResult(out: AnalyzeOutput, job: ShotJob, write: (piece: string | Uint8Array) => void): void {
  const extra = { meta: job.meta, analysis: job.analysis, warnings: out.warnings, pyrolive: job.version };
  for (const piece of resultsJsonPieces(out, 2000, extra)) {
    write(piece);
  }
}

function reportTitle(meta: ShotMeta): string {
  return meta.pressure_GPa === null ? meta.name : `${meta.name}, ${meta.pressure_GPa} GPa`;
}

/** Analyses one shot and writes its result (and report). Throws what analyzeFiles throws. */
export async function runShotJob(job: ShotJob): Promise<ShotOutcome> {
  const started = Date.now();
  const out = await analyzeFiles({ ...job.analysis });
  fs.mkdirSync(job.outDir, { recursive: true });
  if (job.report) {
    const html = renderReport(
      {
        source: job.meta.shot.join(', '),
        engine: out.engine,
        frames: out.frames,
        events: out.events as PlateauEvent[],
      },
      { title: reportTitle(job.meta), version: job.version },
    );
    writeAtomically(reportPath(job.outDir, job.name), (write) => write(html));
  }
  writeAtomically(resultPath(job.outDir, job.name), (write) => writeResult(out, job, write));
  const plateau = mainPlateau(out.events as PlateauEvent[]);
  return {
    name: job.name,
    frames: out.frames.length,
    withTemperature: out.frames.filter((f) => f.temperature !== null).length,
    plateau: plateau ? { startPower: plateau.startPower, temperature: plateau.temperature } : null,
    warnings: out.warnings,
    seconds: (Date.now() - started) / 1000,
  };
}
