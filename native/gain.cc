// gainRatios: the per-pixel estimates of 1/gain from the row sums of a batch's brightest frames, the loop of
// src/quality/noise.ts gainRatios (its twin) in C++. That loop runs on the main thread for each of the first batches
// of a run until the gain is found, cold: interpreted and then optimised by V8 twice (~10 ms of the main thread and
// ~9 ms of compiling on the bench shot). Same tests in the same order, same arithmetic in the same order (IEEE
// double, no contraction: -ffp-contract=off), so the estimates are the same doubles
// (tests/quality/gainRatios.test.ts).
#include <napi.h>

#include <cmath>
#include <string>

#include "args.h"
#include "bindings.h"

namespace pyro {
namespace binding {
namespace {

// Median of χ² with one degree of freedom (src/quality/noise.ts CHI2_1_MEDIAN).
constexpr double kChi2OneMedian = 0.454936423119572;

struct GainInput {
  F64 signal;
  size_t nFrames = 0;
  F64 response;
  double readVar = 0;
  F64 lampA;
  F64 lampB;
  F64Out out;
};

GainInput readGainInput(const Napi::CallbackInfo& info) {
  if (info.Length() < 7) {
    typeFail("gainRatios(signal, nFrames, response, readVar, lampA, lampB, out) takes 7 arguments");
  }
  GainInput in;
  in.signal = asF64(info[0], "signal");
  if (!info[1].IsNumber()) {
    typeFail("nFrames must be a number");
  }
  const double frames = info[1].As<Napi::Number>().DoubleValue();
  if (!isInteger(frames) || frames < 0 || frames > 2147483647.0) {
    argFail("nFrames must be an integer in [0, 2147483647]");
  }
  in.nFrames = static_cast<size_t>(frames);
  in.response = asF64(info[2], "response");
  if (!info[3].IsNumber()) {
    typeFail("readVar must be a number");
  }
  in.readVar = info[3].As<Napi::Number>().DoubleValue();
  in.lampA = asF64(info[4], "lampA");
  in.lampB = asF64(info[5], "lampB");
  in.out = asF64Out(info[6], "out");
  const size_t n = in.response.length;
  const double values = static_cast<double>(in.nFrames) * static_cast<double>(n);
  if (static_cast<double>(in.signal.length) < values) {
    argFail("signal has " + std::to_string(in.signal.length) + " values, fewer than nFrames × pixels = " +
            std::to_string(in.nFrames) + " × " + std::to_string(n));
  }
  if (in.lampA.length != n || in.lampB.length != n) {
    argFail("lampA and lampB must have one value per pixel (" + std::to_string(n) + ")");
  }
  if (static_cast<double>(in.out.length) < values) {
    argFail("out has " + std::to_string(in.out.length) + " values, fewer than nFrames × pixels = " +
            std::to_string(in.nFrames) + " × " + std::to_string(n));
  }
  return in;
}

// The loop of noise.ts gainRatios, term for term.
size_t ratios(const GainInput& in) {
  const size_t n = in.response.length;
  const double* signal = in.signal.data;
  const double* response = in.response.data;
  const double* lampA = in.lampA.data;
  const double* lampB = in.lampB.data;
  const double readVar = in.readVar;
  double* out = in.out.data;
  size_t count = 0;
  if (n < 5) {
    return 0;
  }
  for (size_t f = 0; f < in.nFrames; f++) {
    const double* s = signal + f * n;
    for (size_t k = 2; k < n - 2; k++) {
      const double s0 = s[k - 1];
      const double s1 = s[k];
      const double s2 = s[k + 1];
      const double level = (s[k - 2] + s0 + s1 + s2 + s[k + 2]) / 5;
      if (!(level >= 10 * readVar + 100)) {
        continue;
      }
      const double r0 = response[k - 1];
      const double r1 = response[k];
      const double r2 = response[k + 1];
      if (!(s1 > 0 && s0 > 0 && s2 > 0 && r0 > 0 && r1 > 0 && r2 > 0)) {
        continue;
      }
      if (!std::isfinite(s0 + s1 + s2)) {
        continue;
      }
      const double h = s1 / r1 - 0.5 * (s0 / r0 + s2 / r2);
      const double q = (h * r1 * (h * r1)) / 1.5;
      out[count++] = (q / kChi2OneMedian - readVar - level * level * lampB[k]) / (level + level * level * lampA[k]);
    }
  }
  return count;
}

}  // namespace

void exportGain(Napi::Env env, Napi::Object exports) {
  exports.Set("gainRatios", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                return guarded(info, [&]() -> Napi::Value {
                  const GainInput in = readGainInput(info);
                  return Napi::Number::New(info.Env(), static_cast<double>(ratios(in)));
                });
              }));
}

}  // namespace binding
}  // namespace pyro
