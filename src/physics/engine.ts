/**
 * Engine selection (sharp-like loader). The native engine is a thin wrapper around the addon
 * (build/Release/pyrolive.node, else build/Debug/pyrolive.node) that re-throws the addon's argument errors
 * (TypeError/RangeError) as FitArgumentError (its internal errors stay bugs)
 * and stamps `engine: 'native'`. Default: native if it loads, else the TypeScript engine with ONE warning on
 * stderr naming what was tried. PYROLIVE_ENGINE=js forces TypeScript, PYROLIVE_ENGINE=native forces native.
 */
import * as path from 'path';
import { FitArgumentError, UsageError } from '../errors';
import { jsEngine } from './jsEngine';
import { stridedFrames, type StridedFrames } from './stridedFrames';
import type {
  AssembleCountsInput,
  AssembleCountsOutput,
  BatchOptions,
  BatchResult,
  CountsBatchOptions,
  CountsBatchOutput,
  CountsBatchResult,
  CountsFrame,
  CountsPlan,
  CountsStageOutput,
  EngineName,
  FitOptions,
  PhysicsEngine,
  PlanckResult,
  SlidingTwoColorBatchOptions,
  SlidingTwoColorOptions,
  SlidingTwoColorResult,
  TwoColorBatchResult,
  WienResult,
} from './types';

/** The frames of the addon's counts batches: one typed array per frame, or one strided block (stridedFrames.ts). */
type AddonFrames = ArrayLike<CountsFrame> | StridedFrames;

/** The raw addon's exports (results without `engine`). */
export interface NativeAddon {
  /** With `out` (Float64Array ≥ 7): fills [T, σT, scale, χ², dof, iterations, converged] and returns undefined. */
  fitPlanck(
    wl: Float64Array,
    y: Float64Array,
    opts?: FitOptions,
    out?: Float64Array,
  ): Omit<PlanckResult, 'engine'> | undefined;
  fitWien(wl: Float64Array, y: Float64Array, opts?: FitOptions): Omit<WienResult, 'engine'>;
  twoColor(wl: Float64Array, y: Float64Array, i: number, j: number): number;
  slidingTwoColor(
    wl: Float64Array,
    y: Float64Array,
    sep: number,
    opts?: SlidingTwoColorOptions,
  ): Omit<SlidingTwoColorResult, 'engine'>;
  fitPlanckBatch(
    wl: Float64Array,
    frames: Float64Array,
    nFrames: number,
    opts?: BatchOptions,
  ): Promise<Omit<BatchResult, 'engine'>>;
  fitPlanckBatchSync(
    wl: Float64Array,
    frames: Float64Array,
    nFrames: number,
    opts?: BatchOptions,
  ): Omit<BatchResult, 'engine'>;
  slidingTwoColorBatch(
    wl: Float64Array,
    frames: Float64Array,
    nFrames: number,
    sep: number,
    opts?: SlidingTwoColorBatchOptions,
  ): Promise<TwoColorBatchResult>;
  slidingTwoColorBatchSync(
    wl: Float64Array,
    frames: Float64Array,
    nFrames: number,
    sep: number,
    opts?: SlidingTwoColorBatchOptions,
  ): TwoColorBatchResult;
  /** Present in builds since analyzeCountsBatch (optional: an older build still loads). */
  analyzeCountsBatch?(
    wl: Float64Array,
    frames: AddonFrames,
    plan: CountsPlan,
    out: CountsBatchOutput,
    opts?: CountsBatchOptions,
  ): Promise<CountsBatchResult>;
  analyzeCountsBatchSync?(
    wl: Float64Array,
    frames: AddonFrames,
    plan: CountsPlan,
    out: CountsBatchOutput,
    opts?: CountsBatchOptions,
  ): CountsBatchResult;
  /** out[i] = log(x[i]) by native/vlog.h in the loop of `variant` (tests only; present in builds since vlog.h). */
  vectorLog?(x: Float64Array, out: Float64Array, variant?: 'best' | 'avx512' | 'avx2' | 'generic'): void;
  /** out[i] = exp(x[i]) as the Planck pass computes it (native/vexp.h; tests only). */
  vectorExp?(x: Float64Array, out: Float64Array, variant?: 'best' | 'avx512' | 'avx2' | 'generic'): void;
  /** Present in builds since countsStageBatchSync. */
  countsStageBatchSync?(wl: Float64Array, frames: AddonFrames, plan: CountsPlan, out: CountsStageOutput): Uint8Array;
  /** Present in builds since native/json_binding.cc (returns a Node Buffer). */
  formatFramesJson?: PhysicsEngine['formatFramesJson'];
  /** Present in builds since native/assemble.cc. */
  assembleCountsResults?(input: AssembleCountsInput, out: AssembleCountsOutput): void;
  /** Present in builds since native/gain.cc. */
  gainRatios?: PhysicsEngine['gainRatios'];
  /** Present in builds since native/calibration.cc (optional: the calibration has TypeScript twins). */
  addFrame?: PhysicsEngine['addFrame'];
  pixelVariances?: PhysicsEngine['pixelVariances'];
  hardwareConcurrency: number;
}

