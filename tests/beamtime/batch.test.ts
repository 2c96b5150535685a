/**
 * runBatch in-process: a worker process that dies mid-shot fails that shot only; a new worker takes the rest.
 * Bad rows of the manifest fail alone, before anything runs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ensureBuilt } from '../support/build';
import { simulateShot, writeShot } from '../../src/sim/shot';
import { parseManifest } from '../../src/beamtime/manifest';
import { runBatch, type BatchFailure } from '../../src/beamtime/batch';
import type { ShotOutcome } from '../../src/beamtime/job';
import { getEngine } from '../../src/physics';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-runbatch-'));
const NAMES = ['s1', 's2', 's3', 's4'];
let manifestText = '';

beforeAll(() => {
  ensureBuilt();
  const rows = ['shot,power,pressure_kbar,calibration,background,rows'];
  NAMES.forEach((name, k) => {
    const sim = simulateShot({
      frames: 120,
      seed: 40 + k,
      rows: 6,
      width: 300,
      lamp: { frames: 2 },
      dark: { frames: 2 },
    });
    writeShot(sim, path.join(tmp, name));
    const [a, b] = sim.options.downstreamRows;
    rows.push(`${name}/shot.spe,${name}/power.csv,${800 + 100 * k},${name}/lamp.spe,${name}/dark.spe,${a}:${b}`);
  });
  manifestText = rows.join('\n') + '\n';
}, 120_000);

function batchConfig(outDir: string, manifestText: string) {
  const manifest = parseManifest(manifestText, path.join(tmp, 'manifest.csv'));
  const analysis = { lampTemperature: 2800, range: [570, 830] as [number, number], engine: getEngine() };
  return { manifest, outDir, analysis };
}

describe('runBatch', () => {
  it('a worker that dies mid-shot fails that shot only; a new worker does the others', async () => {
    const outDir = path.join(tmp, 'crash');
    const done: ShotOutcome[] = [];
    const failed: BatchFailure[] = [];
    process.env.PYROLIVE_TEST_CRASH_ON = 's2_shot';
    try {
      const result = await runBatch(
        { ...batchConfig(outDir, manifestText), jobs: 2, workerScript: path.join(__dirname, 'crashingWorker.js') },
        { onDone: (outcome) => done.push(outcome), onFailed: (failure) => failed.push(failure) },
      );
      expect(result.failed).toEqual([
        { name: 's2_shot', line: 3, message: 'the worker process died (signal SIGKILL)' },
      ]);
      expect(failed).toEqual(result.failed);
      expect(result.done.map((o) => o.name).sort()).toEqual(['s1_shot', 's3_shot', 's4_shot']);
      expect(done).toHaveLength(3);
    } finally {
      delete process.env.PYROLIVE_TEST_CRASH_ON;
    }
    const files = fs.readdirSync(outDir).sort();
    expect(files).toEqual(['s1_shot.json', 's3_shot.json', 's4_shot.json']);
    const doc = JSON.parse(fs.readFileSync(path.join(outDir, 's3_shot.json'), 'utf8'));
    expect(doc.meta.pressure_GPa).toBeCloseTo(100, 10);
    expect(doc.analysis.threads).toBe(Math.max(1, Math.floor(os.availableParallelism() / 2)));
  });

  it('in this process (one job): bad rows fail alone and first, the good ones run, a rerun skips them', async () => {
    const outDir = path.join(tmp, 'rows');
    const text = manifestText.replace(/\ns3\/shot\.spe,s3\/power\.csv,1000,/, '\ns3/shot.spe,s3/power.csv,lots,');
    const order: string[] = [];
    const result = await runBatch(batchConfig(outDir, text), {
      onDone: (outcome) => order.push(`done ${outcome.name}`),
      onFailed: (failure) => order.push(`failed ${failure.name}`),
    });
    expect(order).toEqual(['failed s3_shot', 'done s1_shot', 'done s2_shot', 'done s4_shot']);
    expect(result.failed[0].message).toMatch(/manifest\.csv line 4: pressure_kbar "lots" is not a number/);
    expect(result.done.every((o) => o.frames === 120)).toBe(true);
    // what killed runs leave: temporaries of this manifest's shots go, another manifest's (another batch) stay
    for (const stale of ['.s1_shot.json.tmp-99999', '.s3_shot.html.tmp-7', '.other.json.tmp-12']) {
      fs.writeFileSync(path.join(outDir, stale), '{"frames": [');
    }
    const again = await runBatch(batchConfig(outDir, text));
    expect(again.skipped).toEqual(['s1_shot', 's2_shot', 's4_shot']);
    expect(again.done).toEqual([]);
    expect(again.failed.map((f) => f.name)).toEqual(['s3_shot']);
    expect(fs.readdirSync(outDir).filter((n) => n.includes('.tmp-'))).toEqual(['.other.json.tmp-12']);
  });
});
