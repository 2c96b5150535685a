// Node-API binding of the fitting core. Every argument is validated here; problems become JavaScript errors
// (TypeError for wrong types, RangeError for bad values) whose messages match the TypeScript engine's.
// Nothing in this file aborts the process.
#include <napi.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "fit.h"
#include "frame.h"
#include "prepare.h"

namespace {

using pyro::ArgError;
using pyro::Grid;
using pyro::Scratch;

constexpr int kMaxIterationsLimit = 10000;
constexpr int kDefaultMaxIterations = 50;
constexpr double kDefaultTolerance = 1e-10;
constexpr int kMaxThreads = 256;
constexpr int kMaxBins = 100000;
constexpr size_t kParallelFrames = 256;  // batches at least this large use all cores by default

struct TypeErr {
  std::string message;
};

[[noreturn]] void argFail(const std::string& m) { throw ArgError{m}; }
[[noreturn]] void typeFail(const std::string& m) { throw TypeErr{m}; }

template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, F&& f) {
  Napi::Env env = info.Env();
  try {
    return f();
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

struct F64 {
  const double* data = nullptr;
  size_t length = 0;
};
struct U8 {
  const uint8_t* data = nullptr;
  size_t length = 0;
};

F64 asF64(const Napi::Value& v, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    typeFail(std::string(name) + " must be a Float64Array");
  auto a = v.As<Napi::Float64Array>();
  return F64{a.Data(), a.ElementLength()};
}

U8 asU8(const Napi::Value& v, const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    typeFail(std::string(name) + " must be a Uint8Array");
  auto a = v.As<Napi::Uint8Array>();
  return U8{a.Data(), a.ElementLength()};
}

bool absent(const Napi::Value& v) { return v.IsUndefined() || v.IsNull(); }

// Property names, created once per environment (building them from char* on every call is measurable).
// Node-API 9 cannot reference strings directly: they live in an array held by an ObjectReference.
enum Key : uint32_t { kVariance, kMask, kMaxIterations, kTolerance, kThreads, kBins, kTwoColorSeparation, kKeyCount };
const char* const kKeyNames[kKeyCount] = {"variance", "mask", "maxIterations", "tolerance", "threads", "bins",
                                          "twoColorSeparation"};

struct Keys {
  Napi::ObjectReference names;
};

Napi::Value key(Napi::Env env, const char* name) {
  Keys* k = env.GetInstanceData<Keys>();
  if (k != nullptr) {
    for (uint32_t i = 0; i < kKeyCount; i++)
      if (std::strcmp(kKeyNames[i], name) == 0) return k->names.Value().Get(i);
  }
  return Napi::String::New(env, name);
}

Napi::Value getOpt(const Napi::Object& o, const char* name) { return o.Get(key(o.Env(), name)); }

Napi::Object optionsObject(const Napi::CallbackInfo& info, size_t at, Napi::Env env) {
  if (info.Length() <= at || absent(info[at])) return Napi::Object::New(env);
  if (!info[at].IsObject() || info[at].IsArray() || info[at].IsTypedArray()) typeFail("options must be an object");
  return info[at].As<Napi::Object>();
}

bool isInteger(double v) { return std::isfinite(v) && v == std::floor(v); }

int intOption(const Napi::Object& o, const char* key, int def, int lo, int hi) {
  Napi::Value v = getOpt(o, key);
  if (absent(v)) return def;
  const std::string msg =
      std::string(key) + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  if (!v.IsNumber()) typeFail(msg);
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!isInteger(d) || d < lo || d > hi) argFail(msg);
  return static_cast<int>(d);
}

double toleranceOption(const Napi::Object& o) {
  Napi::Value v = getOpt(o, "tolerance");
  if (absent(v)) return kDefaultTolerance;
  if (!v.IsNumber()) typeFail("tolerance must be a finite number in (0, 1)");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || !(d > 0) || !(d < 1)) argFail("tolerance must be a finite number in (0, 1)");
  return d;
}

// Bumped whenever the cached grid is rebuilt (caches derived from the grid check it).
thread_local uint64_t gridGeneration = 0;

// Wavelength grid: validated and precomputed once per distinct content (per thread).
const Grid& gridFor(const Napi::Value& v) {
  static thread_local Grid cache;
  static thread_local bool valid = false;
  F64 wl = asF64(v, "wavelengths");
  if (valid && cache.wl.size() == wl.length &&
      (wl.length == 0 || std::memcmp(cache.wl.data(), wl.data, wl.length * sizeof(double)) == 0))
    return cache;
  for (size_t i = 0; i < wl.length; i++) {
    if (!std::isfinite(wl.data[i]) || !(wl.data[i] > 0))
      argFail("wavelengths[" + std::to_string(i) + "] must be finite and > 0");
  }
  valid = false;
  cache.build(wl.data, wl.length);
  gridGeneration++;
  valid = true;
  return cache;
}

void checkLength(size_t len, size_t n, const char* name) {
  if (len != n)
    argFail(std::string(name) + " length " + std::to_string(len) + " does not match wavelengths length " +
            std::to_string(n));
}

