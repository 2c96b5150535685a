// Fitting core (see fit.h). Variable projection: for a fixed T the greybody scale is linear,
// s(T) = Σ w y L / Σ w L², so χ²(T) = Σ w y² − (Σ w y L)² / Σ w L² is a function of T alone. It is minimised by
// Newton's method on u = ln T with analytic first and second derivatives, starting from a Wien fit.
// One exp and one division per pixel per pass. Mirrors src/physics/core.ts (same loops and order of operations;
// the exp is vexp.h's expFma on AVX2/AVX-512 processors, within 1 ulp of libm's).
#include "fit.h"

#include <cmath>
#include <limits>

#include "simd.h"
#include "vexp.h"
#include "vlog.h"

namespace pyro {

void Grid::build(const double* wlNm, size_t n) {
  wl.assign(wlNm, wlNm + n);
  a.resize(n);
  b.resize(n);
  for (size_t i = 0; i < n; i++) {
    const double lm = wlNm[i] * 1e-9;
    a[i] = C1 / (lm * lm * lm * lm * lm);
    b[i] = C2 / lm;
  }
}

void Scratch::reserve(size_t n) {
  if (y.size() < n) {
    for (auto* v : {&y, &w, &a, &b, &wy, &L, &z, &py, &pw, &pa, &pb}) v->resize(n);
  }
}

WienOut fitWienCompact(size_t n, const double* y, const double* w, const double* a, const double* b,
                       bool useYWeights, bool absoluteErrors, double* z) {
  WienOut out;
  double sv = 0, svb = 0, svz = 0;
  for (size_t i = 0; i < n; i++) {
    z[i] = std::log(y[i] / a[i]);
    const double v = useYWeights ? y[i] * y[i] * w[i] : 1.0;
    sv += v;
    svb += v * b[i];
    svz += v * z[i];
  }
  const double bm = svb / sv, zm = svz / sv;
  double sbb = 0, sbz = 0;
  for (size_t i = 0; i < n; i++) {
    const double v = useYWeights ? y[i] * y[i] * w[i] : 1.0;
    const double db = b[i] - bm;
    sbb += v * db * db;
    sbz += v * db * (z[i] - zm);
  }
  const double m = sbz / sbb;
  double chi2 = 0;
  for (size_t i = 0; i < n; i++) {
    const double v = useYWeights ? y[i] * y[i] * w[i] : 1.0;
    const double r = (z[i] - zm) - m * (b[i] - bm);
    chi2 += v * r * r;
  }
  const int dof = static_cast<int>(n) - 2;
  double varM = 1.0 / sbb;
  if (!absoluteErrors) varM *= chi2 / dof;
  out.temperature = -1.0 / m;
  out.temperatureError = std::sqrt(varM) / (m * m);
  out.scale = std::exp(zm - m * bm);
  out.chi2 = chi2;
  out.dof = dof;
  return out;
}

namespace {

constexpr size_t kStartPoints = 64;
constexpr double kMaxStep = 0.5;  // at most a factor e^0.5 in T per pass

struct Sums {
  double A, B, A1, B1, A2, B2, B11;  // Σwy L, Σw L², Σwy L', Σw L L', Σwy L'', Σw L L'', Σw L'²
};

// The sums of one pass over the pixels, given e = exp(b·invT) per pixel. Stores L for the final χ².
// The sums may be vectorised (the pragma allows re-association of these reductions only; no fast-math flags in the
// build): they then differ from the sequential TypeScript sums in the last bits, far below the parity tolerance.
template <bool kInlineExp>
__attribute__((always_inline)) inline Sums passSums(size_t n, const double* wy, const double* w, const double* a,
                                                    const double* b, double invT, double* Lout) {
  double sA = 0, sB = 0, sA1 = 0, sB1 = 0, sA2 = 0, sB2 = 0, sB11 = 0;
#pragma omp simd reduction(+ : sA, sB, sA1, sB1, sA2, sB2, sB11)
  for (size_t i = 0; i < n; i++) {
    const double x = b[i] * invT;
    const double e = kInlineExp ? vexp::expFma(x) : Lout[i];
    const double q = 1.0 / (e - 1.0);
    const double L = a[i] * q;
    const double xq = x * q;
    const double g = x + xq;                // d ln L / d ln T
    const double L1 = L * g;                // dL/du, u = ln T
    const double L2 = L1 * (g - 1.0 + xq);  // d²L/du²
    const double wL = w[i] * L;
    Lout[i] = L;
    sA += wy[i] * L;
    sB += wL * L;
    sA1 += wy[i] * L1;
    sB1 += wL * L1;
    sA2 += wy[i] * L2;
    sB2 += wL * L2;
    sB11 += w[i] * L1 * L1;
  }
  return Sums{sA, sB, sA1, sB1, sA2, sB2, sB11};
}

// One pass at temperature T with libm's exp, in a loop of its own (a libm call clobbers every vector register:
// keep the sums out of it). Used where no vector unit wide enough to beat libm is found.
Sums passLibm(size_t n, const double* wy, const double* w, const double* a, const double* b, double invT,
              double* Lout) {
  for (size_t i = 0; i < n; i++) {
    Lout[i] = std::exp(b[i] * invT);
  }
  return passSums<false>(n, wy, w, a, b, invT, Lout);
}

// One pass at temperature T: the only transcendental is one exp per pixel (vexp.h's inlined in the vectorised
// variants, libm's in the generic one).
template <bool kInlineExp>
__attribute__((always_inline)) inline Sums pass(size_t n, const double* wy, const double* w, const double* a,
                                                const double* b, double invT, double* Lout) {
  return kInlineExp ? passSums<true>(n, wy, w, a, b, invT, Lout) : passLibm(n, wy, w, a, b, invT, Lout);
}

// The temperature of fitWienCompact(n, y, w, a, b, useYWeights = true, …) (the Planck fit's start), in loops
// that vectorise: vlog.h's log (the same double as Math.log) and sums in any order (last bits only).
__attribute__((always_inline)) inline double wienStart(size_t n, const double* y, const double* w, const double* a,
                                                       const double* b, double* z) {
  double sv = 0, svb = 0, svz = 0;
#pragma omp simd reduction(+ : sv, svb, svz)
  for (size_t i = 0; i < n; i++) {
    z[i] = vlog::log(y[i] / a[i]);
    const double v = y[i] * y[i] * w[i];
    sv += v;
    svb += v * b[i];
    svz += v * z[i];
  }
  const double bm = svb / sv, zm = svz / sv;
  double sbb = 0, sbz = 0;
#pragma omp simd reduction(+ : sbb, sbz)
  for (size_t i = 0; i < n; i++) {
    const double v = y[i] * y[i] * w[i];
    const double db = b[i] - bm;
    sbb += v * db * db;
    sbz += v * db * (z[i] - zm);
  }
  return -1.0 / (sbz / sbb);
}

// The Wien start's pixels: every stride-th positive pixel (nPos of the n are positive) into py, pw, pa, pb.
size_t startPixels(size_t n, size_t nPos, size_t stride, const double* y, const double* w, const double* a,
                   const double* b, Scratch& s) {
  double* py = s.py.data();
  double* pw = s.pw.data();
  double* pa = s.pa.data();
  double* pb = s.pb.data();
  size_t np = 0;
  if (nPos == n) {
    // all positive (the usual case): pixels 0, stride, 2·stride, … (the same as the general loop below)
    for (size_t i = 0; i < n; i += stride) {
      py[np] = y[i];
      pw[np] = w[i];
      pa[np] = a[i];
      pb[np] = b[i];
      np++;
    }
    return np;
  }
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (!(y[i] > 0)) {
      continue;
    }
    if (k == 0) {
      py[np] = y[i];
      pw[np] = w[i];
      pa[np] = a[i];
      pb[np] = b[i];
      np++;
    }
    if (++k == stride) {
      k = 0;
    }
  }
  return np;
}

// The whole fit (see fitPlanckCompact), compiled once per vector unit (simd.h). The reductions outside the
// passes (Σ w y², the final χ²) are vectorised as the passes' are (last bits only).
template <bool kInlineExp>
__attribute__((always_inline)) inline PlanckOut fitKernel(size_t n, const double* y, const double* w,
                                                          const double* a, const double* b, bool weighted,
                                                          int maxIterations, double tolerance, Scratch& s,
                                                          size_t nPos) {
  PlanckOut out;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  s.reserve(n);
  double* wy = s.wy.data();
  double* L = s.L.data();
  double C = 0;
#pragma omp simd reduction(+ : C)
  for (size_t i = 0; i < n; i++) {
    wy[i] = w[i] * y[i];
    C += wy[i] * y[i];
  }
  out.dof = static_cast<int>(n) - 2;

  // Start: Wien fit of the positive pixels, weights y²·w (the linearisation of the same χ²).
  double T0 = nan;
  {
    // a start needs no more than ~64 points (one log each): take every stride-th positive pixel
    const size_t stride = nPos > 2 * kStartPoints ? nPos / kStartPoints : 1;
    const size_t np = startPixels(n, nPos, stride, y, w, a, b, s);
    if (np >= 3) {
      T0 = wienStart(np, s.py.data(), s.pw.data(), s.pa.data(), s.pb.data(), s.z.data());
    }
  }
  if (!(T0 > 0) || !std::isfinite(T0)) {
    // Coarse scan of the profiled χ² (pathological data only): 300 K × 1.5^k, k = 0..14.
    double best = std::numeric_limits<double>::infinity();
    T0 = 3000;
    double T = 300;
    for (int k = 0; k < 15; k++) {
      const Sums q = pass<kInlineExp>(n, wy, w, a, b, 1.0 / T, L);
      if (q.B > 0) {
        const double chi = C - q.A * (q.A / q.B);
        if (chi < best) { best = chi; T0 = T; }
      }
      T *= 1.5;
    }
  }

  double u = std::log(T0);
  double uEval = u, chiEval = std::numeric_limits<double>::infinity(), sEval = nan, spEval = 0, H = nan, step = 0;
  double prevNewton = 0;  // previous accepted full Newton step (0 if none)
  bool haveEval = false, lastAccepted = false, converged = false;
  int it = 0;
  while (it < maxIterations) {
    it++;
    const Sums q = pass<kInlineExp>(n, wy, w, a, b, 1.0 / std::exp(u), L);
    const bool finite = q.B > 0 && std::isfinite(q.A) && std::isfinite(q.B) && std::isfinite(q.A1) &&
                        std::isfinite(q.B1) && std::isfinite(q.A2) && std::isfinite(q.B2) && std::isfinite(q.B11);
    const double sc = finite ? q.A / q.B : nan;
    const double chi = finite ? C - q.A * sc : nan;
    if (!finite || (haveEval && chi > chiEval && std::fabs(step) > 1e-6)) {
      // unusable or uphill point: halve the last step (never happens near the minimum)
      lastAccepted = false;
      if (!haveEval) break;
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
    const double d1 = -2.0 * sc * (q.A1 - sc * q.B1);
    const double sp = (q.A1 - 2.0 * sc * q.B1) / q.B;
    spEval = sp;
    H = -2.0 * sp * (q.A1 - 2.0 * sc * q.B1) - 2.0 * sc * q.A2 + 2.0 * sc * sc * (q.B11 + q.B2);
    double curv = H;
    // Gauss–Newton curvature of the projected model s(u)·L(u), 2 Σ w (s L' + s' L)², if H is not positive
    if (!(curv > 0)) curv = 2.0 * (sc * sc * q.B11 + 2.0 * sc * sp * q.B1 + sp * sp * q.B);
    step = curv > 0 ? -d1 / curv : (d1 > 0 ? -0.1 : 0.1);
    const bool newton = H > 0 && std::fabs(step) <= kMaxStep;
    if (step > kMaxStep) step = kMaxStep;
    if (step < -kMaxStep) step = -kMaxStep;
    u = uEval + step;
    if (std::fabs(step) < tolerance) { converged = true; break; }
    // Quadratic convergence: the error left after this step is ≈ K·step², K measured from the last two steps
    // (K = |step| / prev²). Linear or erratic progress gives a large K, so this only ends a converging run.
    if (newton && prevNewton != 0) {
      const double K = std::fabs(step) / (prevNewton * prevNewton);
      if (K * step * step < 0.25 * tolerance) { converged = true; break; }
    }
    prevNewton = newton ? step : 0;
  }
  out.iterations = it;
  if (!haveEval) {
    out.temperature = nan; out.temperatureError = nan; out.scale = nan; out.chi2 = nan;
    return out;
  }
  // Converged: T after the last (tiny) step. Not converged: the last accepted point.
  const double T = converged ? std::exp(u) : std::exp(uEval);
  // χ² from the residuals at the last accepted point (no cancellation); L must hold that point.
  if (!lastAccepted) pass<kInlineExp>(n, wy, w, a, b, 1.0 / std::exp(uEval), L);
  double chi2 = 0;
#pragma omp simd reduction(+ : chi2)
  for (size_t i = 0; i < n; i++) {
    const double r = y[i] - sEval * L[i];
    chi2 += w[i] * r * r;
  }
  double sigma = H > 0 ? T * std::sqrt(2.0 / H) : nan;
  if (!weighted) sigma *= std::sqrt(chi2 / out.dof);
  out.temperature = T;
  out.temperatureError = sigma;
  // the scale at the reported T: first order in the last step (error O(step²), below 1e-9 at convergence)
  out.scale = converged ? sEval + spEval * step : sEval;
  out.chi2 = chi2;
  out.converged = converged && H > 0;
  return out;
}

using FitFunction = PlanckOut (*)(size_t, const double*, const double*, const double*, const double*, bool, int,
                                   double, Scratch&, size_t);

PlanckOut fitGeneric(size_t n, const double* y, const double* w, const double* a, const double* b, bool weighted,
                     int maxIterations, double tolerance, Scratch& s, size_t nPos) {
  return fitKernel<false>(n, y, w, a, b, weighted, maxIterations, tolerance, s, nPos);
}

#if PYRO_X86_VARIANTS
// The exp inlined and every pass vectorised: 4 (AVX2) or 8 (AVX-512) pixels at a time, ~1.6× and ~3.5× libm's
// speed per exp. Same operations in every variant; only the order of the reductions differs.
PYRO_TARGET_AVX2 PlanckOut fitAvx2(size_t n, const double* y, const double* w, const double* a, const double* b,
                                   bool weighted, int maxIterations, double tolerance, Scratch& s, size_t nPos) {
  return fitKernel<true>(n, y, w, a, b, weighted, maxIterations, tolerance, s, nPos);
}
PYRO_TARGET_AVX512 PlanckOut fitAvx512(size_t n, const double* y, const double* w, const double* a, const double* b,
                                       bool weighted, int maxIterations, double tolerance, Scratch& s, size_t nPos) {
  return fitKernel<true>(n, y, w, a, b, weighted, maxIterations, tolerance, s, nPos);
}
#endif

// the generic build's pass uses libm's exp
void expLoopLibm(const double* x, double* out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    out[i] = std::exp(x[i]);
  }
}
#if PYRO_X86_VARIANTS
PYRO_TARGET_AVX2 void expLoopAvx2(const double* x, double* out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    out[i] = vexp::expFma(x[i]);
  }
}
PYRO_TARGET_AVX512 void expLoopAvx512(const double* x, double* out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    out[i] = vexp::expFma(x[i]);
  }
}
#endif

}  // namespace

bool expArray(const double* x, double* out, size_t n, SimdVariant variant) {
#if PYRO_X86_VARIANTS
  const ElementLoop loop = variantOf<ElementLoop>(variant, expLoopAvx512, expLoopAvx2, expLoopLibm);
#else
  const ElementLoop loop = variantOf<ElementLoop>(variant, nullptr, nullptr, expLoopLibm);
#endif
  if (loop == nullptr) {
    return false;
  }
  loop(x, out, n);
  return true;
}

PlanckOut fitPlanckCompact(size_t n, const double* y, const double* w, const double* a, const double* b,
                           bool weighted, int maxIterations, double tolerance, Scratch& s, size_t nPositive) {
#if PYRO_X86_VARIANTS
  static const FitFunction chosen = chooseVariant<FitFunction>(fitAvx512, fitAvx2, fitGeneric);
#else
  static const FitFunction chosen = fitGeneric;
#endif
  return chosen(n, y, w, a, b, weighted, maxIterations, tolerance, s, nPositive);
}

}  // namespace pyro
