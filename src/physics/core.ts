/**
 * The fitting core in TypeScript: the reference the native code (native/fit.cc, native/frame.cc) is tested
 * against, and the fallback engine. Same algorithm, same loops, same summation order as the C++.
 *
 * Variable projection: for a fixed T the greybody scale is linear, s(T) = Σ w y L / Σ w L², so
 * χ²(T) = Σ w y² − (Σ w y L)² / Σ w L² depends on T alone. Newton's method on u = ln T with analytic first and
 * second derivatives, from a Wien start; one exp and one division per pixel per pass.
 */
import { C1, C2, FitStatus } from './types';

/** Per-wavelength-grid constants: a = c1/λ⁵, b = c2/λ (λ in m), so L(λ,T) = a / (exp(b/T) − 1). */
export interface Grid {
  wl: Float64Array; // private copy of the (validated) wavelengths in nm
  a: Float64Array;
  b: Float64Array;
}

export function buildGrid(wlNm: Float64Array): Grid {
  const n = wlNm.length;
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const lm = wlNm[i] * 1e-9;
    a[i] = C1 / (lm * lm * lm * lm * lm);
    b[i] = C2 / lm;
  }
  return { wl: Float64Array.from(wlNm), a, b };
}

/** Reusable work buffers (grown on demand). */
export class Scratch {
  y = new Float64Array(0);
  w = new Float64Array(0);
  a = new Float64Array(0);
  b = new Float64Array(0);
  wy = new Float64Array(0);
  L = new Float64Array(0);
  z = new Float64Array(0);
  py = new Float64Array(0);
  pw = new Float64Array(0);
  pa = new Float64Array(0);
  pb = new Float64Array(0);
  reserve(n: number): void {
    if (this.y.length >= n) {
      return;
    }
    const m = Math.max(n, 16);
    this.y = new Float64Array(m);
    this.w = new Float64Array(m);
    this.a = new Float64Array(m);
    this.b = new Float64Array(m);
    this.wy = new Float64Array(m);
    this.L = new Float64Array(m);
    this.z = new Float64Array(m);
    this.py = new Float64Array(m);
    this.pw = new Float64Array(m);
    this.pa = new Float64Array(m);
    this.pb = new Float64Array(m);
  }
}

export interface PlanckOut {
  temperature: number;
  temperatureError: number;
  scale: number;
  chi2: number;
  dof: number;
  iterations: number;
  converged: boolean;
}

export interface WienOut {
  temperature: number;
  temperatureError: number;
  scale: number;
  chi2: number;
  dof: number;
}

/**
 * Weighted linear fit of z = ln(y/a) = ln s − b/T (pixels compacted by the caller, all y > 0, n ≥ 3).
 * Weights v = y²·w when useYWeights, else 1. absoluteErrors: σ from the weights; else scaled by χ²/dof.
 */
export function fitWienCompact(
  n: number,
  y: Float64Array,
  w: Float64Array,
  a: Float64Array,
  b: Float64Array,
  useYWeights: boolean,
  absoluteErrors: boolean,
  z: Float64Array,
): WienOut {
  let sv = 0,
    svb = 0,
    svz = 0;
  for (let i = 0; i < n; i++) {
    z[i] = Math.log(y[i] / a[i]);
    const v = useYWeights ? y[i] * y[i] * w[i] : 1.0;
    sv += v;
    svb += v * b[i];
    svz += v * z[i];
  }
  const bm = svb / sv,
    zm = svz / sv;
  let sbb = 0,
    sbz = 0;
  for (let i = 0; i < n; i++) {
    const v = useYWeights ? y[i] * y[i] * w[i] : 1.0;
    const db = b[i] - bm;
    sbb += v * db * db;
    sbz += v * db * (z[i] - zm);
  }
  const m = sbz / sbb;
  let chi2 = 0;
  for (let i = 0; i < n; i++) {
    const v = useYWeights ? y[i] * y[i] * w[i] : 1.0;
    const r = z[i] - zm - m * (b[i] - bm);
    chi2 += v * r * r;
  }
  const dof = n - 2;
  let varM = 1.0 / sbb;
  if (!absoluteErrors) {
    varM *= chi2 / dof;
  }
  return {
    temperature: -1.0 / m,
    temperatureError: Math.sqrt(varM) / (m * m),
    scale: Math.exp(zm - m * bm),
    chi2,
    dof,
  };
}