void checkMaskValues(const uint8_t* m, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (m[i] > 1) argFail("mask[" + std::to_string(i) + "] must be 0 or 1");
}

// The used pixels of the last (grid, mask) of single fits on this thread: a loop of fits with one mask
// validates and compacts it once (the content is compared on every call, so a mask changed in place is seen).
struct UsedCache {
  bool valid = false;
  uint64_t gen = 0;
  bool hasMask = false;
  std::vector<uint8_t> mask;
  std::vector<uint32_t> idx;
  std::vector<double> ca, cb;

  bool sameMask(const uint8_t* m, size_t len) const {
    if (!valid || (m != nullptr) != hasMask) return false;
    if (m == nullptr) return true;
    return mask.size() == len && (len == 0 || std::memcmp(mask.data(), m, len) == 0);
  }
};
thread_local UsedCache usedCache;

// Validates a single-fit mask (skipped when it equals the cached, already validated one).
void checkMask(const uint8_t* m, size_t len) {
  if (usedCache.sameMask(m, len)) return;
  checkMaskValues(m, len);
}

// Used pixels for the grid and mask (validated), from the cache when possible.
const UsedCache& usedFor(const Grid& g, const uint8_t* m) {
  UsedCache& c = usedCache;
  const size_t n = g.wl.size();
  if (c.sameMask(m, n) && c.gen == gridGeneration) return c;
  c.valid = false;
  pyro::usedPixels(g, m, c.idx, c.ca, c.cb);
  c.hasMask = m != nullptr;
  if (m != nullptr) c.mask.assign(m, m + n); else c.mask.clear();
  c.gen = gridGeneration;
  c.valid = true;
  return c;
}

struct SingleArgs {
  const Grid* grid;
  F64 y;
  const double* var = nullptr;
  const uint8_t* mask = nullptr;
  int maxIterations = kDefaultMaxIterations;
  double tolerance = kDefaultTolerance;
};

SingleArgs singleArgs(const Napi::CallbackInfo& info, bool fitOptions) {
  Napi::Env env = info.Env();
  SingleArgs a;
  a.grid = &gridFor(info[0]);
  const size_t n = a.grid->wl.size();
  a.y = asF64(info[1], "radiance");
  checkLength(a.y.length, n, "radiance");
  Napi::Object o = optionsObject(info, 2, env);
  Napi::Value vv = getOpt(o, "variance");
  if (!absent(vv)) {
    F64 var = asF64(vv, "variance");
    checkLength(var.length, n, "variance");
    a.var = var.data;
  }
  Napi::Value mv = getOpt(o, "mask");
  if (!absent(mv)) {
    U8 m = asU8(mv, "mask");
    checkLength(m.length, n, "mask");
    checkMask(m.data, m.length);
    a.mask = m.data;
  }
  if (fitOptions) {
    a.maxIterations = intOption(o, "maxIterations", kDefaultMaxIterations, 1, kMaxIterationsLimit);
    a.tolerance = toleranceOption(o);
  }
  return a;
}

std::string badDataMessage(const pyro::FrameFit& r) {
  return r.badIsVariance ? "variance[" + std::to_string(r.badIndex) + "] must be finite and > 0"
                         : "radiance[" + std::to_string(r.badIndex) + "] is not finite";
}

Napi::Value FitPlanck(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    SingleArgs a = singleArgs(info, true);
    static thread_local Scratch scratch;
    const UsedCache& u = usedFor(*a.grid, a.mask);
    pyro::FrameFit r = pyro::fitFrame(a.y.data, a.var, u.idx.data(), u.idx.size(), u.ca.data(), u.cb.data(),
                                      a.maxIterations, a.tolerance, scratch);
    if (r.status == pyro::InvalidData) argFail(badDataMessage(r));
    if (r.status == pyro::TooFewPixels)
      argFail("fewer than 3 usable pixels (" + std::to_string(r.nUsed) + " unmasked, " +
              std::to_string(r.nPositive) + " with radiance > 0)");
    // Optional 4th argument: a Float64Array(7) to receive [T, σT, scale, χ², dof, iterations, converged]
    // (the TypeScript wrapper builds the result object; much cheaper than setting properties from C++).
    if (info.Length() > 3 && !absent(info[3])) {
      F64 o = asF64(info[3], "out");
      if (o.length < 7) argFail("out must have at least 7 elements");
      double* d = const_cast<double*>(o.data);
      d[0] = r.fit.temperature; d[1] = r.fit.temperatureError; d[2] = r.fit.scale; d[3] = r.fit.chi2;
      d[4] = r.fit.dof; d[5] = r.fit.iterations; d[6] = r.fit.converged ? 1 : 0;
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

// Pixels used by Wien / two-colour: unmasked, finite (checked), radiance > 0.
Napi::Value FitWien(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    SingleArgs a = singleArgs(info, false);
    const Grid& g = *a.grid;
    const size_t n = g.wl.size();
    static thread_local Scratch s;
    s.reserve(n);
    size_t np = 0;
    for (size_t i = 0; i < n; i++) {
      if (a.mask != nullptr && a.mask[i] != 0) continue;
      const double v = a.y.data[i];
      if (!std::isfinite(v)) argFail("radiance[" + std::to_string(i) + "] is not finite");
      double w = 1.0;
      if (a.var != nullptr) {
        const double vv = a.var[i];
        if (!std::isfinite(vv) || !(vv > 0)) argFail("variance[" + std::to_string(i) + "] must be finite and > 0");
        w = 1.0 / vv;
      }
      if (v > 0) {
        s.y[np] = v; s.w[np] = w; s.a[np] = g.a[i]; s.b[np] = g.b[i];
        np++;
      }
    }
    if (np < 3) argFail("fewer than 3 usable pixels (" + std::to_string(np) + " unmasked with radiance > 0)");
    pyro::WienOut r = pyro::fitWienCompact(np, s.y.data(), s.w.data(), s.a.data(), s.b.data(), a.var != nullptr,
                                           a.var != nullptr, s.z.data());
    Napi::Object out = Napi::Object::New(env);
    out.Set("temperature", r.temperature);
    out.Set("temperatureError", r.temperatureError);
    out.Set("scale", r.scale);
    out.Set("chi2", r.chi2);
    out.Set("dof", r.dof);
    return out;
  });
}

