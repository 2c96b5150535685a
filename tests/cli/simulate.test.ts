import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureBuilt } from '../support/build';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-simcli-'));

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => ensureBuilt(), 180_000);

describe('pyrolive simulate', () => {
  it('writes the six files, says what it wrote, and inspect reads the shot', () => {
    const dir = path.join(tmp, 'a');
    const r = run([
      'simulate',
      dir,
      '--frames',
      '30',
      '--seed',
      '4',
      '--rows',
      '10',
      '--upstream',
      '--saturate-frame',
      '3',
    ]);
    expect(r.code).toBe(0);
    for (const f of ['shot.spe', 'lamp.spe', 'dark.spe', 'power.csv', 'truth.csv', 'shot.json']) {
      expect(fs.existsSync(path.join(dir, f))).toBe(true);
      expect(r.out).toContain(f);
    }
    expect(r.out).toMatch(/30 frames × 10 rows × 1340 px/);
    const j = JSON.parse(run(['inspect', path.join(dir, 'shot.spe'), '--json']).out);
    expect([j.version, j.width, j.height, j.frames, j.dataType, j.exposureTime]).toEqual([
      3,
      1340,
      10,
      30,
      'uint16',
      0.008,
    ]);
    expect(j.wavelength).toEqual({ first: 450, last: 950, count: 1340 });
    const desc = JSON.parse(fs.readFileSync(path.join(dir, 'shot.json'), 'utf8'));
    expect(desc.frames).toBe(30);
    expect(desc.saturatedFrames).toEqual([3]);
    expect(desc.rois.upstream).toBeDefined();
  });

  it('the same seed gives identical bytes', () => {
    const a = path.join(tmp, 's1');
    const b = path.join(tmp, 's2');
    expect(run(['simulate', a, '--frames', '12', '--seed', '77', '--cosmic-rate', '0.5']).code).toBe(0);
    expect(run(['simulate', b, '--frames', '12', '--seed', '77', '--cosmic-rate', '0.5', '--json']).code).toBe(0);
    for (const f of ['shot.spe', 'lamp.spe', 'dark.spe', 'power.csv', 'truth.csv']) {
      expect(fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f)))).toBe(true);
    }
  });

  it('bad options: one line, exit 1', () => {
    for (const args of [
      ['--frames', 'abc'],
      ['--frames', '10', '--saturate-frame', '10'],
      ['--rows', '8', '--ds-rows', '5:9'],
    ]) {
      const r = run(['simulate', path.join(tmp, 'bad'), ...args]);
      expect(r.code).toBe(1);
      expect(r.err.trim().split('\n').length).toBe(1);
      expect(r.err).toMatch(/^pyrolive: /);
    }
  });

  it('--help explains the files and gives examples', () => {
    const r = run(['simulate', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/truth\.csv/);
    expect(r.out).toMatch(/Examples:/);
    expect(r.out).toMatch(/--plateau-start/);
  });
});
