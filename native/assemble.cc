// assembleCountsResults(input, out): the per-frame result assembly of one ROI of a Planck batch, on the calling
// thread — the native twin of src/analysis/results.ts for method 'planck' (roiResult → fitValues → planckValues /
// withMisfit, twoColorOf, the weak test). Same tests in the same order, same arithmetic (IEEE double, no
// contraction: binding.gyp's -ffp-contract=off), so every column is bit-identical to the TypeScript assembly's
// (tests/analysis/assembleNative.test.ts). The constants and the misfit threshold per dof come from TypeScript
// (src/quality/flags.ts) so that they are defined once.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "args.h"
#include "bindings.h"
#include "frameFlags.h"

namespace pyro {
namespace binding {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kMaxSafeInteger = 9007199254740991.0;

struct I32 {
  const int32_t* data = nullptr;
  size_t length = 0;
};

I32 asI32(const Napi::Value& value, const char* name) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    typeFail(std::string(name) + " must be an Int32Array");
  }
  auto array = value.As<Napi::Int32Array>();
  return I32{array.Data(), array.ElementLength()};
}

Napi::Object objectArg(const Napi::CallbackInfo& info, size_t at, const char* name) {
  if (info.Length() <= at || !info[at].IsObject() || info[at].IsArray() || info[at].IsTypedArray()) {
    typeFail(std::string(name) + " must be an object");
  }
  return info[at].As<Napi::Object>();
}

// A field that must hold at least `need` values (the analyzer's buffers are sized for the largest batch seen).
void atLeast(size_t length, double need, const std::string& name, const char* what) {
  if (static_cast<double>(length) < need) {
    argFail(name + " length " + std::to_string(length) + " is less than " + what + " = " +
            std::to_string(static_cast<unsigned long long>(need)));
  }
}

double numberOf(const Napi::Object& object, const char* name, const char* what) {
  return numberField(object, name, std::string("input.") + name, what);
}

size_t countOf(const Napi::Object& object, const char* name, double lo, double hi) {
  return integerField(object, name, std::string("input.") + name, lo, hi);
}

struct Input {
  const Grid* grid = nullptr;
  size_t nU = 0, n = 0, nRois = 0, roi = 0;
  // the misfit refits' temperatures (hasUnweighted), or the prepared frames to refit
  bool hasUnweighted = false;
  F64 unweighted;
  F64 radiance;
  U8 mask, sat, cosmic, corrupt, weak, status;
  F64 temperature, temperatureError, chi2, scale;
  I32 dof;
  bool hasTwoColor = false;
  F64 tcMean, tcStd;
  I32 tcCount;
  bool weighted = true;
  bool scaleByChi2 = false;
  double weakMaxRelativeError = 0;
  double misfitMinChi2 = 0;
  F64 misfitThreshold;
};

struct Output {
  F64Out temperature, temperatureError, chi2, twoColorMean, twoColorStd, scale;
  U8Out flags;
};