size_t pixelIndex(const Napi::Value& v, const char* name, size_t n) {
  const std::string msg = std::string("pixel index ") + name + " must be an integer in [0, " +
                          std::to_string(n == 0 ? 0 : n - 1) + "]";
  if (!v.IsNumber()) typeFail(msg);
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!isInteger(d) || d < 0 || d >= static_cast<double>(n)) argFail(msg);
  return static_cast<size_t>(d);
}

Napi::Value TwoColor(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    const Grid& g = gridFor(info[0]);
    const size_t n = g.wl.size();
    F64 y = asF64(info[1], "radiance");
    checkLength(y.length, n, "radiance");
    const size_t i = pixelIndex(info[2], "i", n);
    const size_t j = pixelIndex(info[3], "j", n);
    if (i == j) argFail("pixel indices i and j must differ");
    for (size_t k : {i, j}) {
      if (!std::isfinite(y.data[k]) || !(y.data[k] > 0))
        argFail("radiance[" + std::to_string(k) + "] must be finite and > 0 for two-colour");
    }
    const double zi = std::log(y.data[i] / g.a[i]);
    const double zj = std::log(y.data[j] / g.a[j]);
    return Napi::Number::New(env, (g.b[j] - g.b[i]) / (zi - zj));
  });
}

Napi::Value SlidingTwoColor(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    const Grid& g = gridFor(info[0]);
    const size_t n = g.wl.size();
    F64 y = asF64(info[1], "radiance");
    checkLength(y.length, n, "radiance");
    const std::string sepMsg = "separation must be an integer in [1, " + std::to_string(n < 2 ? 1 : n - 1) + "]";
    if (!info[2].IsNumber()) typeFail(sepMsg);
    const double sd = info[2].As<Napi::Number>().DoubleValue();
    if (!isInteger(sd) || sd < 1 || sd > static_cast<double>(n) - 1) argFail(sepMsg);
    const size_t sep = static_cast<size_t>(sd);
    Napi::Object o = optionsObject(info, 3, env);
    const uint8_t* mask = nullptr;
    Napi::Value mv = getOpt(o, "mask");
    if (!absent(mv)) {
      U8 m = asU8(mv, "mask");
      checkLength(m.length, n, "mask");
      checkMaskValues(m.data, m.length);
      mask = m.data;
    }
    const int bins = intOption(o, "bins", 50, 1, kMaxBins);
    static thread_local std::vector<double> z, t;
    if (z.size() < n) { z.resize(n); t.resize(n); }
    pyro::TwoColorOut r;
    if (!pyro::slidingTwoColorFrame(y.data, mask, g, sep, z.data(), t.data(), r))
      argFail("radiance[" + std::to_string(r.badIndex) + "] is not finite");
    if (r.count == 0) argFail("no valid pixel pair at separation " + std::to_string(sep));
    const size_t cnt = r.count;
    double lo = t[0], hi = t[0];
    for (size_t k = 0; k < cnt; k++) {
      if (t[k] < lo) lo = t[k];
      if (t[k] > hi) hi = t[k];
    }
    const double mean = r.mean;
    const double sdv = r.sd;
    if (!(hi > lo)) { lo -= 0.5; hi += 0.5; }
    Napi::Float64Array edges = Napi::Float64Array::New(env, bins + 1);
    for (int k = 0; k <= bins; k++) edges[k] = lo + k * (hi - lo) / bins;
    Napi::Uint32Array counts = Napi::Uint32Array::New(env, bins);
    for (int k = 0; k < bins; k++) counts[k] = 0;
    for (size_t q = 0; q < cnt; q++) {
      const double v = t[q];
      double f = std::floor((v - lo) / (hi - lo) * bins);
      int k = f < 0 ? 0 : (f >= bins ? bins - 1 : static_cast<int>(f));
      counts[k] = counts[k] + 1;
    }
    Napi::Object hist = Napi::Object::New(env);
    hist.Set("edges", edges);
    hist.Set("counts", counts);
    Napi::Object out = Napi::Object::New(env);
    out.Set("mean", mean);
    out.Set("std", sdv);
    out.Set("count", static_cast<double>(cnt));
    out.Set("histogram", hist);
    return out;
  });
}

