// Argument readers, checks and per-thread caches of the binding (args.h).
#include "args.h"

#include <cmath>
#include <cstring>

namespace pyro {
namespace binding {

namespace {

// Property names, created once per environment (building them from char* on every call is measurable).
// Node-API 9 cannot reference strings directly: they live in an array held by an ObjectReference.
enum Key : uint32_t { kVariance, kMask, kMaxIterations, kTolerance, kThreads, kBins, kTwoColorSeparation, kKeyCount };
const char* const kKeyNames[kKeyCount] = {"variance", "mask", "maxIterations", "tolerance", "threads", "bins",
                                          "twoColorSeparation"};

struct Keys {
  Napi::ObjectReference names;
};

Napi::Value key(Napi::Env env, const char* name) {
  Keys* keys = env.GetInstanceData<Keys>();
  if (keys != nullptr) {
    for (uint32_t i = 0; i < kKeyCount; i++) {
      if (std::strcmp(kKeyNames[i], name) == 0) {
        return keys->names.Value().Get(i);
      }
    }
  }
  return Napi::String::New(env, name);
}

bool isTypedArrayOf(const Napi::Value& value, napi_typedarray_type type) {
  return value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == type;
}

// Bumped whenever the cached grid is rebuilt (caches derived from the grid check it).
thread_local uint64_t gridGeneration = 0;

struct UsedCache : UsedPixels {
  bool valid = false;
  uint64_t generation = 0;
  bool hasMask = false;
  std::vector<uint8_t> mask;

