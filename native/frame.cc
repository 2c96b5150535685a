#include "frame.h"

#include <cmath>

namespace pyro {

void usedPixels(const Grid& g, const uint8_t* mask, std::vector<uint32_t>& idx, std::vector<double>& ca,
                std::vector<double>& cb) {
  const size_t n = g.wl.size();
  idx.resize(n);
  ca.resize(n);
  cb.resize(n);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (mask == nullptr || mask[i] == 0) {
      idx[k] = static_cast<uint32_t>(i);
      ca[k] = g.a[i];
      cb[k] = g.b[i];
      k++;
    }
  }
  idx.resize(k);
  ca.resize(k);
  cb.resize(k);
}

FrameFit fitFrame(const double* y, const double* var, const uint32_t* idx, size_t nIdx, const double* ca,
                  const double* cb, int maxIterations, double tolerance, Scratch& s) {
  FrameFit r;
  s.reserve(nIdx);
  double* sy = s.y.data();
  double* sw = s.w.data();
  size_t nPos = 0;
  for (size_t k = 0; k < nIdx; k++) {
    const uint32_t i = idx[k];
    const double v = y[i];
    if (!std::isfinite(v)) {
      r.status = InvalidData; r.badIndex = i; r.badIsVariance = false;
      return r;
    }
    sy[k] = v;
    if (v > 0) nPos++;
    if (var != nullptr) {
      const double vv = var[i];
      if (!std::isfinite(vv) || !(vv > 0)) {
        r.status = InvalidData; r.badIndex = i; r.badIsVariance = true;
        return r;
      }
      sw[k] = 1.0 / vv;
    } else {
      sw[k] = 1.0;
    }
  }
  r.nUsed = nIdx;
  r.nPositive = nPos;
  if (nIdx < 3 || nPos < 3) {
    r.status = TooFewPixels;
    return r;
  }
  r.fit = fitPlanckCompact(nIdx, sy, sw, ca, cb, var != nullptr, maxIterations, tolerance, s);
  r.status = r.fit.converged ? Ok : NotConverged;
  return r;
}

bool slidingTwoColorFrame(const double* y, const uint8_t* mask, const Grid& g, size_t sep, double* z, double* t,
                          TwoColorOut& out) {
  const size_t n = g.wl.size();
  const double nan = std::nan("");
  const double* a = g.a.data();
  const double* b = g.b.data();
  for (size_t i = 0; i < n; i++) {
    z[i] = nan;
    if (mask != nullptr && mask[i] != 0) continue;
    const double v = y[i];
    if (!std::isfinite(v)) {
      out.badIndex = i;
      return false;
    }
    if (v > 0) z[i] = std::log(v / a[i]);
  }
  size_t c = 0;
  for (size_t i = 0; i + sep < n; i++) {
    const size_t j = i + sep;
    if (std::isnan(z[i]) || std::isnan(z[j])) continue;
    const double T = (b[j] - b[i]) / (z[i] - z[j]);
    if (std::isfinite(T) && T > 0) t[c++] = T;
  }
  out.count = c;
  if (c == 0) {
    out.mean = nan;
    out.sd = nan;
    return true;
  }
  double sum = 0;
  for (size_t k = 0; k < c; k++) sum += t[k];
  const double mean = sum / c;
  double ss = 0;
  for (size_t k = 0; k < c; k++) ss += (t[k] - mean) * (t[k] - mean);
  out.mean = mean;
  out.sd = c > 1 ? std::sqrt(ss / (c - 1)) : 0.0;
  return true;
}

}  // namespace pyro
