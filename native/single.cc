// The single-frame entry points: fitPlanck, fitWien, twoColor, slidingTwoColor. Every argument is validated
// (args.h); problems become JavaScript errors whose messages match the TypeScript engine's.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "args.h"
#include "bindings.h"

namespace pyro {
namespace binding {

namespace {

constexpr int kPlanckOutLength = 7;  // [T, σT, scale, χ², dof, iterations, converged]
constexpr int kDefaultBins = 50;

struct SingleArgs {
  const Grid* grid = nullptr;
  F64 y;
  const double* var = nullptr;
  const uint8_t* mask = nullptr;
  int maxIterations = kDefaultMaxIterations;
  double tolerance = kDefaultTolerance;
};

// The first two arguments of every single-spectrum call: the wavelengths' grid and a radiance of its length.
struct GridRadiance {
  const Grid* grid;
  F64 y;
};

GridRadiance gridRadiance(const Napi::CallbackInfo& info) {
  const Grid& grid = gridFor(info[0]);
  F64 y = asF64(info[1], "radiance");
  checkLength(y.length, grid.wl.size(), "radiance");
  return {&grid, y};
}

// (wavelengths, radiance, options?) with options.variance, options.mask and, with fitOptions, maxIterations and
// tolerance.
SingleArgs singleArgs(const Napi::CallbackInfo& info, bool fitOptions) {
  Napi::Env env = info.Env();
  SingleArgs args;
  const GridRadiance first = gridRadiance(info);
  args.grid = first.grid;
  args.y = first.y;
  const size_t n = args.grid->wl.size();
  Napi::Object options = optionsObject(info, 2, env);
  Napi::Value varianceValue = getOpt(options, "variance");
  if (!absent(varianceValue)) {
    F64 variance = asF64(varianceValue, "variance");
    checkLength(variance.length, n, "variance");
    args.var = variance.data;
  }
  Napi::Value maskValue = getOpt(options, "mask");
  if (!absent(maskValue)) {
    U8 mask = asU8(maskValue, "mask");
    checkLength(mask.length, n, "mask");
    checkMask(mask.data, mask.length);
    args.mask = mask.data;
  }
  if (fitOptions) {
    args.maxIterations = intOption(options, "maxIterations", kDefaultMaxIterations, 1, kMaxIterationsLimit);
    args.tolerance = toleranceOption(options);
  }
  return args;
}

std::string badDataMessage(const FrameFit& r) {
  return r.badIsVariance ? "variance[" + std::to_string(r.badIndex) + "] must be finite and > 0"
                         : "radiance[" + std::to_string(r.badIndex) + "] is not finite";
}

void writePlanckOut(const PlanckOut& fit, const F64Out& out) {
  if (out.length < kPlanckOutLength) {
    argFail("out must have at least 7 elements");
  }
  out.data[0] = fit.temperature;
  out.data[1] = fit.temperatureError;
  out.data[2] = fit.scale;
  out.data[3] = fit.chi2;
  out.data[4] = fit.dof;
  out.data[5] = fit.iterations;
  out.data[6] = fit.converged ? 1 : 0;
}

Napi::Value FitPlanck(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    SingleArgs args = singleArgs(info, true);
    static thread_local Scratch scratch;
    const UsedPixels& used = usedFor(*args.grid, args.mask);
    FrameFit r = fitFrame(args.y.data, args.var, used.idx.data(), used.idx.size(), used.ca.data(), used.cb.data(),
                          args.maxIterations, args.tolerance, scratch);
    if (r.status == InvalidData) {
      argFail(badDataMessage(r));
    }
    if (r.status == TooFewPixels) {
      argFail("fewer than 3 usable pixels (" + std::to_string(r.nUsed) + " unmasked, " +
              std::to_string(r.nPositive) + " with radiance > 0)");
    }
    // Optional 4th argument: a Float64Array(7) to receive [T, σT, scale, χ², dof, iterations, converged]
    // (the TypeScript wrapper builds the result object; much cheaper than setting properties from C++).
    if (info.Length() > 3 && !absent(info[3])) {
      writePlanckOut(r.fit, asF64Out(info[3], "out"));
      return env.Undefined();
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("temperature", r.fit.temperature);
    out.Set("temperatureError", r.fit.temperatureError);
    out.Set("scale", r.fit.scale);
    out.Set("chi2", r.fit.chi2);
    out.Set("dof", r.fit.dof);
    out.Set("iterations", r.fit.iterations);
    out.Set("converged", r.fit.converged);
    return out;
  });
}

// Pixels used by Wien / two-colour: unmasked, finite (checked), radiance > 0; compacted into scratch.
size_t compactPositive(const SingleArgs& args, Scratch& scratch) {
  const Grid& grid = *args.grid;
  const size_t n = grid.wl.size();
  scratch.reserve(n);
  size_t positive = 0;
  for (size_t i = 0; i < n; i++) {
    if (args.mask != nullptr && args.mask[i] != 0) {
      continue;
    }
    const double value = args.y.data[i];
    if (!std::isfinite(value)) {
      argFail("radiance[" + std::to_string(i) + "] is not finite");
    }
    double weight = 1.0;
    if (args.var != nullptr) {
      const double variance = args.var[i];
      if (!std::isfinite(variance) || !(variance > 0)) {
        argFail("variance[" + std::to_string(i) + "] must be finite and > 0");
      }
      weight = 1.0 / variance;
    }
    if (value > 0) {
      scratch.y[positive] = value;
      scratch.w[positive] = weight;
      scratch.a[positive] = grid.a[i];
      scratch.b[positive] = grid.b[i];
      positive++;
    }
  }
  return positive;
}

Napi::Value FitWien(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    SingleArgs args = singleArgs(info, false);
    static thread_local Scratch scratch;
    const size_t positive = compactPositive(args, scratch);
    if (positive < 3) {
      argFail("fewer than 3 usable pixels (" + std::to_string(positive) + " unmasked with radiance > 0)");
    }
    const bool weighted = args.var != nullptr;
    WienOut r = fitWienCompact(positive, scratch.y.data(), scratch.w.data(), scratch.a.data(), scratch.b.data(),
                               weighted, weighted, scratch.z.data());
    Napi::Object out = Napi::Object::New(env);
    out.Set("temperature", r.temperature);
    out.Set("temperatureError", r.temperatureError);
    out.Set("scale", r.scale);
    out.Set("chi2", r.chi2);
    out.Set("dof", r.dof);
    return out;
  });
}

