// Noise-free spectra: the fits must give back the temperature they were made with.
import { describe, expect, it } from 'vitest';
import { defaultWavelengths, planckRadiance } from '../../src/sim/spectrum';
import { planckCurve } from '../../src/physics';
import { engines, exactPlanck, exactWien, grid, maskOutside, rel } from '../support/spectra';

const wl1340 = defaultWavelengths();
const fitMask = maskOutside(wl1340, 570, 830);
const nUsed = fitMask.reduce((n, m) => n + (m === 0 ? 1 : 0), 0);

describe.each(engines().map((e) => [e.name, e] as const))('%s engine, exact data', (_name, eng) => {
  it.each([1000, 1500, 2300, 3100, 4200, 5000])(
    'Planck fit recovers %d K to 1e-9 (all pixels, masked, weighted)',
    (T) => {
      const s = 3.7e-9;
      const y = exactPlanck(wl1340, T, s);
      const variance = y.map((v) => 0.02 * v + 1e-3 * y[670]); // Poisson-like
      for (const opts of [undefined, { mask: fitMask }, { variance }, { variance, mask: fitMask }]) {
        const r = eng.fitPlanck(wl1340, y, opts);
        expect(r.engine).toBe(eng.name);
        expect(r.converged).toBe(true);
        expect(rel(r.temperature, T)).toBeLessThan(1e-9);
        expect(rel(r.scale, s)).toBeLessThan(1e-8);
        expect(r.dof).toBe((opts?.mask ? nUsed : 1340) - 2);
        expect(r.iterations).toBeGreaterThanOrEqual(1);
        expect(r.iterations).toBeLessThanOrEqual(6);
        expect(r.chi2).toBeLessThan((1e-12 * y.reduce((a, v) => a + v * v, 0)) / (opts?.variance ? y[670] * 1e-3 : 1));
      }
    },
  );

  it('Planck fit converges from far away (a 300 K spectrum and a 20000 K one)', () => {
    for (const T of [300, 20000]) {
      const y = exactPlanck(wl1340, T, 1);
      const r = eng.fitPlanck(wl1340, y);
      expect(r.converged).toBe(true);
      expect(rel(r.temperature, T)).toBeLessThan(1e-9);
    }
  });

  it('data no greybody can fit do not throw: converged = false (batch: NotConverged)', () => {
    const wl = grid(100, 550, 850);
    const steep = wl.map((l) => (l / 700) ** -8); // bluer than Rayleigh–Jeans: T runs away
    const r = eng.fitPlanck(wl, steep);
    expect(r.converged).toBe(false);
    expect(r.iterations).toBe(50);
    const y = exactPlanck(wl, 5000, 1);
    const one = eng.fitPlanck(wl, y, { maxIterations: 1 });
    expect(one.converged).toBe(false);
    expect(one.iterations).toBe(1);
    expect(Math.abs(one.temperature / 5000 - 1)).toBeLessThan(0.05); // the Wien start
    const b = eng.fitPlanckBatchSync(wl, y, 1, { maxIterations: 1 });
    expect(b.status[0]).toBe(2);
    expect(b.temperature[0]).toBe(one.temperature);
  });

  it('σT is the curvature of the profiled χ² (finite differences, independent code)', () => {
    const wl = grid(200, 550, 850);
    const T = 2400;
    const y = exactPlanck(wl, T, 1e-8);
    const variance = y.map((v) => 0.01 * v * v); // 10 % noise, deterministic "noise" pattern below
    const noisy = y.map((v, i) => v * (1 + 0.1 * Math.sin(i * 12.9898)));
    const r = eng.fitPlanck(wl, noisy, { variance });
    const chi = (t: number): number => {
      let A = 0,
        B = 0,
        C = 0;
      for (let i = 0; i < wl.length; i++) {
        const L = planckRadiance(wl[i], t);
        const w = 1 / variance[i];
        A += w * noisy[i] * L;
        B += w * L * L;
        C += w * noisy[i] * noisy[i];
      }
      return C - (A * A) / B;
    };
    const h = 1e-3 * r.temperature;
    const d2 = (chi(r.temperature + h) - 2 * chi(r.temperature) + chi(r.temperature - h)) / (h * h);
    expect(rel(r.temperatureError, Math.sqrt(2 / d2))).toBeLessThan(1e-4);
    // the minimum: χ² larger on both sides, and the reported χ² is Σ w r² at the reported scale
    expect(chi(r.temperature + h)).toBeGreaterThan(r.chi2);
    expect(chi(r.temperature - h)).toBeGreaterThan(r.chi2);
    const model = planckCurve(wl, r.temperature, r.scale);
    const chi2 = noisy.reduce((a, v, i) => a + (v - model[i]) ** 2 / variance[i], 0);
    expect(rel(r.chi2, chi2)).toBeLessThan(1e-6);
    // unweighted: σT scaled by χ²/dof
    const u = eng.fitPlanck(wl, noisy);
    expect(u.temperatureError).toBeGreaterThan(0);
    expect(Math.abs(u.temperature - T)).toBeLessThan(10 * u.temperatureError);
  });

  it.each([1200, 2500, 4000])('Wien fit on exact Wien-law data recovers %d K and the scale', (T) => {
    const y = exactWien(wl1340, T, 2e-7);
    const r = eng.fitWien(wl1340, y, { mask: fitMask });
    expect(rel(r.temperature, T)).toBeLessThan(1e-9);
    expect(rel(r.scale, 2e-7)).toBeLessThan(1e-8);
    expect(r.dof).toBe(nUsed - 2);
    expect(r.temperatureError).toBeLessThan(1e-6 * T);
  });

  it('Wien fit of a Planck spectrum is biased in the known direction (Wien is not Planck at 5000 K)', () => {
    const r = eng.fitWien(wl1340, exactPlanck(wl1340, 5000, 1), { mask: fitMask });
    expect(r.temperature).toBeLessThan(5000); // ln(1−e^{−x}) lowers the red end
    expect(r.temperature).toBeGreaterThan(4500);
  });

  it('two-colour on exact Wien-regime data (1000 K, 500–600 nm) recovers T', () => {
    const wl = grid(101, 500, 600);
    const y = exactPlanck(wl, 1000, 0.3);
    expect(rel(eng.twoColor(wl, y, 0, 100), 1000)).toBeLessThan(1e-7);
    expect(rel(eng.twoColor(wl, y, 70, 20), 1000)).toBeLessThan(1e-7);
    // and exactly on Wien-law data at any T
    const yw = exactWien(wl, 3500, 1);
    expect(rel(eng.twoColor(wl, yw, 3, 97), 3500)).toBeLessThan(1e-10);
  });

  it('sliding two-colour on exact data: std ≈ 0, mean ≈ T, histogram holds every pair', () => {
    const wl = grid(301, 480, 620);
    const y = exactPlanck(wl, 1000, 1);
    const mask = maskOutside(wl, 500, 600); // pixels 43..257 used
    const used = mask.reduce((n, m) => n + (m === 0 ? 1 : 0), 0);
    const r = eng.slidingTwoColor(wl, y, 100, { mask, bins: 20 });
    expect(r.engine).toBe(eng.name);
    expect(r.count).toBe(used - 100);
    expect(rel(r.mean, 1000)).toBeLessThan(1e-7);
    expect(r.std).toBeLessThan(1e-6 * 1000);
    expect(r.histogram.edges.length).toBe(21);
    expect(r.histogram.counts.length).toBe(20);
    expect(r.histogram.counts.reduce((a, c) => a + c, 0)).toBe(r.count);
    // an emissivity slope shows up as spread: 1 + 2·(λ − 550)/1000 over 500–600 nm
    const ys = y.map((v, i) => v * (1 + (2 * (wl[i] - 550)) / 1000));
    const s = eng.slidingTwoColor(wl, ys, 50, { mask });
    expect(s.std).toBeGreaterThan(1);
    expect(s.mean).toBeLessThan(1000); // emissivity rising to the red lowers the blue/red ratio → looks colder
  });
});