export interface NativeLoad {
  addon: NativeAddon | null;
  /** Every path tried, with the error of each failure. */
  tried: { path: string; error: string | null }[];
}

/** Package root: this file is src/physics/engine.ts (tests) or dist/physics/engine.js (built). */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');

/** Candidate addon paths under a package root. */
export function addonCandidates(root: string = PACKAGE_ROOT): string[] {
  return [path.join(root, 'build', 'Release', 'pyrolive.node'), path.join(root, 'build', 'Debug', 'pyrolive.node')];
}

const REQUIRED = [
  'fitPlanck',
  'fitWien',
  'twoColor',
  'slidingTwoColor',
  'fitPlanckBatch',
  'fitPlanckBatchSync',
  'slidingTwoColorBatch',
  'slidingTwoColorBatchSync',
  // not used without it, but a build without it predates analyzeCountsBatch keeping the prepared frames on its
  // workers, which the analyzer now relies on: such a build is stale, and reported so
  'gainRatios',
];

/** Tries to load the addon from `root` (default: this package). Never throws. */
export function loadNative(root: string = PACKAGE_ROOT): NativeLoad {
  const tried: NativeLoad['tried'] = [];
  for (const p of addonCandidates(root)) {
    try {
      const m = require(p) as Record<string, unknown>;
      const missing = REQUIRED.filter((k) => typeof m[k] !== 'function');
      if (missing.length > 0) {
        tried.push({
          path: p,
          error: `loaded but lacks ${missing.join(', ')} (stale build? run npm run build:native)`,
        });
        continue;
      }
      tried.push({ path: p, error: null });
      return { addon: m as unknown as NativeAddon, tried };
    } catch (e) {
      const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
      tried.push({ path: p, error: msg });
    }
  }
  return { addon: null, tried };
}

/** Human-readable report of a load attempt. */
export function formatLoadReport(load: NativeLoad): string {
  const parts = load.tried.map((t) => `${t.path} (${t.error === null ? 'loaded' : t.error})`);
  const head =
    load.addon !== null ? 'native addon loaded' : 'native addon not available (build it with `npm run build:native`)';
  return `${head}; tried: ${parts.join('; ')}`;
}

/**
 * Addon errors as JS sees them. The addon validates every argument at its boundary and throws TypeError or
 * RangeError for a bad one: that is the caller's input, so it becomes FitArgumentError, as the TypeScript engine
 * throws. Anything else ("internal error: …", "out of memory", a non-Error) is a bug, not bad input: it is thrown
 * on unchanged, keeping its stack, so the CLI reports it as a bug (stack under PYROLIVE_DEBUG).
 */
function rethrow(error: unknown): never {
  if (error instanceof TypeError || error instanceof RangeError) {
    throw new FitArgumentError(error.message);
  }
  throw error;
}