size_t pixelIndex(const Napi::Value& value, const char* name, size_t n) {
  const std::string message = std::string("pixel index ") + name + " must be an integer in [0, " +
                              std::to_string(n == 0 ? 0 : n - 1) + "]";
  if (!value.IsNumber()) {
    typeFail(message);
  }
  const double number = value.As<Napi::Number>().DoubleValue();
  if (!isInteger(number) || number < 0 || number >= static_cast<double>(n)) {
    argFail(message);
  }
  return static_cast<size_t>(number);
}

Napi::Value TwoColor(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    const auto [gridPointer, y] = gridRadiance(info);
    const Grid& grid = *gridPointer;
    const size_t n = grid.wl.size();
    const size_t i = pixelIndex(info[2], "i", n);
    const size_t j = pixelIndex(info[3], "j", n);
    if (i == j) {
      argFail("pixel indices i and j must differ");
    }
    for (size_t k : {i, j}) {
      if (!std::isfinite(y.data[k]) || !(y.data[k] > 0)) {
        argFail("radiance[" + std::to_string(k) + "] must be finite and > 0 for two-colour");
      }
    }
    const double zi = std::log(y.data[i] / grid.a[i]);
    const double zj = std::log(y.data[j] / grid.a[j]);
    return Napi::Number::New(env, (grid.b[j] - grid.b[i]) / (zi - zj));
  });
}