// ---------------------------------------------------------------------------------------------------------
// Batch

struct BatchJob {
  std::shared_ptr<Grid> grid;
  const double* frames = nullptr;
  const double* var = nullptr;
  const uint8_t* mask = nullptr;
  bool maskPerFrame = false;
  size_t nFrames = 0, nPix = 0;
  int maxIterations = kDefaultMaxIterations;
  double tolerance = kDefaultTolerance;
  int threads = 1;
  bool planck = true;  // false: sliding two-colour only (slidingTwoColorBatch)
  size_t tcSep = 0;    // > 0: sliding two-colour at this separation, in the same pass over each frame
  // analyzeCountsBatch: each frame of raw counts is prepared (prepare.h) into frames/var/mask first
  bool prep = false;
  pyro::PrepPlan plan;
  std::vector<pyro::CountsView> counts;
  std::vector<uint8_t> flags;
  // outputs
  std::vector<double> T, sT, scale, chi2;
  std::vector<int32_t> dof, iterations;
  std::vector<uint8_t> status;
  std::vector<double> tcMean, tcStd;
  std::vector<int32_t> tcCount;

  void run();

 private:
  static constexpr size_t kChunk = 64;  // frames taken at a time by a worker thread
  std::vector<uint32_t> sharedIdx;
  std::vector<double> sharedA, sharedB;
  std::atomic<size_t> next{0};
  void work();
};

void BatchJob::run() {
  if (planck) {
    T.assign(nFrames, std::nan("")); sT.assign(nFrames, std::nan("")); scale.assign(nFrames, std::nan(""));
    chi2.assign(nFrames, std::nan("")); dof.assign(nFrames, 0); iterations.assign(nFrames, 0);
    status.assign(nFrames, pyro::InvalidData);
  }
  if (tcSep > 0) {
    tcMean.assign(nFrames, std::nan("")); tcStd.assign(nFrames, std::nan("")); tcCount.assign(nFrames, 0);
  }
  if (prep) flags.assign(nFrames, 0);
  if (nFrames == 0) return;
  if (planck && !maskPerFrame) pyro::usedPixels(*grid, mask, sharedIdx, sharedA, sharedB);
  next = 0;
  std::atomic<bool> failed{false};
  auto worker = [&]() {
    try {
      work();
    } catch (...) {  // (bad_alloc) never let an exception leave a thread: that would abort the process
      failed = true;
      next = nFrames;
    }
  };
  const int nt = std::max(1, std::min<int>(threads, static_cast<int>((nFrames + kChunk - 1) / kChunk)));
  std::vector<std::thread> pool;
  for (int k = 1; k < nt; k++) {
    try {
      pool.emplace_back(worker);
    } catch (const std::system_error&) {
      break;  // no more threads available: the ones running share the work
    }
  }
  worker();
  for (auto& th : pool) th.join();
  if (failed) throw std::runtime_error("out of memory in a batch worker");
}

void BatchJob::work() {
  {
    Scratch s;
    std::vector<uint32_t> idx;
    std::vector<double> ca, cb;
    std::vector<double> z, t;
    if (tcSep > 0) { z.resize(nPix); t.resize(nPix); }
    std::vector<double> ps;
    pyro::PrepScratch psc{};
    if (prep) {
      ps.resize(4 * nPix);
      psc = pyro::PrepScratch{ps.data(), ps.data() + nPix, ps.data() + 2 * nPix, ps.data() + 3 * nPix};
    }
    for (;;) {
      const size_t start = next.fetch_add(kChunk);
      if (start >= nFrames) break;
      const size_t end = std::min(nFrames, start + kChunk);
      for (size_t f = start; f < end; f++) {
        if (prep) {
          // const_cast: in analyzeCountsBatch frames/var/mask are the caller's output buffers (validated, kept)
          flags[f] = pyro::prepareCountsFrame(plan, counts[f], const_cast<double*>(frames) + f * nPix,
                                              const_cast<double*>(var) + f * nPix,
                                              const_cast<uint8_t*>(mask) + f * nPix, psc);
        }
        if (tcSep > 0) {
          // two-colour first, while the frame's data come into the cache for the fit
          pyro::TwoColorOut tc;
          const uint8_t* fm = mask == nullptr ? nullptr : (maskPerFrame ? mask + f * nPix : mask);
          if (pyro::slidingTwoColorFrame(frames + f * nPix, fm, *grid, tcSep, z.data(), t.data(), tc)) {
            tcMean[f] = tc.mean; tcStd[f] = tc.sd; tcCount[f] = static_cast<int32_t>(tc.count);
          }
        }
        if (!planck) continue;
        const uint32_t* pi = sharedIdx.data();
        const double* pa = sharedA.data();
        const double* pb = sharedB.data();
        size_t ni = sharedIdx.size();
        if (maskPerFrame) {
          pyro::usedPixels(*grid, mask + f * nPix, idx, ca, cb);
          pi = idx.data(); pa = ca.data(); pb = cb.data(); ni = idx.size();
        }
        pyro::FrameFit r = pyro::fitFrame(frames + f * nPix, var ? var + f * nPix : nullptr, pi, ni, pa, pb,
                                          maxIterations, tolerance, s);
        status[f] = r.status;
        if (r.status == pyro::Ok || r.status == pyro::NotConverged) {
          T[f] = r.fit.temperature; sT[f] = r.fit.temperatureError; scale[f] = r.fit.scale; chi2[f] = r.fit.chi2;
          dof[f] = r.fit.dof; iterations[f] = r.fit.iterations;
        }
      }
    }
  }
}

