/**
 * A simulated beamtime end to end: five shots at different pressures with known plateau onsets (one without a
 * plateau) and a row whose shot file is missing, run as three shards, in parallel, killed and resumed; then the
 * summary (JSON, CSV) and the phase-diagram page.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BIN, ensureBuilt } from '../support/build';
import { simulateShot, temperatureOfPower, writeShot } from '../../src/sim/shot';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-batch-'));
const MANIFEST = path.join(tmp, 'beamtime.csv');

interface TruthShot {
  name: string;
  folder: string;
  pressure: number;
  onset: number | null;
  seed: number;
}
const SHOTS: TruthShot[] = [
  { name: 'p110_shot', folder: 'p110', pressure: 110, onset: 30, seed: 3 },
  { name: 'p082_shot', folder: 'p082', pressure: 82, onset: 20, seed: 1 },
  { name: 'p100_shot', folder: 'p100', pressure: 100, onset: null, seed: 5 },
  { name: 'p120_shot', folder: 'p120', pressure: 120, onset: 17, seed: 4 },
  { name: 'p095_shot', folder: 'p095', pressure: 95, onset: 24.5, seed: 2 },
];
/** Manifest order: the five shots, then a row whose shot file does not exist (line 7). */
const ORDER = [...SHOTS.map((s) => s.name), 'p130_shot'];
const T0 = 1100;
const SLOPE = 50;

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: tmp });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const BATCH = ['--lamp-temperature', '2800', '--range', '570:830'];
const results = (dir: string) =>
  fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((n) => n.endsWith('.json'))
        .sort()
    : [];

beforeAll(() => {
  ensureBuilt();
  const rows = ['shot,power,pressure (GPa),calibration,background,rows,note'];
  for (const shot of SHOTS) {
    const sim = simulateShot({
      frames: 300,
      seed: shot.seed,
      rows: 8,
      width: 400,
      powerStart: 5,
      powerEnd: 45,
      t0: T0,
      slope: SLOPE,
      plateau: shot.onset === null ? null : { start: shot.onset, width: 6, slopeFraction: 0.1 },
      lamp: { frames: 2 },
      dark: { frames: 2 },
    });
    writeShot(sim, path.join(tmp, shot.folder));
    const [a, b] = sim.options.downstreamRows;
    const f = shot.folder;
    rows.push(
      `${f}/shot.spe,${f}/power.csv,${shot.pressure},${f}/lamp.spe,${f}/dark.spe,${a}:${b},"run ${shot.seed}, ok"`,
    );
  }
  rows.push('p130/shot.spe,,130,p082/lamp.spe,,2:4,never written');
  fs.writeFileSync(MANIFEST, rows.join('\n') + '\n');
}, 120_000);