const START_POINTS = 64;
const MAX_STEP = 0.5; // at most a factor e^0.5 in T per pass

// Sums of one pass: Σwy L, Σw L², Σwy L', Σw L L', Σwy L'', Σw L L'', Σw L'² (derivatives in u = ln T)
const S = new Float64Array(7);

/** One pass at 1/T: one exp per pixel. Leaves L in Lout, the sums in S. */
function pass(
  n: number,
  wy: Float64Array,
  w: Float64Array,
  a: Float64Array,
  b: Float64Array,
  invT: number,
  Lout: Float64Array,
): void {
  let A = 0,
    B = 0,
    A1 = 0,
    B1 = 0,
    A2 = 0,
    B2 = 0,
    B11 = 0;
  for (let i = 0; i < n; i++) {
    Lout[i] = Math.exp(b[i] * invT);
  }
  for (let i = 0; i < n; i++) {
    const x = b[i] * invT;
    const e = Lout[i];
    const q = 1.0 / (e - 1.0);
    const L = a[i] * q;
    const xq = x * q;
    const g = x + xq; // d ln L / d ln T
    const L1 = L * g; // dL/du
    const L2 = L1 * (g - 1.0 + xq); // d²L/du²
    const wL = w[i] * L;
    Lout[i] = L;
    A += wy[i] * L;
    B += wL * L;
    A1 += wy[i] * L1;
    B1 += wL * L1;
    A2 += wy[i] * L2;
    B2 += wL * L2;
    B11 += w[i] * L1 * L1;
  }
  S[0] = A;
  S[1] = B;
  S[2] = A1;
  S[3] = B1;
  S[4] = A2;
  S[5] = B2;
  S[6] = B11;
}

/**
 * Planck fit of n compacted pixels (n ≥ 3, at least 3 with y > 0; the caller checks). Never throws.
 * w: 1/var, or all 1 when !weighted.
 */