Napi::Object batchResult(Napi::Env env, const BatchJob& j) {
  const size_t n = j.nFrames;
  Napi::Object out = Napi::Object::New(env);
  auto f64 = [&](const std::vector<double>& v) {
    Napi::Float64Array a = Napi::Float64Array::New(env, n);
    if (n) std::memcpy(a.Data(), v.data(), n * sizeof(double));
    return a;
  };
  auto i32 = [&](const std::vector<int32_t>& v) {
    Napi::Int32Array a = Napi::Int32Array::New(env, n);
    if (n) std::memcpy(a.Data(), v.data(), n * sizeof(int32_t));
    return a;
  };
  Napi::Object tc = Napi::Object::New(env);
  if (j.tcSep > 0) {
    tc.Set("mean", f64(j.tcMean));
    tc.Set("std", f64(j.tcStd));
    tc.Set("count", i32(j.tcCount));
  }
  if (!j.planck) return tc;
  Napi::Uint8Array st = Napi::Uint8Array::New(env, n);
  if (n) std::memcpy(st.Data(), j.status.data(), n);
  out.Set("temperature", f64(j.T));
  out.Set("temperatureError", f64(j.sT));
  out.Set("scale", f64(j.scale));
  out.Set("chi2", f64(j.chi2));
  out.Set("dof", i32(j.dof));
  out.Set("iterations", i32(j.iterations));
  out.Set("status", st);
  if (j.tcSep > 0) out.Set("twoColor", tc);
  if (j.prep) {
    Napi::Uint8Array fl = Napi::Uint8Array::New(env, n);
    if (n) std::memcpy(fl.Data(), j.flags.data(), n);
    out.Set("flags", fl);
  }
  return out;
}

std::string separationMessage(size_t n) {
  return "separation must be an integer in [1, " + std::to_string(n < 2 ? 1 : n - 1) + "]";
}

// The options every batch takes: maxIterations, tolerance and twoColorSeparation (when it fits Planck) and threads
// (default: all cores for batches of kParallelFrames frames or more). Needs job.nPix and job.nFrames.
void jobOptions(BatchJob& job, const Napi::Object& o, bool fit) {
  const size_t n = job.nPix;
  if (fit) {
    job.maxIterations = intOption(o, "maxIterations", kDefaultMaxIterations, 1, kMaxIterationsLimit);
    job.tolerance = toleranceOption(o);
    job.tcSep = static_cast<size_t>(intOption(o, "twoColorSeparation", 0, 1, n < 2 ? 0 : static_cast<int>(std::min<size_t>(n - 1, 2147483647))));
  }
  unsigned hw = std::thread::hardware_concurrency();
  if (hw == 0) hw = 1;
  const int def = job.nFrames >= kParallelFrames ? static_cast<int>(std::min<unsigned>(hw, kMaxThreads)) : 1;
  job.threads = intOption(o, "threads", def, 1, kMaxThreads);
}

