#include "frame.h"

#include <cmath>
#include <limits>

#include "simd.h"
#include "vlog.h"

namespace pyro {

void usedPixels(const Grid& g, const uint8_t* mask, std::vector<uint32_t>& idx, std::vector<double>& ca,
                std::vector<double>& cb) {
  const size_t n = g.wl.size();
  idx.resize(n);
  ca.resize(n);
  cb.resize(n);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    // every pixel written, kept (k advanced) where unmasked: no branch to mispredict
    idx[k] = static_cast<uint32_t>(i);
    ca[k] = g.a[i];
    cb[k] = g.b[i];
    k += (mask == nullptr || mask[i] == 0) ? 1 : 0;
  }
  idx.resize(k);
  ca.resize(k);
  cb.resize(k);
}

bool anyMasked(const uint8_t* mask, size_t n) {
  if (mask == nullptr) {
    return false;
  }
  unsigned any = 0;
  for (size_t i = 0; i < n; i++) {
    any |= mask[i];
  }
  return any != 0;
}

bool unweightedTemperature(const Grid& g, const double* y, const uint8_t* mask, RefitScratch& s, double& temperature) {
  const size_t n = g.wl.size();
  for (size_t i = 0; i < n; i++) {
    if (mask[i] > 1) {
      return false;
    }
  }
  usedPixels(g, mask, s.idx, s.ca, s.cb);
  FrameFit r = fitFrame(y, nullptr, s.idx.data(), s.idx.size(), s.ca.data(), s.cb.data(), kDefaultMaxIterations,
                        kDefaultTolerance, s.fit);
  if (r.status == InvalidData || r.status == TooFewPixels) {
    return false;
  }
  temperature = r.fit.temperature;
  return true;
}

double reducedChi2(double chi2, int dof) {
  const double reduced = chi2 / static_cast<double>(dof);
  if (std::isnan(reduced)) {
    return reduced;
  }
  return reduced > 0 ? reduced : 0.0;  // Math.max(0, x): −0 and negatives give +0
}

bool beyondMisfitThreshold(Status status, double temperature, double chi2, int dof, const double* threshold,
                           size_t thresholdLength) {
  if (status != Ok || !(std::isfinite(temperature) && temperature > 0)) {
    return false;
  }
  if (dof <= 0 || static_cast<size_t>(dof) >= thresholdLength) {
    return false;
  }
  return reducedChi2(chi2, dof) > threshold[dof];
}

namespace {

constexpr double kMaxFinite = std::numeric_limits<double>::max();

// The fit's inputs of one frame: y (gathered along idx into sy when kGather, else read in place), the weights
// sw = 1/var (1 when unweighted) and the count of y > 0. False when a y or a variance is unusable (not finite, or
// variance ≤ 0): the caller then finds which one in fitFrameChecked. One loop without control flow: it vectorises.
template <bool kGather, bool kWeighted>
__attribute__((always_inline)) inline bool frameInputs(const double* y, const double* var, const uint32_t* idx,
                                                       size_t n, double* sy, double* sw, size_t& nPositive) {
  unsigned bad = 0;
  double positive = 0;
#pragma omp simd reduction(+ : positive) reduction(| : bad)
  for (size_t k = 0; k < n; k++) {
    const size_t i = kGather ? idx[k] : k;
    const double v = y[i];
    if (kGather) {
      sy[k] = v;
    }
    bad |= static_cast<unsigned>(!(std::fabs(v) <= kMaxFinite));
    positive += v > 0 ? 1.0 : 0.0;
    if (kWeighted) {
      const double vv = var[i];
      bad |= static_cast<unsigned>(!(vv > 0 && vv <= kMaxFinite));
      sw[k] = 1.0 / vv;
    } else {
      sw[k] = 1.0;
    }
  }
  nPositive = static_cast<size_t>(positive);
  return bad == 0;
}

using InputsKernel = bool (*)(const double*, const double*, const uint32_t*, size_t, double*, double*, size_t&);

template <bool kGather, bool kWeighted>
bool inputsGeneric(const double* y, const double* var, const uint32_t* idx, size_t n, double* sy, double* sw,
                   size_t& nPositive) {
  return frameInputs<kGather, kWeighted>(y, var, idx, n, sy, sw, nPositive);
}

#if PYRO_X86_VARIANTS
template <bool kGather, bool kWeighted>
PYRO_TARGET_AVX2 bool inputsAvx2(const double* y, const double* var, const uint32_t* idx, size_t n, double* sy,
                                 double* sw, size_t& nPositive) {
  return frameInputs<kGather, kWeighted>(y, var, idx, n, sy, sw, nPositive);
}
template <bool kGather, bool kWeighted>
PYRO_TARGET_AVX512 bool inputsAvx512(const double* y, const double* var, const uint32_t* idx, size_t n, double* sy,
                                     double* sw, size_t& nPositive) {
  return frameInputs<kGather, kWeighted>(y, var, idx, n, sy, sw, nPositive);
}
#endif

template <bool kGather, bool kWeighted>
InputsKernel inputsKernel() {
#if PYRO_X86_VARIANTS
  static const InputsKernel kernel = chooseVariant<InputsKernel>(
      inputsAvx512<kGather, kWeighted>, inputsAvx2<kGather, kWeighted>, inputsGeneric<kGather, kWeighted>);
  return kernel;
#else
  return inputsGeneric<kGather, kWeighted>;
#endif
}

// The first unusable y or variance along idx (in pixel order, y before its variance), as the status of r.
void findBadPixel(const double* y, const double* var, const uint32_t* idx, size_t nIdx, FrameFit& r) {
  for (size_t k = 0; k < nIdx; k++) {
    const size_t i = idx == nullptr ? k : idx[k];
    if (!std::isfinite(y[i])) {
      r.status = InvalidData;
      r.badIndex = i;
      r.badIsVariance = false;
      return;
    }
    if (var != nullptr && (!std::isfinite(var[i]) || !(var[i] > 0))) {
      r.status = InvalidData;
      r.badIndex = i;
      r.badIsVariance = true;
      return;
    }
  }
}

}  // namespace

