/**
 * The TypeScript engine: argument validation (same messages as the native addon) around ./core.ts.
 */
import { FitArgumentError } from '../errors';
import { buildGrid, fitFrame, fitWienCompact, Grid, Scratch, slidingTwoColorFrame, usedPixels, Used } from './core';
import { FitStatus, FRAME_FLAG_ORDER } from './types';
import type {
  BatchOptions,
  BatchResult,
  FitOptions,
  PhysicsEngine,
  PlanckResult,
  SlidingTwoColorBatchOptions,
  SlidingTwoColorOptions,
  SlidingTwoColorResult,
  TwoColorBatchResult,
  WienResult,
  CountsBatchOptions,
  CountsBatchOutput,
  CountsBatchResult,
  CountsStageOutput,
  FramesJsonInput,
} from './types';
import { countsStage, prepareCountsBatch, type CountsFrame, type CountsPlan } from '../quality/prepare';
import { gainRatios } from '../quality/noise';
import { reducedChi2 } from '../quality/flags';

export const DEFAULT_MAX_ITERATIONS = 50;
export const DEFAULT_TOLERANCE = 1e-10;
const MAX_ITERATIONS_LIMIT = 10000;
const MAX_THREADS = 256;
const MAX_BINS = 100000;

function fail(message: string): never {
  throw new FitArgumentError(message);
}

function asF64(v: unknown, name: string): Float64Array {
  if (!(v instanceof Float64Array)) {
    fail(`${name} must be a Float64Array`);
  }
  return v;
}

function asU8(v: unknown, name: string): Uint8Array {
  // Uint8ClampedArray and Buffer subclasses: Buffer is a Uint8Array and is accepted, as by the addon
  if (!(v instanceof Uint8Array)) {
    fail(`${name} must be a Uint8Array`);
  }
  return v;
}

const absent = (v: unknown): boolean => v === undefined || v === null;

function optionsObject(o: unknown): Record<string, unknown> {
  if (absent(o)) {
    return {};
  }
  if (typeof o !== 'object' || Array.isArray(o) || ArrayBuffer.isView(o)) {
    fail('options must be an object');
  }
  return o as Record<string, unknown>;
}

function intOption(o: Record<string, unknown>, key: string, def: number, lo: number, hi: number): number {
  const v = o[key];
  if (absent(v)) {
    return def;
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    fail(`${key} must be an integer in [${lo}, ${hi}]`);
  }
  return v;
}

function toleranceOption(o: Record<string, unknown>): number {
  const v = o.tolerance;
  if (absent(v)) {
    return DEFAULT_TOLERANCE;
  }
  if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0) || !(v < 1)) {
    fail('tolerance must be a finite number in (0, 1)');
  }
  return v;
}

// Grid constants cached per wavelength array; the cached copy is compared on each call, so an array changed
// in place is revalidated and recomputed.
const grids = new WeakMap<Float64Array, Grid>();

export function gridFor(v: unknown): Grid {
  const wl = asF64(v, 'wavelengths');
  const cached = grids.get(wl);
  if (cached !== undefined && cached.wl.length === wl.length) {
    const c = cached.wl;
    let same = true;
    for (let i = 0; i < c.length; i++) {
      if (c[i] !== wl[i]) {
        same = false;
        break;
      }
    }
    if (same) {
      return cached;
    }
  }
  for (let i = 0; i < wl.length; i++) {
    const x = wl[i];
    if (!Number.isFinite(x) || !(x > 0)) {
      fail(`wavelengths[${i}] must be finite and > 0`);
    }
  }
  const g = buildGrid(wl);
  grids.set(wl, g);
  return g;
}

function checkLength(len: number, n: number, name: string): void {
  if (len !== n) {
    fail(`${name} length ${len} does not match wavelengths length ${n}`);
  }
}

function checkMaskValues(m: Uint8Array): void {
  for (let i = 0; i < m.length; i++) {
    if (m[i] > 1) {
      fail(`mask[${i}] must be 0 or 1`);
    }
  }
}

interface SingleArgs {
  grid: Grid;
  y: Float64Array;
  variance: Float64Array | null;
  mask: Uint8Array | null;
  maxIterations: number;
  tolerance: number;
}

