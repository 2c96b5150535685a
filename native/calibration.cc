// The calibration's two per-pixel loops over the dark's and the lamp's frames, in C++: addFrame (the sum of
// src/calibration/index.ts meanFrames) and pixelVariances (the between-frame variances of src/quality/noise.ts
// estimateReadNoise). Both run once per run before the first fit, cold: interpreted, every value loaded from a frame
// boxed into a new heap number (~3 MB of garbage for a 10-frame dark and lamp, a young-generation collection in the
// start), then optimised by V8. Same operations in the same order (IEEE double, no contraction: -ffp-contract=off), so
// the results are the same doubles as their TypeScript twins (tests/calibration/frameKernels.test.ts).
#include <napi.h>

#include <cmath>
#include <string>
#include <vector>

#include "args.h"
#include "bindings.h"

namespace pyro {
namespace binding {
namespace {

// `count` from info[at]: a non-negative integer (TypeError when not a number, RangeError otherwise).
size_t countArgument(const Napi::CallbackInfo& info, size_t at) {
  if (!info[at].IsNumber()) {
    typeFail("count must be a number");
  }
  const double count = info[at].As<Napi::Number>().DoubleValue();
  if (!isInteger(count) || count < 0 || count > 2147483647.0) {
    argFail("count must be an integer in [0, 2147483647]");
  }
  return static_cast<size_t>(count);
}

// addFrame(sum, frame, count): sum[p] += frame[p] for p < count (meanFrames' sum, one frame at a time).
Napi::Value AddFrame(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    if (info.Length() < 3) {
      typeFail("addFrame(sum, frame, count) takes 3 arguments");
    }
    const F64Out sum = asF64Out(info[0], "sum");
    const F64 frame = asF64(info[1], "frame");
    const size_t count = countArgument(info, 2);
    if (sum.length < count || frame.length < count) {
      argFail("sum and frame must have at least count (" + std::to_string(count) + ") values");
    }
    for (size_t p = 0; p < count; p++) {
      sum.data[p] += frame.data[p];
    }
    return info.Env().Undefined();
  });
}

// pixelVariances(frames, count, out) → m: for each pixel p < count whose value is finite in every frame, in pixel
// order, the sample variance over the frames into out[0..m): the sum in frame order from 0, its mean, then the sum of
// squared deviations in frame order, over n − 1 (estimateReadNoise's loops, term for term).
Napi::Value PixelVariances(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    if (info.Length() < 3) {
      typeFail("pixelVariances(frames, count, out) takes 3 arguments");
    }
    if (!info[0].IsArray()) {
      typeFail("frames must be an array of Float64Array");
    }
    const Napi::Array list = info[0].As<Napi::Array>();
    const size_t count = countArgument(info, 1);
    const F64Out out = asF64Out(info[2], "out");
    if (out.length < count) {
      argFail("out must have at least count (" + std::to_string(count) + ") values");
    }
    const size_t n = list.Length();
    std::vector<const double*> frames(n);
    for (size_t f = 0; f < n; f++) {
      const std::string name = "frames[" + std::to_string(f) + "]";
      const F64 frame = asF64(list.Get(static_cast<uint32_t>(f)), name.c_str());
      if (frame.length < count) {
        argFail(name + " must have at least count (" + std::to_string(count) + ") values");
      }
      frames[f] = frame.data;
    }
    const double frameCount = static_cast<double>(n);
    size_t m = 0;
    for (size_t p = 0; p < count; p++) {
      double s = 0;
      bool ok = true;
      for (size_t f = 0; f < n; f++) {
        const double x = frames[f][p];
        if (!std::isfinite(x)) {
          ok = false;
          break;
        }
        s += x;
      }
      if (!ok) {
        continue;
      }
      const double mean = s / frameCount;
      double s2 = 0;
      for (size_t f = 0; f < n; f++) {
        const double d = frames[f][p] - mean;
        s2 += d * d;
      }
      out.data[m++] = s2 / (frameCount - 1);
    }
    return Napi::Number::New(info.Env(), static_cast<double>(m));
  });
}

}  // namespace

void exportCalibration(Napi::Env env, Napi::Object exports) {
  exports.Set("addFrame", Napi::Function::New(env, AddFrame, "addFrame"));
  exports.Set("pixelVariances", Napi::Function::New(env, PixelVariances, "pixelVariances"));
}

}  // namespace binding
}  // namespace pyro
