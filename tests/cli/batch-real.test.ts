/**
 * `pyrolive batch` and `summary` on real files: the four corrected spectra of HPCAT (PyRadiant exports, in
 * ../shared/real-data/hpcat-pyradiant and hpcat-ptwire) as a manifest with a per-row fit range. Each export holds
 * the measured spectrum (frame 0) and PyRadiant's own fitted Planck curve (frame 1): frame 1 must give back the
 * temperature PyRadiant reports, which checks that every row reached the right file with its own range.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BIN, ROOT, ensureBuilt } from '../support/build';

const REAL = path.resolve(ROOT, '..', 'shared', 'real-data');
const present = fs.existsSync(path.join(REAL, 'hpcat-ptwire')) && fs.existsSync(path.join(REAL, 'hpcat-pyradiant'));
if (!present) {
  console.warn(`tests/cli/batch-real.test.ts: skipped, ${REAL}/hpcat-ptwire and hpcat-pyradiant are absent`);
}

/** PyRadiant's reported temperatures (the files' headers; README/expect.json of each folder). */
const CASES = [
  { file: 'hpcat-pyradiant/downstream.txt', range: '600:800', name: 'downstream', reported: 2388.7 },
  { file: 'hpcat-pyradiant/upstream.txt', range: '600:800', name: 'upstream', reported: 2374.9 },
  { file: 'hpcat-ptwire/20250108_Pt-wire-run17_00048_ds.txt', range: '600:819.9', name: 'ptwire_ds', reported: 1790.5 },
  { file: 'hpcat-ptwire/20250108_Pt-wire-run17_00048_us.txt', range: '600:819.9', name: 'ptwire_us', reported: 1821.0 },
];

describe.skipIf(!present)('pyrolive batch on real corrected spectra (HPCAT, PyRadiant exports)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pyrolive-batch-real-'));
  const outDir = path.join(tmp, 'results');

  beforeAll(() => {
    ensureBuilt();
    const rows = ['shot,name,range,note'];
    for (const c of CASES) {
      rows.push(`${path.join(REAL, c.file)},${c.name},${c.range},HPCAT 16-ID-B`);
    }
    fs.writeFileSync(path.join(tmp, 'real.csv'), rows.join('\n') + '\n');
  });

  it("every row is analysed with its own range; the fitted curves give back PyRadiant's temperatures", () => {
    const r = spawnSync(process.execPath, [BIN, 'batch', path.join(tmp, 'real.csv'), '--out-dir', outDir], {
      encoding: 'utf8',
    });
    expect(r.stderr).toMatch(/4 shot\(s\): 4 done, 0 already done \(skipped\), 0 failed/);
    expect(r.status).toBe(0);
    for (const c of CASES) {
      const doc = JSON.parse(fs.readFileSync(path.join(outDir, `${c.name}.json`), 'utf8'));
      expect(doc.analysis.range).toEqual(c.range.split(':').map(Number));
      expect(doc.meta.columns.note).toBe('HPCAT 16-ID-B');
      expect(doc.frames).toHaveLength(2);
      // PyRadiant's own Planck curve: its temperature to 0.5 K (the header rounds to 0.1 K)
      expect(Math.abs(doc.frames[1].temperature - c.reported)).toBeLessThan(0.5);
      // the measured spectrum: our noise-weighted fit, within 10 K of PyRadiant's unweighted one (domain.md §9)
      expect(Math.abs(doc.frames[0].temperature - c.reported)).toBeLessThan(10);
    }
  });

  it('summary: no power, so no plateau; no pressure, so listed by name', () => {
    const r = spawnSync(process.execPath, [BIN, 'summary', outDir, '--json'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const shots = JSON.parse(r.stdout).shots as Array<Record<string, unknown>>;
    expect(shots.map((s) => s.shot)).toEqual(['downstream', 'ptwire_ds', 'ptwire_us', 'upstream']);
    for (const shot of shots) {
      expect(shot.pressure_GPa).toBeNull();
      expect(shot.plateau).toBeNull();
      expect(shot.meta).toEqual({ name: expect.any(String), range: expect.any(String), note: 'HPCAT 16-ID-B' });
    }
  });
});
