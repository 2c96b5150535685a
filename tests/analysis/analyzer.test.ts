import { describe, expect, it } from 'vitest';
import { createAnalyzer, type AnalyzerConfig } from '../../src/analysis/analyzer';
import { greybodyLampRadiance } from '../../src/calibration/lamp';
import { PyroliveError } from '../../src/errors';
import { planckRadiance } from '../../src/sim/spectrum';
import { countsConfig, makeShot, meanOf, stats, type TestShot } from '../support/simShot';
import { refFitPlanck } from '../support/refEngine';
import { testEngine } from '../support/testEngine';

const engine = testEngine();

function config(s: TestShot, extra: Partial<AnalyzerConfig> = {}): AnalyzerConfig {
  return countsConfig(s, engine, extra);
}
const idx = (n: number) => Array.from({ length: n }, (_, i) => i);
const nulls = (n: number) => Array.from({ length: n }, () => null);

/** Radiance computed here, independently of the pipeline: (Σrows C − Σrows D̄) / ((Σrows L̄amp − Σrows D̄) / L). */
function radianceOf(s: TestShot, frame: Float64Array): Float64Array {
  const d = meanOf(s.dark);
  const l = meanOf(s.lamp);
  const L = greybodyLampRadiance(s.wavelength, s.lampTemperature);
  const y = new Float64Array(s.width);
  for (let i = 0; i < s.width; i++) {
    let c = 0;
    let lc = 0;
    for (let r = 0; r < s.height; r++) {
      c += frame[r * s.width + i] - d[r * s.width + i];
      lc += l[r * s.width + i] - d[r * s.width + i];
    }
    y[i] = c / (lc / L[i]);
  }
  return y;
}