function singleArgs(wl: unknown, radiance: unknown, opts: unknown, fitOptions: boolean): SingleArgs {
  const grid = gridFor(wl);
  const n = grid.wl.length;
  const y = asF64(radiance, 'radiance');
  checkLength(y.length, n, 'radiance');
  const o = optionsObject(opts);
  let variance: Float64Array | null = null;
  if (!absent(o.variance)) {
    variance = asF64(o.variance, 'variance');
    checkLength(variance.length, n, 'variance');
  }
  let mask: Uint8Array | null = null;
  if (!absent(o.mask)) {
    mask = asU8(o.mask, 'mask');
    checkLength(mask.length, n, 'mask');
    checkMaskValues(mask);
  }
  let maxIterations = DEFAULT_MAX_ITERATIONS,
    tolerance = DEFAULT_TOLERANCE;
  if (fitOptions) {
    maxIterations = intOption(o, 'maxIterations', DEFAULT_MAX_ITERATIONS, 1, MAX_ITERATIONS_LIMIT);
    tolerance = toleranceOption(o);
  }
  return { grid, y, variance, mask, maxIterations, tolerance };
}

const scratch = new Scratch();
let usedBuf: Used | undefined;

export function fitPlanck(wl: Float64Array, radiance: Float64Array, opts?: FitOptions): PlanckResult {
  const a = singleArgs(wl, radiance, opts, true);
  const used = usedPixels(a.grid, a.mask, 0, usedBuf);
  usedBuf = used;
  const r = fitFrame(a.y, a.variance, 0, used, a.maxIterations, a.tolerance, scratch);
  if (r.status === FitStatus.InvalidData) {
    fail(r.badIsVariance ? `variance[${r.badIndex}] must be finite and > 0` : `radiance[${r.badIndex}] is not finite`);
  }
  if (r.status === FitStatus.TooFewPixels || r.fit === null) {
    fail(`fewer than 3 usable pixels (${r.nUsed} unmasked, ${r.nPositive} with radiance > 0)`);
  }
  const f = r.fit;
  return {
    temperature: f.temperature,
    temperatureError: f.temperatureError,
    scale: f.scale,
    chi2: f.chi2,
    dof: f.dof,
    iterations: f.iterations,
    converged: f.converged,
    engine: 'js',
  };
}

export function fitWien(wl: Float64Array, radiance: Float64Array, opts?: FitOptions): WienResult {
  const a = singleArgs(wl, radiance, opts, false);
  const g = a.grid;
  const n = g.wl.length;
  const s = scratch;
  s.reserve(n);
  let np = 0;
  for (let i = 0; i < n; i++) {
    if (a.mask !== null && a.mask[i] !== 0) {
      continue;
    }
    const v = a.y[i];
    if (!Number.isFinite(v)) {
      fail(`radiance[${i}] is not finite`);
    }
    let w = 1.0;
    if (a.variance !== null) {
      const vv = a.variance[i];
      if (!Number.isFinite(vv) || !(vv > 0)) {
        fail(`variance[${i}] must be finite and > 0`);
      }
      w = 1.0 / vv;
    }
    if (v > 0) {
      s.y[np] = v;
      s.w[np] = w;
      s.a[np] = g.a[i];
      s.b[np] = g.b[i];
      np++;
    }
  }
  if (np < 3) {
    fail(`fewer than 3 usable pixels (${np} unmasked with radiance > 0)`);
  }
  const r = fitWienCompact(np, s.y, s.w, s.a, s.b, a.variance !== null, a.variance !== null, s.z);
  return { ...r, engine: 'js' };
}

function pixelIndex(v: unknown, name: string, n: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= n) {
    fail(`pixel index ${name} must be an integer in [0, ${n === 0 ? 0 : n - 1}]`);
  }
  return v;
}

export function twoColor(wl: Float64Array, radiance: Float64Array, i: number, j: number): number {
  const g = gridFor(wl);
  const n = g.wl.length;
  const y = asF64(radiance, 'radiance');
  checkLength(y.length, n, 'radiance');
  pixelIndex(i, 'i', n);
  pixelIndex(j, 'j', n);
  if (i === j) {
    fail('pixel indices i and j must differ');
  }
  for (const k of [i, j]) {
    if (!Number.isFinite(y[k]) || !(y[k] > 0)) {
      fail(`radiance[${k}] must be finite and > 0 for two-colour`);
    }
  }
  const zi = Math.log(y[i] / g.a[i]);
  const zj = Math.log(y[j] / g.a[j]);
  return (g.b[j] - g.b[i]) / (zi - zj);
}

