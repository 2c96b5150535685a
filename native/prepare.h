// Per-frame preparation of raw detector counts for the fit, for one ROI of a lamp-calibrated shot. The twin of
// src/quality/prepare.ts (prepareCountsFrame): same loops, same order of operations, same constants, so both give
// bit-identical radiance, variance, mask and flags. Keep them in sync. Pure C++, no Node-API.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pyro {

enum PrepFlag : uint8_t { PrepSaturated = 1, PrepCosmic = 2, PrepCorrupt = 4, PrepWeak = 8 };

enum CountsType : int { CtF64, CtF32, CtI32, CtU32, CtI16, CtU16, CtU8 };

struct CountsView {
  const void* data = nullptr;
  CountsType type = CtF64;
};

struct PrepPlan {
  size_t width = 0, first = 0, last = 0, nU = 0;
  const int32_t* used = nullptr;  // full-width pixel index per used pixel (validated < width)
  bool contiguous = false;        // used[k] = used[0] + k for every k
  const double* darkSum = nullptr;
  const double* invDen = nullptr;
  const double* invDen2 = nullptr;
  const double* relVarDen = nullptr;
  double saturation = 0, invGain = 1, readVar = 0;
};

// Scratch of one thread: sig, smooth, varC (nU each). (No σ per pixel: the cosmic screen takes σ = √varC only at
// the pixels it tests.)
struct PrepScratch {
  double* sig;
  double* smooth;
  double* varC;
};

// Stages 1–2 of one frame into y, v, mask (nU each); returns its PrepFlag bits. Never throws.
uint8_t prepareCountsFrame(const PrepPlan& p, const CountsView& c, double* y, double* v, uint8_t* mask, PrepScratch& s);

// Stage 1 alone (row sums minus dark, saturation, corrupt; the TypeScript countsStage): the nU row sums into sig,
// the saturated pixels (1, else 0) into mask; returns PrepSaturated | PrepCorrupt. Never throws.
uint8_t countsStageFrame(const PrepPlan& p, const CountsView& c, double* sig, uint8_t* mask);

// Asks the processor to bring a frame's counts of the ROI into the cache (a contiguous ROI only; a hint, nothing
// read): called a frame ahead, their loads no longer wait for memory.
void prefetchCounts(const PrepPlan& p, const CountsView& c);

}  // namespace pyro