// Histogram of the pair temperatures t[0..count) in `bins` equal bins from their min to max.
Napi::Object histogram(Napi::Env env, const std::vector<double>& t, size_t count, int bins) {
  double lo = t[0];
  double hi = t[0];
  for (size_t k = 0; k < count; k++) {
    lo = std::min(lo, t[k]);
    hi = std::max(hi, t[k]);
  }
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  Napi::Float64Array edges = Napi::Float64Array::New(env, bins + 1);
  for (int k = 0; k <= bins; k++) {
    edges[k] = lo + k * (hi - lo) / bins;
  }
  Napi::Uint32Array counts = Napi::Uint32Array::New(env, bins);
  for (int k = 0; k < bins; k++) {
    counts[k] = 0;
  }
  for (size_t q = 0; q < count; q++) {
    const double bin = std::floor((t[q] - lo) / (hi - lo) * bins);
    const int k = bin < 0 ? 0 : (bin >= bins ? bins - 1 : static_cast<int>(bin));
    counts[k] = counts[k] + 1;
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("edges", edges);
  result.Set("counts", counts);
  return result;
}

size_t separationArgument(const Napi::Value& value, size_t n) {
  const std::string message = separationMessage(n);
  if (!value.IsNumber()) {
    typeFail(message);
  }
  const double number = value.As<Napi::Number>().DoubleValue();
  if (!isInteger(number) || number < 1 || number > static_cast<double>(n) - 1) {
    argFail(message);
  }
  return static_cast<size_t>(number);
}

Napi::Value SlidingTwoColor(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    const auto [gridPointer, y] = gridRadiance(info);
    const Grid& grid = *gridPointer;
    const size_t n = grid.wl.size();
    const size_t separation = separationArgument(info[2], n);
    Napi::Object options = optionsObject(info, 3, env);
    const uint8_t* mask = nullptr;
    Napi::Value maskValue = getOpt(options, "mask");
    if (!absent(maskValue)) {
      U8 maskView = asU8(maskValue, "mask");
      checkLength(maskView.length, n, "mask");
      checkMaskValues(maskView.data, maskView.length);
      mask = maskView.data;
    }
    const int bins = intOption(options, "bins", kDefaultBins, 1, kMaxBins);
    static thread_local std::vector<double> z;
    static thread_local std::vector<double> t;
    if (z.size() < n) {
      z.resize(n);
      t.resize(n);
    }
    TwoColorOut r;
    if (!slidingTwoColorFrame(y.data, mask, grid, separation, z.data(), t.data(), r)) {
      argFail("radiance[" + std::to_string(r.badIndex) + "] is not finite");
    }
    if (r.count == 0) {
      argFail("no valid pixel pair at separation " + std::to_string(separation));
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("mean", r.mean);
    out.Set("std", r.sd);
    out.Set("count", static_cast<double>(r.count));
    out.Set("histogram", histogram(env, t, r.count, bins));
    return out;
  });
}

// (x, out, variant?) of vectorLog and vectorExp: the variant asked for ('best' when absent).
SimdVariant elementwiseArgs(const Napi::CallbackInfo& info, F64& x, F64Out& out, std::string& name) {
  Napi::Env env = info.Env();
  x = asF64(info[0], "x");
  out = asF64Out(info.Length() > 1 ? info[1] : env.Undefined(), "out");
  if (out.length != x.length) {
    argFail("out length " + std::to_string(out.length) + " does not match x length " + std::to_string(x.length));
  }
  name = "best";
  if (info.Length() > 2 && !absent(info[2])) {
    if (!info[2].IsString()) {
      typeFail("variant must be a string");
    }
    name = info[2].As<Napi::String>().Utf8Value();
  }
  if (name == "avx512") {
    return SimdVariant::Avx512;
  }
  if (name == "avx2") {
    return SimdVariant::Avx2;
  }
  if (name == "generic") {
    return SimdVariant::Generic;
  }
  if (name != "best") {
    argFail("variant must be 'best', 'avx512', 'avx2' or 'generic'");
  }
  return SimdVariant::Best;
}

// vectorLog(x, out, variant?) / vectorExp(x, out, variant?): out[i] = log(x[i]) by native/vlog.h, exp(x[i]) as the
// Planck pass computes it (vexp.h's expFma), in the loop of `variant` ('best' (default), 'avx512', 'avx2',
// 'generic'; RangeError when this processor lacks it). Exposed for their tests against Math.log and Math.exp.
template <bool (*kFunction)(const double*, double*, size_t, SimdVariant)>
Napi::Value Elementwise(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    F64 x;
    F64Out out;
    std::string name;
    const SimdVariant variant = elementwiseArgs(info, x, out, name);
    if (!kFunction(x.data, out.data, x.length, variant)) {
      argFail("this processor has no " + name + " unit");
    }
    return info.Env().Undefined();
  });
}

}  // namespace

void exportSingle(Napi::Env env, Napi::Object exports) {
  exports.Set("fitPlanck", Napi::Function::New(env, FitPlanck, "fitPlanck"));
  exports.Set("fitWien", Napi::Function::New(env, FitWien, "fitWien"));
  exports.Set("twoColor", Napi::Function::New(env, TwoColor, "twoColor"));
  exports.Set("slidingTwoColor", Napi::Function::New(env, SlidingTwoColor, "slidingTwoColor"));
  exports.Set("vectorLog", Napi::Function::New(env, Elementwise<logArray>, "vectorLog"));
  exports.Set("vectorExp", Napi::Function::New(env, Elementwise<expArray>, "vectorExp"));
}

}  // namespace binding
}  // namespace pyro