export function slidingTwoColor(
  wl: Float64Array,
  radiance: Float64Array,
  separation: number,
  opts?: SlidingTwoColorOptions,
): Omit<SlidingTwoColorResult, 'engine'> & { engine: 'js' } {
  const g = gridFor(wl);
  const n = g.wl.length;
  const y = asF64(radiance, 'radiance');
  checkLength(y.length, n, 'radiance');
  const sepMsg = `separation must be an integer in [1, ${n < 2 ? 1 : n - 1}]`;
  if (typeof separation !== 'number' || !Number.isInteger(separation) || separation < 1 || separation > n - 1) {
    fail(sepMsg);
  }
  const o = optionsObject(opts);
  let mask: Uint8Array | null = null;
  if (!absent(o.mask)) {
    mask = asU8(o.mask, 'mask');
    checkLength(mask.length, n, 'mask');
    checkMaskValues(mask);
  }
  const bins = intOption(o, 'bins', 50, 1, MAX_BINS);
  const z = new Float64Array(n);
  const t = new Float64Array(n);
  const r = new Float64Array(3);
  const bad = slidingTwoColorFrame(y, 0, mask, 0, g, separation, z, t, r);
  if (bad >= 0) {
    fail(`radiance[${bad}] is not finite`);
  }
  const count = r[2];
  if (count === 0) {
    fail(`no valid pixel pair at separation ${separation}`);
  }
  const mean = r[0],
    std = r[1];
  let lo = t[0],
    hi = t[0];
  for (let k = 0; k < count; k++) {
    if (t[k] < lo) {
      lo = t[k];
    }
    if (t[k] > hi) {
      hi = t[k];
    }
  }
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  const edges = new Float64Array(bins + 1);
  for (let k = 0; k <= bins; k++) {
    edges[k] = lo + (k * (hi - lo)) / bins;
  }
  const counts = new Uint32Array(bins);
  for (let q = 0; q < count; q++) {
    const v = t[q];
    const f = Math.floor(((v - lo) / (hi - lo)) * bins);
    const k = f < 0 ? 0 : f >= bins ? bins - 1 : f;
    counts[k]++;
  }
  return { mean, std, count, histogram: { edges, counts }, engine: 'js' };
}

interface BatchJob {
  grid: Grid;
  frames: Float64Array;
  variance: Float64Array | null;
  mask: Uint8Array | null;
  maskPerFrame: boolean;
  nFrames: number;
  nPix: number;
  maxIterations: number;
  tolerance: number;
  threads: number;
  /** 0: no two-colour */
  tcSep: number;
}

/**
 * Validates batch arguments (same rules and messages as the addon). twoColorOnly: the arguments of
 * slidingTwoColorBatch (wl, frames, nFrames, separation, opts).
 */
export function batchArgs(
  wl: unknown,
  frames: unknown,
  nFrames: unknown,
  opts: unknown,
  twoColorOnly = false,
  separation?: unknown,
): BatchJob {
  const grid = gridFor(wl);
  const n = grid.wl.length;
  const fr = asF64(frames, 'frames');
  if (typeof nFrames !== 'number' || !Number.isInteger(nFrames) || nFrames < 0 || nFrames > Number.MAX_SAFE_INTEGER) {
    fail('nFrames must be a non-negative integer');
  }
  if (n === 0 && nFrames > 0) {
    fail('wavelengths must not be empty');
  }
  const total = nFrames * n;
  if (fr.length !== total) {
    fail(`frames length ${fr.length} does not match nFrames × pixels = ${total}`);
  }
  let tcSep = 0;
  if (twoColorOnly) {
    if (typeof separation !== 'number' || !Number.isInteger(separation) || separation < 1 || separation > n - 1) {
      fail(`separation must be an integer in [1, ${n < 2 ? 1 : n - 1}]`);
    }
    tcSep = separation;
  }
  const o = optionsObject(opts);
  let variance: Float64Array | null = null;
  if (!twoColorOnly && !absent(o.variance)) {
    variance = asF64(o.variance, 'variance');
    if (variance.length !== fr.length) {
      fail(`variance length ${variance.length} does not match frames length ${fr.length}`);
    }
  }
  let mask: Uint8Array | null = null;
  let maskPerFrame = false;
  if (!absent(o.mask)) {
    mask = asU8(o.mask, 'mask');
    if (mask.length === n) {
      maskPerFrame = false;
    } else if (mask.length === total && nFrames > 0) {
      maskPerFrame = true;
    } else {
      fail(`mask length ${mask.length} must be pixels (${n}) or nFrames × pixels (${total})`);
    }
    checkMaskValues(mask);
  }
  let maxIterations = DEFAULT_MAX_ITERATIONS,
    tolerance = DEFAULT_TOLERANCE;
  if (!twoColorOnly) {
    maxIterations = intOption(o, 'maxIterations', DEFAULT_MAX_ITERATIONS, 1, MAX_ITERATIONS_LIMIT);
    tolerance = toleranceOption(o);
    tcSep = intOption(o, 'twoColorSeparation', 0, 1, n < 2 ? 0 : n - 1);
  }
  const threads = intOption(o, 'threads', 1, 1, MAX_THREADS); // validated for parity; the JS engine is single-threaded
  return { grid, frames: fr, variance, mask, maskPerFrame, nFrames, nPix: n, maxIterations, tolerance, threads, tcSep };
}