describe('analysis pipeline on simulated shots with known temperatures', () => {
  const shot = makeShot({ frames: 160, seed: 11 });

  it('weighted fit: pull std 0.8–1.2 (gain given and gain estimated), median |ΔT/T| no worse than an unweighted fit', async () => {
    // the unweighted (scipy-style) reference fit of the same spectra, independent of the pipeline
    const relU = shot.frames.map((fr, i) =>
      Math.abs(refFitPlanck(shot.wavelength, radianceOf(shot, fr)).temperature / shot.truth[i] - 1),
    );
    for (const gain of [2, null]) {
      const a = createAnalyzer(config(shot, { gain }));
      const res = await a.analyzeBatch(shot.frames, idx(shot.frames.length), nulls(shot.frames.length));
      const pulls: number[] = [];
      const rel: number[] = [];
      res.forEach((r, i) => {
        expect(r.flags).toEqual([]);
        expect(r.temperature).not.toBeNull();
        pulls.push((r.temperature! - shot.truth[i]) / r.temperatureError!);
        rel.push(Math.abs(r.temperature! / shot.truth[i] - 1));
      });
      const p = stats(pulls);
      expect(p.std).toBeGreaterThan(0.8);
      expect(p.std).toBeLessThan(1.2);
      expect(Math.abs(p.mean)).toBeLessThan(0.3);
      expect(stats(rel).median).toBeLessThanOrEqual(stats(relU).median);
      if (gain === null) {
        expect(a.noise().gainSource).toBe('estimated');
        expect(a.noise().gain).toBeGreaterThan(1.7);
        expect(a.noise().gain).toBeLessThan(2.3);
      }
      expect(a.noise().readNoise).toBeGreaterThan(3.6);
      expect(a.noise().readNoise).toBeLessThan(4.4);
    }
  });

  it('analyzeFrame (sync) gives the same result as the batch', async () => {
    const a = createAnalyzer(config(shot, { gain: 2 }));
    const batch = await a.analyzeBatch(shot.frames.slice(0, 3), [0, 1, 2], [0, 0.01, 0.02], [1, 2, 3]);
    const single = a.analyzeFrame(shot.frames[1], 1, 0.01, 2);
    expect(single.temperature).toBeCloseTo(batch[1].temperature!, 6);
    expect(single.power).toBe(2);
    expect(single.time).toBe(0.01);
    const view = a.lastSpectrum()!;
    expect(view.index).toBe(1);
    expect(view.wavelength.length).toBe(view.radiance.length);
    // the fit follows the radiance at the peak within a few %
    const k = view.wavelength.findIndex((w) => w > 700);
    expect(Math.abs(view.fit[k] / view.radiance[k] - 1)).toBeLessThan(0.05);
  });

  it('a cosmic frame is flagged, its spike masked, T within 0.3 % of truth; clean frames are not flagged', async () => {
    const s = makeShot({ frames: 40, seed: 5, cosmics: (f) => (f % 4 === 0 ? 2 : 0) });
    const a = createAnalyzer(config(s));
    const res = await a.analyzeBatch(s.frames, idx(40), nulls(40));
    res.forEach((r, i) => {
      if (i % 4 === 0) {
        expect(r.flags).toContain('cosmic');
        expect(Math.abs(r.temperature! / s.truth[i] - 1)).toBeLessThan(0.003);
      } else {
        expect(r.flags).not.toContain('cosmic');
      }
    });
    // without masking the same spikes move T by more: the reference fit on the unmasked spectrum
    const worst = Math.max(
      ...[0, 4, 8, 12].map((i) =>
        Math.abs(refFitPlanck(s.wavelength, radianceOf(s, s.frames[i])).temperature / s.truth[i] - 1),
      ),
    );
    const masked = Math.max(...[0, 4, 8, 12].map((i) => Math.abs(res[i].temperature! / s.truth[i] - 1)));
    expect(worst).toBeGreaterThan(masked);
  });

  it('saturated, corrupt (NaN), weak: flagged, the frame kept, the other frames unaffected', async () => {
    const s = makeShot({ frames: 12, seed: 8 });
    const frames = s.frames.map((f) => Float64Array.from(f));
    // frame 3 clips: scale until the peak exceeds full scale, clip as the CCD does
    frames[3] = frames[3].map((c) => Math.min(65535, 600 + (c - 600) * 20));
    frames[5][17] = NaN;
    frames[7][s.width + 100] = Infinity;
    // frame 9: almost no light
    frames[9] = s.dark[0].map((d, i) => d + (s.frames[9][i] - 600) * 0.00003);
    const a = createAnalyzer(config(s, { gain: 2 }));
    const res = await a.analyzeBatch(frames, idx(12), nulls(12));
    const clean = await createAnalyzer(config(s, { gain: 2 })).analyzeBatch(s.frames, idx(12), nulls(12));
    expect(res.length).toBe(12);
    expect(res[3].flags).toContain('saturated');
    expect(res[3].temperature).not.toBeNull();
    expect(res[5].flags).toEqual(['corrupt']);
    expect(res[5].temperature).toBeNull();
    expect(res[7].flags).toEqual(['corrupt']);
    expect(res[9].flags).toContain('weak');
    expect(res[9].temperature).toBeNull();
    for (const i of [0, 1, 2, 4, 6, 8, 10, 11]) {
      expect(res[i].flags).toEqual([]);
      expect(res[i].temperature).toBe(clean[i].temperature);
      expect(res[i].temperatureError).toBe(clean[i].temperatureError);
    }
    // --saturation lower than the data: every frame at or above it is flagged
    const low = await createAnalyzer(config(s, { gain: 2, saturation: 1000 })).analyzeBatch(
      s.frames.slice(0, 2),
      [0, 1],
      [null, null],
    );
    expect(low[0].flags).toContain('saturated');
  });

  it('several ROIs: each fitted to its own temperature', async () => {
    const a1 = makeShot({ frames: 6, seed: 21, height: 2, tMin: 1800, tMax: 1800.0001 });
    const a2 = makeShot({ frames: 6, seed: 22, height: 2, tMin: 2500, tMax: 2500.0001 });
    const join = (x: Float64Array[], y: Float64Array[]) =>
      x.map((f, i) => {
        const o = new Float64Array(f.length * 2);
        o.set(f);
        o.set(y[i], f.length);
        return o;
      });
    const s: TestShot = {
      ...a1,
      height: 4,
      frames: join(a1.frames, a2.frames),
      lamp: join(a1.lamp, a2.lamp),
      dark: join(a1.dark, a2.dark),
    };
    const a = createAnalyzer(
      config(s, {
        rois: [
          { name: 'DS', first: 0, last: 1 },
          { name: 'US', first: 2, last: 3 },
        ],
      }),
    );
    const res = await a.analyzeBatch(s.frames, idx(6), nulls(6));
    for (const r of res) {
      expect(Math.abs(r.rois!.DS.temperature! / 1800 - 1)).toBeLessThan(0.003);
      expect(Math.abs(r.rois!.US.temperature! / 2500 - 1)).toBeLessThan(0.003);
      expect(r.temperature).toBe(r.rois!.DS.temperature);
    }
  });

  it('--emissivity: a known emissivity slope is divided out (without it T is biased)', async () => {
    const wl = makeShot({ frames: 1 }).wavelength;
    const eps = wl.map((l) => 0.5 * (1 - 1e-3 * (l - 700)));
    const s = makeShot({ frames: 8, seed: 31, emissivity: eps, tMin: 2200, tMax: 2200.0001 });
    const withE = await createAnalyzer(config(s, { emissivity: '1 - 1e-3 * (lambda - 700)' })).analyzeBatch(
      s.frames,
      idx(8),
      nulls(8),
    );
    const without = await createAnalyzer(config(s)).analyzeBatch(s.frames, idx(8), nulls(8));
    const e1 = stats(withE.map((r) => r.temperature! - 2200)).mean;
    const e0 = stats(without.map((r) => r.temperature! - 2200)).mean;
    expect(Math.abs(e1)).toBeLessThan(5);
    expect(Math.abs(e0)).toBeGreaterThan(30);
    expect(() => createAnalyzer(config(s, { emissivity: '1 - 1e-2 * (lambda - 700)' }))).toThrow(
      /--emissivity.*positive/,
    );
  });

  it('wien and two-color methods give the temperature within 2 %', async () => {
    const s = makeShot({ frames: 5, seed: 41, tMin: 2000, tMax: 2600 });
    for (const method of ['wien', 'two-color'] as const) {
      const res = await createAnalyzer(config(s, { method, range: [550, 850] })).analyzeBatch(
        s.frames,
        idx(5),
        nulls(5),
      );
      res.forEach((r, i) => expect(Math.abs(r.temperature! / s.truth[i] - 1)).toBeLessThan(0.02));
    }
    const pl = await createAnalyzer(config(s)).analyzeBatch(s.frames, idx(5), nulls(5));
    pl.forEach((r, i) => {
      expect(r.twoColor).not.toBeNull();
      expect(Math.abs(r.twoColor!.mean / s.truth[i] - 1)).toBeLessThan(0.02);
    });
  });

  it('plain radiance input (no lamp): fitted unweighted, σT from the scatter', async () => {
    const wl = new Float64Array(300).map((_, i) => 500 + i);
    const y = wl.map((l) => 1e-3 * planckRadiance(l, 2345) * (1 + 0.002 * Math.sin(l)));
    const a = createAnalyzer({ wavelength: wl, width: 300, height: 1, engine });
    const r = a.analyzeFrame(y, 0, null);
    expect(Math.abs(r.temperature! / 2345 - 1)).toBeLessThan(0.003);
    expect(r.flags).toEqual([]);
  });

  it('bad configuration: one clear error each', () => {
    const s = makeShot({ frames: 1 });
    expect(() => createAnalyzer(config(s, { range: [300, 400] }))).toThrow(/outside the data/);
    expect(() => createAnalyzer(config(s, { rois: [{ name: 'X', first: 0, last: 9 }], shotFile: 'shot.spe' }))).toThrow(
      /shot\.spe: rows 0:9 of ROI X are out of range/,
    );
    expect(() => createAnalyzer(config(s, { gain: -1 }))).toThrow(PyroliveError);
    expect(() =>
      createAnalyzer({
        ...config(s),
        lamp: { counts: new Float64Array(5), frames: 1, radiance: new Float64Array(s.width), file: 'lamp.spe' },
      }),
    ).toThrow(/lamp\.spe/);
  });
});