/** Wraps a loaded addon as a PhysicsEngine. */
export function wrapNative(addon: NativeAddon): PhysicsEngine {
  const out = new Float64Array(7);
  const counts: Pick<
    PhysicsEngine,
    | 'analyzeCountsBatch'
    | 'analyzeCountsBatchSync'
    | 'countsStageBatchSync'
    | 'formatFramesJson'
    | 'assembleCountsResults'
    | 'gainRatios'
    | 'addFrame'
    | 'pixelVariances'
  > = {};
  const acb = addon.analyzeCountsBatch;
  const acbs = addon.analyzeCountsBatchSync;
  if (typeof acb === 'function' && typeof acbs === 'function') {
    counts.analyzeCountsBatch = async (wl, frames, plan, o, opts) => {
      try {
        return { ...(await acb(wl, stridedFrames(frames) ?? frames, plan, o, opts)), engine: 'native' };
      } catch (e) {
        return rethrow(e);
      }
    };
    counts.analyzeCountsBatchSync = (wl, frames, plan, o, opts) => {
      try {
        return { ...acbs(wl, stridedFrames(frames) ?? frames, plan, o, opts), engine: 'native' };
      } catch (e) {
        return rethrow(e);
      }
    };
  }
  const csb = addon.countsStageBatchSync;
  if (typeof csb === 'function') {
    counts.countsStageBatchSync = (wl, frames, plan, o) => {
      try {
        return csb(wl, stridedFrames(frames) ?? frames, plan, o);
      } catch (e) {
        return rethrow(e);
      }
    };
  }
  const ffj = addon.formatFramesJson;
  if (typeof ffj === 'function') {
    counts.formatFramesJson = (input) => {
      try {
        return ffj(input);
      } catch (e) {
        return rethrow(e);
      }
    };
  }
  const gr = addon.gainRatios;
  if (typeof gr === 'function') {
    counts.gainRatios = (signal, nFrames, response, readVar, lampA, lampB, out) => {
      try {
        return gr(signal, nFrames, response, readVar, lampA, lampB, out);
      } catch (e) {
        return rethrow(e);
      }
    };
  }
  const af = addon.addFrame;
  if (typeof af === 'function') {
    counts.addFrame = (sum, frame, count) => {
      try {
        af(sum, frame, count);
      } catch (e) {
        rethrow(e);
      }
    };
  }
  const pv = addon.pixelVariances;
  if (typeof pv === 'function') {
    counts.pixelVariances = (frames, count, out) => {
      try {
        return pv(frames, count, out);
      } catch (e) {
        return rethrow(e);
      }
    };
  }
  const acr = addon.assembleCountsResults;
  if (typeof acr === 'function') {
    counts.assembleCountsResults = (input, output) => {
      try {
        acr(input, output);
      } catch (e) {
        rethrow(e);
      }
    };
  }
  return {
    ...counts,
    name: 'native',
    fitPlanck(wl, y, opts) {
      try {
        addon.fitPlanck(wl, y, opts, out);
      } catch (e) {
        return rethrow(e);
      }
      return {
        temperature: out[0],
        temperatureError: out[1],
        scale: out[2],
        chi2: out[3],
        dof: out[4],
        iterations: out[5],
        converged: out[6] === 1,
        engine: 'native',
      };
    },
    fitWien(wl, y, opts) {
      try {
        return { ...addon.fitWien(wl, y, opts), engine: 'native' };
      } catch (e) {
        return rethrow(e);
      }
    },
    twoColor(wl, y, i, j) {
      try {
        return addon.twoColor(wl, y, i, j);
      } catch (e) {
        return rethrow(e);
      }
    },
    slidingTwoColor(wl, y, sep, opts) {
      try {
        return { ...addon.slidingTwoColor(wl, y, sep, opts), engine: 'native' };
      } catch (e) {
        return rethrow(e);
      }
    },
    async fitPlanckBatch(wl, frames, nFrames, opts) {
      try {
        return { ...(await addon.fitPlanckBatch(wl, frames, nFrames, opts)), engine: 'native' };
      } catch (e) {
        return rethrow(e);
      }
    },
    fitPlanckBatchSync(wl, frames, nFrames, opts) {
      try {
        return { ...addon.fitPlanckBatchSync(wl, frames, nFrames, opts), engine: 'native' };
      } catch (e) {
        return rethrow(e);
      }
    },
    async slidingTwoColorBatch(wl, frames, nFrames, sep, opts) {
      try {
        return { ...(await addon.slidingTwoColorBatch(wl, frames, nFrames, sep, opts)), engine: 'native' };
      } catch (e) {
        return rethrow(e);
      }
    },
    slidingTwoColorBatchSync(wl, frames, nFrames, sep, opts) {
      try {
        return { ...addon.slidingTwoColorBatchSync(wl, frames, nFrames, sep, opts), engine: 'native' };
      } catch (e) {
        return rethrow(e);
      }
    },
  };
}