/** Sliding two-colour of every frame of a validated job (tcSep > 0). */
function runTwoColor(j: BatchJob): TwoColorBatchResult {
  const nF = j.nFrames;
  const out: TwoColorBatchResult = {
    mean: new Float64Array(nF).fill(NaN),
    std: new Float64Array(nF).fill(NaN),
    count: new Int32Array(nF),
  };
  const z = new Float64Array(j.nPix),
    t = new Float64Array(j.nPix),
    r = new Float64Array(3);
  for (let f = 0; f < nF; f++) {
    const bad = slidingTwoColorFrame(
      j.frames,
      f * j.nPix,
      j.mask,
      j.maskPerFrame ? f * j.nPix : 0,
      j.grid,
      j.tcSep,
      z,
      t,
      r,
    );
    if (bad >= 0) {
      continue;
    }
    out.mean[f] = r[0];
    out.std[f] = r[1];
    out.count[f] = r[2];
  }
  return out;
}

function runBatch(j: BatchJob): BatchResult {
  const nF = j.nFrames;
  const out: BatchResult = {
    temperature: new Float64Array(nF).fill(NaN),
    temperatureError: new Float64Array(nF).fill(NaN),
    scale: new Float64Array(nF).fill(NaN),
    chi2: new Float64Array(nF).fill(NaN),
    dof: new Int32Array(nF),
    iterations: new Int32Array(nF),
    status: new Uint8Array(nF).fill(FitStatus.InvalidData),
    engine: 'js',
  };
  if (j.tcSep > 0) {
    out.twoColor = runTwoColor(j);
  }
  if (nF === 0) {
    return out;
  }
  const s = new Scratch();
  let used = usedPixels(j.grid, j.maskPerFrame ? null : j.mask, 0);
  for (let f = 0; f < nF; f++) {
    if (j.maskPerFrame) {
      used = usedPixels(j.grid, j.mask, f * j.nPix, used);
    }
    const r = fitFrame(j.frames, j.variance, f * j.nPix, used, j.maxIterations, j.tolerance, s);
    out.status[f] = r.status;
    if ((r.status === FitStatus.Ok || r.status === FitStatus.NotConverged) && r.fit !== null) {
      out.temperature[f] = r.fit.temperature;
      out.temperatureError[f] = r.fit.temperatureError;
      out.scale[f] = r.fit.scale;
      out.chi2[f] = r.fit.chi2;
      out.dof[f] = r.fit.dof;
      out.iterations[f] = r.fit.iterations;
    }
  }
  return out;
}

export function fitPlanckBatchSync(
  wl: Float64Array,
  frames: Float64Array,
  nFrames: number,
  opts?: BatchOptions,
): BatchResult {
  return runBatch(batchArgs(wl, frames, nFrames, opts));
}

export async function fitPlanckBatch(
  wl: Float64Array,
  frames: Float64Array,
  nFrames: number,
  opts?: BatchOptions,
): Promise<BatchResult> {
  return runBatch(batchArgs(wl, frames, nFrames, opts));
}

export function slidingTwoColorBatchSync(
  wl: Float64Array,
  frames: Float64Array,
  nFrames: number,
  separation: number,
  opts?: SlidingTwoColorBatchOptions,
): TwoColorBatchResult & { engine: 'js' } {
  return { ...runTwoColor(batchArgs(wl, frames, nFrames, opts, true, separation)), engine: 'js' };
}

export async function slidingTwoColorBatch(
  wl: Float64Array,
  frames: Float64Array,
  nFrames: number,
  separation: number,
  opts?: SlidingTwoColorBatchOptions,
): Promise<TwoColorBatchResult & { engine: 'js' }> {
  return slidingTwoColorBatchSync(wl, frames, nFrames, separation, opts);
}

