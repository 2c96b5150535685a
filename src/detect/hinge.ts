/**
 * The kink test: a continuous hinge
 *     y = β0 + β1 u (+ β2 u²) + Σ_f γ_f·max(0, u − κ_f) + c·max(0, u − κ)
 * fitted by weighted least squares at every candidate kink κ, in O(1) per candidate from suffix sums over the
 * points sorted by x. κ_f are kinks already confirmed (fixed regressors, all before the candidates).
 *
 * With `quadratic` the base model is a quadratic (the smooth alternative: it absorbs power-law bends
 * T ∝ P^0.85–0.97 and radiative curvature over the window), so the hinge term c is only significant for a bend
 * sharper than any parabola. Without it (line + hinge) it is the segmented fit used to place a kink.
 *
 * Coordinates: u = (x − xc)/xs with xc, xs from the data range (conditioning); results are given back in x.
 */
import { firstAbove, golden, invertMatrix, madSigma, tToZ } from './stats';

export interface HingeData {
  /** sorted ascending */
  x: Float64Array;
  y: Float64Array;
  /** Base weights (1/σ_i², relative), > 0. */
  w0: Float64Array;
  n: number;
  /** Frames merged into each point (default 1): minBefore/minAfter count frames; a point of ≥ 3 frames is a
   * median, already robust, so the leave-out check does not delete it. */
  cnt?: Float64Array;
}

export interface HingeScanOptions {
  quadratic: boolean;
  /** Minimum non-rejected points between the last fixed kink (or the window start) and a candidate. */
  minBefore: number;
  minAfter: number;
  minAfterLevels: number;
  resolution: number;
  rejectSigma: number;
  /** Robust iterations (fit, reject at rejectSigma × MAD σ, refit). */
  iterations?: number;
  /** Refine κ continuously between power levels (golden section). */
  continuous?: boolean;
  /** Leave-out robustness: the reported z is the smallest |z| (same κ) over deletions of up to `jackknife`
   * (0, 1 or 2) points among those beyond the kink (when ≤ 16) and those between the previous kink and the
   * candidate (all when ≤ 16, else the first 6): no single pair of outliers can make a kink. Computed when
   * |z| ≥ jackknifeFrom. */
  jackknife?: number;
  jackknifeFrom?: number;
  /** Stop the leave-out search as soon as |z| falls below this (the decision is made then). */
  jackknifeStop?: number;
  /** Points whose FITTED y is below floor + 3σ are left out (selection on x, not on y: no truncation bias). */
  floor?: number;
  /** Already confirmed kinks (x units), fixed regressors; candidates are only searched beyond the last. */
  fixed?: number[];
  /** Restrict candidate kinks to [lo, hi] (x units). */
  lo?: number;
  hi?: number;
}

export interface HingeFit {
  /** Kink position in x. */
  kappa: number;
  /** Slope change across the kink, dy/dx. */
  slopeChange: number;
  slopeChangeError: number;
  /** dy/dx just before and just after the kink. */
  slopeBefore: number;
  slopeAfter: number;
  slopeBeforeError: number;
  slopeAfterError: number;
  /** Fitted y at the kink. */
  yAtKink: number;
  /** t of the hinge term, its degrees of freedom, and the equivalent normal z (two-sided; after the leave-out
   * check when requested). */
  t: number;
  dof: number;
  z: number;
  /** z before the leave-out check. */
  zFull: number;
  /** Residual scale (σ of unit weight). */
  sigma: number;
  /** Index (sorted order) of the first point beyond the kink. */
  firstAfter: number;
  /** Final weights (0 = rejected outlier). */
  w: Float64Array;
  /** Number of points rejected. */
  rejected: number;
}

interface Sums {
  n: number;
  /** Row length of s and sy (n + 1). */
  n1: number;
  s: Float64Array; // suffix sums s[m·n1 + i] = Σ_{k≥i} w u^m, m = 0..4 (one array: one allocation per build)
  sy: Float64Array; // sy[m·n1 + i] = Σ_{k≥i} w u^m y, m = 0..2
  syy: number;
  yc: number;
  xc: number;
  xs: number;
  u: Float64Array;
  nPos: number;
}

/** Scratch buffers start large enough for the online detector's data (≤ 2 × window + 1 points at the default
 * window), so that they never grow, and the optimised code never meets the growth path, while a stream runs. */
const INITIAL_CAPACITY = 256;

/** Buffers of the sums, used in turn: a Sums stays valid until the second buildSums after it (scanHinge keeps at
 * most the latest two: the best fit's and the one being built). No allocation per build. */
interface SumsBuffers {
  u: Float64Array;
  s: Float64Array;
  sy: Float64Array;
}
const SUMS_BUFFERS: SumsBuffers[] = [sumsBuffersOf(INITIAL_CAPACITY), sumsBuffersOf(INITIAL_CAPACITY)];
let sumsTurn = 0;

function sumsBuffers(n: number): SumsBuffers {
  sumsTurn ^= 1;
  const buffers = SUMS_BUFFERS[sumsTurn];
  if (buffers.u.length < n) {
    SUMS_BUFFERS[sumsTurn] = sumsBuffersOf(Math.max(n, 2 * buffers.u.length));
  }
  return SUMS_BUFFERS[sumsTurn];
}

/** Grows the sums' buffers (both turns) to n points ahead of scans of more points than the online data has (the
 * offline fit's legs): the growth then happens here, not inside optimised code that has never taken that branch
 * (which would be thrown away there). */
export function reserveSums(n: number): void {
  for (let turn = 0; turn < SUMS_BUFFERS.length; turn++) {
    const capacity = SUMS_BUFFERS[turn].u.length;
    if (capacity < n) {
      SUMS_BUFFERS[turn] = sumsBuffersOf(Math.max(n, 2 * capacity));
    }
  }
}

