// Accuracy on simulated CCD spectra (src/sim): the noise-weighted fit is at least as accurate as an unweighted
// least-squares fit of the same spectra, and its σT is honest (pull std ≈ 1). Runs on the engine the facade picks.
import { describe, expect, it } from 'vitest';
import { getEngine } from '../../src/physics';
import { FitStatus } from '../../src/physics/types';
import {
  DEFAULT_DETECTOR,
  defaultResponse,
  defaultWavelengths,
  expectedCounts,
  simulateSpectrum,
} from '../../src/sim/spectrum';
import { Rng } from '../../src/sim/rng';

const N = 600;
const wl = defaultWavelengths(); // 1340 px, 450–950 nm
const n = wl.length;
const response = defaultResponse(wl);
const mask = Uint8Array.from(wl, (l) => (l < 570 || l > 830 ? 1 : 0)); // fitted over 570–830 nm
const { gain, readNoise, bias, fullScale } = DEFAULT_DETECTOR;
const BRIGHTNESS = 4e8;

/**
 * N spectra, T uniform in 1000–5000 K. The exposure is set as an operator does (auto-exposure): the expected
 * peak of the frame is drawn uniformly in 2,000–45,000 counts, so hot spectra are bright but never saturated
 * (full scale 65,535) and 1000 K ones are still fittable. Radiance = (counts − bias)/response,
 * variance = (max(counts − bias, 0)/gain + readNoise²)/response².
 */
function simulate(seed: number) {
  const rng = new Rng(seed);
  const truth = new Float64Array(N);
  const frames = new Float64Array(N * n);
  const variance = new Float64Array(N * n);
  let saturated = 0,
    minPeak = Infinity,
    maxPeak = 0;
  for (let f = 0; f < N; f++) {
    const T = 1000 + 4000 * rng.uniform();
    truth[f] = T;
    const perSecond = expectedCounts({ wavelength: wl, temperature: T, response, exposure: 1, brightness: BRIGHTNESS });
    let peak = 0;
    for (const c of perSecond) {
      peak = Math.max(peak, c);
    }
    const exposure = (2000 + 43000 * rng.uniform()) / peak;
    const s = simulateSpectrum({ wavelength: wl, temperature: T, response, exposure, brightness: BRIGHTNESS }, rng);
    if (s.saturated) {
      saturated++;
    }
    let p = 0;
    for (let i = 0; i < n; i++) {
      const c = s.counts[i];
      p = Math.max(p, c);
      frames[f * n + i] = (c - bias) / response[i];
      variance[f * n + i] = (Math.max(c - bias, 0) / gain + readNoise * readNoise) / (response[i] * response[i]);
    }
    minPeak = Math.min(minPeak, p);
    maxPeak = Math.max(maxPeak, p);
  }
  return { truth, frames, variance, saturated, minPeak, maxPeak };
}

const median = (a: number[]): number => {
  const s = [...a].sort((x, y) => x - y);
  return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2;
};
const meanStd = (a: number[]): [number, number] => {
  const m = a.reduce((x, y) => x + y, 0) / a.length;
  return [m, Math.sqrt(a.reduce((x, y) => x + (y - m) ** 2, 0) / (a.length - 1))];
};

describe(`accuracy on ${N} simulated spectra (engine: ${getEngine().name})`, () => {
  const sim = simulate(31337);
  const eng = getEngine();

  it('the simulated spectra are realistic: never saturated, bright at best', () => {
    expect(sim.saturated).toBe(0);
    expect(sim.maxPeak).toBeLessThan(fullScale);
    expect(sim.maxPeak).toBeGreaterThan(40000);
    expect(sim.minPeak).toBeGreaterThan(bias + 1000);
  });

  it('weighted fit: median |ΔT/T| ≤ unweighted, pull std in [0.8, 1.2]; unweighted σT sane', () => {
    const w = eng.fitPlanckBatchSync(wl, sim.frames, N, { variance: sim.variance, mask });
    const u = eng.fitPlanckBatchSync(wl, sim.frames, N, { mask });
    const errW: number[] = [],
      errU: number[] = [],
      pullW: number[] = [],
      pullU: number[] = [],
      redChi2: number[] = [];
    for (let f = 0; f < N; f++) {
      expect(w.status[f]).toBe(FitStatus.Ok);
      expect(u.status[f]).toBe(FitStatus.Ok);
      const T = sim.truth[f];
      errW.push(Math.abs(w.temperature[f] / T - 1));
      errU.push(Math.abs(u.temperature[f] / T - 1));
      pullW.push((w.temperature[f] - T) / w.temperatureError[f]);
      pullU.push((u.temperature[f] - T) / u.temperatureError[f]);
      redChi2.push(w.chi2[f] / w.dof[f]);
    }
    const [pm, ps] = meanStd(pullW);
    const [um, us] = meanStd(pullU);
    const medW = median(errW),
      medU = median(errU);
    console.log(
      `engine ${eng.name}: median |ΔT/T| weighted ${medW.toExponential(3)}, unweighted ${medU.toExponential(3)}; ` +
        `pull weighted ${pm.toFixed(3)} ± ${ps.toFixed(3)}, unweighted ${um.toFixed(3)} ± ${us.toFixed(3)}; ` +
        `median χ²/dof ${median(redChi2).toFixed(3)}`,
    );
    expect(medW).toBeLessThanOrEqual(medU);
    expect(medW).toBeLessThan(5e-3); // and small in absolute terms
    expect(ps).toBeGreaterThanOrEqual(0.8);
    expect(ps).toBeLessThanOrEqual(1.2);
    expect(Math.abs(pm)).toBeLessThan(0.2);
    // the noise model is right, so χ²/dof ≈ 1 for the weighted fit
    expect(median(redChi2)).toBeGreaterThan(0.9);
    expect(median(redChi2)).toBeLessThan(1.1);
    // unweighted: σT scaled by χ²/dof is the right order of magnitude (no absolute errors without a noise model)
    expect(us).toBeGreaterThan(0.5);
    expect(us).toBeLessThan(2);
  });
});