FrameFit fitFrame(const double* y, const double* var, const uint32_t* idx, size_t nIdx, const double* ca,
                  const double* cb, int maxIterations, double tolerance, Scratch& s) {
  FrameFit r;
  s.reserve(nIdx);
  const bool gather = idx != nullptr;
  const bool weighted = var != nullptr;
  InputsKernel kernel = gather ? (weighted ? inputsKernel<true, true>() : inputsKernel<true, false>())
                               : (weighted ? inputsKernel<false, true>() : inputsKernel<false, false>());
  size_t nPos = 0;
  if (!kernel(y, var, idx, nIdx, s.y.data(), s.w.data(), nPos)) {
    findBadPixel(y, var, idx, nIdx, r);
    return r;
  }
  r.nUsed = nIdx;
  r.nPositive = nPos;
  if (nIdx < 3 || nPos < 3) {
    r.status = TooFewPixels;
    return r;
  }
  const double* fitY = gather ? s.y.data() : y;
  r.fit = fitPlanckCompact(nIdx, fitY, s.w.data(), ca, cb, weighted, maxIterations, tolerance, s, nPos);
  r.status = r.fit.converged ? Ok : NotConverged;
  return r;
}

namespace {

// z[i] = ln(y[i]/a[i]) for the used pixels with y > 0, NaN elsewhere; false when an unmasked y is not finite.
// (Non-short-circuit operators: control flow in the loop would keep it from vectorising.) kVectorLog: vlog.h's
// log (vectorised; Math.log's double), else libm's (the generic build, where vlog.h's would run one value at a time,
// ~2× slower than libm's).
template <bool kMasked, bool kVectorLog>
__attribute__((always_inline)) inline bool logRatios(const double* y, const uint8_t* mask, const double* a, size_t n,
                                                     double* z) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (kVectorLog) {
    // vlog's general case for all; its full log again only in a frame where some y > 0 needs another case (a z of
    // y ≤ 0 or NaN is replaced by NaN below)
    unsigned redo = 0;
    for (size_t i = 0; i < n; i++) {
      bool exact;
      z[i] = vlog::logCommon(y[i] / a[i], exact);
      redo |= static_cast<unsigned>((y[i] > 0) & !exact);
    }
    if (redo != 0) {
      for (size_t i = 0; i < n; i++) {
        z[i] = vlog::log(y[i] / a[i]);
      }
    }
  } else {
    for (size_t i = 0; i < n; i++) {
      z[i] = std::log(y[i] / a[i]);
    }
  }
  unsigned bad = 0;
  for (size_t i = 0; i < n; i++) {
    const double v = y[i];
    const bool unmasked = kMasked ? mask[i] == 0 : true;
    bad |= static_cast<unsigned>(unmasked & !(std::fabs(v) <= kMaxFinite));
    z[i] = (unmasked & (v > 0)) ? z[i] : nan;
  }
  return bad == 0;
}