function sumsBuffersOf(capacity: number): SumsBuffers {
  return {
    u: new Float64Array(capacity),
    s: new Float64Array(5 * (capacity + 1)),
    sy: new Float64Array(3 * (capacity + 1)),
  };
}

function buildSums(d: HingeData, w: Float64Array): Sums {
  const n = d.n;
  const xc = 0.5 * (d.x[0] + d.x[n - 1]);
  const xs = Math.max(0.5 * (d.x[n - 1] - d.x[0]), 1e-9);
  let sw = 0;
  let swy = 0;
  let nPos = 0;
  for (let i = 0; i < n; i++) {
    sw += w[i];
    swy += w[i] * d.y[i];
    if (w[i] > 0) {
      nPos++;
    }
  }
  const yc = sw > 0 ? swy / sw : 0;
  const { u, s, sy } = sumsBuffers(n);
  for (let i = 0; i < n; i++) {
    u[i] = (d.x[i] - xc) / xs;
  }
  const n1 = n + 1;
  for (let m = 0; m <= 4; m++) {
    s[m * n1 + n] = 0;
    if (m <= 2) {
      sy[m * n1 + n] = 0;
    }
  }
  let syy = 0;
  for (let i = n - 1; i >= 0; i--) {
    const wi = w[i];
    const ui = u[i];
    const yi = d.y[i] - yc;
    let p = wi;
    for (let m = 0; m <= 4; m++) {
      s[m * n1 + i] = s[m * n1 + i + 1] + p;
      if (m <= 2) {
        sy[m * n1 + i] = sy[m * n1 + i + 1] + p * yi;
      }
      p *= ui;
    }
    syy += wi * yi * yi;
  }
  return { n, n1, s, sy, syy, yc, xc, xs, u, nPos };
}

/** A design column: a power u^a, or a hinge max(0, u − κ) whose support starts at sorted index j. */
/** One object shape for both kinds (monomorphic, so the optimised code is not thrown away when the column
 * kinds mix): a ≥ 0 is the power u^a, a = −1 the hinge max(0, u − kap) with support from sorted index j. */
interface Col {
  a: number;
  kap: number;
  j: number;
}
/** Every column from one allocation site, so that all have one hidden class (kap a double from the start). */
function column(a: number, kap: number, j: number): Col {
  return { a, kap, j };
}
const pw = (a: number): Col => column(a, 0.5, 0);
// j | 0: an index read back from an array of doubles is a double, and a double in j would change the hidden class
const hg = (kap: number, j: number): Col => column(-1, kap, j | 0);

function colValue(c: Col, u: number): number {
  if (c.a >= 0) {
    return c.a === 0 ? 1 : c.a === 1 ? u : u * u;
  }
  return u > c.kap ? u - c.kap : 0;
}

function inner(S: Sums, c1: Col, c2: Col): number {
  const s = S.s;
  const n1 = S.n1;
  if (c1.a >= 0 && c2.a >= 0) {
    return s[(c1.a + c2.a) * n1];
  }
  if (c1.a >= 0 || c2.a >= 0) {
    const p = c1.a >= 0 ? c1 : c2;
    const h = c1.a >= 0 ? c2 : c1;
    return s[(p.a + 1) * n1 + h.j] - h.kap * s[p.a * n1 + h.j];
  }
  const J = Math.max(c1.j, c2.j);
  return s[2 * n1 + J] - (c1.kap + c2.kap) * s[n1 + J] + c1.kap * c2.kap * s[J];
}

function innerY(S: Sums, c: Col): number {
  if (c.a >= 0) {
    return S.sy[c.a * S.n1];
  }
  return S.sy[S.n1 + c.j] - c.kap * S.sy[c.j];
}

interface PointFit {
  rss: number;
  beta: Float64Array;
  p: number;
  nPos: number;
  /** Schur complement of the last column (1 / (AᵀWA)⁻¹_last,last). */
  schur: number;
  A: Float64Array;
}

/** Inner products of the leading (fixed) columns, computed once per scan, and their Cholesky factor: a candidate
 * column then costs O(q²) (candidateRss) instead of a p×p solve. */
interface Prefix {
  S: Sums;
  cols: Col[];
  A: Float64Array;
  b: Float64Array;
  /** Cholesky factor (row-major, stride q) and forward-solved z = L⁻¹b of the leading columns; null if singular. */
  L: Float64Array | null;
  z: Float64Array;
  /** Σ z² over the leading columns, summed in order; the largest diagonal element of A. */
  fit: number;
  scale: number;
  /** The candidate's row of the factor (scratch). */
  row: Float64Array;
}
/** cols[from..to) in a new array of the one elements kind every Prefix's columns have (packed): slice() and
 * concat() of an array built by concat(column) give a holey array, another hidden class, and the optimised
 * candidateRss was thrown away ("wrong map") the first time a kink was re-placed (refineBetweenLevels) or
 * left-out fits were made (leaveOutZ). */
function packedColumns(cols: Col[], from: number, to: number): Col[] {
  const out: Col[] = [];
  for (let i = from; i < to; i++) {
    out.push(cols[i]);
  }
  return out;
}

function prefixOf(S: Sums, cols: Col[]): Prefix {
  const q = cols.length;
  const A = new Float64Array(q * q);
  const b = new Float64Array(q);
  for (let r = 0; r < q; r++) {
    b[r] = innerY(S, cols[r]);
    for (let c = r; c < q; c++) {
      const v = inner(S, cols[r], cols[c]);
      A[r * q + c] = v;
      A[c * q + r] = v;
    }
  }
  const z = new Float64Array(q);
  const L = choleskyOf(A, q);
  let fit = 0;
  let scale = 0;
  for (let i = 0; i < q; i++) {
    scale = Math.max(scale, A[i * q + i]);
    if (L) {
      let v = b[i];
      for (let k = 0; k < i; k++) {
        v -= L[i * q + k] * z[k];
      }
      z[i] = v / L[i * q + i];
      fit += z[i] * z[i];
    }
  }
  return { S, cols, A, b, L, z, fit, scale, row: new Float64Array(q) };
}

