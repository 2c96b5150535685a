/**
 * Planck's law, once: the radiation constants and the spectral radiance L(λ,T) of a blackbody, with λ in nm.
 * A leaf: the simulator, the lamp calibration, the analyzer's fitted curves and `planckCurve` all build on it.
 * The fitting kernels (core.ts, native/fit.cc) precompute c1/λ⁵ and c2/λ per pixel instead (same law, their
 * own summation order, kept in step with each other).
 */
import { FitArgumentError } from '../errors';

/** First radiation constant for spectral radiance, c1 = 2hc² (W m² sr⁻¹). */
export const C1 = 1.191042972e-16;
/** Second radiation constant, c2 = hc/k (m K). */
export const C2 = 1.438776877e-2;

/** Planck radiance L(λ,T) with λ in nm, T in K (W m⁻² sr⁻¹ per m of wavelength); expm1 keeps Wien's tail exact. */
export function planckRadiance(wavelengthNm: number, temperature: number): number {
  const lm = wavelengthNm * 1e-9;
  return C1 / lm ** 5 / Math.expm1(C2 / (lm * temperature));
}

/** Greybody model s·L(λ,T) on a wavelength grid (nm): the fitted curve, for display. */
export function planckCurve(wavelengthNm: Float64Array, temperature: number, scale: number): Float64Array {
  if (!(wavelengthNm instanceof Float64Array)) {
    throw new FitArgumentError('wavelengths must be a Float64Array');
  }
  if (!Number.isFinite(temperature) || !(temperature > 0)) {
    throw new FitArgumentError('temperature must be finite and > 0');
  }
  if (!Number.isFinite(scale)) {
    throw new FitArgumentError('scale must be finite');
  }
  const curve = new Float64Array(wavelengthNm.length);
  for (let i = 0; i < curve.length; i++) {
    curve[i] = scale * planckRadiance(wavelengthNm[i], temperature);
  }
  return curve;
}
