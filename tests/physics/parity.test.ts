// Native vs TypeScript on random spectra, and batch vs single fits.
import { describe, expect, it } from 'vitest';
import { FitStatus, getEngine, jsEngine, PhysicsEngine } from '../../src/physics';
import { defaultWavelengths, planckRadiance } from '../../src/sim/spectrum';
import { Rng } from '../../src/sim/rng';
import { rel } from '../support/spectra';

const native = getEngine('native');
const wl = defaultWavelengths();
const n = wl.length;

interface Case {
  T: number;
  y: Float64Array;
  variance?: Float64Array;
  mask?: Uint8Array;
}

/** Random greybody spectra with Gaussian noise, random masks, sometimes a variance. */
function randomCases(count: number, seed: number): Case[] {
  const rng = new Rng(seed);
  const out: Case[] = [];
  for (let k = 0; k < count; k++) {
    const T = 800 + 5200 * rng.uniform();
    const s = 10 ** (-10 + 4 * rng.uniform());
    const lo = 460 + 200 * rng.uniform();
    const hi = lo + 60 + 250 * rng.uniform();
    const y = new Float64Array(n),
      variance = new Float64Array(n),
      mask = new Uint8Array(n);
    let peak = 0;
    for (let i = 0; i < n; i++) {
      peak = Math.max(peak, s * planckRadiance(wl[i], T));
    }
    const snr = 20 + 2000 * rng.uniform();
    for (let i = 0; i < n; i++) {
      const m = s * planckRadiance(wl[i], T);
      const sd = Math.sqrt(m * peak) / snr + peak / (snr * 20);
      variance[i] = sd * sd;
      y[i] = m + sd * rng.normal();
      mask[i] = wl[i] < lo || wl[i] > hi || rng.uniform() < 0.02 ? 1 : 0;
    }
    const c: Case = { T, y };
    if (rng.uniform() < 0.5) {
      c.variance = variance;
    }
    if (rng.uniform() < 0.8) {
      c.mask = mask;
    }
    out.push(c);
  }
  return out;
}

const cases = randomCases(150, 20240601);

describe('native vs TypeScript parity on random spectra', () => {
  it('Planck: T within 1e-9 relative, σT within 1e-6', () => {
    let worstT = 0,
      worstS = 0;
    for (const c of cases) {
      const opts = { variance: c.variance, mask: c.mask };
      const a = native.fitPlanck(wl, c.y, opts);
      const b = jsEngine.fitPlanck(wl, c.y, opts);
      expect(a.engine).toBe('native');
      expect(b.engine).toBe('js');
      expect(a.converged).toBe(b.converged);
      expect(a.dof).toBe(b.dof);
      worstT = Math.max(worstT, rel(a.temperature, b.temperature));
      worstS = Math.max(worstS, rel(a.temperatureError, b.temperatureError));
      expect(rel(a.scale, b.scale)).toBeLessThan(1e-8);
      expect(rel(a.chi2, b.chi2)).toBeLessThan(1e-6);
      // and both near the truth (sanity: these are fits, not garbage that agrees)
      expect(Math.abs(b.temperature - c.T)).toBeLessThan(8 * b.temperatureError + 1e-6 * c.T);
    }
    expect(worstT).toBeLessThan(1e-9);
    expect(worstS).toBeLessThan(1e-6);
  });

  it('Wien, two-colour and sliding two-colour agree', () => {
    for (const c of cases.slice(0, 60)) {
      const opts = { variance: c.variance, mask: c.mask };
      const a = native.fitWien(wl, c.y, opts),
        b = jsEngine.fitWien(wl, c.y, opts);
      expect(rel(a.temperature, b.temperature)).toBeLessThan(1e-9);
      expect(rel(a.temperatureError, b.temperatureError)).toBeLessThan(1e-6);
      expect(a.dof).toBe(b.dof);
      const i = 500,
        j = 800;
      if (c.y[i] > 0 && c.y[j] > 0) {
        expect(rel(native.twoColor(wl, c.y, i, j), jsEngine.twoColor(wl, c.y, i, j))).toBeLessThan(1e-9);
      }
      let sa, sb;
      try {
        sb = jsEngine.slidingTwoColor(wl, c.y, 120, { mask: c.mask, bins: 30 });
      } catch {
        sb = null;
      }
      try {
        sa = native.slidingTwoColor(wl, c.y, 120, { mask: c.mask, bins: 30 });
      } catch {
        sa = null;
      }
      expect(sa === null).toBe(sb === null);
      if (sa && sb) {
        expect(sa.count).toBe(sb.count);
        expect(rel(sa.mean, sb.mean)).toBeLessThan(1e-9);
        expect(Math.abs(sa.std - sb.std)).toBeLessThan(1e-6 * Math.abs(sb.std) + 1e-9);
        expect(Array.from(sa.histogram.counts)).toEqual(Array.from(sb.histogram.counts));
      }
    }
  });
});