const COUNTS_TYPES = [Float64Array, Float32Array, Int32Array, Uint32Array, Int16Array, Uint16Array, Uint8Array];

/** Checks the (wl, frames, plan) of analyzeCountsBatch and countsStageBatchSync (the addon's messages). */
function countsInputArgs(wl: Float64Array, frames: ArrayLike<CountsFrame>, plan: CountsPlan): void {
  const n = gridFor(wl).wl.length;
  if (n === 0) {
    fail('wavelengths must not be empty');
  }
  if (!Array.isArray(frames)) {
    fail('frames must be an array of typed arrays');
  }
  if (typeof plan !== 'object' || plan === null || Array.isArray(plan) || ArrayBuffer.isView(plan)) {
    fail('plan must be an object');
  }
  const idx = (name: 'width' | 'height' | 'first' | 'last', lo: number, hi: number): number => {
    const v = plan[name];
    if (typeof v !== 'number') {
      fail(`plan.${name} must be an integer`);
    }
    if (!Number.isInteger(v) || v < lo || v > hi) {
      fail(`plan.${name} must be an integer in [${lo}, ${hi}]`);
    }
    return v;
  };
  const width = idx('width', 1, 1 << 24);
  const height = idx('height', 1, 1 << 24);
  if (width * height > 2147483647) {
    fail('plan.width × plan.height is too large');
  }
  const first = idx('first', 0, height - 1);
  idx('last', first, height - 1);
  if (!(plan.used instanceof Int32Array)) {
    fail('plan.used must be an Int32Array');
  }
  if (plan.used.length !== n) {
    fail(`plan.used length ${plan.used.length} does not match wavelengths length ${n}`);
  }
  for (let k = 0; k < n; k++) {
    if (plan.used[k] < 0 || plan.used[k] >= width) {
      fail(`plan.used[${k}] must be a pixel index in [0, ${width - 1}]`);
    }
  }
  for (const name of ['darkSum', 'invDen', 'invDen2', 'relVarDen'] as const) {
    const a = asF64(plan[name], `plan.${name}`);
    if (a.length !== n) {
      fail(`plan.${name} length ${a.length} does not match wavelengths length ${n}`);
    }
    for (let k = 0; k < n; k++) {
      if (!Number.isFinite(a[k])) {
        fail(`plan.${name}[${k}] must be finite`);
      }
    }
  }
  const num = (name: 'saturation' | 'invGain' | 'readVar'): number => {
    const v = plan[name];
    if (typeof v !== 'number') {
      fail(`plan.${name} must be a number`);
    }
    return v;
  };
  if (Number.isNaN(num('saturation'))) {
    fail('plan.saturation must be a number (Infinity: none)');
  }
  const g = num('invGain');
  if (!Number.isFinite(g) || !(g > 0)) {
    fail('plan.invGain must be finite and > 0');
  }
  const r = num('readVar');
  if (!Number.isFinite(r) || !(r >= 0)) {
    fail('plan.readVar must be finite and >= 0');
  }
  for (let f = 0; f < frames.length; f++) {
    const c = frames[f];
    if (!COUNTS_TYPES.some((T) => c instanceof T)) {
      fail(`frames[${f}] must be a Float64/Float32/Int32/Uint32/Int16/Uint16/Uint8Array`);
    }
    if (c.length !== width * height) {
      fail(`frames[${f}] has ${c.length} values, expected ${height} × ${width}`);
    }
  }
}

/** Checks analyzeCountsBatch's arguments (the addon's messages); the prepared frames' buffers, or null (none). */
function countsArgs(
  wl: Float64Array,
  frames: ArrayLike<CountsFrame>,
  plan: CountsPlan,
  out: CountsBatchOutput,
): PreparedFrames | null {
  countsInputArgs(wl, frames, plan);
  const n = plan.used.length;
  if (typeof out !== 'object' || out === null || Array.isArray(out) || ArrayBuffer.isView(out)) {
    fail('out must be an object');
  }
  if (!absent(out.misfitThreshold)) {
    const table = asF64(out.misfitThreshold, 'out.misfitThreshold');
    if (table.length < n + 1) {
      fail(`out.misfitThreshold length ${table.length} is less than pixels + 1 = ${n + 1}`);
    }
  }
  if (absent(out.radiance) && absent(out.variance) && absent(out.mask)) {
    return null;
  }
  const total = frames.length * n;
  const y = asF64(out.radiance, 'out.radiance');
  const v = asF64(out.variance, 'out.variance');
  const m = asU8(out.mask, 'out.mask');
  if (y.length !== total || v.length !== total || m.length !== total) {
    fail(`out.radiance, out.variance and out.mask must have nFrames × pixels = ${total} elements`);
  }
  return { radiance: y, variance: v, mask: m };
}