/** Cholesky factor of A (q×q), with the singularity test of solveScratch; null if singular. */
function choleskyOf(A: Float64Array, q: number): Float64Array | null {
  const L = A.slice(0, q * q);
  for (let j = 0; j < q; j++) {
    let dsum = L[j * q + j];
    for (let k = 0; k < j; k++) {
      dsum -= L[j * q + k] * L[j * q + k];
    }
    if (!(dsum > 1e-12 * Math.max(A[j * q + j], 1e-300))) {
      return null;
    }
    const djj = Math.sqrt(dsum);
    L[j * q + j] = djj;
    for (let i = j + 1; i < q; i++) {
      let v = L[i * q + j];
      for (let k = 0; k < j; k++) {
        v -= L[i * q + k] * L[j * q + k];
      }
      L[i * q + j] = v / djj;
    }
  }
  return L;
}

/** Residual sum of squares of the fit of the prefix columns plus `cand`, from the prefix's factor: the same
 * arithmetic, in the same order, as fitCols(S, [...prefix, cand], pre).rss (the factor's last row is a forward
 * substitution), without the solve for β. −1 when that fit would be singular. */
function candidateRss(pre: Prefix, cand: Col): number {
  const S = pre.S;
  const L = pre.L;
  const cols = pre.cols;
  const q = cols.length;
  const acc = inner(S, cand, cand);
  if (!L || !(Math.max(pre.scale, acc) > 0)) {
    return -1;
  }
  const row = pre.row;
  let dsum = acc;
  for (let j = 0; j < q; j++) {
    // the generic inner(): its every branch (power and hinge columns) runs from the first scan on, while a branch
    // for fixed kinks alone would first run after the first confirmation and throw the optimised code away there
    let v = inner(S, cols[j], cand);
    for (let k = 0; k < j; k++) {
      v -= row[k] * L[j * q + k];
    }
    row[j] = v / L[j * q + j];
  }
  for (let k = 0; k < q; k++) {
    dsum -= row[k] * row[k];
  }
  if (!(dsum > 1e-12 * Math.max(acc, 1e-300))) {
    return -1;
  }
  const last = Math.sqrt(dsum);
  let v = innerY(S, cand);
  for (let k = 0; k < q; k++) {
    v -= row[k] * pre.z[k];
  }
  const zLast = v / last;
  return Math.max(S.syy - (pre.fit + zLast * zLast), 0);
}

// Scratch buffers of the fits (the detector runs hundreds of small fits per point: no allocation per fit).
let CAP = 0;
let sA = new Float64Array(0);
let sB = new Float64Array(0);
let sL = new Float64Array(0);
let sZ = new Float64Array(0);
let sBeta = new Float64Array(0);
const SCRATCH: PointFit = { rss: 0, beta: sBeta, p: 0, nPos: 0, schur: 0, A: sA };
function ensureCap(p: number): void {
  if (p <= CAP) {
    return;
  }
  CAP = Math.max(p, 2 * CAP, 8);
  sA = new Float64Array(CAP * CAP);
  sB = new Float64Array(CAP);
  sL = new Float64Array(CAP * CAP);
  sZ = new Float64Array(CAP);
  sBeta = new Float64Array(CAP);
}

/** A copy of a fit that outlives the next fit (fitCols returns the shared scratch). */
function keep(f: PointFit): PointFit {
  const p = f.p;
  // copied by slice() (a builtin), not by loops: keep, called once per scan, is then never optimised
  const beta = f.beta.slice(0, p);
  const A = f.A.slice(0, p * p);
  return { rss: f.rss, beta, p, nPos: f.nPos, schur: f.schur, A };
}

/** Normal equations A (p×p, row-major, stride p), b of the columns `cols` from the sums, into sA/sB. */
function normalEquations(S: Sums, cols: Col[], pre?: Prefix): void {
  const p = cols.length;
  ensureCap(p);
  const A = sA;
  const b = sB;
  const q = pre && pre.cols.length === p - 1 ? p - 1 : 0;
  if (q) {
    for (let r = 0; r < q; r++) {
      b[r] = pre!.b[r];
      for (let c = 0; c < q; c++) {
        A[r * p + c] = pre!.A[r * q + c];
      }
    }
  }
  for (let r = 0; r < p; r++) {
    if (r < q) {
      const c = p - 1;
      const v = inner(S, cols[r], cols[c]);
      A[r * p + c] = v;
      A[c * p + r] = v;
      continue;
    }
    b[r] = innerY(S, cols[r]);
    for (let c = r; c < p; c++) {
      const v = inner(S, cols[r], cols[c]);
      A[r * p + c] = v;
      A[c * p + r] = v;
    }
  }
}