// The sliding two-colour of one frame (see frame.h), in loops without a branch or a libm call so that each
// vectorises: the check for a non-finite pixel (found again in a scalar loop only when there is one), z = ln(y/a)
// with vlog.h's log in the AVX2 and AVX-512 variants (the same double as JavaScript's Math.log), the pair
// temperatures with their sum and count, then the sum of squares. t[i] holds pair i's temperature, NaN where it is
// not kept. Only the order of the two sums differs from the TypeScript twin's (last bits of the mean and sd).
template <bool kVectorLog>
__attribute__((always_inline)) inline bool twoColorKernel(const double* y, const uint8_t* mask, const double* a,
                                                          const double* b, size_t n, size_t sep, double* z,
                                                          double* t, TwoColorOut& out) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const bool finite = mask == nullptr ? logRatios<false, kVectorLog>(y, mask, a, n, z)
                                      : logRatios<true, kVectorLog>(y, mask, a, n, z);
  if (!finite) {
    for (size_t i = 0; i < n; i++) {
      if ((mask == nullptr || mask[i] == 0) && !std::isfinite(y[i])) {
        out.badIndex = i;
        return false;
      }
    }
  }
  const size_t pairs = n > sep ? n - sep : 0;
  double sum = 0;
  double count = 0;
#pragma omp simd reduction(+ : sum, count)
  for (size_t i = 0; i < pairs; i++) {
    const double T = (b[i + sep] - b[i]) / (z[i] - z[i + sep]);
    const bool kept = T > 0 && T <= kMaxFinite;  // NaN (a pixel without z) and ±Inf are not kept
    t[i] = kept ? T : nan;
    sum += kept ? T : 0.0;
    count += kept ? 1.0 : 0.0;
  }
  out.count = static_cast<size_t>(count);
  if (out.count == 0) {
    out.mean = nan;
    out.sd = nan;
    return true;
  }
  const double mean = sum / count;
  double ss = 0;
#pragma omp simd reduction(+ : ss)
  for (size_t i = 0; i < pairs; i++) {
    const double d = t[i] - mean;
    ss += t[i] == t[i] ? d * d : 0.0;
  }
  out.mean = mean;
  out.sd = out.count > 1 ? std::sqrt(ss / (count - 1)) : 0.0;
  return true;
}

using TwoColorKernel = bool (*)(const double*, const uint8_t*, const double*, const double*, size_t, size_t,
                                double*, double*, TwoColorOut&);

bool twoColorGeneric(const double* y, const uint8_t* mask, const double* a, const double* b, size_t n, size_t sep,
                     double* z, double* t, TwoColorOut& out) {
  return twoColorKernel<false>(y, mask, a, b, n, sep, z, t, out);
}

#if PYRO_X86_VARIANTS
PYRO_TARGET_AVX2 bool twoColorAvx2(const double* y, const uint8_t* mask, const double* a, const double* b, size_t n,
                                   size_t sep, double* z, double* t, TwoColorOut& out) {
  return twoColorKernel<true>(y, mask, a, b, n, sep, z, t, out);
}
PYRO_TARGET_AVX512BW bool twoColorAvx512(const double* y, const uint8_t* mask, const double* a, const double* b,
                                       size_t n, size_t sep, double* z, double* t, TwoColorOut& out) {
  return twoColorKernel<true>(y, mask, a, b, n, sep, z, t, out);
}
#endif

void logLoop(const double* x, double* out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    out[i] = vlog::log(x[i]);
  }
}
#if PYRO_X86_VARIANTS
PYRO_TARGET_AVX2 void logLoopAvx2(const double* x, double* out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    out[i] = vlog::log(x[i]);
  }
}
PYRO_TARGET_AVX512 void logLoopAvx512(const double* x, double* out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    out[i] = vlog::log(x[i]);
  }
}
#endif

}  // namespace

bool logArray(const double* x, double* out, size_t n, SimdVariant variant) {
#if PYRO_X86_VARIANTS
  const ElementLoop loop = variantOf<ElementLoop>(variant, logLoopAvx512, logLoopAvx2, logLoop);
#else
  const ElementLoop loop = variantOf<ElementLoop>(variant, nullptr, nullptr, logLoop);
#endif
  if (loop == nullptr) {
    return false;
  }
  loop(x, out, n);
  return true;
}

bool slidingTwoColorFrame(const double* y, const uint8_t* mask, const Grid& g, size_t sep, double* z, double* t,
                          TwoColorOut& out, bool keepPairs) {
#if PYRO_X86_VARIANTS
  static const TwoColorKernel kernel = chooseVariantBw<TwoColorKernel>(twoColorAvx512, twoColorAvx2, twoColorGeneric);
#else
  static const TwoColorKernel kernel = twoColorGeneric;
#endif
  const size_t n = g.wl.size();
  if (!kernel(y, mask, g.a.data(), g.b.data(), n, sep, z, t, out)) {
    return false;
  }
  if (keepPairs) {
    // t[0..count): the kept pair temperatures in pair order
    size_t c = 0;
    for (size_t i = 0; i + sep < n; i++) {
      t[c] = t[i];
      c += t[i] == t[i] ? 1 : 0;
    }
  }
  return true;
}

}  // namespace pyro
