/**
 * The fitting core's public face: pick an engine with getEngine() (native by default, TypeScript fallback),
 * or use jsEngine directly. Helpers for display: planckCurve, planckRadiance.
 *
 *   import { getEngine } from '../physics';
 *   const physics = getEngine();
 *   const r = physics.fitPlanck(wavelengthNm, radiance, { variance, mask });   // r.temperature, r.engine
 */
import { FitArgumentError } from '../errors';
import { getEngine } from './engine';
import { C1, C2 } from './types';
import type { PhysicsEngine } from './types';

export * from './types';
export { jsEngine } from './js-engine';
export {
  getEngine, nativeAvailable, nativeLoadReport, loadNative, formatLoadReport, addonCandidates, wrapNative,
  createEngineSelector, PACKAGE_ROOT,
} from './engine';
export type { NativeAddon, NativeLoad, EngineSelector } from './engine';

/**
 * The chosen engine as an object (the contract in types.ts): every call goes to getEngine(), so the choice
 * (PYROLIVE_ENGINE, addon present or not) is made on first use, not at import.
 */
export const physics: PhysicsEngine = {
  get name() { return getEngine().name; },
  fitPlanck: (wl, y, opts) => getEngine().fitPlanck(wl, y, opts),
  fitWien: (wl, y, opts) => getEngine().fitWien(wl, y, opts),
  twoColor: (wl, y, i, j) => getEngine().twoColor(wl, y, i, j),
  slidingTwoColor: (wl, y, sep, opts) => getEngine().slidingTwoColor(wl, y, sep, opts),
  fitPlanckBatch: (wl, frames, nFrames, opts) => getEngine().fitPlanckBatch(wl, frames, nFrames, opts),
  fitPlanckBatchSync: (wl, frames, nFrames, opts) => getEngine().fitPlanckBatchSync(wl, frames, nFrames, opts),
  slidingTwoColorBatch: (wl, frames, nFrames, sep, opts) => getEngine().slidingTwoColorBatch(wl, frames, nFrames, sep, opts),
  slidingTwoColorBatchSync: (wl, frames, nFrames, sep, opts) => getEngine().slidingTwoColorBatchSync(wl, frames, nFrames, sep, opts),
};

/** FitStatus values as plain numbers (types.ts declares a const enum, erased at run time). */
export const FIT_STATUS = { Ok: 0, InvalidData: 1, NotConverged: 2, TooFewPixels: 3 } as const;

/** Greybody model s·L(λ,T) on a wavelength grid (nm): the fitted curve, for display. */
export function planckCurve(wavelengthNm: Float64Array, temperature: number, scale: number): Float64Array {
  if (!(wavelengthNm instanceof Float64Array)) throw new FitArgumentError('wavelengths must be a Float64Array');
  if (!Number.isFinite(temperature) || !(temperature > 0)) throw new FitArgumentError('temperature must be finite and > 0');
  if (!Number.isFinite(scale)) throw new FitArgumentError('scale must be finite');
  const out = new Float64Array(wavelengthNm.length);
  for (let i = 0; i < out.length; i++) {
    const lm = wavelengthNm[i] * 1e-9;
    out[i] = scale * C1 / (lm * lm * lm * lm * lm) / Math.expm1(C2 / (lm * temperature));
  }
  return out;
}