/** Cholesky solve of sA (p×p) beta = sB; the result in the shared SCRATCH fit (null if singular). */
function solveScratch(p: number, syy: number, nPos: number): PointFit | null {
  const A = sA;
  const b = sB;
  const Lm = sL;
  const pp = p * p;
  for (let i = 0; i < pp; i++) {
    Lm[i] = A[i];
  }
  let scale = 0;
  for (let i = 0; i < p; i++) {
    scale = Math.max(scale, Lm[i * p + i]);
  }
  if (!(scale > 0)) {
    return null;
  }
  for (let j = 0; j < p; j++) {
    let dsum = Lm[j * p + j];
    for (let k = 0; k < j; k++) {
      dsum -= Lm[j * p + k] * Lm[j * p + k];
    }
    if (!(dsum > 1e-12 * Math.max(A[j * p + j], 1e-300))) {
      return null;
    }
    const djj = Math.sqrt(dsum);
    Lm[j * p + j] = djj;
    for (let i = j + 1; i < p; i++) {
      let v = Lm[i * p + j];
      for (let k = 0; k < j; k++) {
        v -= Lm[i * p + k] * Lm[j * p + k];
      }
      Lm[i * p + j] = v / djj;
    }
  }
  const z = sZ;
  for (let i = 0; i < p; i++) {
    let v = b[i];
    for (let k = 0; k < i; k++) {
      v -= Lm[i * p + k] * z[k];
    }
    z[i] = v / Lm[i * p + i];
  }
  const beta = sBeta;
  for (let i = p - 1; i >= 0; i--) {
    let v = z[i];
    for (let k = i + 1; k < p; k++) {
      v -= Lm[k * p + i] * beta[k];
    }
    beta[i] = v / Lm[i * p + i];
  }
  let fit = 0;
  for (let i = 0; i < p; i++) {
    fit += z[i] * z[i];
  }
  const lp = Lm[pp - 1];
  const out = SCRATCH;
  out.rss = Math.max(syy - fit, 0);
  out.beta = beta;
  out.p = p;
  out.nPos = nPos;
  out.schur = lp * lp;
  out.A = A;
  return out;
}

/** WLS fit of the prefix columns plus the last column from the sums (Cholesky). Returns the shared scratch fit:
 * use it before the next fit, or keep() it. */
function fitCols(S: Sums, cols: Col[], pre?: Prefix): PointFit | null {
  normalEquations(S, cols, pre);
  return solveScratch(cols.length, S.syy, S.nPos);
}

/**
 * The fit of the prefix columns plus `cand` from the prefix's Cholesky factor: fitCols(S, [...prefix, cand], pre)
 * to the bit (the same operations in the same order: the factor's leading block is choleskyOf's, its last row and
 * the last z are candidateRss's), without assembling the normal equations again and factorising them in full.
 * Returns the shared scratch fit (null if singular), as fitCols. Why: robustFit fits its best candidate at every
 * pass (~670 fits on the bench shot); through fitCols, normalEquations and solveScratch were both optimised for it,
 * while their other callers (re-placement, refits, leave-out fits) are too rare for that: one optimised function
 * instead of two, and less work per fit.
 */
function fitWithPrefix(pre: Prefix, cand: Col): PointFit | null {
  const S = pre.S;
  const L = pre.L;
  const cols = pre.cols;
  const q = cols.length;
  const p = q + 1;
  const acc = inner(S, cand, cand);
  if (!L || !(Math.max(pre.scale, acc) > 0)) {
    return null;
  }
  ensureCap(p);
  // the normal equations (kept with the fit: summarize inverts them) and the factor's last row
  const A = sA;
  const row = sZ;
  let dsum = acc;
  for (let j = 0; j < q; j++) {
    for (let c = 0; c < q; c++) {
      A[j * p + c] = pre.A[j * q + c];
    }
    const v0 = inner(S, cols[j], cand);
    A[j * p + q] = v0;
    A[q * p + j] = v0;
    let v = v0;
    for (let k = 0; k < j; k++) {
      v -= row[k] * L[j * q + k];
    }
    row[j] = v / L[j * q + j];
  }
  A[q * p + q] = acc;
  for (let k = 0; k < q; k++) {
    dsum -= row[k] * row[k];
  }
  if (!(dsum > 1e-12 * Math.max(acc, 1e-300))) {
    return null;
  }
  const last = Math.sqrt(dsum);
  let v = innerY(S, cand);
  for (let k = 0; k < q; k++) {
    v -= row[k] * pre.z[k];
  }
  const zLast = v / last;
  // back substitution, in solveScratch's order: rows k > i of column i, k ascending (the last row last)
  const beta = sBeta;
  beta[q] = zLast / last;
  for (let i = q - 1; i >= 0; i--) {
    let b = pre.z[i];
    for (let k = i + 1; k < q; k++) {
      b -= L[k * q + i] * beta[k];
    }
    b -= row[i] * beta[q];
    beta[i] = b / L[i * q + i];
  }
  const out = SCRATCH;
  out.rss = Math.max(S.syy - (pre.fit + zLast * zLast), 0);
  out.beta = beta;
  out.p = p;
  out.nPos = S.nPos;
  out.schur = last * last;
  out.A = A;
  return out;
}

/** Normal equations of a fit, saved so that leave-out fits start from them without recomputing the sums. */
interface SavedNormal {
  A: Float64Array;
  b: Float64Array;
  p: number;
}
function saveNormal(S: Sums, cols: Col[], pre?: Prefix): SavedNormal {
  normalEquations(S, cols, pre);
  const p = cols.length;
  return { A: sA.slice(0, p * p), b: sB.slice(0, p), p };
}

/** The fit of saved normal equations with the points del1 (and del2, ≥ 0) left out. G holds the design row of
 * each point (G[i·p + r] = column r at point i); the arithmetic is that of deleting them from the sums. */
