/**
 * Small numerical helpers for the detector: median/MAD, Student-t tail, normal quantile, dense solves.
 * Pure functions, no allocation-heavy machinery (the detector calls them at every point).
 */

export function median(values: ArrayLike<number>, n = values.length): number {
  if (n === 0) {
    return NaN;
  }
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = values[i];
  }
  return medianInPlace(a, n);
}

/** The k-th smallest (0-based) of a[0..n) by quickselect, rearranging a: afterwards a[k] holds it, everything
 * before it is ≤ and everything after ≥ (the same value sorting would put at k, in O(n)). */
export function selectInPlace(a: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const pivot = medianOfThree(a[lo], a[(lo + hi) >> 1], a[hi]);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) {
        i++;
      }
      while (a[j] > pivot) {
        j--;
      }
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) {
      hi = j;
    } else if (k >= i) {
      lo = i;
    } else {
      break;
    }
  }
  return a[k];
}

function medianOfThree(x: number, y: number, z: number): number {
  if (x < y) {
    return y < z ? y : x < z ? z : x;
  }
  return x < z ? x : y < z ? z : y;
}

/** The median of a[0..n) (n ≥ 1; the mean of the two middle values for even n), rearranging a. */
export function medianInPlace(a: Float64Array, n: number): number {
  const h = n >> 1;
  const upper = selectInPlace(a, n, h);
  if (n % 2) {
    return upper;
  }
  let lower = a[0];
  for (let i = 1; i < h; i++) {
    if (a[i] > lower) {
      lower = a[i];
    }
  }
  return 0.5 * (lower + upper);
}

let madScratch = new Float64Array(256);

/** Grows madSigma's scratch to n values ahead of a call with more residuals than the online data has (see
 * reserveSums in hinge.ts: the growth then happens outside the optimised madSigma). */
export function reserveMadScratch(n: number): void {
  if (madScratch.length < n) {
    madScratch = new Float64Array(Math.max(n, 2 * madScratch.length));
  }
}

/** Robust σ: 1.4826 × median |x| (x are residuals, already centred by a fit). */
export function madSigma(residuals: ArrayLike<number>, n = residuals.length): number {
  if (n === 0) {
    return NaN;
  }
  if (madScratch.length < n) {
    madScratch = new Float64Array(Math.max(n, 2 * madScratch.length));
  }
  const a = madScratch;
  for (let i = 0; i < n; i++) {
    a[i] = Math.abs(residuals[i]);
  }
  return 1.4826 * medianInPlace(a, n);
}

// The coefficients of lnGamma and normalQuantile are module constants, not array literals in the functions: a
// literal is an allocation per call, and bytecode and optimised graph in every function the calls are inlined into.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x), x > 0 (Lanczos). */
export function lnGamma(x: number): number {
  const c = LANCZOS;
  if (x < 0.5) {
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  }
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) {
    a += c[i] / (x + i);
  }
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betacf(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) {
    d = tiny;
  }
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) {
      d = tiny;
    }
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) {
      c = tiny;
    }
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) {
      d = tiny;
    }
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) {
      c = tiny;
    }
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-14) {
      break;
    }
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) {
    return 0;
  }
  if (x >= 1) {
    return 1;
  }
  const lbt = lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  if (x < (a + 1) / (a + b + 2)) {
    return (Math.exp(lbt) * betacf(a, b, x)) / a;
  }
  return 1 - (Math.exp(lbt) * betacf(b, a, 1 - x)) / b;
}

/** Two-sided tail probability P(|t_ν| ≥ |t|). */
export function studentTwoSidedP(t: number, nu: number): number {
  if (!Number.isFinite(t)) {
    return 0;
  }
  if (!(nu > 0)) {
    return NaN;
  }
  return incompleteBeta(nu / (nu + t * t), nu / 2, 0.5);
}