/** Prepared frames (nFrames × pixels each). */
type PreparedFrames = Required<Pick<CountsBatchOutput, 'radiance' | 'variance' | 'mask'>>;

/**
 * Whether the misfit refit applies to a weighted batch fit (native/frame.cc beyondMisfitThreshold, the test of
 * src/analysis/results.ts planckValues then withMisfit): a temperature, dof > 0 and the reduced χ² beyond
 * threshold[dof].
 */
function beyondMisfitThreshold(fit: BatchResult, f: number, threshold: Float64Array): boolean {
  const temperature = fit.temperature[f];
  const dof = fit.dof[f];
  if (fit.status[f] !== FitStatus.Ok || !(Number.isFinite(temperature) && temperature > 0)) {
    return false;
  }
  if (dof >= threshold.length) {
    return false;
  }
  const chi2 = reducedChi2(fit.chi2[f], dof);
  return chi2 !== null && chi2 > threshold[dof];
}

/** Per frame, the unweighted refit's temperature where the frame is beyond the misfit threshold (else NaN). */
function misfitRefits(
  wl: Float64Array,
  prepared: PreparedFrames,
  fit: BatchResult,
  threshold: Float64Array,
): Float64Array {
  const nU = wl.length;
  const n = fit.temperature.length;
  const unweighted = new Float64Array(n).fill(NaN);
  for (let f = 0; f < n; f++) {
    if (!beyondMisfitThreshold(fit, f, threshold)) {
      continue;
    }
    const radiance = prepared.radiance.subarray(f * nU, (f + 1) * nU);
    const mask = prepared.mask.subarray(f * nU, (f + 1) * nU);
    try {
      unweighted[f] = fitPlanck(wl, radiance, { mask }).temperature;
    } catch {
      // a refit that throws: NaN, as the addon's
    }
  }
  return unweighted;
}

/** Raw counts of one ROI → prepared radiance/variance/mask (src/quality/prepare.ts) → Planck batch. */
export function analyzeCountsBatchSync(
  wl: Float64Array,
  frames: ArrayLike<CountsFrame>,
  plan: CountsPlan,
  out: CountsBatchOutput,
  opts?: CountsBatchOptions,
): CountsBatchResult {
  const given = countsArgs(wl, frames, plan, out);
  const o = optionsObject(opts);
  const n = frames.length;
  const nU = plan.used.length;
  // without buffers given, the prepared frames are this call's own (the addon keeps them on its workers)
  const prepared = given ?? {
    radiance: new Float64Array(n * nU),
    variance: new Float64Array(n * nU),
    mask: new Uint8Array(n * nU),
  };
  const flags = new Uint8Array(n);
  prepareCountsBatch(plan, frames, n, prepared.radiance, prepared.variance, prepared.mask, flags);
  const r = fitPlanckBatchSync(wl, prepared.radiance, n, {
    variance: prepared.variance,
    // (no frames: no mask, which the batch fit would take for a shared one of the wrong length; the addon's empty
    // result)
    mask: n > 0 ? prepared.mask : undefined,
    threads: o.threads as number | undefined,
    maxIterations: o.maxIterations as number | undefined,
    tolerance: o.tolerance as number | undefined,
    twoColorSeparation: o.twoColorSeparation as number | undefined,
  });
  const last = n > 0 ? (n - 1) * nU : 0;
  const result: CountsBatchResult = {
    ...r,
    flags,
    lastRadiance: prepared.radiance.slice(last, n > 0 ? last + nU : 0),
    lastMask: prepared.mask.slice(last, n > 0 ? last + nU : 0),
  };
  if (!absent(out.misfitThreshold)) {
    result.unweightedTemperature = misfitRefits(wl, prepared, r, out.misfitThreshold!);
  }
  return result;
}

export async function analyzeCountsBatch(
  wl: Float64Array,
  frames: ArrayLike<CountsFrame>,
  plan: CountsPlan,
  out: CountsBatchOutput,
  opts?: CountsBatchOptions,
): Promise<CountsBatchResult> {
  return analyzeCountsBatchSync(wl, frames, plan, out, opts);
}

