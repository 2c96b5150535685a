/**
 * Radiance of the calibration lamp on the pixel wavelengths (pure: arrays in, arrays out).
 * Either a greybody at a stated temperature (optionally with tungsten's spectral emissivity), or a
 * radiance table (nm, radiance) interpolated linearly onto the pixels; pixels outside the table are NaN
 * (no response there).
 */
import { planckRadiance } from '../physics/planck';
import { UsageError } from '../errors';

/**
 * Normal spectral emissivity of tungsten ε(λ, T), from Larrabee's empirical fit (J. Opt. Soc. Am. 49, 619,
 * 1959) to the measurements of de Vos (Physica 20, 690, 1954) and Larrabee:
 *   ε = 0.4655 + 0.01558·λ + 2.675e-5·T − 7.305e-5·λ·T   (λ in µm, T in K),
 * stated for 0.4–0.8 µm and 1600–2800 K (e.g. ε(650 nm, 2000 K) = 0.434, ε(650 nm, 2800 K) = 0.418).
 * Outside that domain λ is clamped to 400–900 nm (mild extrapolation to 900 nm) and T to 1200–3400 K.
 */
export function tungstenEmissivity(wavelengthNm: number, temperature: number): number {
  const l = Math.min(0.9, Math.max(0.4, wavelengthNm / 1000));
  const t = Math.min(3400, Math.max(1200, temperature));
  return 0.4655 + 0.01558 * l + 2.675e-5 * t - 7.305e-5 * l * t;
}

/** Greybody (or tungsten) lamp radiance on the pixel wavelengths (arbitrary overall scale). */
export function greybodyLampRadiance(wavelengthNm: Float64Array, temperature: number, tungsten = false): Float64Array {
  if (!(temperature > 0) || !Number.isFinite(temperature)) {
    throw new UsageError(`--lamp-temperature must be a positive number of kelvin (got ${temperature})`);
  }
  const out = new Float64Array(wavelengthNm.length);
  for (let i = 0; i < out.length; i++) {
    const l = planckRadiance(wavelengthNm[i], temperature);
    out[i] = tungsten ? l * tungstenEmissivity(wavelengthNm[i], temperature) : l;
  }
  return out;
}

export interface RadianceTable {
  wavelength: Float64Array;
  radiance: Float64Array;
}

/**
 * Linear interpolation of a radiance table onto the pixel wavelengths. The table is sorted by wavelength
 * here; pixels outside [first, last] of the table get NaN. Throws UsageError naming `file` when the table
 * has fewer than 2 rows, or non-positive / non-finite radiance.
 */
export function tableLampRadiance(wavelengthNm: Float64Array, table: RadianceTable, file: string): Float64Array {
  const n = table.wavelength.length;
  if (n < 2 || table.radiance.length !== n) {
    throw new UsageError(`${file}: a lamp radiance table needs at least 2 rows of (nm, radiance)`);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => table.wavelength[a] - table.wavelength[b]);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    x[k] = table.wavelength[order[k]];
    y[k] = table.radiance[order[k]];
    if (!Number.isFinite(x[k]) || !Number.isFinite(y[k]) || !(y[k] > 0)) {
      throw new UsageError(`${file}: lamp radiance must be positive and finite (row at ${x[k]} nm has ${y[k]})`);
    }
    if (k > 0 && x[k] === x[k - 1]) {
      throw new UsageError(`${file}: wavelength ${x[k]} nm appears twice in the lamp table`);
    }
  }
  const out = new Float64Array(wavelengthNm.length);
  let j = 0;
  for (let i = 0; i < out.length; i++) {
    const w = wavelengthNm[i];
    if (!(w >= x[0] && w <= x[n - 1])) {
      out[i] = NaN;
      continue;
    }
    // wavelengths are usually increasing: walk j, but restart if they are not
    if (w < x[j]) {
      j = 0;
    }
    while (j < n - 2 && x[j + 1] < w) {
      j++;
    }
    const t = (w - x[j]) / (x[j + 1] - x[j]);
    out[i] = y[j] + t * (y[j + 1] - y[j]);
  }
  return out;
}