function fitLeaveOut(
  S: Sums,
  N: SavedNormal,
  G: Float64Array,
  w: Float64Array,
  yv: Float64Array,
  del1: number,
  del2: number,
): PointFit | null {
  const p = N.p;
  ensureCap(p);
  const A = sA;
  const b = sB;
  for (let i = 0; i < p * p; i++) {
    A[i] = N.A[i];
  }
  for (let i = 0; i < p; i++) {
    b[i] = N.b[i];
  }
  let syy = S.syy;
  let nPos = S.nPos;
  for (let k = 0; k < 2; k++) {
    const i = k === 0 ? del1 : del2;
    if (i < 0) {
      continue;
    }
    const wi = w[i];
    if (!(wi > 0)) {
      continue;
    }
    const yi = yv[i] - S.yc;
    const g = i * p;
    for (let r = 0; r < p; r++) {
      const gr = G[g + r];
      if (gr === 0) {
        continue;
      }
      b[r] -= wi * gr * yi;
      for (let c = 0; c < p; c++) {
        A[r * p + c] -= wi * gr * G[g + c];
      }
    }
    syy -= wi * yi * yi;
    nPos--;
  }
  return solveScratch(p, syy, nPos);
}

/** z of the last column (the candidate hinge). */
function zOf(f: PointFit): number {
  const dof = f.nPos - f.p;
  if (dof < 1) {
    return 0;
  }
  const s2 = f.rss / dof;
  const v = s2 / f.schur;
  const c = f.beta[f.p - 1];
  if (!(v > 0)) {
    return c === 0 || !(f.schur > 0) ? 0 : Math.sign(c) * 38;
  } // exact fit
  return tToZ(f.beta[f.p - 1] / Math.sqrt(v), dof);
}

/** Distinct levels of sorted x: start index of each group. */
export function levelStarts(x: Float64Array, n: number, resolution: number): number[] {
  const starts: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i === 0 || x[i] - x[starts[starts.length - 1]] > resolution) {
      starts.push(i);
    }
  }
  return starts;
}

/** Per-scan scratch (valid within one scanHinge call): non-rejected frame counts before each point, non-rejected
 * levels after each level, residuals. */
const SCAN_SCRATCH = {
  pos: new Int32Array(INITIAL_CAPACITY),
  levelsAfter: new Int32Array(INITIAL_CAPACITY),
  residuals: new Float64Array(INITIAL_CAPACITY),
  fitted: new Float64Array(INITIAL_CAPACITY),
};
function scanScratch(n: number): typeof SCAN_SCRATCH {
  if (SCAN_SCRATCH.pos.length < n + 1) {
    const capacity = Math.max(n + 1, 2 * SCAN_SCRATCH.pos.length, INITIAL_CAPACITY);
    SCAN_SCRATCH.pos = new Int32Array(capacity);
    SCAN_SCRATCH.levelsAfter = new Int32Array(capacity);
    SCAN_SCRATCH.residuals = new Float64Array(capacity);
    SCAN_SCRATCH.fitted = new Float64Array(capacity);
  }
  return SCAN_SCRATCH;
}

/** pos[i] = frames (d.cnt, 1 each without) of the non-rejected points before sorted index i, i = 0..n. */
function countsBefore(d: HingeData, w: Float64Array, pos: Int32Array): Int32Array {
  pos[0] = 0;
  for (let i = 0; i < d.n; i++) {
    pos[i + 1] = pos[i] + (w[i] > 0 ? (d.cnt ? d.cnt[i] : 1) : 0);
  }
  return pos;
}

/**
 * Best hinge over candidate kinks, with robust re-weighting. Returns null when there are too few points or
 * levels for any candidate.
 */
export function scanHinge(d: HingeData, options: HingeScanOptions): HingeFit | null {
  const o = uniformOptions(options);
  const n = d.n;
  if (n < o.minBefore + o.minAfter) {
    return null;
  }
  const starts = levelStarts(d.x, n, o.resolution);
  // a typed array: an array of doubles has another hidden class than the empty one of a curve without kinks
  const fixedX = Float64Array.from((o.fixed ?? []).filter((k) => k > d.x[0] && k < d.x[n - 1])).sort();
  const cands = candidateLevels(d, starts, fixedX, o);
  if (cands.length === 0) {
    return null;
  }
  const w = new Float64Array(d.w0);
  const base: Col[] = o.quadratic ? [pw(0), pw(1), pw(2)] : [pw(0), pw(1)];
  let best = robustFit(d, w, starts, cands, fixedX, base, o);
  if (best && o.continuous) {
    best = refineBetweenLevels(d, w, starts, best, base, o);
  }
  if (!best) {
    return null;
  }
  const out = summarize(d, best, w, o);
  // written at every scan, not only after a leave-out check: a field first changed late in a stream loses its
  // "constant" status then, and the optimised code that relied on it (summarize) would be thrown away
  out.z = leaveOutChecked(d, w, best, o, out.zFull);
  return out;
}

/** The z of the best fit after the leave-out check (when asked for and |zFull| ≥ jackknifeFrom), else zFull. */
function leaveOutChecked(
  data: HingeData,
  weights: Float64Array,
  best: BestHinge,
  options: HingeScanOptions,
  zFull: number,
): number {
  const jk = options.jackknife ?? 0;
  if (jk > 0 && Math.abs(zFull) >= (options.jackknifeFrom ?? 0)) {
    const stop = options.jackknifeStop ?? -Infinity;
    return Math.sign(zFull) * leaveOutZ(data, weights, best, jk, Math.abs(zFull), stop);
  }
  return zFull;
}

/** The options with every field present (defaults filled in), in one order: one hidden class for the scan's
 * helpers, whichever caller (kink test, placement, re-placement) built them. The fields that hold integers for
 * one caller and fractions for another (a floor of 1000 K, a bound of −∞) are first set to a fraction: a field
 * that starts as a small integer and later gets a fraction changes the class, and the optimised scan that relied
 * on it would be thrown away the first time a kink is re-placed. */
