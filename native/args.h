// Shared pieces of the Node-API binding: error mapping (guarded), argument readers and checks, the per-thread
// caches of the wavelength grid and of the used pixels, and the option-name keys. Every message matches the
// TypeScript engine's (src/physics/js-engine.ts; tests/physics/validation.test.ts holds both to it).
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "fit.h"
#include "frame.h"

namespace pyro {
namespace binding {

constexpr int kMaxIterationsLimit = 10000;
constexpr int kMaxThreads = 256;
constexpr int kMaxBins = 100000;
constexpr size_t kParallelFrames = 256;  // batches at least this large use all cores by default

// An argument of the wrong type (becomes a TypeError); ArgError (frame.h) is a bad value (a RangeError).
struct TypeErr {
  std::string message;
};

[[noreturn]] void argFail(const std::string& message);
[[noreturn]] void typeFail(const std::string& message);

// Runs body(), mapping C++ errors to JavaScript ones: ArgError → RangeError, TypeErr → TypeError, bad_alloc →
// Error "out of memory", any other exception → Error "internal error: ...". Nothing escapes unmapped.
template <typename Body>
Napi::Value guarded(const Napi::CallbackInfo& info, Body&& body) {
  Napi::Env env = info.Env();
  try {
    return body();
  } catch (const ArgError& e) {
    throw Napi::RangeError::New(env, e.message);
  } catch (const TypeErr& e) {
    throw Napi::TypeError::New(env, e.message);
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, "out of memory");
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("internal error: ") + e.what());
  } catch (...) {
    throw Napi::Error::New(env, "internal error");
  }
}

// Typed-array views: read-only inputs, and writable outputs (the caller's buffers).
struct F64 {
  const double* data = nullptr;
  size_t length = 0;
};
struct U8 {
  const uint8_t* data = nullptr;
  size_t length = 0;
};
struct F64Out {
  double* data = nullptr;
  size_t length = 0;
};
struct U8Out {
  uint8_t* data = nullptr;
  size_t length = 0;
};

F64 asF64(const Napi::Value& value, const char* name);
U8 asU8(const Napi::Value& value, const char* name);
F64Out asF64Out(const Napi::Value& value, const char* name);
U8Out asU8Out(const Napi::Value& value, const char* name);

bool absent(const Napi::Value& value);
bool isInteger(double value);

// object[name] as a number; `label` is how messages name the field (e.g. "plan.saturation"): TypeError
// "<label> must be <what>" when it is not a number.
double numberField(const Napi::Object& object, const char* name, const std::string& label, const char* what);
// object[name] as an integer in [lo, hi]: TypeError "<label> must be <typeWhat>" when it is not a number (without
// typeWhat, the range message below), RangeError "<label> must be an integer in [lo, hi]" when it is out of range.
size_t integerField(const Napi::Object& object, const char* name, const std::string& label, double lo, double hi,
                    const char* typeWhat = nullptr);

// Creates the option-name keys of this environment (called once, from Init).
void initKeys(Napi::Env env);
// options[name], with the name's key created once per environment.
Napi::Value getOpt(const Napi::Object& options, const char* name);
// info[at] as an options object ({} when absent); TypeError when it is not a plain object.
Napi::Object optionsObject(const Napi::CallbackInfo& info, size_t at, Napi::Env env);
int intOption(const Napi::Object& options, const char* name, int fallback, int lo, int hi);
double toleranceOption(const Napi::Object& options);

// The wavelength grid of `value`: validated and precomputed once per distinct content (per thread).
const Grid& gridFor(const Napi::Value& value);

void checkLength(size_t length, size_t n, const char* name);
void checkMaskValues(const uint8_t* mask, size_t length);
// Validates a single-fit mask (skipped when it equals the cached, already validated one).
void checkMask(const uint8_t* mask, size_t length);

// The used pixels of the last (grid, mask) of single fits on this thread: a loop of fits with one mask validates
// and compacts it once (the content is compared on every call, so a mask changed in place is seen).
struct UsedPixels {
  std::vector<uint32_t> idx;
  std::vector<double> ca, cb;
};
const UsedPixels& usedFor(const Grid& grid, const uint8_t* mask);

std::string separationMessage(size_t n);

}  // namespace binding
}  // namespace pyro