/**
 * Stage 1 of the preparation (src/quality/prepare.ts countsStage) of every frame into out.sig and out.mask (frame
 * f from f·pixels) and, when given, each frame's in-order total of its row sums into out.totals; the frames'
 * PREP_SATURATED | PREP_CORRUPT bits. Without out.sig and out.mask, the totals and bits only (one frame's row sums
 * at a time in a scratch buffer). The twin of the addon's countsStageBatchSync.
 */
export function countsStageBatchSync(
  wl: Float64Array,
  frames: ArrayLike<CountsFrame>,
  plan: CountsPlan,
  out: CountsStageOutput,
): Uint8Array {
  countsInputArgs(wl, frames, plan);
  if (typeof out !== 'object' || out === null || Array.isArray(out) || ArrayBuffer.isView(out)) {
    fail('out must be an object');
  }
  const n = plan.used.length;
  const totals = out.totals === undefined || out.totals === null ? null : asF64(out.totals, 'out.totals');
  if (totals !== null && totals.length !== frames.length) {
    fail(`out.totals must have nFrames = ${frames.length} elements`);
  }
  const totalsOnly = out.sig == null && out.mask == null;
  if (totalsOnly && totals === null) {
    fail('out.totals must be given when out.sig and out.mask are not');
  }
  const total = frames.length * n;
  const sig = totalsOnly ? new Float64Array(n) : asF64(out.sig, 'out.sig');
  const mask = totalsOnly ? new Uint8Array(n) : asU8(out.mask, 'out.mask');
  if (!totalsOnly && (sig.length !== total || mask.length !== total)) {
    fail(`out.sig and out.mask must have nFrames × pixels = ${total} elements`);
  }
  const flags = new Uint8Array(frames.length);
  for (let f = 0; f < frames.length; f++) {
    const at = totalsOnly ? 0 : f * n;
    flags[f] = countsStage(plan, frames[f], sig, at, mask, at);
    if (totals !== null) {
      let sum = 0;
      for (let k = 0; k < n; k++) {
        sum += sig[at + k];
      }
      totals[f] = sum;
    }
  }
  return flags;
}

const MAX_SAFE_INTEGER = Number.MAX_SAFE_INTEGER;
const HEX = /^[0-9a-fA-F]{4}$/;
/** True when `text` is a JSON string literal, quotes included, as JSON.stringify writes a string (the addon's test). */
function isJsonStringLiteral(text: string): boolean {
  const len = text.length;
  if (len < 2 || text[0] !== '"' || text[len - 1] !== '"') {
    return false;
  }
  for (let i = 1; i + 1 < len; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22 || code < 0x20) {
      return false;
    }
    if (code === 0x5c) {
      if (i + 2 >= len) {
        return false; // the escape would take the closing quote
      }
      const escaped = text[++i];
      if (escaped === 'u') {
        if (i + 5 >= len || !HEX.test(text.slice(i + 1, i + 5))) {
          return false;
        }
        i += 4;
      } else if (!'"\\/bfnrt'.includes(escaped)) {
        return false;
      }
    }
  }
  return true;
}
/** The "flags" array's text for each combination of the FRAME_FLAG_ORDER bits. */
const FLAG_TEXTS: readonly string[] = Array.from({ length: 1 << FRAME_FLAG_ORDER.length }, (_v, bits) =>
  JSON.stringify(FRAME_FLAG_ORDER.filter((_name, k) => (bits >> k) & 1)),
);

function jsonColumn(input: FramesJsonInput, name: keyof FramesJsonInput, length: number, what: string): Float64Array {
  const key = `input.${name}`;
  const v = input[name];
  if (!(v instanceof Float64Array)) {
    fail(`${key} must be a Float64Array`);
  }
  if (v.length !== length) {
    fail(`${key} length ${v.length} does not match ${what} = ${length}`);
  }
  return v;
}