// Validates (wl, frames, nFrames, opts) — or, with twoColorOnly, (wl, frames, nFrames, separation, opts) — into
// a job. Keeps the typed arrays in `keep` (for the async worker).
std::unique_ptr<BatchJob> batchArgs(const Napi::CallbackInfo& info, std::vector<Napi::Value>* keep,
                                    bool twoColorOnly = false) {
  Napi::Env env = info.Env();
  auto job = std::make_unique<BatchJob>();
  const Grid& g = gridFor(info[0]);
  job->grid = std::make_shared<Grid>(g);
  const size_t n = g.wl.size();
  job->nPix = n;
  F64 fr = asF64(info[1], "frames");
  const std::string nfMsg = "nFrames must be a non-negative integer";
  if (info.Length() < 3 || !info[2].IsNumber()) typeFail(nfMsg);
  const double nfd = info[2].As<Napi::Number>().DoubleValue();
  if (!isInteger(nfd) || nfd < 0 || nfd > 9007199254740991.0) argFail(nfMsg);
  if (n == 0 && nfd > 0) argFail("wavelengths must not be empty");
  const size_t nF = static_cast<size_t>(nfd);
  const double total = nfd * static_cast<double>(n);
  if (static_cast<double>(fr.length) != total)
    argFail("frames length " + std::to_string(fr.length) + " does not match nFrames × pixels = " +
            std::to_string(static_cast<unsigned long long>(total)));
  job->nFrames = nF;
  job->frames = fr.data;
  if (keep) keep->push_back(info[1]);
  if (twoColorOnly) {
    job->planck = false;
    const std::string sepMsg = separationMessage(n);
    if (info.Length() < 4 || !info[3].IsNumber()) typeFail(sepMsg);
    const double sd = info[3].As<Napi::Number>().DoubleValue();
    if (!isInteger(sd) || sd < 1 || sd > static_cast<double>(n) - 1) argFail(sepMsg);
    job->tcSep = static_cast<size_t>(sd);
  }
  Napi::Object o = optionsObject(info, twoColorOnly ? 4 : 3, env);
  Napi::Value vv = twoColorOnly ? env.Undefined() : getOpt(o, "variance");
  if (!absent(vv)) {
    F64 var = asF64(vv, "variance");
    if (var.length != fr.length)
      argFail("variance length " + std::to_string(var.length) + " does not match frames length " +
              std::to_string(fr.length));
    job->var = var.data;
    if (keep) keep->push_back(vv);
  }
  Napi::Value mv = getOpt(o, "mask");
  if (!absent(mv)) {
    U8 m = asU8(mv, "mask");
    if (m.length == n) {
      job->maskPerFrame = false;
    } else if (static_cast<double>(m.length) == total && nF > 0) {
      job->maskPerFrame = true;
    } else {
      argFail("mask length " + std::to_string(m.length) + " must be pixels (" + std::to_string(n) +
              ") or nFrames × pixels (" + std::to_string(static_cast<unsigned long long>(total)) + ")");
    }
    checkMaskValues(m.data, m.length);
    job->mask = m.data;
    if (keep) keep->push_back(mv);
  }
  jobOptions(*job, o, !twoColorOnly);
  return job;
}

class BatchWorker : public Napi::AsyncWorker {
 public:
  BatchWorker(Napi::Env env, std::unique_ptr<BatchJob> job, const std::vector<Napi::Value>& keep)
      : Napi::AsyncWorker(env, job->planck ? "pyrolive.fitPlanckBatch" : "pyrolive.slidingTwoColorBatch"), job_(std::move(job)), deferred_(Napi::Promise::Deferred::New(env)) {
    // Hold the input typed arrays until the work is done (no copy of the frames).
    for (const auto& v : keep) refs_.push_back(Napi::Persistent(v.As<Napi::Object>()));
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      job_->run();
    } catch (const std::exception& e) {
      SetError(std::string("batch fit failed: ") + e.what());
    }
  }
  void OnOK() override {
    Napi::HandleScope scope(Env());
    try {
      deferred_.Resolve(batchResult(Env(), *job_));
    } catch (const Napi::Error& e) {  // e.g. the result arrays cannot be allocated
      deferred_.Reject(e.Value());
    }
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  std::unique_ptr<BatchJob> job_;
  Napi::Promise::Deferred deferred_;
  std::vector<Napi::ObjectReference> refs_;
};

// Runs the job `make(info, keep)` validates on the worker threads; a promise of its result. Every error — of the
// arguments (RangeError, TypeError), of memory, or a JS exception met while reading them — rejects the promise
// (same as an async function), with the same mapping as the synchronous functions (guarded).
template <typename Make>
Napi::Value queueBatch(const Napi::CallbackInfo& info, Make make) {
  Napi::Env env = info.Env();
  try {
    return guarded(info, [&]() -> Napi::Value {
      std::vector<Napi::Value> keep;
      std::unique_ptr<BatchJob> job = make(info, &keep);
      auto* w = new BatchWorker(env, std::move(job), keep);
      Napi::Promise p = w->Promise();
      w->Queue();
      return p;
    });
  } catch (const Napi::Error& e) {
    auto d = Napi::Promise::Deferred::New(env);
    d.Reject(e.Value());
    return d.Promise();
  }
}

// The same job on the calling thread: its result, or the error thrown.
template <typename Make>
Napi::Value runBatch(const Napi::CallbackInfo& info, Make make) {
  return guarded(info, [&]() -> Napi::Value {
    std::unique_ptr<BatchJob> job = make(info, nullptr);
    job->threads = 1;
    job->run();
    return batchResult(info.Env(), *job);
  });
}

std::unique_ptr<BatchJob> planckBatchArgs(const Napi::CallbackInfo& info, std::vector<Napi::Value>* keep) {
  return batchArgs(info, keep, false);
}
std::unique_ptr<BatchJob> twoColorBatchArgs(const Napi::CallbackInfo& info, std::vector<Napi::Value>* keep) {
  return batchArgs(info, keep, true);
}