export function fitPlanckCompact(
  n: number,
  y: Float64Array,
  w: Float64Array,
  a: Float64Array,
  b: Float64Array,
  weighted: boolean,
  maxIterations: number,
  tolerance: number,
  s: Scratch,
): PlanckOut {
  s.reserve(n);
  const wy = s.wy;
  const L = s.L;
  let C = 0;
  for (let i = 0; i < n; i++) {
    wy[i] = w[i] * y[i];
    C += wy[i] * y[i];
  }
  const dof = n - 2;

  // Start: Wien fit of (at most ~64 of) the positive pixels, weights y²·w (linearisation of the same χ²).
  let T0 = NaN;
  {
    const py = s.py,
      pw = s.pw,
      pa = s.pa,
      pb = s.pb;
    let nPos = 0;
    for (let i = 0; i < n; i++) {
      nPos += y[i] > 0 ? 1 : 0;
    }
    const stride = nPos > 2 * START_POINTS ? Math.floor(nPos / START_POINTS) : 1;
    let np = 0,
      k = 0;
    for (let i = 0; i < n; i++) {
      if (!(y[i] > 0)) {
        continue;
      }
      if (k === 0) {
        py[np] = y[i];
        pw[np] = w[i];
        pa[np] = a[i];
        pb[np] = b[i];
        np++;
      }
      if (++k === stride) {
        k = 0;
      }
    }
    if (np >= 3) {
      T0 = fitWienCompact(np, py, pw, pa, pb, true, true, s.z).temperature;
    }
  }
  if (!(T0 > 0) || !Number.isFinite(T0)) {
    // Coarse scan of the profiled χ² (pathological data only): 300 K × 1.5^k, k = 0..14.
    let best = Infinity;
    T0 = 3000;
    let T = 300;
    for (let k = 0; k < 15; k++) {
      pass(n, wy, w, a, b, 1.0 / T, L);
      if (S[1] > 0) {
        const chi = C - S[0] * (S[0] / S[1]);
        if (chi < best) {
          best = chi;
          T0 = T;
        }
      }
      T *= 1.5;
    }
  }

  let u = Math.log(T0);
  let uEval = u,
    chiEval = Infinity,
    sEval = NaN,
    spEval = 0,
    H = NaN,
    step = 0;
  let prevNewton = 0;
  let haveEval = false,
    lastAccepted = false,
    converged = false;
  let it = 0;
  while (it < maxIterations) {
    it++;
    pass(n, wy, w, a, b, 1.0 / Math.exp(u), L);
    const A = S[0],
      B = S[1],
      A1 = S[2],
      B1 = S[3],
      A2 = S[4],
      B2 = S[5],
      B11 = S[6];
    const finite =
      B > 0 &&
      Number.isFinite(A) &&
      Number.isFinite(B) &&
      Number.isFinite(A1) &&
      Number.isFinite(B1) &&
      Number.isFinite(A2) &&
      Number.isFinite(B2) &&
      Number.isFinite(B11);
    const sc = finite ? A / B : NaN;
    const chi = finite ? C - A * sc : NaN;
    if (!finite || (haveEval && chi > chiEval && Math.abs(step) > 1e-6)) {
      // unusable or uphill point: halve the last step (never happens near the minimum)
      lastAccepted = false;
      if (!haveEval) {
        break;
      }
      step *= 0.5;
      u = uEval + step;
      prevNewton = 0;
      continue;
    }
    haveEval = true;
    lastAccepted = true;
    uEval = u;
    chiEval = chi;
    sEval = sc;
    // χ'(u) = −2 s (A' − s B'),  s' = (A' − 2 s B')/B,  χ'' = −2 s'(A' − 2 s B') − 2 s A'' + 2 s² (B'' + Σw L'²)
    const d1 = -2.0 * sc * (A1 - sc * B1);
    const sp = (A1 - 2.0 * sc * B1) / B;
    spEval = sp;
    H = -2.0 * sp * (A1 - 2.0 * sc * B1) - 2.0 * sc * A2 + 2.0 * sc * sc * (B11 + B2);
    let curv = H;
    // Gauss–Newton curvature of the projected model s(u)·L(u), 2 Σ w (s L' + s' L)², if H is not positive
    if (!(curv > 0)) {
      curv = 2.0 * (sc * sc * B11 + 2.0 * sc * sp * B1 + sp * sp * B);
    }
    step = curv > 0 ? -d1 / curv : d1 > 0 ? -0.1 : 0.1;
    const newton = H > 0 && Math.abs(step) <= MAX_STEP;
    if (step > MAX_STEP) {
      step = MAX_STEP;
    }
    if (step < -MAX_STEP) {
      step = -MAX_STEP;
    }
    u = uEval + step;
    if (Math.abs(step) < tolerance) {
      converged = true;
      break;
    }
    // Quadratic convergence: the error left after this step is ≈ K·step², K from the last two steps.
    // Linear or erratic progress gives a large K, so this only ends a run that truly converges.
    if (newton && prevNewton !== 0) {
      const K = Math.abs(step) / (prevNewton * prevNewton);
      if (K * step * step < 0.25 * tolerance) {
        converged = true;
        break;
      }
    }
    prevNewton = newton ? step : 0;
  }
  if (!haveEval) {
    return { temperature: NaN, temperatureError: NaN, scale: NaN, chi2: NaN, dof, iterations: it, converged: false };
  }
  // Converged: T after the last (tiny) step. Not converged: the last accepted point.
  const T = converged ? Math.exp(u) : Math.exp(uEval);
  // χ² from the residuals at the last accepted point (no cancellation); L must hold that point.
  if (!lastAccepted) {
    pass(n, wy, w, a, b, 1.0 / Math.exp(uEval), L);
  }
  let chi2 = 0;
  for (let i = 0; i < n; i++) {
    const r = y[i] - sEval * L[i];
    chi2 += w[i] * r * r;
  }
  let sigma = H > 0 ? T * Math.sqrt(2.0 / H) : NaN;
  if (!weighted) {
    sigma *= Math.sqrt(chi2 / dof);
  }
  // the scale at the reported T: first order in the last step (error O(step²), below 1e-9 at convergence)
  const scale = converged ? sEval + spEval * step : sEval;
  return { temperature: T, temperatureError: sigma, scale, chi2, dof, iterations: it, converged: converged && H > 0 };
}

/** Used pixels (mask 0, or all when mask is null; maskOffset selects a frame's row of a per-frame mask). */
export interface Used {
  idx: Uint32Array;
  a: Float64Array;
  b: Float64Array;
  n: number;
}

export function usedPixels(g: Grid, mask: Uint8Array | null, maskOffset: number, out?: Used): Used {
  const n = g.wl.length;
  const u: Used =
    out && out.idx.length >= n
      ? out
      : { idx: new Uint32Array(n), a: new Float64Array(n), b: new Float64Array(n), n: 0 };
  let k = 0;
  for (let i = 0; i < n; i++) {
    if (mask === null || mask[maskOffset + i] === 0) {
      u.idx[k] = i;
      u.a[k] = g.a[i];
      u.b[k] = g.b[i];
      k++;
    }
  }
  u.n = k;
  return u;
}