class UniformScanOptions implements HingeScanOptions {
  quadratic: boolean;
  minBefore: number;
  minAfter: number;
  minAfterLevels: number;
  resolution = 0.5;
  rejectSigma = 0.5;
  iterations: number;
  continuous: boolean;
  jackknife: number;
  jackknifeFrom = 0.5;
  jackknifeStop = 0.5;
  floor = 0.5;
  fixed: number[];
  lo = 0.5;
  hi = 0.5;

  constructor(options: HingeScanOptions) {
    this.quadratic = options.quadratic;
    this.minBefore = options.minBefore;
    this.minAfter = options.minAfter;
    this.minAfterLevels = options.minAfterLevels;
    this.resolution = options.resolution;
    this.rejectSigma = options.rejectSigma;
    this.iterations = options.iterations ?? 3;
    this.continuous = options.continuous ?? false;
    this.jackknife = options.jackknife ?? 0;
    this.jackknifeFrom = options.jackknifeFrom ?? 0;
    this.jackknifeStop = options.jackknifeStop ?? -Infinity;
    // the defaults mean "none": no floor (a comparison with NaN is false), no bound
    this.floor = options.floor ?? NaN;
    this.fixed = options.fixed ?? [];
    this.lo = options.lo ?? -Infinity;
    this.hi = options.hi ?? Infinity;
  }
}

function uniformOptions(options: HingeScanOptions): HingeScanOptions {
  return new UniformScanOptions(options);
}

/** The best candidate of a scan: sums, kink (centred units), first index beyond it, kept fit and columns, and the
 * first index of the segment it was searched in. One class for every best fit (found, refitted, refined), with j
 * always a small integer and kap a fraction from the start (a kink at u = 0 would store a small integer first): one
 * hidden class whose fields never change representation, so the optimised reweight is not thrown away ("wrong map")
 * when a refined best fit first reaches it. */
class BestHinge {
  kap = 0.5;
  readonly j: number;

  constructor(
    readonly S: Sums,
    kap: number,
    j: number,
    readonly fit: PointFit,
    readonly cols: Col[],
    readonly segStart: number,
  ) {
    this.kap = kap;
    // j | 0: an index read back from an array of doubles (refineBetweenLevels' intervals) is a heap number, and the
    // optimised summarize, which copies j into a small-integer field, would be thrown away ("not a Smi")
    this.j = j | 0;
  }
}

/** Levels (indices into starts) that may hold a kink: beyond the last fixed kink, within [lo, hi], with enough
 * points and levels after them. */
function candidateLevels(d: HingeData, starts: number[], fixedX: Float64Array, o: HingeScanOptions): number[] {
  const n = d.n;
  const L = starts.length;
  // at(-1) runs at every scan, with or without fixed kinks: an expression reached only once the first kink is confirmed
  // has no type feedback, and the optimised code would be thrown away there
  const lastFixed = fixedX.at(-1) ?? -Infinity;
  const cands: number[] = [];
  for (let l = 0; l + 1 < L; l++) {
    const xk = d.x[starts[l]];
    if (xk <= lastFixed) {
      continue;
    }
    if (o.lo !== undefined && xk < o.lo) {
      continue;
    }
    if (o.hi !== undefined && xk > o.hi) {
      continue;
    }
    if (n - starts[l + 1] < o.minAfter || L - (l + 1) < o.minAfterLevels) {
      continue;
    }
    cands.push(l);
  }
  return cands;
}

/** Scan passes: fit every candidate, keep the best, reject points beyond rejectSigma × the robust σ (and those
 * fitted near the floor) and scan again, until nothing changes or `iterations` passes. null when no fit. */
function robustFit(
  d: HingeData,
  w: Float64Array,
  starts: number[],
  cands: number[],
  fixedX: Float64Array,
  base: Col[],
  o: HingeScanOptions,
): BestHinge | null {
  const n = d.n;
  const iters = o.iterations ?? 3;
  let best: BestHinge | null = null;
  for (let it = 0; it < iters; it++) {
    const S = buildSums(d, w);
    if (S.nPos < base.length + fixedX.length + 3) {
      return null;
    }
    const fixedCols: Col[] = Array.from(fixedX, (x) => {
      const kap = (x - S.xc) / S.xs;
      return hg(kap, firstAbove(S.u, n, kap));
    });
    const segStart = fixedCols.length ? fixedCols[fixedCols.length - 1].j : 0;
    const leading = base.concat(fixedCols);
    const pre = prefixOf(S, leading);
    const bestCandidate = bestOfCandidates(d, w, pre, starts, cands, segStart, o);
    if (bestCandidate === null) {
      return null;
    }
    // the best candidate's fit, kept (recomputed: identical arithmetic)
    const cand = hg(bestCandidate.kap, bestCandidate.j);
    const cols: Col[] = leading.concat(cand);
    const f = fitWithPrefix(pre, cand);
    if (!f) {
      return null;
    }
    best = new BestHinge(S, bestCandidate.kap, bestCandidate.j, keep(f), cols, segStart);
    const changed = reweight(d, w, best, o);
    if (changed === null || !changed) {
      break;
    }
    if (it === iters - 1) {
      // weights changed on the last pass: refit at the same κ with the new weights
      const S2 = buildSums(d, w);
      const f2 = fitCols(S2, best.cols);
      if (f2 && S2.nPos > best.cols.length) {
        best = new BestHinge(S2, best.kap, best.j, keep(f2), best.cols, best.segStart);
      }
    }
  }
  return best;
}

/** The candidate level with the smallest residual sum of squares that keeps enough non-rejected frames before
 * (from segStart) and after it and enough levels after it; null if none. */