Napi::Value FitPlanckBatch(const Napi::CallbackInfo& info) { return queueBatch(info, planckBatchArgs); }
Napi::Value SlidingTwoColorBatch(const Napi::CallbackInfo& info) { return queueBatch(info, twoColorBatchArgs); }

Napi::Value FitPlanckBatchSync(const Napi::CallbackInfo& info) { return runBatch(info, planckBatchArgs); }
Napi::Value SlidingTwoColorBatchSync(const Napi::CallbackInfo& info) { return runBatch(info, twoColorBatchArgs); }

// ---------------------------------------------------------------------------------------------------------
// analyzeCountsBatch(wl, frames, plan, out, opts?): raw counts → prepared radiance/variance/mask (into out) →
// Planck fit (+ sliding two-colour) per frame, on the worker threads. See src/quality/prepare.ts for the plan.

double numberField(const Napi::Object& o, const char* name, const char* what) {
  Napi::Value v = o.Get(name);
  if (!v.IsNumber()) typeFail(std::string("plan.") + name + " must be " + what);
  return v.As<Napi::Number>().DoubleValue();
}

size_t indexField(const Napi::Object& o, const char* name, double lo, double hi) {
  const double d = numberField(o, name, "an integer");
  if (!isInteger(d) || d < lo || d > hi)
    argFail(std::string("plan.") + name + " must be an integer in [" + std::to_string(static_cast<long long>(lo)) +
            ", " + std::to_string(static_cast<long long>(hi)) + "]");
  return static_cast<size_t>(d);
}

const double* planF64(const Napi::Object& o, const char* name, size_t n, std::vector<Napi::Value>* keep) {
  Napi::Value v = o.Get(name);
  F64 a = asF64(v, (std::string("plan.") + name).c_str());
  if (a.length != n)
    argFail(std::string("plan.") + name + " length " + std::to_string(a.length) + " does not match wavelengths length " +
            std::to_string(n));
  for (size_t k = 0; k < n; k++)
    if (!std::isfinite(a.data[k])) argFail(std::string("plan.") + name + "[" + std::to_string(k) + "] must be finite");
  if (keep) keep->push_back(v);
  return a.data;
}

bool countsView(const Napi::Value& v, pyro::CountsView& out, size_t& length) {
  if (!v.IsTypedArray()) return false;
  Napi::TypedArray ta = v.As<Napi::TypedArray>();
  Napi::ArrayBuffer ab = ta.ArrayBuffer();
  const uint8_t* base = ab.Data() == nullptr ? nullptr : static_cast<const uint8_t*>(ab.Data()) + ta.ByteOffset();
  length = ta.ElementLength();
  switch (ta.TypedArrayType()) {
    case napi_float64_array: out.type = pyro::CtF64; break;
    case napi_float32_array: out.type = pyro::CtF32; break;
    case napi_int32_array: out.type = pyro::CtI32; break;
    case napi_uint32_array: out.type = pyro::CtU32; break;
    case napi_int16_array: out.type = pyro::CtI16; break;
    case napi_uint16_array: out.type = pyro::CtU16; break;
    case napi_uint8_array: out.type = pyro::CtU8; break;
    default: return false;
  }
  out.data = base;
  return base != nullptr || length == 0;
}

