/**
 * Realistic CCD spectra of a greybody seen through a smooth system response, with Poisson (shot) noise,
 * read noise and bias, optional cosmic spikes and clipping at full scale. Pure: arrays and an Rng in, arrays out.
 *
 * Count model (domain.md §4): expected electrons e(λ) = brightness · exposure · R(λ) · ε(λ) · L(λ,T) / Lref,
 * counts C = bias + Poisson(e)/gain + N(0, readNoise), so var(C) ≈ (C − bias)/gain + readNoise².
 * Lref = L(700 nm, 3000 K): with R = 1 at its peak, `brightness` is the number of electrons per second at
 * 700 nm for a 3000 K blackbody.
 */
import { planckRadiance } from '../physics/planck';
import { Rng } from './rng';

/** @deprecated Planck's law lives in src/physics/planck.ts; import it from there. */
export { planckRadiance };

/** A typical spectrometer grid: n pixels, slightly non-linear dispersion, from start to end nm. */
export function defaultWavelengths(n = 1340, startNm = 450, endNm = 950): Float64Array {
  const wl = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = i / (n - 1);
    // 2 % quadratic term, as a real grating's calibration polynomial has
    wl[i] = startNm + (endNm - startNm) * (0.98 * u + 0.02 * u * u);
  }
  return wl;
}

/** A smooth system response (optics × grating × CCD QE), peak 1, small at the band edges. */
export function defaultResponse(wavelengthNm: Float64Array): Float64Array {
  const r = new Float64Array(wavelengthNm.length);
  for (let i = 0; i < r.length; i++) {
    const x = (wavelengthNm[i] - 690) / 160;
    r[i] = Math.exp(-0.5 * x * x) * (1 + 0.08 * Math.sin(wavelengthNm[i] / 37));
  }
  let max = 0;
  for (const v of r) {
    max = Math.max(max, v);
  }
  for (let i = 0; i < r.length; i++) {
    r[i] /= max;
  }
  return r;
}

export interface DetectorModel {
  /** Electrons per count (default 2). */
  gain?: number;
  /** Read noise in counts (default 4). */
  readNoise?: number;
  /** Bias level in counts (default 600). */
  bias?: number;
  /** Full scale in counts (default 65535, uint16). Counts are clipped there. */
  fullScale?: number;
}

export interface SpectrumSpec extends DetectorModel {
  wavelength: Float64Array;
  temperature: number;
  /** Emissivity (constant, default 0.5) or a per-pixel array. */
  emissivity?: number | Float64Array;
  /** System response per pixel (default defaultResponse). */
  response?: Float64Array;
  /** Exposure in s (default 0.01). */
  exposure?: number;
  /** Electrons/s at 700 nm for a 3000 K blackbody at R = 1 (default 8e6: with ε 0.5, 10 ms and gain 2, about
   *  20,000 counts above bias at the peak for 3000 K). */
  brightness?: number;
  /** Cosmic-ray spikes to add: count (default 0), each 1–3 pixels, thousands of counts. */
  cosmics?: number;
  /** Round counts to integers, as a CCD does (default true). */
  integer?: boolean;
}

export const DEFAULT_DETECTOR: Required<DetectorModel> = { gain: 2, readNoise: 4, bias: 600, fullScale: 65535 };
export const L_REF = planckRadiance(700, 3000);

export interface SimulatedSpectrum {
  counts: Float64Array;
  /** Expected counts above bias without noise. */
  expected: Float64Array;
  /** Pixels hit by cosmic rays (1 = hit). */
  cosmicMask: Uint8Array;
  saturated: boolean;
}

/** Expected counts above bias (no noise). */
export function expectedCounts(spec: SpectrumSpec): Float64Array {
  const { wavelength } = spec;
  const n = wavelength.length;
  const resp = spec.response ?? defaultResponse(wavelength);
  const gain = spec.gain ?? DEFAULT_DETECTOR.gain;
  const exposure = spec.exposure ?? 0.01;
  const brightness = spec.brightness ?? 8e6;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const eps =
      typeof spec.emissivity === 'number' || spec.emissivity === undefined
        ? (spec.emissivity ?? 0.5)
        : spec.emissivity[i];
    const electrons = (brightness * exposure * resp[i] * eps * planckRadiance(wavelength[i], spec.temperature)) / L_REF;
    out[i] = electrons / gain;
  }
  return out;
}

export function simulateSpectrum(spec: SpectrumSpec, rng: Rng): SimulatedSpectrum {
  const n = spec.wavelength.length;
  const gain = spec.gain ?? DEFAULT_DETECTOR.gain;
  const readNoise = spec.readNoise ?? DEFAULT_DETECTOR.readNoise;
  const bias = spec.bias ?? DEFAULT_DETECTOR.bias;
  const fullScale = spec.fullScale ?? DEFAULT_DETECTOR.fullScale;
  const integer = spec.integer ?? true;
  const expected = expectedCounts(spec);
  const counts = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let c = bias + rng.poisson(expected[i] * gain) / gain + readNoise * rng.normal();
    if (integer) {
      c = Math.round(c);
    }
    counts[i] = c;
  }
  const cosmicMask = new Uint8Array(n);
  for (let k = 0; k < (spec.cosmics ?? 0); k++) {
    const at = rng.int(2, n - 5);
    const width = rng.int(1, 3);
    const height = 3000 + 20000 * rng.uniform();
    for (let j = 0; j < width; j++) {
      counts[at + j] += Math.round(height * (j === 0 ? 1 : 0.4));
      cosmicMask[at + j] = 1;
    }
  }
  let saturated = false;
  for (let i = 0; i < n; i++) {
    if (counts[i] >= fullScale) {
      counts[i] = fullScale;
      saturated = true;
    }
    if (counts[i] < 0) {
      counts[i] = 0;
    }
  }
  return { counts, expected, cosmicMask, saturated };
}
