/**
 * createAnalyzer's fit weights and noise models on simulated shots with known temperatures (issue 9):
 * `weights: 'none'` is the unweighted estimator of T-Rax / PyRadiant; background-corrected frames (negative counts,
 * no dark) get a noise model estimated from the data and stay honest; counts with their bias left in are `misfit`;
 * a smooth, noise-free radiance spectrum is not a cosmic.
 */
import { describe, expect, it } from 'vitest';
import { createAnalyzer, type AnalyzerConfig } from '../../src/analysis/analyzer';
import { greybodyLampRadiance } from '../../src/calibration/lamp';
import { planckRadiance } from '../../src/sim/spectrum';
import { countsConfig, makeShot, meanOf, stats, type TestShot } from '../support/simShot';
import { refFitPlanck } from '../support/refEngine';
import { testEngine } from '../support/testEngine';

const engine = testEngine();
const idx = (n: number) => Array.from({ length: n }, (_, i) => i);
const nulls = (n: number) => Array.from({ length: n }, () => null);

function withDark(s: TestShot, extra: Partial<AnalyzerConfig> = {}): AnalyzerConfig {
  return countsConfig(s, engine, extra);
}

/** Frames and lamp with the mean dark subtracted, as LightField's background correction stores them (float32). */
function backgroundCorrected(s: TestShot): { frames: Float32Array[]; lamp: Float64Array } {
  const dark = meanOf(s.dark);
  const minus = (frame: Float64Array) => Float32Array.from(frame, (v, i) => v - dark[i]);
  return { frames: s.frames.map(minus), lamp: Float64Array.from(meanOf(s.lamp), (v, i) => v - dark[i]) };
}

/** Radiance of a frame computed here, independently of the pipeline (dark subtracted, divided by the response). */
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

describe('fit weights and noise models on simulated shots', () => {
  it('weights none: unweighted least squares of the same radiance, σT scaled by the residual variance', async () => {
    const shot = makeShot({ frames: 12, seed: 5 });
    const range: [number, number] = [570, 830];
    const a = createAnalyzer(withDark(shot, { weights: 'none', range }));
    const res = await a.analyzeBatch(shot.frames, idx(12), nulls(12));
    // the pixels the analyzer reports it fitted (the range's ends snap to the nearest pixel)
    const [first, last] = a.ranges.all;
    const used = (_v: number, k: number) => shot.wavelength[k] >= first && shot.wavelength[k] <= last;
    const wl = shot.wavelength.filter(used);
    expect(first).toBeCloseTo(570, 0);
    expect(last).toBeCloseTo(830, 0);
    res.forEach((r, i) => {
      const ref = refFitPlanck(wl, radianceOf(shot, shot.frames[i]).filter(used));
      expect(r.flags).toEqual([]);
      expect(r.chi2).toBeNull();
      expect(Math.abs(r.temperature! / ref.temperature - 1)).toBeLessThan(1e-6);
      expect(Math.abs(r.temperatureError! / ref.temperatureError - 1)).toBeLessThan(1e-3);
    });
  });

  it(
    'background-corrected float frames of an intensified camera (negative counts, no dark): no corrupt or cosmic, ' +
      'pull std 0.8–1.25, median |ΔT/T| no worse than unweighted',
    async () => {
      // faint frames: the blue and red ends sit at zero, many pixels negative after the background correction
      const shot = makeShot({ frames: 120, seed: 23, level: 400, tMin: 1500, tMax: 2600 });
      const corrected = backgroundCorrected(shot);
      const negative = corrected.frames.reduce((n, f) => n + f.filter((v) => v < 0).length, 0);
      expect(negative).toBeGreaterThan(1000);
      const base: AnalyzerConfig = {
        wavelength: shot.wavelength,
        width: shot.width,
        height: shot.height,
        engine,
        dataType: 'float32',
        range: [570, 830],
        lamp: {
          counts: corrected.lamp,
          frames: shot.lamp.length,
          radiance: greybodyLampRadiance(shot.wavelength, shot.lampTemperature),
        },
        camera: { intensified: true },
        backgroundCorrected: true,
      };
      const results: Record<string, { rel: number[]; pulls: number[] }> = {};
      for (const weights of ['noise', 'none'] as const) {
        const a = createAnalyzer({ ...base, weights });
        const res = await a.analyzeBatch(corrected.frames, idx(120), nulls(120));
        const rel: number[] = [];
        const pulls: number[] = [];
        res.forEach((r, i) => {
          expect(r.flags).not.toContain('corrupt');
          expect(r.flags).not.toContain('cosmic');
          expect(r.temperature).not.toBeNull();
          rel.push(Math.abs(r.temperature! / shot.truth[i] - 1));
          pulls.push((r.temperature! - shot.truth[i]) / r.temperatureError!);
        });
        results[weights] = { rel, pulls };
        if (weights === 'noise') {
          expect(a.noise().readNoiseSource).toBe('estimated');
          // the row sums' floor is 2 rows of 4 counts read noise (plus the dark mean's): about 4 counts per row
          expect(a.noise().readNoise).toBeGreaterThan(3);
          expect(a.noise().readNoise).toBeLessThan(5.5);
        }
      }
      const pulls = stats(results.noise.pulls);
      expect(pulls.std).toBeGreaterThan(0.8);
      expect(pulls.std).toBeLessThan(1.25);
      expect(Math.abs(pulls.mean)).toBeLessThan(0.3);
      expect(stats(results.noise.rel).median).toBeLessThanOrEqual(stats(results.none.rel).median);
    },
  );

  it('counts with the bias left in (no dark): faint frames are flagged misfit; with the dark, none is', async () => {
    const shot = makeShot({ frames: 40, seed: 9, level: 1500 });
    const noDark = createAnalyzer({ ...withDark(shot), dark: null, readNoiseFromDark: null, range: [570, 830] });
    const bad = await noDark.analyzeBatch(shot.frames, idx(40), nulls(40));
    let flagged = 0;
    bad.forEach((r) => {
      expect(r.temperature).not.toBeNull();
      if (r.chi2! >= 10) {
        expect(r.flags).toContain('misfit');
      }
      if (r.flags.includes('misfit')) {
        flagged++;
      }
    });
    expect(flagged).toBeGreaterThan(20);
    const good = await createAnalyzer(withDark(shot, { range: [570, 830] })).analyzeBatch(
      shot.frames,
      idx(40),
      nulls(40),
    );
    good.forEach((r) => expect(r.flags).toEqual([]));
  });

  it('a smooth, noise-free radiance spectrum: no cosmic, T exact, both weights', async () => {
    const wavelength = Float64Array.from({ length: 840 }, (_v, i) => 600 + (220 * i) / 839);
    const radiance = Float64Array.from(wavelength, (w) => 1e-7 * planckRadiance(w, 1790.5));
    for (const weights of ['noise', 'none'] as const) {
      const a = createAnalyzer({ wavelength, width: 840, height: 1, engine, weights });
      const [r] = await a.analyzeBatch([radiance], [0], [null]);
      expect(r.flags).toEqual([]);
      expect(Math.abs(r.temperature! - 1790.5)).toBeLessThan(1e-3);
    }
  });

  it('weights outside noise|none is a config error naming the field', () => {
    const shot = makeShot({ frames: 1, seed: 2 });
    expect(() => createAnalyzer(withDark(shot, { weights: 'huber' as 'none' }))).toThrow(
      /^weights expects noise or none/,
    );
  });
});
