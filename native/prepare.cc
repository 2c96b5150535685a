#include "prepare.h"

#include <algorithm>
#include <cmath>

#include "simd.h"

namespace pyro {

namespace {
constexpr double kCosmicScreenSigma = 7;
constexpr double kCosmicConfirmSigma = 6;
constexpr long kCosmicMedianHalf = 4;
constexpr double kWeakMinSnr = 5;
constexpr size_t kSmoothHalf = 2;

// Row sums d = Σ_rows counts − darkSum over the used pixels, saturation per used pixel into mask, flags (see
// countsStageFrame). Per pixel the rows are added in row order from 0, as in the TypeScript twin. Corrupt: the
// in-order total of the sums is not finite; it is taken only when some |d| > 1e300, because otherwise every sum is
// finite and no partial sum of fewer than 10^8 of them can overflow.
template <typename T>
__attribute__((always_inline)) inline uint8_t countsStage(const PrepPlan& p, const T* counts, double* sig,
                                                          uint8_t* mask) {
  const size_t nU = p.nU, width = p.width;
  const double saturation = p.saturation;
  if (p.contiguous) {
    // the used pixels are one run: row-major loops over contiguous counts (vectorised)
    const size_t base = static_cast<size_t>(p.used[0]);
    const T* firstRow = counts + p.first * width + base;
    for (size_t k = 0; k < nU; k++) {
      const double v = static_cast<double>(firstRow[k]);
      sig[k] = 0.0 + v;  // as the twin's sum from 0 (a count of −0 gives +0)
      mask[k] = static_cast<uint8_t>(v >= saturation);
    }
    for (size_t r = p.first + 1; r <= p.last; r++) {
      const T* row = counts + r * width + base;
      for (size_t k = 0; k < nU; k++) {
        const double v = static_cast<double>(row[k]);
        sig[k] += v;
        mask[k] |= static_cast<uint8_t>(v >= saturation);
      }
    }
  } else {
    for (size_t k = 0; k < nU; k++) {
      const size_t px = static_cast<size_t>(p.used[k]);
      double s = 0;
      int sat = 0;
      for (size_t r = p.first; r <= p.last; r++) {
        const double v = static_cast<double>(counts[r * width + px]);
        s += v;
        if (v >= saturation) sat = 1;
      }
      sig[k] = s;
      mask[k] = static_cast<uint8_t>(sat);
    }
  }
  unsigned anySat = 0;
  unsigned large = 0;
  for (size_t k = 0; k < nU; k++) {
    const double d = sig[k] - p.darkSum[k];
    sig[k] = d;
    anySat |= mask[k];
    large |= static_cast<unsigned>(!(std::fabs(d) <= 1e300));
  }
  bool finite = true;
  if (large != 0) {
    double total = 0;
    for (size_t k = 0; k < nU; k++) {
      total += sig[k];
    }
    finite = std::isfinite(total);
  }
  return static_cast<uint8_t>((anySat ? PrepSaturated : 0) | (finite ? 0 : PrepCorrupt));
}

__attribute__((always_inline)) inline uint8_t countsStageOf(const PrepPlan& p, const CountsView& c, double* sig,
                                                            uint8_t* mask) {
  switch (c.type) {
    case CtF64: return countsStage(p, static_cast<const double*>(c.data), sig, mask);
    case CtF32: return countsStage(p, static_cast<const float*>(c.data), sig, mask);
    case CtI32: return countsStage(p, static_cast<const int32_t*>(c.data), sig, mask);
    case CtU32: return countsStage(p, static_cast<const uint32_t*>(c.data), sig, mask);
    case CtI16: return countsStage(p, static_cast<const int16_t*>(c.data), sig, mask);
    case CtU16: return countsStage(p, static_cast<const uint16_t*>(c.data), sig, mask);
    case CtU8: return countsStage(p, static_cast<const uint8_t*>(c.data), sig, mask);
  }
  return 0;
}

// Sums over the unmasked pixels of the row sums, of their magnitudes and of their variances, in any order.
struct SignalSums {
  double sig = 0, magnitude = 0, variance = 0;
};

__attribute__((always_inline)) inline void addSignal(SignalSums& sums, double sig, double varC, uint8_t mask) {
  const bool keep = mask == 0;
  sums.sig += keep ? sig : 0.0;
  sums.magnitude += keep ? std::fabs(sig) : 0.0;
  sums.variance += keep ? varC : 0.0;
}

__attribute__((always_inline)) inline SignalSums signalSums(const double* sig, const double* varC, const uint8_t* mask,
                                                           size_t n) {
  double s = 0, a = 0, v = 0;
#pragma omp simd reduction(+ : s, a, v)
  for (size_t k = 0; k < n; k++) {
    SignalSums one;
    addSignal(one, sig[k], varC[k], mask[k]);
    s += one.sig;
    a += one.magnitude;
    v += one.variance;
  }
  return {s, a, v};
}

// Whether sSum > kWeakMinSnr·√vSum, sSum and vSum summed over the unmasked pixels in pixel order (the TypeScript
// twin's order), given the sums in any order (vectorised): either order's error is at most γ·Σ|terms|,
// γ ≈ (n−1)·2^-53 (Higham, Accuracy and Stability of Numerical Algorithms, §4.2), so when the two sides differ by
// more than 4(n+2)·2^-53·(Σ|s| + kWeakMinSnr·√vSum) — twice those bounds — both orders give the same answer;
// only a borderline frame has its sums taken again in order.
__attribute__((always_inline)) inline bool strongSignal(const SignalSums& sums, const double* sig, const double* varC,
                                                        const uint8_t* mask, size_t n) {
  const double threshold = kWeakMinSnr * std::sqrt(sums.variance);
  const double bound = 4.0 * static_cast<double>(n + 2) * 0x1p-53 * (sums.magnitude + threshold);
  if (sums.sig - threshold > bound) return true;
  if (threshold - sums.sig > bound) return false;
  double sSum = 0, vSum = 0;
  for (size_t k = 0; k < n; k++) {
    if (mask[k] == 0) {
      sSum += sig[k];
      vSum += varC[k];
    }
  }
  return sSum > kWeakMinSnr * std::sqrt(vSum);
}

}  // namespace

namespace {

// Mean of s[k−h..k+h] cut to [0, n) (an end pixel's window), summed in pixel order.
double partialMean(const double* s, size_t n, size_t h, size_t k) {
  const size_t lo = k > h ? k - h : 0;
  const size_t hi = std::min(n - 1, k + h);
  double acc = 0;
  for (size_t j = lo; j <= hi; j++) {
    acc += s[j];
  }
  return acc / static_cast<double>(hi - lo + 1);
}

// The mean over 2·kHalf+1 pixels (fewer at the ends) of s[0..n) into out[0..n) (the TypeScript boxSmooth). Each
// interior mean is summed directly in pixel order: a running sum's chain of dependent additions over the whole row
// would not vectorise (and it drifts).
template <size_t kHalf>
__attribute__((always_inline)) inline void boxSmooth(const double* s, size_t n, double* out) {
  const double inv = 1.0 / static_cast<double>(2 * kHalf + 1);
  size_t k = 0;
  for (; k < n && k < kHalf; k++) {
    out[k] = partialMean(s, n, kHalf, k);
  }
  for (; k + kHalf < n; k++) {
    const double* window = s + (k - kHalf);
    double acc = window[0];
    for (size_t j = 1; j <= 2 * kHalf; j++) {
      acc += window[j];
    }
    out[k] = acc * inv;
  }
  for (; k < n; k++) {
    out[k] = partialMean(s, n, kHalf, k);
  }
}

}  // namespace

namespace {

// Whether any interior pixel (3 ≤ k < n − 3) may pass the first screen of cosmicKernel, d > kIn·√varC: one loop
// without control flow or square root (vectorised); the common frame without a spike then skips the interior in the
// scalar loop. The test d > 0 and d² > kIn²·varC·(1 − 1e-9) is looser than the screen by far more than the rounding
// of either side (a few 2^-53), so it never misses a pixel the screen takes: a d whose square would lose precision
// to underflow is taken, as is one whose square overflows to +Inf.
__attribute__((always_inline)) inline bool anyInteriorCandidate(const double* s, const double* varC, size_t n,
                                                                double kIn) {
  const double kIn2 = kIn * kIn * (1 - 1e-9);
  unsigned any = 0;
  for (size_t k = 3; k + 3 < n; k++) {
    const double d = s[k] - 0.5 * (s[k - 3] + s[k + 3]);
    any |= static_cast<unsigned>((d > 0) & ((d < 0x1p-500) | (d * d > kIn2 * varC[k])));
  }
  return any != 0;
}

// maskCosmics of src/quality/flags.ts with sigmaFloor 0 and σ = √varC, taken only for the pixels tested.
__attribute__((always_inline)) inline size_t cosmicKernel(const double* s, const double* varC, uint8_t* mask,
                                                          size_t n) {
  size_t found = 0;
  long lastMarked = -10;
  const double kIn = kCosmicScreenSigma * std::sqrt(1.5);
  const double kEdge = kCosmicScreenSigma * std::sqrt(6.0);
  const long ln = static_cast<long>(n);
  // no interior candidate: only the three pixels at each end are tested (the interior ones would all be skipped)
  const long skipFrom = anyInteriorCandidate(s, varC, n, kIn) ? ln : 3;
  const long skipTo = std::max(skipFrom, ln - 3);
  double win[2 * kCosmicMedianHalf];
  for (long k = 0; k < ln; k++) {
    if (k == skipFrom) {
      k = skipTo;
      if (k >= ln) break;
    }
    const double v = s[k];
    const double sg = std::sqrt(varC[k]);
    if (k >= 3 && k + 3 < ln) {
      const double d = v - 0.5 * (s[k - 3] + s[k + 3]);
      if (!(d > kIn * sg)) continue;
      int m = 0;
      for (long j = k - kCosmicMedianHalf; j <= k + kCosmicMedianHalf; j++) {
        if (j == k || j < 0 || j >= ln) continue;
        win[m++] = s[j];
      }
      // insertion sort (values are finite here: a frame with a non-finite sum is corrupt and never comes here)
      for (int a = 1; a < m; a++) {
        const double x = win[a];
        int b = a - 1;
        while (b >= 0 && win[b] > x) { win[b + 1] = win[b]; b--; }
        win[b + 1] = x;
      }
      const double med = (m % 2) ? win[m >> 1] : 0.5 * (win[(m >> 1) - 1] + win[m >> 1]);
      if (!(v - med > kCosmicConfirmSigma * sg)) continue;
    } else {
      const long dir = k >= 3 ? -1 : 1;
      const long a = k + 3 * dir, b = k + 6 * dir;
      if (a < 0 || a >= ln || b < 0 || b >= ln) continue;
      const double d = v - (2 * s[a] - s[b]);
      if (!(d > kEdge * sg)) continue;
    }
    found++;
    for (long j = std::max({0L, k - 1, lastMarked + 1}); j <= std::min(ln - 1, k + 1); j++) mask[j] = 1;
    lastMarked = k + 1;
  }
  return found;
}

}  // namespace

namespace {

// Stages 1–2 of one frame (see prepareCountsFrame), compiled once per vector unit (simd.h).
__attribute__((always_inline)) inline uint8_t prepareKernel(const PrepPlan& p, const CountsView& c, double* y,
                                                            double* v, uint8_t* mask, PrepScratch& sc) {
  const size_t nU = p.nU;
  double* sig = sc.sig;
  const uint8_t f1 = countsStageOf(p, c, sig, mask);
  if (f1 & PrepCorrupt) {
    for (size_t k = 0; k < nU; k++) {
      y[k] = 1;
      v[k] = 1;
      mask[k] = 1;
    }
    return f1;
  }
  double* smooth = sc.smooth;
  double* varC = sc.varC;
  boxSmooth<kSmoothHalf>(sig, nU, smooth);
  const double invG = p.invGain, readVar = p.readVar;
  const double* invDen = p.invDen;
  const double* invDen2 = p.invDen2;
  const double* relVarDen = p.relVarDen;
  // (distinct buffers: the pragma spares the compiler the overlap checks of seven pointers, which it gives up on)
#pragma omp simd
  for (size_t k = 0; k < nU; k++) {
    const double sm = smooth[k] > 0 ? smooth[k] : 0;
    const double vc = sm * invG + readVar;
    varC[k] = vc;
    y[k] = sig[k] * invDen[k];
    v[k] = (vc + sm * sm * relVarDen[k]) * invDen2[k];
  }
  // the weak test's sums over the pixels unmasked so far (they hold unless the cosmic test masks more), in a loop of
  // their own: with the byte mask in the loop above, the compiler vectorised it at a quarter of the vector's width
  SignalSums sums = signalSums(sig, varC, mask, nU);
  uint8_t flags = f1;
  if (cosmicKernel(sig, varC, mask, nU) > 0) {
    flags |= PrepCosmic;
    sums = signalSums(sig, varC, mask, nU);
  }
  if (!strongSignal(sums, sig, varC, mask, nU)) flags |= PrepWeak;
  return flags;
}

using PrepareFunction = uint8_t (*)(const PrepPlan&, const CountsView&, double*, double*, uint8_t*, PrepScratch&);
using CountsFunction = uint8_t (*)(const PrepPlan&, const CountsView&, double*, uint8_t*);

uint8_t prepareGeneric(const PrepPlan& p, const CountsView& c, double* y, double* v, uint8_t* mask, PrepScratch& s) {
  return prepareKernel(p, c, y, v, mask, s);
}
uint8_t countsGeneric(const PrepPlan& p, const CountsView& c, double* sig, uint8_t* mask) {
  return countsStageOf(p, c, sig, mask);
}

#if PYRO_X86_VARIANTS
PYRO_TARGET_AVX2 uint8_t prepareAvx2(const PrepPlan& p, const CountsView& c, double* y, double* v, uint8_t* mask,
                                     PrepScratch& s) {
  return prepareKernel(p, c, y, v, mask, s);
}
PYRO_TARGET_AVX512BW uint8_t prepareAvx512(const PrepPlan& p, const CountsView& c, double* y, double* v,
                                         uint8_t* mask, PrepScratch& s) {
  return prepareKernel(p, c, y, v, mask, s);
}
PYRO_TARGET_AVX2 uint8_t countsAvx2(const PrepPlan& p, const CountsView& c, double* sig, uint8_t* mask) {
  return countsStageOf(p, c, sig, mask);
}
PYRO_TARGET_AVX512BW uint8_t countsAvx512(const PrepPlan& p, const CountsView& c, double* sig, uint8_t* mask) {
  return countsStageOf(p, c, sig, mask);
}
#endif

}  // namespace

uint8_t prepareCountsFrame(const PrepPlan& p, const CountsView& c, double* y, double* v, uint8_t* mask,
                           PrepScratch& sc) {
#if PYRO_X86_VARIANTS
  static const PrepareFunction chosen = chooseVariantBw<PrepareFunction>(prepareAvx512, prepareAvx2, prepareGeneric);
#else
  static const PrepareFunction chosen = prepareGeneric;
#endif
  return chosen(p, c, y, v, mask, sc);
}

void prefetchCounts(const PrepPlan& p, const CountsView& c) {
  if (!p.contiguous || c.data == nullptr) {
    return;
  }
  static constexpr size_t kSizes[] = {8, 4, 4, 4, 2, 2, 1};  // bytes per value, in CountsType order
  const size_t size = kSizes[c.type];
  const char* data = static_cast<const char*>(c.data);
  for (size_t r = p.first; r <= p.last; r++) {
    const char* row = data + (r * p.width + static_cast<size_t>(p.used[0])) * size;
    for (size_t offset = 0; offset < p.nU * size; offset += 64) {
      __builtin_prefetch(row + offset);
    }
  }
}

uint8_t countsStageFrame(const PrepPlan& p, const CountsView& c, double* sig, uint8_t* mask) {
#if PYRO_X86_VARIANTS
  static const CountsFunction chosen = chooseVariantBw<CountsFunction>(countsAvx512, countsAvx2, countsGeneric);
#else
  static const CountsFunction chosen = countsGeneric;
#endif
  return chosen(p, c, sig, mask);
}

}  // namespace pyro