std::unique_ptr<BatchJob> countsBatchArgs(const Napi::CallbackInfo& info, std::vector<Napi::Value>* keep) {
  Napi::Env env = info.Env();
  auto job = std::make_unique<BatchJob>();
  const Grid& g = gridFor(info[0]);
  job->grid = std::make_shared<Grid>(g);
  const size_t n = g.wl.size();
  if (n == 0) argFail("wavelengths must not be empty");
  job->nPix = n;
  if (info.Length() < 2 || !info[1].IsArray()) typeFail("frames must be an array of typed arrays");
  Napi::Array arr = info[1].As<Napi::Array>();
  const size_t nF = arr.Length();
  if (info.Length() < 3 || !info[2].IsObject() || info[2].IsArray() || info[2].IsTypedArray()) typeFail("plan must be an object");
  Napi::Object po = info[2].As<Napi::Object>();
  pyro::PrepPlan& p = job->plan;
  p.width = indexField(po, "width", 1, 1 << 24);
  const size_t height = indexField(po, "height", 1, 1 << 24);
  if (static_cast<double>(p.width) * static_cast<double>(height) > 2147483647.0) argFail("plan.width × plan.height is too large");
  p.first = indexField(po, "first", 0, static_cast<double>(height - 1));
  p.last = indexField(po, "last", static_cast<double>(p.first), static_cast<double>(height - 1));
  Napi::Value uv = po.Get("used");
  if (!uv.IsTypedArray() || uv.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) typeFail("plan.used must be an Int32Array");
  Napi::Int32Array used = uv.As<Napi::Int32Array>();
  if (used.ElementLength() != n)
    argFail("plan.used length " + std::to_string(used.ElementLength()) + " does not match wavelengths length " + std::to_string(n));
  for (size_t k = 0; k < n; k++)
    if (used[k] < 0 || static_cast<size_t>(used[k]) >= p.width)
      argFail("plan.used[" + std::to_string(k) + "] must be a pixel index in [0, " + std::to_string(p.width - 1) + "]");
  p.used = used.Data();
  if (keep) keep->push_back(uv);
  p.nU = n;
  p.darkSum = planF64(po, "darkSum", n, keep);
  p.invDen = planF64(po, "invDen", n, keep);
  p.invDen2 = planF64(po, "invDen2", n, keep);
  p.relVarDen = planF64(po, "relVarDen", n, keep);
  p.saturation = numberField(po, "saturation", "a number");
  if (std::isnan(p.saturation)) argFail("plan.saturation must be a number (Infinity: none)");
  p.invGain = numberField(po, "invGain", "a number");
  if (!std::isfinite(p.invGain) || !(p.invGain > 0)) argFail("plan.invGain must be finite and > 0");
  p.readVar = numberField(po, "readVar", "a number");
  if (!std::isfinite(p.readVar) || !(p.readVar >= 0)) argFail("plan.readVar must be finite and >= 0");
  const size_t frameLen = p.width * height;
  job->counts.resize(nF);
  for (size_t f = 0; f < nF; f++) {
    Napi::Value fv = arr.Get(static_cast<uint32_t>(f));
    size_t len = 0;
    if (!countsView(fv, job->counts[f], len))
      typeFail("frames[" + std::to_string(f) + "] must be a Float64/Float32/Int32/Uint32/Int16/Uint16/Uint8Array");
    if (len != frameLen)
      argFail("frames[" + std::to_string(f) + "] has " + std::to_string(len) + " values, expected " + std::to_string(height) +
              " × " + std::to_string(p.width));
    if (keep) keep->push_back(fv);
  }
  if (info.Length() < 4 || !info[3].IsObject() || info[3].IsArray() || info[3].IsTypedArray()) typeFail("out must be an object");
  Napi::Object oo = info[3].As<Napi::Object>();
  const double total = static_cast<double>(nF) * static_cast<double>(n);
  Napi::Value yv = oo.Get("radiance"), vv = oo.Get("variance"), mv = oo.Get("mask");
  F64 y = asF64(yv, "out.radiance");
  F64 var = asF64(vv, "out.variance");
  U8 m = asU8(mv, "out.mask");
  for (size_t len : {y.length, var.length, m.length})
    if (static_cast<double>(len) != total)
      argFail("out.radiance, out.variance and out.mask must have nFrames × pixels = " +
              std::to_string(static_cast<unsigned long long>(total)) + " elements");
  if (keep) { keep->push_back(yv); keep->push_back(vv); keep->push_back(mv); }
  job->prep = true;
  job->nFrames = nF;
  job->frames = y.data;
  job->var = var.data;
  job->mask = m.data;
  job->maskPerFrame = true;
  jobOptions(*job, optionsObject(info, 4, env), true);
  return job;
}

Napi::Value AnalyzeCountsBatch(const Napi::CallbackInfo& info) { return queueBatch(info, countsBatchArgs); }
Napi::Value AnalyzeCountsBatchSync(const Napi::CallbackInfo& info) { return runBatch(info, countsBatchArgs); }

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* k = new Keys();
  Napi::Array names = Napi::Array::New(env, kKeyCount);
  for (uint32_t i = 0; i < kKeyCount; i++) names.Set(i, Napi::String::New(env, kKeyNames[i]));
  k->names = Napi::Persistent(names.As<Napi::Object>());
  env.SetInstanceData<Keys>(k);
  exports.Set("fitPlanck", Napi::Function::New(env, FitPlanck, "fitPlanck"));
  exports.Set("fitWien", Napi::Function::New(env, FitWien, "fitWien"));
  exports.Set("twoColor", Napi::Function::New(env, TwoColor, "twoColor"));
  exports.Set("slidingTwoColor", Napi::Function::New(env, SlidingTwoColor, "slidingTwoColor"));
  exports.Set("fitPlanckBatch", Napi::Function::New(env, FitPlanckBatch, "fitPlanckBatch"));
  exports.Set("fitPlanckBatchSync", Napi::Function::New(env, FitPlanckBatchSync, "fitPlanckBatchSync"));
  exports.Set("slidingTwoColorBatch", Napi::Function::New(env, SlidingTwoColorBatch, "slidingTwoColorBatch"));
  exports.Set("slidingTwoColorBatchSync",
              Napi::Function::New(env, SlidingTwoColorBatchSync, "slidingTwoColorBatchSync"));
  exports.Set("analyzeCountsBatch", Napi::Function::New(env, AnalyzeCountsBatch, "analyzeCountsBatch"));
  exports.Set("analyzeCountsBatchSync", Napi::Function::New(env, AnalyzeCountsBatchSync, "analyzeCountsBatchSync"));
  exports.Set("hardwareConcurrency", Napi::Number::New(env, std::max(1u, std::thread::hardware_concurrency())));
  return exports;
}

}  // namespace

NODE_API_MODULE(pyrolive, Init)