Input readInput(const Napi::Object& in) {
  Input r;
  r.grid = &gridFor(in.Get("wavelengthNm"));
  r.nU = r.grid->wl.size();
  if (r.nU == 0) {
    argFail("input.wavelengthNm must not be empty");
  }
  r.n = countOf(in, "n", 0, kMaxSafeInteger);
  r.nRois = countOf(in, "nRois", 1, kMaxSafeInteger);
  r.roi = countOf(in, "roi", 0, static_cast<double>(r.nRois - 1));
  const double n = static_cast<double>(r.n);
  const double frameValues = n * static_cast<double>(r.nU);
  const double slots = n * static_cast<double>(r.nRois);
  Napi::Value unweighted = in.Get("unweightedTemperature");
  r.hasUnweighted = !absent(unweighted);
  if (r.hasUnweighted) {
    r.unweighted = asF64(unweighted, "input.unweightedTemperature");
    atLeast(r.unweighted.length, n, "input.unweightedTemperature", "n");
  } else {
    r.radiance = asF64(in.Get("radiance"), "input.radiance");
    atLeast(r.radiance.length, frameValues, "input.radiance", "n × pixels");
    r.mask = asU8(in.Get("mask"), "input.mask");
    atLeast(r.mask.length, frameValues, "input.mask", "n × pixels");
  }
  struct SlotBytes {
    const char* name;
    U8* to;
  };
  for (const SlotBytes& field : {SlotBytes{"sat", &r.sat}, SlotBytes{"cosmic", &r.cosmic},
                                 SlotBytes{"corrupt", &r.corrupt}, SlotBytes{"weak", &r.weak}}) {
    const std::string name = std::string("input.") + field.name;
    *field.to = asU8(in.Get(field.name), name.c_str());
    atLeast(field.to->length, slots, name, "n × nRois");
  }
  r.status = asU8(in.Get("status"), "input.status");
  atLeast(r.status.length, n, "input.status", "n");
  struct FrameF64 {
    const char* name;
    F64* to;
  };
  for (const FrameF64& field :
       {FrameF64{"temperature", &r.temperature}, FrameF64{"temperatureError", &r.temperatureError},
        FrameF64{"chi2", &r.chi2}, FrameF64{"scale", &r.scale}}) {
    const std::string name = std::string("input.") + field.name;
    *field.to = asF64(in.Get(field.name), name.c_str());
    atLeast(field.to->length, n, name, "n");
  }
  r.dof = asI32(in.Get("dof"), "input.dof");
  atLeast(r.dof.length, n, "input.dof", "n");
  Napi::Value twoColor = in.Get("twoColor");
  if (!absent(twoColor)) {
    if (!twoColor.IsObject() || twoColor.IsArray() || twoColor.IsTypedArray()) {
      typeFail("input.twoColor must be an object or null");
    }
    Napi::Object tc = twoColor.As<Napi::Object>();
    r.hasTwoColor = true;
    r.tcMean = asF64(tc.Get("mean"), "input.twoColor.mean");
    atLeast(r.tcMean.length, n, "input.twoColor.mean", "n");
    r.tcStd = asF64(tc.Get("std"), "input.twoColor.std");
    atLeast(r.tcStd.length, n, "input.twoColor.std", "n");
    r.tcCount = asI32(tc.Get("count"), "input.twoColor.count");
    atLeast(r.tcCount.length, n, "input.twoColor.count", "n");
  }
  Napi::Value weights = in.Get("weights");
  if (!weights.IsString()) {
    typeFail("input.weights must be 'noise' or 'none'");
  }
  const std::string w = weights.As<Napi::String>().Utf8Value();
  if (w != "noise" && w != "none") {
    argFail("input.weights must be 'noise' or 'none'");
  }
  r.weighted = w == "noise";
  Napi::Value scaleByChi2 = in.Get("scaleByChi2");
  if (!scaleByChi2.IsBoolean()) {
    typeFail("input.scaleByChi2 must be a boolean");
  }
  r.scaleByChi2 = scaleByChi2.As<Napi::Boolean>().Value();
  r.weakMaxRelativeError = numberOf(in, "weakMaxRelativeError", "a number");
  if (!(r.weakMaxRelativeError > 0) || !std::isfinite(r.weakMaxRelativeError)) {
    argFail("input.weakMaxRelativeError must be finite and > 0");
  }
  r.misfitMinChi2 = numberOf(in, "misfitMinChi2", "a number");
  if (!(r.misfitMinChi2 > 0) || !std::isfinite(r.misfitMinChi2)) {
    argFail("input.misfitMinChi2 must be finite and > 0");
  }
  r.misfitThreshold = asF64(in.Get("misfitThreshold"), "input.misfitThreshold");
  // indexed by dof: a fit of the ROI's nU pixels has dof ≤ nU − 2
  atLeast(r.misfitThreshold.length, static_cast<double>(r.nU) + 1, "input.misfitThreshold", "pixels + 1");
  for (size_t f = 0; f < r.n; f++) {
    if (r.dof.data[f] > 0 && static_cast<size_t>(r.dof.data[f]) >= r.misfitThreshold.length) {
      argFail("input.dof[" + std::to_string(f) + "] = " + std::to_string(r.dof.data[f]) +
              " is beyond input.misfitThreshold (length " + std::to_string(r.misfitThreshold.length) + ")");
    }
  }
  return r;
}

Output readOutput(const Napi::Object& out, const Input& in) {
  Output r;
  const double n = static_cast<double>(in.n);
  const double slots = n * static_cast<double>(in.nRois);
  struct Column {
    const char* name;
    F64Out* to;
    bool perSlot;
  };
  for (const Column& column :
       {Column{"temperature", &r.temperature, true}, Column{"temperatureError", &r.temperatureError, true},
        Column{"chi2", &r.chi2, true}, Column{"twoColorMean", &r.twoColorMean, false},
        Column{"twoColorStd", &r.twoColorStd, false}, Column{"scale", &r.scale, false}}) {
    const std::string name = std::string("out.") + column.name;
    *column.to = asF64Out(out.Get(column.name), name.c_str());
    atLeast(column.to->length, column.perSlot ? slots : n, name, column.perSlot ? "n × nRois" : "n");
  }
  r.flags = asU8Out(out.Get("flags"), "out.flags");
  atLeast(r.flags.length, slots, "out.flags", "n × nRois");
  return r;
}

// results.ts FitValues: null is hasTemperature / hasChi2 false.
struct Values {
  bool hasTemperature = false;
  double temperature = kNaN;
  double temperatureError = kNaN;
  bool hasChi2 = false;
  double chi2 = kNaN;
  double scale = kNaN;
  bool hasDof = false;
  int dof = 0;
  bool hasStatisticalError = false;
  double statisticalError = kNaN;
  uint8_t flags = 0;
};

Values noFit(uint8_t flag) {
  Values v;
  v.flags = flag;
  return v;
}

