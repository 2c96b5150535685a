#include "prepare.h"

#include <algorithm>
#include <cmath>

namespace pyro {

namespace {
constexpr double kCosmicScreenSigma = 7;
constexpr double kCosmicConfirmSigma = 6;
constexpr long kCosmicMedianHalf = 4;
constexpr double kWeakMinSnr = 5;
constexpr size_t kSmoothHalf = 2;

template <typename T>
uint8_t countsStage(const PrepPlan& p, const T* counts, double* sig, uint8_t* mask) {
  const size_t nU = p.nU, width = p.width;
  const double saturation = p.saturation;
  int anySat = 0;
  double total = 0;
  for (size_t k = 0; k < nU; k++) {
    const size_t px = static_cast<size_t>(p.used[k]);
    double s = 0;
    int sat = 0;
    for (size_t r = p.first; r <= p.last; r++) {
      const double v = static_cast<double>(counts[r * width + px]);
      s += v;
      if (v >= saturation) sat = 1;
    }
    mask[k] = static_cast<uint8_t>(sat);
    anySat |= sat;
    const double d = s - p.darkSum[k];
    sig[k] = d;
    total += d;
  }
  return static_cast<uint8_t>((anySat ? PrepSaturated : 0) | (std::isfinite(total) ? 0 : PrepCorrupt));
}
}  // namespace

void boxSmooth(const double* s, size_t n, size_t h, double* out) {
  double acc = 0;
  double cnt = 0;
  const size_t head = std::min(h, n);
  for (size_t k = 0; k < head; k++) { acc += s[k]; cnt++; }
  size_t k = 0;
  for (; k < n && k < h + 1; k++) {
    if (k + h < n) { acc += s[k + h]; cnt++; }
    out[k] = acc / cnt;
  }
  const double inv = 1.0 / static_cast<double>(2 * h + 1);
  for (; k + h < n; k++) {
    acc += s[k + h] - s[k - h - 1];
    out[k] = acc * inv;
  }
  for (; k < n; k++) {
    acc -= s[k - h - 1]; cnt--;
    out[k] = acc / cnt;
  }
}

size_t cosmicMask(const double* s, const double* sigma, uint8_t* mask, size_t n, double sigmaFloor) {
  size_t found = 0;
  long lastMarked = -10;
  const double kIn = kCosmicScreenSigma * std::sqrt(1.5);
  const double kEdge = kCosmicScreenSigma * std::sqrt(6.0);
  const long ln = static_cast<long>(n);
  double win[2 * kCosmicMedianHalf];
  for (long k = 0; k < ln; k++) {
    const double v = s[k];
    const double sg = std::max(sigma[k], sigmaFloor);
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

uint8_t prepareCountsFrame(const PrepPlan& p, const CountsView& c, double* y, double* v, uint8_t* mask, PrepScratch& sc) {
  const size_t nU = p.nU;
  double* sig = sc.sig;
  uint8_t f1 = 0;
  switch (c.type) {
    case CtF64: f1 = countsStage(p, static_cast<const double*>(c.data), sig, mask); break;
    case CtF32: f1 = countsStage(p, static_cast<const float*>(c.data), sig, mask); break;
    case CtI32: f1 = countsStage(p, static_cast<const int32_t*>(c.data), sig, mask); break;
    case CtU32: f1 = countsStage(p, static_cast<const uint32_t*>(c.data), sig, mask); break;
    case CtI16: f1 = countsStage(p, static_cast<const int16_t*>(c.data), sig, mask); break;
    case CtU16: f1 = countsStage(p, static_cast<const uint16_t*>(c.data), sig, mask); break;
    case CtU8: f1 = countsStage(p, static_cast<const uint8_t*>(c.data), sig, mask); break;
  }
  if (f1 & PrepCorrupt) {
    for (size_t k = 0; k < nU; k++) { y[k] = 1; v[k] = 1; mask[k] = 1; }
    return f1;
  }
  double* smooth = sc.smooth;
  double* sigma = sc.sigma;
  double* varC = sc.varC;
  boxSmooth(sig, nU, kSmoothHalf, smooth);
  const double invG = p.invGain, readVar = p.readVar;
  for (size_t k = 0; k < nU; k++) {
    const double sm = smooth[k] > 0 ? smooth[k] : 0;
    const double vc = sm * invG + readVar;
    varC[k] = vc;
    sigma[k] = std::sqrt(vc);
    y[k] = sig[k] * p.invDen[k];
    v[k] = (vc + sm * sm * p.relVarDen[k]) * p.invDen2[k];
  }
  uint8_t flags = f1;
  if (cosmicMask(sig, sigma, mask, nU, 0) > 0) flags |= PrepCosmic;
  double sSum = 0, vSum = 0;
  for (size_t k = 0; k < nU; k++)
    if (mask[k] == 0) { sSum += sig[k]; vSum += varC[k]; }
  if (!(sSum > kWeakMinSnr * std::sqrt(vSum))) flags |= PrepWeak;
  return flags;
}

}  // namespace pyro