describe('pyrolive batch: a simulated beamtime', () => {
  const sharded = path.join(tmp, 'sharded');

  it('three shards, run with no coordination, write disjoint sets of results that together cover the manifest', () => {
    const written: string[][] = [];
    for (let k = 1; k <= 3; k++) {
      const before = new Set(results(sharded));
      const r = run(['batch', MANIFEST, ...BATCH, '--out-dir', sharded, '--shard', `${k}/3`]);
      expect(r.err).not.toMatch(/\n\s+at /);
      const mine = ORDER.filter((_n, position) => position % 3 === k - 1);
      const fresh = results(sharded).filter((n) => !before.has(n));
      written.push(fresh);
      // shard 3 holds the row with the missing file: it fails (named, with its manifest line), the other shot is done
      if (mine.includes('p130_shot')) {
        expect(r.code).toBe(1);
        expect(r.err).toMatch(/FAILED p130_shot \(manifest line 7\): .*p130[/\\]shot\.spe: no such file/);
        expect(r.err).toMatch(/1 done, 0 already done \(skipped\), 1 failed/);
      } else {
        expect(r.code).toBe(0);
      }
      expect(fresh).toEqual(
        mine
          .filter((n) => n !== 'p130_shot')
          .map((n) => `${n}.json`)
          .sort(),
      );
    }
    const all = written.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort()).toEqual(SHOTS.map((s) => `${s.name}.json`).sort());
  });

  it('each result is the analyze --json result plus the manifest row as meta', () => {
    const doc = JSON.parse(fs.readFileSync(path.join(sharded, 'p095_shot.json'), 'utf8'));
    expect(doc.frames).toHaveLength(300);
    expect(['native', 'js']).toContain(doc.engine);
    expect(Array.isArray(doc.events)).toBe(true);
    expect(doc.meta).toMatchObject({
      name: 'p095_shot',
      line: 6,
      pressure_GPa: 95,
      manifest: MANIFEST,
      shot: [path.join(tmp, 'p095', 'shot.spe')],
      power: path.join(tmp, 'p095', 'power.csv'),
    });
    expect(doc.meta.columns.note).toBe('run 2, ok');
    expect(doc.analysis.calibration).toBe(path.join(tmp, 'p095', 'lamp.spe'));
  });

  it('summary --json finds every onset (power within 1 W, T within 40 K of truth), sorted by pressure', () => {
    const r = run(['summary', sharded, '--json']);
    expect(r.code).toBe(0);
    const shots = JSON.parse(r.out).shots as Array<Record<string, any>>;
    expect(shots.map((s) => s.pressure_GPa)).toEqual([82, 95, 100, 110, 120]);
    for (const truth of SHOTS) {
      const row = shots.find((s) => s.shot === truth.name)!;
      expect(row.frames).toBe(300);
      expect(row.meta).toEqual({
        calibration: `${truth.folder}/lamp.spe`,
        background: `${truth.folder}/dark.spe`,
        rows: expect.stringMatching(/^\d+:\d+$/),
        note: `run ${truth.seed}, ok`,
      });
      // the hottest frame: T at 45 W, less the plateau's missing rise where there is one
      const hottest = temperatureOfPower(
        45,
        T0,
        SLOPE,
        truth.onset === null ? null : { start: truth.onset, width: 6, slopeFraction: 0.1 },
      );
      expect(Math.abs(row.maxTemperature - hottest)).toBeLessThan(60);
      if (truth.onset === null) {
        expect(row.plateau).toBeNull();
        continue;
      }
      expect(Math.abs(row.plateau.startPower - truth.onset)).toBeLessThan(1);
      expect(Math.abs(row.plateau.temperature - (T0 + SLOPE * truth.onset))).toBeLessThan(40);
      expect(row.plateau.temperatureError).toBeGreaterThan(0);
      expect(row.plateau.temperatureError).toBeLessThan(40);
      expect(row.plateau.significance).toBeGreaterThan(4);
      expect(Math.abs(row.plateau.endPower - (truth.onset + 6))).toBeLessThan(1.5);
    }
  });

  it("--jobs 2 gives the shards' results; --reports writes each shot's page; the phase plot links them", () => {
    const parallel = path.join(tmp, 'parallel');
    const r = run(['batch', MANIFEST, ...BATCH, '--out-dir', parallel, '--jobs', '2', '--reports']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/6 shot\(s\): 5 done, 0 already done \(skipped\), 1 failed/);
    for (const shot of SHOTS) {
      const a = JSON.parse(fs.readFileSync(path.join(sharded, `${shot.name}.json`), 'utf8'));
      const b = JSON.parse(fs.readFileSync(path.join(parallel, `${shot.name}.json`), 'utf8'));
      expect(b.frames.map((f: { temperature: number }) => f.temperature)).toEqual(
        a.frames.map((f: { temperature: number }) => f.temperature),
      );
      expect(fs.readFileSync(path.join(parallel, `${shot.name}.html`), 'utf8')).toMatch(
        new RegExp(`<title>${shot.name}, ${shot.pressure} GPa`),
      );
    }
    fs.writeFileSync(
      path.join(tmp, 'theory.csv'),
      'pressure_GPa,temperature_K,label,style\n80,2200,theory A,line\n125,1900,theory A,line\n' +
        '90,2300,Zaghoo 2016,points\n',
    );
    const plot = path.join(tmp, 'figures', 'phase.html');
    fs.mkdirSync(path.dirname(plot));
    const s = run([
      'summary',
      parallel,
      '--plot',
      plot,
      '--overlay',
      path.join(tmp, 'theory.csv'),
      '--out',
      path.join(tmp, 'summary.csv'),
    ]);
    expect(s.code).toBe(0);
    const html = fs.readFileSync(plot, 'utf8');
    for (const shot of SHOTS.filter((x) => x.onset !== null)) {
      const link = `<a href="../parallel/${shot.name}.html"><g class="shot" data-shot="${shot.name}">`;
      expect(html).toContain(`${link}<title>${shot.name}: ${shot.pressure.toFixed(1)} GPa`);
    }
    expect(html).toMatch(/<table id="no-plateau">[\s\S]*p100_shot[\s\S]*<\/table>/);
    expect(html).toMatch(/class="overlay-line"><title>theory A/);
    expect(html).toMatch(/class="overlay-points"><title>Zaghoo 2016/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const csv = fs.readFileSync(path.join(tmp, 'summary.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(6);
    expect(csv[0]).toMatch(/^shot,pressure_GPa,.*plateau_temperature_K,plateau_temperatureError_K,.*,note$/);
    expect(csv[1]).toMatch(/^p082_shot,82,300,/);
  });

  it('a killed batch leaves no half file and resumes without redoing finished shots', async () => {
    const dir = path.join(tmp, 'killed');
    const child = spawn(process.execPath, [BIN, 'batch', MANIFEST, ...BATCH, '--out-dir', dir], {
      cwd: tmp,
      stdio: 'ignore',
    });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    // wait on what it writes: kill it as soon as the first result is there
    while (results(dir).length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    child.kill('SIGKILL');
    await exited;
    const finished = results(dir);
    expect(finished.length).toBeGreaterThan(0);
    expect(finished.length).toBeLessThan(SHOTS.length);
    const mtimes = new Map(finished.map((n) => [n, fs.statSync(path.join(dir, n)).mtimeMs]));
    for (const name of finished) {
      expect(JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')).frames).toHaveLength(300);
    }
    const r = run(['batch', MANIFEST, ...BATCH, '--out-dir', dir]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `${SHOTS.length - finished.length} done, ${finished.length} already done (skipped), 1 failed`,
    );
    expect(results(dir)).toEqual(SHOTS.map((s) => `${s.name}.json`).sort());
    for (const [name, mtime] of mtimes) {
      expect(fs.statSync(path.join(dir, name)).mtimeMs).toBe(mtime);
    }
    expect(fs.readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('--dry-run lists what a shard would do and writes nothing', () => {
    const before = fs.readdirSync(sharded).sort();
    const r = run(['batch', MANIFEST, '--out-dir', sharded, '--dry-run', '--shard', '3/3']);
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n')).toEqual([
      expect.stringMatching(/^done\s+p100_shot \(line 4\): .*p100[/\\]shot\.spe$/),
      expect.stringMatching(/^to do\s+p130_shot \(line 7\): /),
      '2 shot(s) in shard 3/3: 1 to do, 1 done, 0 bad row(s)',
    ]);
    expect(fs.readdirSync(sharded).sort()).toEqual(before);
  });

  it("--force redoes a shard's shots; bad options are one-line usage errors", () => {
    const r = run(['batch', MANIFEST, ...BATCH, '--out-dir', sharded, '--shard', '1/3', '--force']);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/2 shot\(s\) \(shard 1\/3\): 2 done, 0 already done/);
    for (const [args, message] of [
      [['--shard', '4/3'], /--shard must be K\/N with 1 ≤ K ≤ N \(got "4\/3"\)/],
      [['--jobs', '1.5'], /--jobs must be a whole number/],
    ] as const) {
      const bad = run(['batch', MANIFEST, ...BATCH, '--out-dir', sharded, ...args]);
      expect(bad.code).toBe(1);
      expect(bad.err.trim().split('\n')).toHaveLength(1);
      expect(bad.err).toMatch(message);
    }
    const missing = run(['batch', path.join(tmp, 'nope.csv'), '--out-dir', sharded]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/nope\.csv: no such file/);
  });
});