// results.ts planckValues.
Values planckValues(const Input& in, size_t f) {
  switch (in.status.data[f]) {
    case Ok: {
      const double temperature = in.temperature.data[f];
      if (!(std::isfinite(temperature) && temperature > 0)) {
        return noFit(kFitFailed);
      }
      Values v;
      v.hasTemperature = true;
      v.temperature = temperature;
      v.scale = in.scale.data[f];
      if (!in.weighted) {
        v.temperatureError = in.temperatureError.data[f];
        return v;
      }
      const int dof = in.dof.data[f];
      v.hasChi2 = dof > 0;
      v.chi2 = v.hasChi2 ? reducedChi2(in.chi2.data[f], dof) : kNaN;
      const double error = in.temperatureError.data[f];
      v.temperatureError = in.scaleByChi2 && v.hasChi2 ? error * std::sqrt(v.chi2) : error;
      v.hasDof = true;
      v.dof = dof;
      return v;
    }
    case InvalidData:
      return noFit(kCorrupt);
    case TooFewPixels:
      return noFit(kWeak);
    default:
      return noFit(kFitFailed);
  }
}

// The unweighted refit's temperature of frame f: the one the batch's workers computed (input.unweightedTemperature:
// NaN where they did not refit or the refit failed, which withMisfit treats alike), else a refit here of the
// prepared radiance and mask; false where that refit fails.
bool unweightedOf(const Input& in, size_t f, RefitScratch& refit, double& temperature) {
  if (in.hasUnweighted) {
    temperature = in.unweighted.data[f];
    return true;
  }
  return unweightedTemperature(*in.grid, in.radiance.data + f * in.nU, in.mask.data + f * in.nU, refit, temperature);
}

// results.ts withMisfit.
Values withMisfit(const Input& in, size_t f, const Values& fit, RefitScratch& refit) {
  const double chi2 = fit.chi2;
  if (!(chi2 > in.misfitThreshold.data[fit.dof < 0 ? 0 : fit.dof])) {
    return fit;
  }
  Values values = fit;
  if (chi2 >= in.misfitMinChi2) {
    values.flags = static_cast<uint8_t>(values.flags | kMisfit);
  }
  double unweighted = 0;
  if (!unweightedOf(in, f, refit, unweighted)) {
    return values;
  }
  if (!std::isfinite(unweighted)) {
    return values;
  }
  const double shift = values.temperature - unweighted;
  const double error = values.temperatureError;
  values.temperatureError = std::sqrt(error * error + shift * shift);  // V8's x ** 2 is x * x
  values.hasStatisticalError = true;
  values.statisticalError = error;
  return values;
}

// results.ts roiResult for method 'planck'.
void assemble(const Input& in, const Output& out) {
  RefitScratch refit;
  const bool first = in.roi == 0;
  for (size_t f = 0; f < in.n; f++) {
    const size_t slot = f * in.nRois + in.roi;
    out.temperature.data[slot] = kNaN;
    out.temperatureError.data[slot] = kNaN;
    out.chi2.data[slot] = kNaN;
    out.scale.data[f] = kNaN;
    if (first) {
      out.twoColorMean.data[f] = kNaN;
      out.twoColorStd.data[f] = kNaN;
    }
    if (in.corrupt.data[slot] != 0) {
      out.flags.data[slot] = kCorrupt;
      continue;
    }
    const uint8_t prepared =
        static_cast<uint8_t>((in.sat.data[slot] != 0 ? kSaturated : 0) | (in.cosmic.data[slot] != 0 ? kCosmic : 0));
    if (in.weak.data[slot] != 0) {
      out.flags.data[slot] = static_cast<uint8_t>(prepared | kWeak);
      continue;
    }
    // twoColorOf
    if (first && in.hasTwoColor && in.tcCount.data[f] > 0 && std::isfinite(in.tcMean.data[f])) {
      out.twoColorMean.data[f] = in.tcMean.data[f];
      out.twoColorStd.data[f] = std::isfinite(in.tcStd.data[f]) ? in.tcStd.data[f] : 0.0;
    }
    Values values = planckValues(in, f);
    if (values.hasTemperature && values.hasChi2 && values.hasDof) {
      values = withMisfit(in, f, values, refit);
    }
    uint8_t flags = static_cast<uint8_t>(prepared | values.flags);
    const double fitError = values.hasStatisticalError ? values.statisticalError : values.temperatureError;
    if (values.hasTemperature && !(fitError <= in.weakMaxRelativeError * values.temperature)) {
      flags = static_cast<uint8_t>(flags | kWeak);
    } else if (values.hasTemperature) {
      out.temperature.data[slot] = values.temperature;
      out.temperatureError.data[slot] = values.temperatureError;
    }
    out.chi2.data[slot] = values.chi2;
    out.flags.data[slot] = flags;
    out.scale.data[f] = values.scale;
  }
}

Napi::Value AssembleCountsResults(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    const Input in = readInput(objectArg(info, 0, "input"));
    const Output out = readOutput(objectArg(info, 1, "out"), in);
    assemble(in, out);
    return info.Env().Undefined();
  });
}

}  // namespace

void exportAssemble(Napi::Env env, Napi::Object exports) {
  exports.Set("assembleCountsResults", Napi::Function::New(env, AssembleCountsResults, "assembleCountsResults"));
}

}  // namespace binding
}  // namespace pyro