export interface EngineSelector {
  getEngine(name?: EngineName): PhysicsEngine;
  nativeAvailable(): boolean;
  nativeLoadReport(): string;
}

/**
 * An engine selector over the addon under `root` (default: this package). `warn` receives the one-time
 * fallback warning (default: stderr). The module-level getEngine/nativeAvailable/nativeLoadReport use the default.
 */
export function createEngineSelector(
  root: string = PACKAGE_ROOT,
  warn: (message: string) => void = (m) => {
    process.stderr.write(m);
  },
): EngineSelector {
  let load: NativeLoad | undefined;
  let nativeEngine: PhysicsEngine | null | undefined;
  let warned = false;
  const native = (): PhysicsEngine | null => {
    if (nativeEngine === undefined) {
      load = loadNative(root);
      nativeEngine = load.addon !== null ? wrapNative(load.addon) : null;
    }
    return nativeEngine;
  };
  const report = (): string => {
    native();
    return formatLoadReport(load as NativeLoad);
  };
  return {
    nativeAvailable: () => native() !== null,
    nativeLoadReport: report,
    getEngine(name?: EngineName): PhysicsEngine {
      let wanted: string | undefined = name;
      if (wanted === undefined) {
        const env = process.env.PYROLIVE_ENGINE;
        if (env !== undefined && env.trim() !== '') {
          wanted = env.trim().toLowerCase();
          if (wanted !== 'js' && wanted !== 'native') {
            throw new UsageError(`PYROLIVE_ENGINE must be 'js' or 'native' (got '${env}')`, 'E_ENGINE_ENV');
          }
        }
      }
      if (wanted === 'js') {
        return jsEngine;
      }
      if (wanted !== undefined && wanted !== 'native') {
        throw new UsageError(`unknown engine '${String(wanted)}' (use 'js' or 'native')`, 'E_ENGINE_UNKNOWN');
      }
      const n = native();
      if (wanted === 'native') {
        if (n === null) {
          throw new UsageError(
            `the native engine was asked for but cannot be loaded. ${report()}`,
            'E_ENGINE_UNAVAILABLE',
          );
        }
        return n;
      }
      if (n !== null) {
        return n;
      }
      if (!warned) {
        warned = true;
        warn(`pyrolive: warning: using the TypeScript fitting engine (slower). ${report()}\n`);
      }
      return jsEngine;
    },
  };
}

const defaultSelector = createEngineSelector();

/**
 * The physics engine. name: 'native' (throws UsageError if the addon is unavailable) or 'js'; absent: the
 * PYROLIVE_ENGINE environment variable ('js' | 'native'), else native when it loads, else js (warning once).
 */
export function getEngine(name?: EngineName): PhysicsEngine {
  return defaultSelector.getEngine(name);
}

/** True when the addon of this package loads. */
export function nativeAvailable(): boolean {
  return defaultSelector.nativeAvailable();
}

/** Paths tried to load the addon and their errors (loads it first if needed). */
export function nativeLoadReport(): string {
  return defaultSelector.nativeLoadReport();
}
