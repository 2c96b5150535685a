// The frame flags of a FrameBlock's flags column (src/analysis/frameBlock.ts): bit k = FRAME_FLAG_ORDER[k]
// (src/physics/types.ts), in the order a frame's "flags" array lists them. One definition for the native result
// assembly (assemble.cc) and the JSON text (json_binding.cc).
#pragma once

#include <cstdint>

namespace pyro {

constexpr int kFlagCount = 6;
constexpr uint8_t kSaturated = 1 << 0;
constexpr uint8_t kCosmic = 1 << 1;
constexpr uint8_t kCorrupt = 1 << 2;
constexpr uint8_t kMisfit = 1 << 3;
constexpr uint8_t kFitFailed = 1 << 4;
constexpr uint8_t kWeak = 1 << 5;
// the names of bits 0..kFlagCount−1
constexpr const char* kFlagNames[kFlagCount] = {"saturated", "cosmic", "corrupt", "misfit", "fit-failed", "weak"};

}  // namespace pyro