export interface FrameFit {
  status: FitStatus;
  badIndex: number;
  badIsVariance: boolean;
  nUsed: number;
  nPositive: number;
  fit: PlanckOut | null;
}

/** Compacts one frame's used pixels (y at offset `off` of `frames`), validates its data and fits it. */
export function fitFrame(
  frames: Float64Array,
  variance: Float64Array | null,
  off: number,
  used: Used,
  maxIterations: number,
  tolerance: number,
  s: Scratch,
): FrameFit {
  const nIdx = used.n;
  s.reserve(nIdx);
  const sy = s.y,
    sw = s.w,
    idx = used.idx;
  let nPos = 0;
  for (let k = 0; k < nIdx; k++) {
    const i = idx[k];
    const v = frames[off + i];
    if (!Number.isFinite(v)) {
      return { status: FitStatus.InvalidData, badIndex: i, badIsVariance: false, nUsed: 0, nPositive: 0, fit: null };
    }
    sy[k] = v;
    if (v > 0) {
      nPos++;
    }
    if (variance !== null) {
      const vv = variance[off + i];
      if (!Number.isFinite(vv) || !(vv > 0)) {
        return { status: FitStatus.InvalidData, badIndex: i, badIsVariance: true, nUsed: 0, nPositive: 0, fit: null };
      }
      sw[k] = 1.0 / vv;
    } else {
      sw[k] = 1.0;
    }
  }
  if (nIdx < 3 || nPos < 3) {
    return {
      status: FitStatus.TooFewPixels,
      badIndex: 0,
      badIsVariance: false,
      nUsed: nIdx,
      nPositive: nPos,
      fit: null,
    };
  }
  const fit = fitPlanckCompact(nIdx, sy, sw, used.a, used.b, variance !== null, maxIterations, tolerance, s);
  return {
    status: fit.converged ? FitStatus.Ok : FitStatus.NotConverged,
    badIndex: 0,
    badIsVariance: false,
    nUsed: nIdx,
    nPositive: nPos,
    fit,
  };
}

/**
 * Sliding two-colour of one frame (y from offset `off`; mask from `maskOff`, null = all used): every pair (i, i+sep)
 * of unmasked pixels with y > 0 gives T = (b_j − b_i)/(z_i − z_j), z = ln(y/a); the finite T > 0 go to t[0..count).
 * out = [mean, std (n − 1; 0 for one pair), count]; NaN, NaN, 0 without a pair. Returns −1, or the index of the
 * first unmasked pixel with a non-finite y (out untouched). z, t: scratch of at least n values.
 */
export function slidingTwoColorFrame(
  y: Float64Array,
  off: number,
  mask: Uint8Array | null,
  maskOff: number,
  g: Grid,
  sep: number,
  z: Float64Array,
  t: Float64Array,
  out: Float64Array,
): number {
  const n = g.wl.length;
  const a = g.a,
    b = g.b;
  for (let i = 0; i < n; i++) {
    z[i] = NaN;
    if (mask !== null && mask[maskOff + i] !== 0) {
      continue;
    }
    const v = y[off + i];
    if (!Number.isFinite(v)) {
      return i;
    }
    if (v > 0) {
      z[i] = Math.log(v / a[i]);
    }
  }
  let c = 0;
  for (let i = 0; i + sep < n; i++) {
    const j = i + sep;
    if (Number.isNaN(z[i]) || Number.isNaN(z[j])) {
      continue;
    }
    const T = (b[j] - b[i]) / (z[i] - z[j]);
    if (Number.isFinite(T) && T > 0) {
      t[c++] = T;
    }
  }
  if (c === 0) {
    out[0] = NaN;
    out[1] = NaN;
    out[2] = 0;
    return -1;
  }
  let sum = 0;
  for (let k = 0; k < c; k++) {
    sum += t[k];
  }
  const mean = sum / c;
  let ss = 0;
  for (let k = 0; k < c; k++) {
    ss += (t[k] - mean) * (t[k] - mean);
  }
  out[0] = mean;
  out[1] = c > 1 ? Math.sqrt(ss / (c - 1)) : 0;
  out[2] = c;
  return -1;
}
