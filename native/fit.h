// Fitting core of pyrolive: pure C++17, no Node-API. The TypeScript twin (src/physics/) implements the same
// algorithm step for step; keep both in sync (same loops, same summation order, same constants).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "simd.h"

namespace pyro {

constexpr double C1 = 1.191042972e-16;  // 2hc², W m² sr⁻¹
constexpr double C2 = 1.438776877e-2;   // hc/k, m K

constexpr int kDefaultMaxIterations = 50;  // Newton passes at most, unless the caller sets maxIterations
constexpr double kDefaultTolerance = 1e-10;  // relative change of T that ends the passes

enum Status : uint8_t { Ok = 0, InvalidData = 1, NotConverged = 2, TooFewPixels = 3 };

// Per-wavelength-grid constants: a = c1/λ⁵, b = c2/λ (λ in m). L(λ,T) = a / (exp(b/T) − 1).
struct Grid {
  std::vector<double> wl;  // nm, as given (validated: finite, > 0)
  std::vector<double> a;
  std::vector<double> b;
  void build(const double* wlNm, size_t n);
};

struct PlanckOut {
  double temperature = 0, temperatureError = 0, scale = 0, chi2 = 0;
  int dof = 0, iterations = 0;
  bool converged = false;
};

struct WienOut {
  double temperature = 0, temperatureError = 0, scale = 0, chi2 = 0;
  int dof = 0;
};

// Scratch buffers for one fit of n compacted pixels (reused between fits on one thread).
struct Scratch {
  std::vector<double> y, w, a, b;      // compacted inputs (filled by the caller)
  std::vector<double> wy, L, z;        // per-pass work
  std::vector<double> py, pw, pa, pb;  // positive pixels for the Wien start
  void reserve(size_t n);
};

// Fit of compacted pixels: y (radiance), w (weights 1/var, or all 1 when !weighted), a, b (grid constants).
// nPositive: the number of pixels with y > 0 (the caller counts them). Preconditions: n >= 3 and nPositive >= 3
// (the caller checks). Uses s.wy, s.L, s.z, s.py… (not s.y, s.w: y and w may be those). Never throws.
PlanckOut fitPlanckCompact(size_t n, const double* y, const double* w, const double* a, const double* b,
                           bool weighted, int maxIterations, double tolerance, Scratch& s, size_t nPositive);

// Weighted linear fit of z = ln(y/a) = ln s − b/T over the pixels with y > 0 (caller compacts).
// weights v = y²·w when useYWeights (w = 1/var or 1), else v = 1.  n >= 3 required (caller checks).
// absoluteErrors: σ from the weights alone (variance given); else scaled by χ²/dof.
WienOut fitWienCompact(size_t n, const double* y, const double* w, const double* a, const double* b,
                       bool useYWeights, bool absoluteErrors, double* zScratch);

// out[i] = exp(x[i]) as the Planck pass computes it in the variant asked for (vexp.h's expFma; libm's in the generic
// build). False (nothing written) when this processor lacks the variant. For the tests of vexp.h.
bool expArray(const double* x, double* out, size_t n, SimdVariant variant);

}  // namespace pyro