function bestOfCandidates(
  d: HingeData,
  w: Float64Array,
  pre: Prefix,
  starts: number[],
  cands: number[],
  segStart: number,
  o: HingeScanOptions,
): { kap: number; j: number } | null {
  const n = d.n;
  const L = starts.length;
  const S = pre.S;
  // candidates must keep enough non-rejected points and levels on each side
  const pos = countsBefore(d, w, scanScratch(n).pos);
  const posLevelsAfter = SCAN_SCRATCH.levelsAfter;
  posLevelsAfter[L] = 0;
  for (let l = L - 1; l >= 0; l--) {
    const e = l + 1 < L ? starts[l + 1] : n;
    posLevelsAfter[l] = posLevelsAfter[l + 1] + (pos[e] - pos[starts[l]] > 0 ? 1 : 0);
  }
  const minBefore = o.minBefore;
  const minAfter = o.minAfter;
  const minAfterLevels = o.minAfterLevels;
  const cand = hg(0, 0);
  let bestRss = Infinity;
  let bestKap = 0;
  let bestJ = -1;
  for (let c = 0; c < cands.length; c++) {
    const l = cands[c];
    const j = starts[l + 1];
    if (pos[j] - pos[segStart] < minBefore || pos[n] - pos[j] < minAfter || posLevelsAfter[l + 1] < minAfterLevels) {
      continue;
    }
    const kap = S.u[starts[l]];
    cand.kap = kap;
    cand.j = j;
    const rss = candidateRss(pre, cand);
    if (rss >= 0 && (bestJ < 0 || rss < bestRss)) {
      bestRss = rss;
      bestKap = kap;
      bestJ = j;
    }
  }
  return bestJ < 0 ? null : { kap: bestKap, j: bestJ };
}

/** Rejection around the best fit: weight 0 beyond rejectSigma × the robust σ of the residuals (and where the
 * fitted y is within 3σ of the floor), else the base weight. Whether a weight changed; null when σ is 0. */
function reweight(d: HingeData, w: Float64Array, best: BestHinge, o: HingeScanOptions): boolean | null {
  const n = d.n;
  const fitted = SCAN_SCRATCH.fitted;
  const res = SCAN_SCRATCH.residuals;
  for (let i = 0; i < n; i++) {
    fitted[i] = predictAt(best.S, best.cols, best.fit.beta, best.S.u[i]);
    res[i] = (d.y[i] - fitted[i]) * Math.sqrt(d.w0[i]);
  }
  const sr = madSigma(res, n);
  if (!(sr > 0)) {
    return null;
  }
  let changed = false;
  for (let i = 0; i < n; i++) {
    let nw = Math.abs(res[i]) > o.rejectSigma * sr ? 0 : d.w0[i];
    if (o.floor !== undefined && fitted[i] < o.floor + (3 * sr) / Math.sqrt(d.w0[i])) {
      nw = 0;
    }
    if (nw !== w[i]) {
      changed = true;
    }
    // stored unconditionally: a store first reached when a weight changes (late in a stream) has no type feedback,
    // and the optimised reweight would be thrown away there
    w[i] = nw;
  }
  return changed;
}

/** Refines κ continuously (golden section) between the neighbouring levels on both sides of the best level. */
function refineBetweenLevels(
  d: HingeData,
  w: Float64Array,
  starts: number[],
  found: BestHinge,
  base: Col[],
  o: HingeScanOptions,
): BestHinge {
  let best = found;
  const n = d.n;
  const L = starts.length;
  const S = best.S;
  const segStart = best.segStart;
  const fixedCols = best.cols.slice(base.length, -1);
  const pre = prefixOf(S, packedColumns(base.concat(fixedCols), 0, base.length + fixedCols.length));
  const pos = countsBefore(d, w, scanScratch(n).pos);
  const l = starts.indexOf(best.j) - 1;
  const lvlU = (q: number) => S.u[starts[Math.max(0, Math.min(L - 1, q))]];
  const intervals: Array<[number, number, number]> = [];
  if (
    l >= 1 &&
    lvlU(l - 1) > (fixedCols.length ? fixedCols[fixedCols.length - 1].kap : -Infinity) &&
    pos[n] - pos[starts[l]] >= o.minAfter
  ) {
    intervals.push([lvlU(l - 1), lvlU(l), starts[l]]);
  }
  if (l + 1 < L) {
    intervals.push([lvlU(l), lvlU(l + 1), starts[l + 1]]);
  }
  for (const [a, b, j] of intervals) {
    if (!(b > a)) {
      continue;
    }
    const cand = hg(0, j);
    const r = golden(
      (k) => {
        cand.kap = k;
        const rss = candidateRss(pre, cand);
        return rss >= 0 ? rss : Infinity;
      },
      a,
      b - 1e-9 * (b - a),
      24,
    );
    if (r.v < best.fit.rss) {
      const cols = base.concat(fixedCols, hg(r.k, j)); // built as in robustFit: one array class
      const f = fitCols(S, cols);
      if (f) {
        best = new BestHinge(S, r.k, j, keep(f), cols, segStart);
      }
    }
  }
  return best;
}

/** Leave-out check: the smallest |z| of the best fit's hinge (same κ) over deletions of one point, and with
 * `jackknife` ≥ 2 of two, among the single-frame points before the kink in its segment (all when ≤ 16, else the
 * first 6) and those beyond it (when ≤ 16); stops once |z| < stop. */
