/**
 * The fitting core's public face: pick an engine with getEngine() (native by default, TypeScript fallback),
 * or use jsEngine directly. Planck's law and the fitted curve for display: planckRadiance, planckCurve (./planck).
 *
 *   import { getEngine } from '../physics';
 *   const physics = getEngine();
 *   const r = physics.fitPlanck(wavelengthNm, radiance, { variance, mask });   // r.temperature, r.engine
 */
import { getEngine } from './engine';
import { FitStatus, type PhysicsEngine } from './types';

export * from './types';
export { jsEngine } from './jsEngine';
export { planckCurve, planckRadiance } from './planck';
// the loader's test seams (wrapNative, createEngineSelector, addonCandidates …) stay in ./engine, not public
export { getEngine, nativeAvailable, nativeLoadReport, loadNative } from './engine';
export type { NativeLoad } from './engine';

/**
 * The chosen engine as an object (the contract in types.ts): every call goes to getEngine(), so the choice
 * (PYROLIVE_ENGINE, addon present or not) is made on first use, not at import.
 */
export const physics: PhysicsEngine = {
  get name() {
    return getEngine().name;
  },
  fitPlanck: (wl, y, opts) => getEngine().fitPlanck(wl, y, opts),
  fitWien: (wl, y, opts) => getEngine().fitWien(wl, y, opts),
  twoColor: (wl, y, i, j) => getEngine().twoColor(wl, y, i, j),
  slidingTwoColor: (wl, y, sep, opts) => getEngine().slidingTwoColor(wl, y, sep, opts),
  fitPlanckBatch: (wl, frames, nFrames, opts) => getEngine().fitPlanckBatch(wl, frames, nFrames, opts),
  fitPlanckBatchSync: (wl, frames, nFrames, opts) => getEngine().fitPlanckBatchSync(wl, frames, nFrames, opts),
  slidingTwoColorBatch: (wl, frames, nFrames, sep, opts) =>
    getEngine().slidingTwoColorBatch(wl, frames, nFrames, sep, opts),
  slidingTwoColorBatchSync: (wl, frames, nFrames, sep, opts) =>
    getEngine().slidingTwoColorBatchSync(wl, frames, nFrames, sep, opts),
};

/** @deprecated The same object as FitStatus (types.ts), under its old name. */
export const FIT_STATUS = FitStatus;