/** Checks formatFramesJson's input, in the addon's order and with its messages (native/json_binding.cc). */
function framesJsonArgs(input: FramesJsonInput): void {
  if (typeof input !== 'object' || input === null || Array.isArray(input) || ArrayBuffer.isView(input)) {
    fail('input must be an object');
  }
  const { n, nRois, roiKeys } = input;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_SAFE_INTEGER) {
    fail('input.n must be a non-negative integer');
  }
  if (typeof nRois !== 'number' || !Number.isInteger(nRois) || nRois < 1 || nRois > MAX_SAFE_INTEGER) {
    fail('input.nRois must be a positive integer');
  }
  const slots = n * nRois;
  if (slots > MAX_SAFE_INTEGER) {
    fail('input.n × input.nRois is too large');
  }
  if (nRois === 1) {
    if (!absent(roiKeys)) {
      fail('input.roiKeys must be null when nRois is 1');
    }
  } else {
    if (!Array.isArray(roiKeys)) {
      fail(`input.roiKeys must be an array of nRois = ${nRois} strings`);
    }
    if (roiKeys.length !== nRois) {
      fail(`input.roiKeys length ${roiKeys.length} does not match nRois = ${nRois}`);
    }
    for (let roi = 0; roi < roiKeys.length; roi++) {
      const key: unknown = roiKeys[roi];
      if (typeof key !== 'string') {
        fail(`input.roiKeys[${roi}] must be a string`);
      }
      if (!isJsonStringLiteral(key)) {
        fail(`input.roiKeys[${roi}] must be a JSON string literal, quotes included (JSON.stringify(name))`);
      }
    }
  }
  jsonColumn(input, 'index', n, 'n');
  jsonColumn(input, 'time', n, 'n');
  jsonColumn(input, 'power', n, 'n');
  jsonColumn(input, 'temperature', slots, 'n × nRois');
  jsonColumn(input, 'temperatureError', slots, 'n × nRois');
  jsonColumn(input, 'chi2', slots, 'n × nRois');
  const flags = asU8(input.flags, 'input.flags');
  if (flags.length !== slots) {
    fail(`input.flags length ${flags.length} does not match n × nRois = ${slots}`);
  }
  for (let i = 0; i < slots; i++) {
    if (flags[i] >> FRAME_FLAG_ORDER.length) {
      fail(`input.flags[${i}] = ${flags[i]} has bits beyond the ${FRAME_FLAG_ORDER.length} of FRAME_FLAG_ORDER`);
    }
  }
  jsonColumn(input, 'twoColorMean', n, 'n');
  jsonColumn(input, 'twoColorStd', n, 'n');
  if (typeof input.leadingComma !== 'boolean') {
    fail('input.leadingComma must be a boolean');
  }
}

/** A number as JSON.stringify writes it: String(x), null when not finite. */
const num = (x: number): string => (Number.isFinite(x) ? String(x) : 'null');

/**
 * The JSON text of a batch of frame results in columns (FramesJsonInput), as UTF-8: the twin of the addon's
 * formatFramesJson (native/json_binding.cc), byte for byte.
 */
export function formatFramesJson(input: FramesJsonInput): Uint8Array {
  framesJsonArgs(input);
  const { n, nRois, index, time, power, temperature, temperatureError, chi2, flags, twoColorMean, twoColorStd } = input;
  const keys = input.roiKeys ?? [];
  let text = '';
  for (let frameAt = 0; frameAt < n; frameAt++) {
    const slot = frameAt * nRois;
    const mean = twoColorMean[frameAt];
    const twoColor = Number.isFinite(mean) ? `{"mean":${String(mean)},"std":${num(twoColorStd[frameAt])}}` : 'null';
    let frame =
      `{"index":${num(index[frameAt])},"time":${num(time[frameAt])},"power":${num(power[frameAt])},` +
      `"temperature":${num(temperature[slot])},"temperatureError":${num(temperatureError[slot])},` +
      `"chi2":${num(chi2[slot])},"flags":${FLAG_TEXTS[flags[slot]]},"twoColor":${twoColor}`;
    if (nRois > 1) {
      frame += ',"rois":{';
      for (let roi = 0; roi < nRois; roi++) {
        frame +=
          `${roi > 0 ? ',' : ''}${keys[roi]}:{"temperature":${num(temperature[slot + roi])},` +
          `"temperatureError":${num(temperatureError[slot + roi])},"chi2":${num(chi2[slot + roi])},` +
          `"flags":${FLAG_TEXTS[flags[slot + roi]]}}`;
      }
      frame += '}';
    }
    text += frameAt > 0 || input.leadingComma ? `,${frame}}` : `${frame}}`;
  }
  return new TextEncoder().encode(text);
}

/** The TypeScript engine. */
export const jsEngine: PhysicsEngine = {
  name: 'js',
  fitPlanck,
  fitWien,
  twoColor,
  slidingTwoColor,
  fitPlanckBatch,
  fitPlanckBatchSync,
  slidingTwoColorBatch,
  slidingTwoColorBatchSync,
  analyzeCountsBatch,
  analyzeCountsBatchSync,
  countsStageBatchSync,
  gainRatios,
  formatFramesJson,
};
