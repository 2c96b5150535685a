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

// Compacts pixels idx[0..nIdx) of one frame into s.y/s.w/s.a/s.b (a, b taken from ca/cb, already compacted
// along idx) and fits them. var may be null (unweighted). Never throws.
FrameFit fitFrame(const double* y, const double* var, const uint32_t* idx, size_t nIdx, const double* ca,
                  const double* cb, int maxIterations, double tolerance, Scratch& s);

// Indices of the pixels with mask 0 (all pixels when mask is null), and their grid constants.
void usedPixels(const Grid& g, const uint8_t* mask, std::vector<uint32_t>& idx, std::vector<double>& ca,
                std::vector<double>& cb);

}  // namespace pyro