function leaveOutZ(
  d: HingeData,
  w: Float64Array,
  best: BestHinge,
  jackknife: number,
  zFull: number,
  stop: number,
): number {
  const n = d.n;
  const S = best.S;
  const j = best.j;
  const cols = best.cols;
  const N = saveNormal(S, cols, prefixOf(S, packedColumns(cols, 0, cols.length - 1)));
  const p = cols.length;
  let zmin = zFull;
  const pool: number[] = [];
  const before: number[] = [];
  const single = (i: number) => w[i] > 0 && (!d.cnt || d.cnt[i] < 3);
  for (let i = best.segStart; i < j; i++) {
    if (single(i)) {
      before.push(i);
    }
  }
  pool.push(...(before.length <= 16 ? before : before.slice(0, 6)));
  if (n - j <= 16) {
    for (let i = j; i < n; i++) {
      if (single(i)) {
        pool.push(i);
      }
    }
  }
  // design rows of the pool points, computed once
  const G = new Float64Array(n * p);
  for (const i of pool) {
    for (let r = 0; r < p; r++) {
      G[i * p + r] = colValue(cols[r], S.u[i]);
    }
  }
  const consider = (d1: number, d2: number) => {
    if (zmin < stop) {
      return;
    }
    const f = fitLeaveOut(S, N, G, w, d.y, d1, d2);
    const z = f ? Math.abs(zOf(f)) : 0;
    if (z < zmin) {
      zmin = z;
    }
  };
  for (let a = 0; a < pool.length; a++) {
    consider(pool[a], -1);
    if (jackknife >= 2) {
      for (let b = a + 1; b < pool.length; b++) {
        consider(pool[a], pool[b]);
      }
    }
  }
  return zmin;
}

function predictAt(S: Sums, cols: Col[], beta: Float64Array, u: number): number {
  let v = S.yc;
  for (let c = 0; c < cols.length; c++) {
    const col = cols[c];
    const a = col.a;
    // colValue(col, u), inline
    const value = a === 0 ? 1 : a === 1 ? u : a === 2 ? u * u : u > col.kap ? u - col.kap : 0;
    v += beta[c] * value;
  }
  return v;
}

/** max(gᵀ C g, 0) · s2 for the size×size matrix C (row-major): the variance of a linear combination g of the
 * fitted coefficients. A function of its own, not a closure over C, size and s2 (a smaller graph for the optimising
 * compiler where summarize inlines it). */
function scaledQuadraticForm(combination: Float64Array, covariance: Float64Array, size: number, s2: number): number {
  let v = 0;
  for (let a = 0; a < size; a++) {
    for (let b = 0; b < size; b++) {
      v += combination[a] * covariance[a * size + b] * combination[b];
    }
  }
  return Math.max(v, 0) * s2;
}

/** How many of w[0..n) are 0 (rejected points). Counted without a branch: an increment first reached at the first
 * rejected point would have no type feedback, and the optimised code would be thrown away there. A function of its
 * own so that summarize has no loop over the points: called once per scan, it then never runs long enough to be
 * optimised (a ~13 ms compile, for a function that takes microseconds per scan). */
function zerosIn(w: Float64Array, n: number): number {
  let zeros = 0;
  for (let i = 0; i < n; i++) {
    zeros += w[i] === 0 ? 1 : 0;
  }
  return zeros;
}

/** The fit's figures in x units (z before the leave-out check). */
function summarize(d: HingeData, best: BestHinge, w: Float64Array, options: HingeScanOptions): HingeFit {
  const S = best.S;
  const kap = best.kap;
  const f = best.fit;
  const quadratic = options.quadratic;
  const p = f.p;
  const inv = invertMatrix(f.A, p) ?? new Float64Array(p * p);
  const dof = Math.max(f.nPos - p, 1);
  const s2 = f.rss / dof;
  const ch = p - 1;
  const c = f.beta[ch];
  const varC = inv[ch * p + ch] * s2;
  const t = varC > 0 ? c / Math.sqrt(varC) : c === 0 ? 0 : Infinity * Math.sign(c);
  // slope just before κ: β1 + 2β2κ + Σ fixed hinges (all active); after: + c
  const gb = new Float64Array(p);
  gb[1] = 1;
  if (quadratic) {
    gb[2] = 2 * kap;
  }
  // fill(), not a loop whose body first runs once a kink is fixed (no type feedback before: a deopt there)
  gb.fill(1, quadratic ? 3 : 2, ch);
  const ga = new Float64Array(gb);
  ga[ch] = 1;
  let sb = 0;
  for (let k = 0; k < p; k++) {
    sb += gb[k] * f.beta[k];
  }
  const xs = S.xs;
  const rejected = zerosIn(w, d.n);
  const z = tToZ(t, dof);
  return {
    kappa: S.xc + kap * xs,
    slopeChange: c / xs,
    slopeChangeError: Math.sqrt(Math.max(varC, 0)) / xs,
    slopeBefore: sb / xs,
    slopeAfter: (sb + c) / xs,
    slopeBeforeError: Math.sqrt(scaledQuadraticForm(gb, inv, p, s2)) / xs,
    slopeAfterError: Math.sqrt(scaledQuadraticForm(ga, inv, p, s2)) / xs,
    yAtKink: predictAt(S, best.cols, f.beta, kap),
    t,
    dof,
    z,
    zFull: z,
    sigma: Math.sqrt(s2),
    firstAfter: best.j,
    w,
    rejected,
  };
}

/**
 * z of the hinge term at a FIXED kink κ (x units) against the base model (quadratic or line), with the given
 * weights (0 = excluded). Used to report the significance of a refined kink. Returns 0 when not estimable.
 */
export function hingeZAt(d: HingeData, w: Float64Array, kappa: number, quadratic: boolean): number {
  const n = d.n;
  if (n < (quadratic ? 6 : 5)) {
    return 0;
  }
  const S = buildSums(d, w);
  const kap = (kappa - S.xc) / S.xs;
  const j = firstAbove(S.u, n, kap);
  if (j === 0 || j === n) {
    return 0;
  }
  const base: Col[] = quadratic ? [pw(0), pw(1), pw(2)] : [pw(0), pw(1)];
  const f = fitCols(S, base.concat(hg(kap, j)));
  return f ? zOf(f) : 0;
}
