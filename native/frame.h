// Per-frame preparation shared by the single fits and the batch: compaction of the used pixels (mask = 1 means
// ignore), validation of the frame's data, then the Planck fit. Pure C++, no Node-API.
#pragma once

#include <string>

#include "fit.h"

namespace pyro {

// A user-caused problem with the arguments; the binding turns it into a JavaScript error.
struct ArgError {
  std::string message;
};

struct FrameFit {
  Status status = Ok;
  size_t badIndex = 0;       // InvalidData: pixel index
  bool badIsVariance = false;
  size_t nUsed = 0, nPositive = 0;
  PlanckOut fit;
};

// Fits pixels idx[0..nIdx) of one frame (a, b taken from ca/cb, already compacted along idx); idx null: pixels
// 0..nIdx) in place (ca, cb: the grid's). The weights 1/var go to s.w (var may be null: unweighted). Never throws.
FrameFit fitFrame(const double* y, const double* var, const uint32_t* idx, size_t nIdx, const double* ca,
                  const double* cb, int maxIterations, double tolerance, Scratch& s);

// Whether any of the n mask values is set (false for a null mask).
bool anyMasked(const uint8_t* mask, size_t n);

// Indices of the pixels with mask 0 (all pixels when mask is null), and their grid constants.
void usedPixels(const Grid& g, const uint8_t* mask, std::vector<uint32_t>& idx, std::vector<double>& ca,
                std::vector<double>& cb);

// The compaction and fit scratch of one unweighted refit (unweightedTemperature).
struct RefitScratch {
  Scratch fit;
  std::vector<uint32_t> idx;
  std::vector<double> ca, cb;
};

// The temperature the single unweighted fit fitPlanck(wl, y, {mask}) returns with its defaults (the misfit refit
// of src/analysis/results.ts withMisfit), or false where that fit throws (a mask value other than 0 or 1, a
// non-finite y of a used pixel, too few pixels). y and mask: the grid's pixels. Never throws but bad_alloc.
bool unweightedTemperature(const Grid& g, const double* y, const uint8_t* mask, RefitScratch& s, double& temperature);

// src/quality/flags.ts reducedChi2 for dof > 0: max(0, χ²/dof), NaN staying NaN (a perfect fit's rounding can make χ² a
// hair negative).
double reducedChi2(double chi2, int dof);

// Whether the misfit refit applies to a weighted batch fit (results.ts planckValues, then withMisfit's test): a
// temperature (status Ok, finite and > 0), dof > 0 and χ²/dof beyond threshold[dof] (thresholdLength entries; a
// dof beyond the table: false).
bool beyondMisfitThreshold(Status status, double temperature, double chi2, int dof, const double* threshold,
                           size_t thresholdLength);

// Sliding two-colour of one frame: every pair (i, i+sep) of pixels with mask 0 (all when mask is null) and
// y > 0 gives T = (b_j − b_i) / (z_i − z_j), z = ln(y/a) (vlog.h's log in the AVX2/AVX-512 variants: the same
// double as Math.log; libm's in the generic one); the finite T > 0 are kept. mean = Σt/count, sd = sqrt(Σ(t − mean)²/(count − 1)) (0 for one pair); NaN for both when count is 0.
// The sums are vectorised (their order differs from the TypeScript twin's: last bits of mean and sd).
// z, t: scratch of n doubles; with keepPairs, t[0..count) holds the kept T in pair order on return.
// Returns false (badIndex set, nothing else) on a non-finite y of an unmasked pixel.
struct TwoColorOut {
  double mean = 0, sd = 0;
  size_t count = 0;
  size_t badIndex = 0;
};
bool slidingTwoColorFrame(const double* y, const uint8_t* mask, const Grid& g, size_t sep, double* z, double* t,
                          TwoColorOut& out, bool keepPairs = true);

// out[i] = log(x[i]) by vlog.h's log (the vectorised loop of the variant asked for: Best = the one the kernels use).
// False (nothing written) when this processor lacks the variant. For the tests of vlog.h against Math.log.
bool logArray(const double* x, double* out, size_t n, SimdVariant variant);

}  // namespace pyro