// Acklam's coefficients (normalQuantile)
const ACKLAM_A = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
  2.506628277459239,
];
const ACKLAM_B = [
  -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1,
];
const ACKLAM_C = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const ACKLAM_D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];

/** Φ⁻¹(p) for 0 < p < 1 (Acklam's rational approximation plus one Halley step: ~1e-15 relative). */
export function normalQuantile(p: number): number {
  if (p <= 0) {
    return -Infinity;
  }
  if (p >= 1) {
    return Infinity;
  }
  const a = ACKLAM_A;
  const b = ACKLAM_B;
  const c = ACKLAM_C;
  const d = ACKLAM_D;
  const pl = 0.02425;
  let x: number;
  if (p < pl) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - pl) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
      (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x =
      -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // one Halley step on Φ(x) − p
  const e = 0.5 * erfc(-x / Math.SQRT2) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/** Complementary error function (Numerical Recipes erfcc, relative error < 1.2e-7, then good in the tails). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** A Student-t statistic with ν degrees of freedom expressed as the normal z of equal two-sided tail. */
export function tToZ(t: number, nu: number): number {
  if (!Number.isFinite(t)) {
    return t > 0 ? Infinity : -Infinity;
  }
  if (nu > 1e6) {
    return t;
  }
  const p = studentTwoSidedP(t, nu);
  if (!(p > 0)) {
    return Math.sign(t) * 38;
  } // beyond double precision: cap
  const z = -normalQuantile(p / 2);
  return Math.sign(t) * Math.min(z, 38);
}

/** Inverse of a small dense matrix (Gauss–Jordan, partial pivoting); null when singular. */
export function invertMatrix(A: Float64Array, n: number): Float64Array | null {
  const M = new Float64Array(A);
  const I = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    I[i * n + i] = 1;
  }
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) {
      if (Math.abs(M[r * n + c]) > Math.abs(M[piv * n + c])) {
        piv = r;
      }
    }
    if (!(Math.abs(M[piv * n + c]) > 1e-300)) {
      return null;
    }
    if (piv !== c) {
      swapRows(M, n, c, piv);
      swapRows(I, n, c, piv);
    }
    const dd = M[c * n + c];
    for (let j = 0; j < n; j++) {
      M[c * n + j] /= dd;
      I[c * n + j] /= dd;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) {
        continue;
      }
      const f = M[r * n + c];
      if (f === 0) {
        continue;
      }
      for (let j = 0; j < n; j++) {
        M[r * n + j] -= f * M[c * n + j];
        I[r * n + j] -= f * I[c * n + j];
      }
    }
  }
  return I;
}

/** Swaps rows r1 and r2 of the n×n matrix M (row-major). With a temporary, not a destructuring assignment
 * ([x, y] = [y, x] builds an array and runs the iteration protocol: it tripled invertMatrix's bytecode, and its
 * optimising compile took ~25 ms). */
function swapRows(M: Float64Array, n: number, r1: number, r2: number): void {
  for (let j = 0; j < n; j++) {
    const t = M[r1 * n + j];
    M[r1 * n + j] = M[r2 * n + j];
    M[r2 * n + j] = t;
  }
}

/** First index i < n of the ascending array u with u[i] > v (n when none). */
export function firstAbove(u: Float64Array, n: number, v: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (u[m] > v) {
      hi = m;
    } else {
      lo = m + 1;
    }
  }
  return lo;
}

/** Golden-section search for a minimum of f on [a, b]: the best of the last two probes after `iters` steps. */
export function golden(f: (k: number) => number, a: number, b: number, iters = 30): { k: number; v: number } {
  const g = 0.6180339887498949;
  let c = b - g * (b - a);
  let d = a + g * (b - a);
  let fc = f(c);
  let fd = f(d);
  for (let i = 0; i < iters; i++) {
    if (fc < fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - g * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + g * (b - a);
      fd = f(d);
    }
  }
  return fc < fd ? { k: c, v: fc } : { k: d, v: fd };
}