describe.each([
  ['js', jsEngine],
  ['native', native],
] as [string, PhysicsEngine][])('%s batch', (_name, eng) => {
  const nF = 40;
  const frames = new Float64Array(nF * n);
  const variance = new Float64Array(nF * n);
  const rng = new Rng(99);
  const truth: number[] = [];
  for (let f = 0; f < nF; f++) {
    const T = 1200 + 3000 * rng.uniform();
    truth.push(T);
    for (let i = 0; i < n; i++) {
      const m = 1e-8 * planckRadiance(wl[i], T);
      const sd = 0.01 * m + 1e-4 * 1e-8 * planckRadiance(700, T);
      variance[f * n + i] = sd * sd;
      frames[f * n + i] = m + sd * rng.normal();
    }
  }
  const mask = Uint8Array.from(wl, (l) => (l < 570 || l > 830 ? 1 : 0));

  it('async and sync batches equal the single fits (shared and per-frame masks, threads 1 and 2)', async () => {
    const perFrame = new Uint8Array(nF * n);
    for (let f = 0; f < nF; f++) {
      for (let i = 0; i < n; i++) {
        perFrame[f * n + i] = mask[i] | (i % (f + 7) === 0 ? 1 : 0);
      }
    }
    for (const m of [mask, perFrame]) {
      const sync = eng.fitPlanckBatchSync(wl, frames, nF, { variance, mask: m });
      const a1 = await eng.fitPlanckBatch(wl, frames, nF, { variance, mask: m, threads: 1 });
      const a2 = await eng.fitPlanckBatch(wl, frames, nF, { variance, mask: m, threads: 2 });
      expect(sync.engine).toBe(eng.name);
      expect(a1.engine).toBe(eng.name);
      expect(a1.temperature).toBeInstanceOf(Float64Array);
      expect(a1.status).toBeInstanceOf(Uint8Array);
      expect(a1.dof).toBeInstanceOf(Int32Array);
      for (let f = 0; f < nF; f++) {
        const single = eng.fitPlanck(wl, frames.subarray(f * n, (f + 1) * n), {
          variance: variance.subarray(f * n, (f + 1) * n),
          mask: m.length === n ? m : m.subarray(f * n, (f + 1) * n),
        });
        for (const b of [sync, a1, a2]) {
          expect(b.status[f]).toBe(FitStatus.Ok);
          expect(b.temperature[f]).toBe(single.temperature);
          expect(b.temperatureError[f]).toBe(single.temperatureError);
          expect(b.scale[f]).toBe(single.scale);
          expect(b.chi2[f]).toBe(single.chi2);
          expect(b.dof[f]).toBe(single.dof);
          expect(b.iterations[f]).toBe(single.iterations);
        }
        expect(Math.abs(single.temperature - truth[f])).toBeLessThan(6 * single.temperatureError);
      }
    }
  });

  it('a bad frame is flagged, the others are untouched', async () => {
    const fr = frames.slice();
    const va = variance.slice();
    fr[3 * n + 700] = NaN; // corrupt pixel inside the fitted range
    fr[5 * n + 10] = NaN; // corrupt pixel outside it (masked): harmless
    va[7 * n + 650] = 0; // impossible variance
    for (let i = 0; i < n; i++) {
      fr[9 * n + i] = -1;
    } // no signal
    const good = eng.fitPlanckBatchSync(wl, frames, nF, { variance, mask });
    for (const b of [
      eng.fitPlanckBatchSync(wl, fr, nF, { variance: va, mask }),
      await eng.fitPlanckBatch(wl, fr, nF, { variance: va, mask }),
    ]) {
      expect(b.status[3]).toBe(FitStatus.InvalidData);
      expect(Number.isNaN(b.temperature[3])).toBe(true);
      expect(b.status[7]).toBe(FitStatus.InvalidData);
      expect(b.status[9]).toBe(FitStatus.TooFewPixels);
      expect(b.status[5]).toBe(FitStatus.Ok);
      for (let f = 0; f < nF; f++) {
        if (f === 3 || f === 7 || f === 9) {
          continue;
        }
        expect(b.temperature[f]).toBe(good.temperature[f]);
        expect(b.temperatureError[f]).toBe(good.temperatureError[f]);
      }
    }
  });

  it('an empty batch is fine', async () => {
    const r = await eng.fitPlanckBatch(wl, new Float64Array(0), 0);
    expect(r.temperature.length).toBe(0);
  });
});

it('native and TypeScript batches agree frame by frame', async () => {
  const c = cases.filter((x) => x.variance === undefined).slice(0, 30);
  const frames = new Float64Array(c.length * n);
  c.forEach((x, f) => frames.set(x.y, f * n));
  const mask = Uint8Array.from(wl, (l) => (l < 570 || l > 830 ? 1 : 0));
  const a = await native.fitPlanckBatch(wl, frames, c.length, { mask });
  const b = await jsEngine.fitPlanckBatch(wl, frames, c.length, { mask });
  for (let f = 0; f < c.length; f++) {
    expect(a.status[f]).toBe(b.status[f]);
    expect(rel(a.temperature[f], b.temperature[f])).toBeLessThan(1e-9);
    expect(rel(a.temperatureError[f], b.temperatureError[f])).toBeLessThan(1e-6);
  }
});

it('the native batch runs off the event loop (timers fire while it works)', async () => {
  const nF = 3000;
  const frames = new Float64Array(nF * n);
  const one = cases[0].y;
  for (let f = 0; f < nF; f++) {
    frames.set(one, f * n);
  }
  let ticks = 0;
  let running = true;
  const tick = (): void => {
    ticks++;
    if (running) {
      setImmediate(tick);
    }
  };
  setImmediate(tick);
  const r = await native.fitPlanckBatch(wl, frames, nF, { mask: cases[0].mask, threads: 1 });
  running = false;
  expect(r.status.every((s) => s === FitStatus.Ok)).toBe(true);
  expect(ticks).toBeGreaterThan(2);
});
