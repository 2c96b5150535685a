/** Shared by the physics tests: the engines to run, wavelength grids and exact greybody / Wien spectra. */
import { getEngine, jsEngine, PhysicsEngine } from '../../src/physics';
import { planckRadiance } from '../../src/physics/planck';
import { C1, C2 } from '../../src/physics/types';

/** Both engines. The native one must load (npm install builds it): a missing addon fails these tests. */
export function engines(): PhysicsEngine[] {
  return [jsEngine, getEngine('native')];
}

/** Uniform grid of n pixels from a to b nm. */
export function grid(n: number, a: number, b: number): Float64Array {
  const wl = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    wl[i] = a + ((b - a) * i) / (n - 1);
  }
  return wl;
}

/** Exact greybody s·L(λ,T), from planckRadiance (physics/planck.ts: expm1-based, independent of the fit kernels). */
export function exactPlanck(wl: Float64Array, T: number, s: number): Float64Array {
  return wl.map((l) => s * planckRadiance(l, T));
}

/** Exact Wien-law radiance s·c1/λ⁵·exp(−c2/(λT)). */
export function exactWien(wl: Float64Array, T: number, s: number): Float64Array {
  return wl.map((l) => {
    const m = l * 1e-9;
    return ((s * C1) / m ** 5) * Math.exp(-C2 / (m * T));
  });
}

export function maskOutside(wl: Float64Array, lo: number, hi: number): Uint8Array {
  return Uint8Array.from(wl, (l) => (l < lo || l > hi ? 1 : 0));
}

export const rel = (a: number, b: number): number => Math.abs(a / b - 1);