  bool sameMask(const uint8_t* other, size_t length) const {
    if (!valid || (other != nullptr) != hasMask) {
      return false;
    }
    if (other == nullptr) {
      return true;
    }
    return mask.size() == length && (length == 0 || std::memcmp(mask.data(), other, length) == 0);
  }
};
thread_local UsedCache usedCache;

}  // namespace

void argFail(const std::string& message) { throw ArgError{message}; }
void typeFail(const std::string& message) { throw TypeErr{message}; }

F64 asF64(const Napi::Value& value, const char* name) {
  if (!isTypedArrayOf(value, napi_float64_array)) {
    typeFail(std::string(name) + " must be a Float64Array");
  }
  auto array = value.As<Napi::Float64Array>();
  return F64{array.Data(), array.ElementLength()};
}

U8 asU8(const Napi::Value& value, const char* name) {
  if (!isTypedArrayOf(value, napi_uint8_array)) {
    typeFail(std::string(name) + " must be a Uint8Array");
  }
  auto array = value.As<Napi::Uint8Array>();
  return U8{array.Data(), array.ElementLength()};
}

F64Out asF64Out(const Napi::Value& value, const char* name) {
  if (!isTypedArrayOf(value, napi_float64_array)) {
    typeFail(std::string(name) + " must be a Float64Array");
  }
  auto array = value.As<Napi::Float64Array>();
  return F64Out{array.Data(), array.ElementLength()};
}

U8Out asU8Out(const Napi::Value& value, const char* name) {
  if (!isTypedArrayOf(value, napi_uint8_array)) {
    typeFail(std::string(name) + " must be a Uint8Array");
  }
  auto array = value.As<Napi::Uint8Array>();
  return U8Out{array.Data(), array.ElementLength()};
}

bool absent(const Napi::Value& value) { return value.IsUndefined() || value.IsNull(); }

bool isInteger(double value) { return std::isfinite(value) && value == std::floor(value); }

double numberField(const Napi::Object& object, const char* name, const std::string& label, const char* what) {
  Napi::Value value = object.Get(name);
  if (!value.IsNumber()) {
    typeFail(label + " must be " + what);
  }
  return value.As<Napi::Number>().DoubleValue();
}

size_t integerField(const Napi::Object& object, const char* name, const std::string& label, double lo, double hi,
                    const char* typeWhat) {
  const std::string range = label + " must be an integer in [" + std::to_string(static_cast<long long>(lo)) + ", " +
                            std::to_string(static_cast<long long>(hi)) + "]";
  Napi::Value value = object.Get(name);
  if (!value.IsNumber()) {
    typeFail(typeWhat != nullptr ? label + " must be " + typeWhat : range);
  }
  const double number = value.As<Napi::Number>().DoubleValue();
  if (!isInteger(number) || number < lo || number > hi) {
    argFail(range);
  }
  return static_cast<size_t>(number);
}

void initKeys(Napi::Env env) {
  auto* keys = new Keys();
  Napi::Array names = Napi::Array::New(env, kKeyCount);
  for (uint32_t i = 0; i < kKeyCount; i++) {
    names.Set(i, Napi::String::New(env, kKeyNames[i]));
  }
  keys->names = Napi::Persistent(names.As<Napi::Object>());
  env.SetInstanceData<Keys>(keys);
}

Napi::Value getOpt(const Napi::Object& options, const char* name) { return options.Get(key(options.Env(), name)); }

Napi::Object optionsObject(const Napi::CallbackInfo& info, size_t at, Napi::Env env) {
  if (info.Length() <= at || absent(info[at])) {
    return Napi::Object::New(env);
  }
  if (!info[at].IsObject() || info[at].IsArray() || info[at].IsTypedArray()) {
    typeFail("options must be an object");
  }
  return info[at].As<Napi::Object>();
}

int intOption(const Napi::Object& options, const char* name, int fallback, int lo, int hi) {
  Napi::Value value = getOpt(options, name);
  if (absent(value)) {
    return fallback;
  }
  const std::string message =
      std::string(name) + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  if (!value.IsNumber()) {
    typeFail(message);
  }
  const double number = value.As<Napi::Number>().DoubleValue();
  if (!isInteger(number) || number < lo || number > hi) {
    argFail(message);
  }
  return static_cast<int>(number);
}

double toleranceOption(const Napi::Object& options) {
  Napi::Value value = getOpt(options, "tolerance");
  if (absent(value)) {
    return kDefaultTolerance;
  }
  if (!value.IsNumber()) {
    typeFail("tolerance must be a finite number in (0, 1)");
  }
  const double number = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(number) || !(number > 0) || !(number < 1)) {
    argFail("tolerance must be a finite number in (0, 1)");
  }
  return number;
}

const Grid& gridFor(const Napi::Value& value) {
  static thread_local Grid cache;
  static thread_local bool valid = false;
  F64 wl = asF64(value, "wavelengths");
  if (valid && cache.wl.size() == wl.length &&
      (wl.length == 0 || std::memcmp(cache.wl.data(), wl.data, wl.length * sizeof(double)) == 0)) {
    return cache;
  }
  for (size_t i = 0; i < wl.length; i++) {
    if (!std::isfinite(wl.data[i]) || !(wl.data[i] > 0)) {
      argFail("wavelengths[" + std::to_string(i) + "] must be finite and > 0");
    }
  }
  valid = false;
  cache.build(wl.data, wl.length);
  gridGeneration++;
  valid = true;
  return cache;
}

void checkLength(size_t length, size_t n, const char* name) {
  if (length != n) {
    argFail(std::string(name) + " length " + std::to_string(length) + " does not match wavelengths length " +
            std::to_string(n));
  }
}

void checkMaskValues(const uint8_t* mask, size_t length) {
  for (size_t i = 0; i < length; i++) {
    if (mask[i] > 1) {
      argFail("mask[" + std::to_string(i) + "] must be 0 or 1");
    }
  }
}

void checkMask(const uint8_t* mask, size_t length) {
  if (usedCache.sameMask(mask, length)) {
    return;
  }
  checkMaskValues(mask, length);
}

const UsedPixels& usedFor(const Grid& grid, const uint8_t* mask) {
  UsedCache& cache = usedCache;
  const size_t n = grid.wl.size();
  if (cache.sameMask(mask, n) && cache.generation == gridGeneration) {
    return cache;
  }
  cache.valid = false;
  usedPixels(grid, mask, cache.idx, cache.ca, cache.cb);
  cache.hasMask = mask != nullptr;
  if (mask != nullptr) {
    cache.mask.assign(mask, mask + n);
  } else {
    cache.mask.clear();
  }
  cache.generation = gridGeneration;
  cache.valid = true;
  return cache;
}

std::string separationMessage(size_t n) {
  return "separation must be an integer in [1, " + std::to_string(n < 2 ? 1 : n - 1) + "]";
}

}  // namespace binding
}  // namespace pyro
