// The batch entry points: fitPlanckBatch, slidingTwoColorBatch and analyzeCountsBatch (each a Promise, run on
// worker threads by an AsyncWorker) and their *Sync twins (run on the calling thread); countsStageBatchSync (stage
// 1 of the preparation alone, on the calling thread). Arguments are validated into a BatchJob (batch.h) here; the
// input typed arrays are held by references, not copied.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "args.h"
#include "batch.h"
#include "bindings.h"

namespace pyro {
namespace binding {

namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;
constexpr double kMaxInt32 = 2147483647.0;

Napi::Float64Array float64Array(Napi::Env env, const std::vector<double>& values, size_t n) {
  Napi::Float64Array array = Napi::Float64Array::New(env, n);
  if (n > 0) {
    std::memcpy(array.Data(), values.data(), n * sizeof(double));
  }
  return array;
}

Napi::Int32Array int32Array(Napi::Env env, const std::vector<int32_t>& values, size_t n) {
  Napi::Int32Array array = Napi::Int32Array::New(env, n);
  if (n > 0) {
    std::memcpy(array.Data(), values.data(), n * sizeof(int32_t));
  }
  return array;
}

Napi::Uint8Array uint8Array(Napi::Env env, const std::vector<uint8_t>& values, size_t n) {
  Napi::Uint8Array array = Napi::Uint8Array::New(env, n);
  if (n > 0) {
    std::memcpy(array.Data(), values.data(), n);
  }
  return array;
}

Napi::Object batchResult(Napi::Env env, const BatchJob& job) {
  const size_t n = job.nFrames;
  Napi::Object twoColor = Napi::Object::New(env);
  if (job.tcSep > 0) {
    twoColor.Set("mean", float64Array(env, job.tcMean, n));
    twoColor.Set("std", float64Array(env, job.tcStd, n));
    twoColor.Set("count", int32Array(env, job.tcCount, n));
  }
  if (!job.planck) {
    return twoColor;
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("temperature", float64Array(env, job.T, n));
  out.Set("temperatureError", float64Array(env, job.sT, n));
  out.Set("scale", float64Array(env, job.scale, n));
  out.Set("chi2", float64Array(env, job.chi2, n));
  out.Set("dof", int32Array(env, job.dof, n));
  out.Set("iterations", int32Array(env, job.iterations, n));
  out.Set("status", uint8Array(env, job.status, n));
  if (job.tcSep > 0) {
    out.Set("twoColor", twoColor);
  }
  if (job.prep) {
    out.Set("flags", uint8Array(env, job.flags, n));
    out.Set("lastRadiance", float64Array(env, job.lastRadiance, job.lastRadiance.size()));
    out.Set("lastMask", uint8Array(env, job.lastMask, job.lastMask.size()));
  }
  if (job.misfitThreshold != nullptr) {
    out.Set("unweightedTemperature", float64Array(env, job.unweighted, n));
  }
  return out;
}

// The options every batch takes: maxIterations, tolerance and twoColorSeparation (when it fits Planck) and threads
// (default: all cores for batches of kParallelFrames frames or more). Needs job.nPix and job.nFrames.
void jobOptions(BatchJob& job, const Napi::Object& options, bool fit) {
  const size_t n = job.nPix;
  if (fit) {
    job.maxIterations = intOption(options, "maxIterations", kDefaultMaxIterations, 1, kMaxIterationsLimit);
    job.tolerance = toleranceOption(options);
    const int maxSeparation = n < 2 ? 0 : static_cast<int>(std::min<size_t>(n - 1, 2147483647));
    job.tcSep = static_cast<size_t>(intOption(options, "twoColorSeparation", 0, 1, maxSeparation));
  }
  unsigned hardware = std::thread::hardware_concurrency();
  if (hardware == 0) {
    hardware = 1;
  }
  const int fallback =
      job.nFrames >= kParallelFrames ? static_cast<int>(std::min<unsigned>(hardware, kMaxThreads)) : 1;
  job.threads = intOption(options, "threads", fallback, 1, kMaxThreads);
}

// info[2] as nFrames for frames of n pixels holding `length` values.
size_t frameCount(const Napi::CallbackInfo& info, size_t n, size_t length) {
  const std::string message = "nFrames must be a non-negative integer";
  if (info.Length() < 3 || !info[2].IsNumber()) {
    typeFail(message);
  }
  const double count = info[2].As<Napi::Number>().DoubleValue();
  if (!isInteger(count) || count < 0 || count > kMaxSafeInteger) {
    argFail(message);
  }
  if (n == 0 && count > 0) {
    argFail("wavelengths must not be empty");
  }
  const double total = count * static_cast<double>(n);
  if (static_cast<double>(length) != total) {
    argFail("frames length " + std::to_string(length) + " does not match nFrames × pixels = " +
            std::to_string(static_cast<unsigned long long>(total)));
  }
  return static_cast<size_t>(count);
}

void batchMask(BatchJob& job, const Napi::Value& maskValue, std::vector<Napi::Value>* keep) {
  const size_t n = job.nPix;
  const double total = static_cast<double>(job.nFrames) * static_cast<double>(n);
  U8 mask = asU8(maskValue, "mask");
  if (mask.length == n) {
    job.maskPerFrame = false;
  } else if (static_cast<double>(mask.length) == total && job.nFrames > 0) {
    job.maskPerFrame = true;
  } else {
    argFail("mask length " + std::to_string(mask.length) + " must be pixels (" + std::to_string(n) +
            ") or nFrames × pixels (" + std::to_string(static_cast<unsigned long long>(total)) + ")");
  }
  checkMaskValues(mask.data, mask.length);
  job.mask = mask.data;
  if (keep) {
    keep->push_back(maskValue);
  }
}

// Validates (wl, frames, nFrames, opts) — or, with twoColorOnly, (wl, frames, nFrames, separation, opts) — into
// a job. Keeps the typed arrays in `keep` (for the async worker).
std::unique_ptr<BatchJob> batchArgs(const Napi::CallbackInfo& info, std::vector<Napi::Value>* keep,
                                    bool twoColorOnly) {
  Napi::Env env = info.Env();
  auto job = std::make_unique<BatchJob>();
  const Grid& grid = gridFor(info[0]);
  job->grid = std::make_shared<Grid>(grid);
  const size_t n = grid.wl.size();
  job->nPix = n;
  F64 frames = asF64(info[1], "frames");
  job->nFrames = frameCount(info, n, frames.length);
  job->frames = frames.data;
  if (keep) {
    keep->push_back(info[1]);
  }
  if (twoColorOnly) {
    job->planck = false;
    const std::string message = separationMessage(n);
    if (info.Length() < 4 || !info[3].IsNumber()) {
      typeFail(message);
    }
    const double separation = info[3].As<Napi::Number>().DoubleValue();
    if (!isInteger(separation) || separation < 1 || separation > static_cast<double>(n) - 1) {
      argFail(message);
    }
    job->tcSep = static_cast<size_t>(separation);
  }
  Napi::Object options = optionsObject(info, twoColorOnly ? 4 : 3, env);
  Napi::Value varianceValue = twoColorOnly ? env.Undefined() : getOpt(options, "variance");
  if (!absent(varianceValue)) {
    F64 variance = asF64(varianceValue, "variance");
    if (variance.length != frames.length) {
      argFail("variance length " + std::to_string(variance.length) + " does not match frames length " +
              std::to_string(frames.length));
    }
    job->var = variance.data;
    if (keep) {
      keep->push_back(varianceValue);
    }
  }
  Napi::Value maskValue = getOpt(options, "mask");
  if (!absent(maskValue)) {
    batchMask(*job, maskValue, keep);
  }
  jobOptions(*job, options, !twoColorOnly);
  return job;
}

class BatchWorker : public Napi::AsyncWorker {
 public:
  BatchWorker(Napi::Env env, std::unique_ptr<BatchJob> job, const std::vector<Napi::Value>& keep)
      : Napi::AsyncWorker(env, job->planck ? "pyrolive.fitPlanckBatch" : "pyrolive.slidingTwoColorBatch"),
        job_(std::move(job)),
        deferred_(Napi::Promise::Deferred::New(env)) {
    // Hold the input typed arrays until the work is done (no copy of the frames).
    for (const auto& value : keep) {
      refs_.push_back(Napi::Persistent(value.As<Napi::Object>()));
    }
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    try {
      job_->finish();
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
      job->start();  // here, on the JS thread: the pool takes the batches in the order they were called
      auto* worker = new BatchWorker(env, std::move(job), keep);
      Napi::Promise promise = worker->Promise();
      worker->Queue();
      return promise;
    });
  } catch (const Napi::Error& e) {
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(e.Value());
    return deferred.Promise();
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

// ---------------------------------------------------------------------------------------------------------
// analyzeCountsBatch(wl, frames, plan, out, opts?): raw counts → prepared radiance/variance/mask (into out) →
// Planck fit (+ sliding two-colour) per frame, on the worker threads. See src/quality/prepare.ts for the plan.

// plan[name] as a number (TypeError "plan.<name> must be <what>").
double planNumber(const Napi::Object& object, const char* name, const char* what) {
  return numberField(object, name, std::string("plan.") + name, what);
}

// plan[name] as an integer in [lo, hi].
size_t indexField(const Napi::Object& object, const char* name, double lo, double hi) {
  return integerField(object, name, std::string("plan.") + name, lo, hi, "an integer");
}

const double* planF64(const Napi::Object& object, const char* name, size_t n, std::vector<Napi::Value>* keep) {
  Napi::Value value = object.Get(name);
  const std::string field = std::string("plan.") + name;
  F64 array = asF64(value, field.c_str());
  if (array.length != n) {
    argFail(field + " length " + std::to_string(array.length) + " does not match wavelengths length " +
            std::to_string(n));
  }
  for (size_t k = 0; k < n; k++) {
    if (!std::isfinite(array.data[k])) {
      argFail(field + "[" + std::to_string(k) + "] must be finite");
    }
  }
  if (keep) {
    keep->push_back(value);
  }
  return array.data;
}

size_t countsTypeBytes(CountsType type) {
  switch (type) {
    case CtF64:
      return 8;
    case CtF32:
    case CtI32:
    case CtU32:
      return 4;
    case CtI16:
    case CtU16:
      return 2;
    default:
      return 1;
  }
}

bool countsType(napi_typedarray_type type, CountsType& out) {
  switch (type) {
    case napi_float64_array:
      out = CtF64;
      return true;
    case napi_float32_array:
      out = CtF32;
      return true;
    case napi_int32_array:
      out = CtI32;
      return true;
    case napi_uint32_array:
      out = CtU32;
      return true;
    case napi_int16_array:
      out = CtI16;
      return true;
    case napi_uint16_array:
      out = CtU16;
      return true;
    case napi_uint8_array:
      out = CtU8;
      return true;
    default:
      return false;
  }
}

// A frame of counts as a view (type, data) on its ArrayBuffer, which is returned in `buffer` (to be kept alive).
bool countsView(const Napi::Value& value, CountsView& out, size_t& length, Napi::ArrayBuffer& buffer) {
  if (!value.IsTypedArray()) {
    return false;
  }
  Napi::TypedArray array = value.As<Napi::TypedArray>();
  buffer = array.ArrayBuffer();
  const uint8_t* base =
      buffer.Data() == nullptr ? nullptr : static_cast<const uint8_t*>(buffer.Data()) + array.ByteOffset();
  length = array.ElementLength();
  if (!countsType(array.TypedArrayType(), out.type)) {
    return false;
  }
  out.data = base;
  return base != nullptr || length == 0;
}

// The preparation plan (src/quality/prepare.ts CountsPlan) of n used pixels; returns the frame height.
size_t readPlan(const Napi::Value& planValue, size_t n, PrepPlan& plan, std::vector<Napi::Value>* keep) {
  if (!planValue.IsObject() || planValue.IsArray() || planValue.IsTypedArray()) {
    typeFail("plan must be an object");
  }
  Napi::Object object = planValue.As<Napi::Object>();
  plan.width = indexField(object, "width", 1, 1 << 24);
  const size_t height = indexField(object, "height", 1, 1 << 24);
  if (static_cast<double>(plan.width) * static_cast<double>(height) > kMaxInt32) {
    argFail("plan.width × plan.height is too large");
  }
  plan.first = indexField(object, "first", 0, static_cast<double>(height - 1));
  plan.last = indexField(object, "last", static_cast<double>(plan.first), static_cast<double>(height - 1));
  Napi::Value usedValue = object.Get("used");
  if (!usedValue.IsTypedArray() || usedValue.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    typeFail("plan.used must be an Int32Array");
  }
  Napi::Int32Array used = usedValue.As<Napi::Int32Array>();
  if (used.ElementLength() != n) {
    argFail("plan.used length " + std::to_string(used.ElementLength()) + " does not match wavelengths length " +
            std::to_string(n));
  }
  for (size_t k = 0; k < n; k++) {
    if (used[k] < 0 || static_cast<size_t>(used[k]) >= plan.width) {
      argFail("plan.used[" + std::to_string(k) + "] must be a pixel index in [0, " + std::to_string(plan.width - 1) +
              "]");
    }
  }
  plan.used = used.Data();
  plan.contiguous = true;
  for (size_t k = 1; k < n; k++) {
    plan.contiguous = plan.contiguous && used[k] == used[0] + static_cast<int32_t>(k);
  }
  if (keep) {
    keep->push_back(usedValue);
  }
  plan.nU = n;
  plan.darkSum = planF64(object, "darkSum", n, keep);
  plan.invDen = planF64(object, "invDen", n, keep);
  plan.invDen2 = planF64(object, "invDen2", n, keep);
  plan.relVarDen = planF64(object, "relVarDen", n, keep);
  plan.saturation = planNumber(object, "saturation", "a number");
  if (std::isnan(plan.saturation)) {
    argFail("plan.saturation must be a number (Infinity: none)");
  }
  plan.invGain = planNumber(object, "invGain", "a number");
  if (!std::isfinite(plan.invGain) || !(plan.invGain > 0)) {
    argFail("plan.invGain must be finite and > 0");
  }
  plan.readVar = planNumber(object, "readVar", "a number");
  if (!std::isfinite(plan.readVar) || !(plan.readVar >= 0)) {
    argFail("plan.readVar must be finite and >= 0");
  }
  return height;
}

// The frames of raw counts (each width × height values of a supported type) as views into `views`.
void readCountsFrames(const Napi::Array& frames, size_t width, size_t height, std::vector<CountsView>& views,
                      std::vector<Napi::Value>* keep) {
  const size_t count = frames.Length();
  const size_t frameLength = width * height;
  views.resize(count);
  const void* lastKept = nullptr;
  for (size_t f = 0; f < count; f++) {
    Napi::Value frame = frames.Get(static_cast<uint32_t>(f));
    size_t length = 0;
    Napi::ArrayBuffer buffer;
    if (!countsView(frame, views[f], length, buffer)) {
      typeFail("frames[" + std::to_string(f) + "] must be a Float64/Float32/Int32/Uint32/Int16/Uint16/Uint8Array");
    }
    if (length != frameLength) {
      argFail("frames[" + std::to_string(f) + "] has " + std::to_string(length) + " values, expected " +
              std::to_string(height) + " × " + std::to_string(width));
    }
    // the frames of a chunk are views on one block: keep each ArrayBuffer once (a reference per frame costs more
    // than the frame's preparation)
    if (keep && buffer.Data() != lastKept) {
      keep->push_back(buffer);
      lastKept = buffer.Data();
    }
  }
}

// The frames as one strided block, {data, stride, count}: frame k is data[k·stride, k·stride + width·height) (what
// the frames of a chunk read from an SPE file are: views on one buffer at a constant stride). One typed array to
// read instead of one per frame: the per-frame Node-API calls of the array form cost ~1 µs a frame on the calling
// thread.
void readStridedFrames(const Napi::Object& frames, size_t width, size_t height, std::vector<CountsView>& views,
                       std::vector<Napi::Value>* keep) {
  Napi::Value dataValue = frames.Get("data");
  CountsView first;
  size_t length = 0;
  Napi::ArrayBuffer buffer;
  if (!countsView(dataValue, first, length, buffer)) {
    typeFail("frames.data must be a Float64/Float32/Int32/Uint32/Int16/Uint16/Uint8Array");
  }
  const size_t frameLength = width * height;
  const size_t count = integerField(frames, "count", "frames.count", 0, kMaxInt32, "a number");
  const size_t stride =
      integerField(frames, "stride", "frames.stride", static_cast<double>(frameLength), kMaxInt32, "a number");
  if (count > 0 && static_cast<double>(count - 1) * static_cast<double>(stride) + static_cast<double>(frameLength) >
                       static_cast<double>(length)) {
    argFail("frames.data has " + std::to_string(length) + " values, fewer than " + std::to_string(count) +
            " frames of " + std::to_string(height) + " × " + std::to_string(width) + " at a stride of " +
            std::to_string(stride));
  }
  const size_t bytes = countsTypeBytes(first.type);
  views.assign(count, first);
  for (size_t f = 0; f < count; f++) {
    views[f].data = static_cast<const uint8_t*>(first.data) + f * stride * bytes;
  }
  if (keep) {
    keep->push_back(buffer);
  }
}

// out.misfitThreshold, when given: misfitChi2Threshold per dof, for dof 0..pixels at least (a fit of n pixels has
// dof ≤ n − 2; the table results.ts misfitThresholdTable builds).
void readMisfitThreshold(const Napi::Value& value, BatchJob& job, std::vector<Napi::Value>* keep) {
  if (absent(value)) {
    return;
  }
  F64 table = asF64(value, "out.misfitThreshold");
  if (table.length < job.nPix + 1) {
    argFail("out.misfitThreshold length " + std::to_string(table.length) + " is less than pixels + 1 = " +
            std::to_string(job.nPix + 1));
  }
  job.misfitThreshold = table.data;
  job.misfitThresholdLength = table.length;
  if (keep) {
    keep->push_back(value);
  }
}

// out.radiance, out.variance, out.mask: where the prepared frames are written, then read by the fit; all three
// absent: the frames stay on the workers. out.misfitThreshold (optional): the misfit refits on the workers.
void readPrepOutput(const Napi::Value& outValue, BatchJob& job, std::vector<Napi::Value>* keep) {
  if (!outValue.IsObject() || outValue.IsArray() || outValue.IsTypedArray()) {
    typeFail("out must be an object");
  }
  Napi::Object object = outValue.As<Napi::Object>();
  readMisfitThreshold(object.Get("misfitThreshold"), job, keep);
  job.maskPerFrame = true;
  Napi::Value radianceValue = object.Get("radiance");
  Napi::Value varianceValue = object.Get("variance");
  Napi::Value maskValue = object.Get("mask");
  if (absent(radianceValue) && absent(varianceValue) && absent(maskValue)) {
    return;
  }
  const double total = static_cast<double>(job.nFrames) * static_cast<double>(job.nPix);
  F64Out radiance = asF64Out(radianceValue, "out.radiance");
  F64Out variance = asF64Out(varianceValue, "out.variance");
  U8Out mask = asU8Out(maskValue, "out.mask");
  for (size_t length : {radiance.length, variance.length, mask.length}) {
    if (static_cast<double>(length) != total) {
      argFail("out.radiance, out.variance and out.mask must have nFrames × pixels = " +
              std::to_string(static_cast<unsigned long long>(total)) + " elements");
    }
  }
  if (keep) {
    keep->push_back(radianceValue);
    keep->push_back(varianceValue);
    keep->push_back(maskValue);
  }
  job.prepOut = PrepOutput{radiance.data, variance.data, mask.data};
  job.frames = radiance.data;
  job.var = variance.data;
  job.mask = mask.data;
}

// (wl, frames, plan) of analyzeCountsBatch and countsStageBatchSync: the used pixels' count (wl's length), the
// plan and the frames' views. Keeps the typed arrays in `keep` (for the async worker).
size_t countsInputs(const Napi::CallbackInfo& info, PrepPlan& plan, std::vector<CountsView>& views,
                    std::vector<Napi::Value>* keep) {
  const size_t n = gridFor(info[0]).wl.size();
  if (n == 0) {
    argFail("wavelengths must not be empty");
  }
  const bool strided = info.Length() >= 2 && info[1].IsObject() && !info[1].IsArray() && !info[1].IsTypedArray();
  if (info.Length() < 2 || !(info[1].IsArray() || strided)) {
    typeFail("frames must be an array of typed arrays");
  }
  if (info.Length() < 3) {
    typeFail("plan must be an object");
  }
  const size_t height = readPlan(info[2], n, plan, keep);
  if (strided) {
    readStridedFrames(info[1].As<Napi::Object>(), plan.width, height, views, keep);
  } else {
    readCountsFrames(info[1].As<Napi::Array>(), plan.width, height, views, keep);
  }
  return n;
}

std::unique_ptr<BatchJob> countsBatchArgs(const Napi::CallbackInfo& info, std::vector<Napi::Value>* keep) {
  Napi::Env env = info.Env();
  auto job = std::make_unique<BatchJob>();
  job->nPix = countsInputs(info, job->plan, job->counts, keep);
  job->grid = std::make_shared<Grid>(gridFor(info[0]));
  job->nFrames = job->counts.size();
  if (info.Length() < 4) {
    typeFail("out must be an object");
  }
  readPrepOutput(info[3], *job, keep);
  job->prep = true;
  jobOptions(*job, optionsObject(info, 4, env), true);
  return job;
}

// Σ values[0..n) added in order from 0 (the same double as JavaScript's loop `sum += values[k]`).
double inOrderSum(const double* values, size_t n) {
  double sum = 0;
  for (size_t k = 0; k < n; k++) {
    sum += values[k];
  }
  return sum;
}

// countsStageBatchSync(wl, frames, plan, out): stage 1 of the preparation alone (row sums minus dark, saturation,
// corrupt) of every frame, on the calling thread (~1 µs a frame: less than handing it to the pool, whose threads
// are busy with the previous chunk's fits), into out.sig and out.mask (nFrames × pixels each) and, when given,
// each frame's in-order total of its row sums into out.totals (nFrames); returns the frames' flag bits
// (PREP_SATURATED | PREP_CORRUPT) as a Uint8Array. Without out.sig and out.mask (both absent), only the totals and
// the flags: the row sums of one frame at a time in a scratch buffer (what the gain's choice of the brightest frames
// needs, without writing nFrames × pixels).
Napi::Value CountsStageBatchSync(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    PrepPlan plan;
    std::vector<CountsView> views;
    const size_t n = countsInputs(info, plan, views, nullptr);
    if (info.Length() < 4 || !info[3].IsObject() || info[3].IsArray() || info[3].IsTypedArray()) {
      typeFail("out must be an object");
    }
    Napi::Object out = info[3].As<Napi::Object>();
    double* totals = nullptr;
    Napi::Value totalsValue = out.Get("totals");
    if (!absent(totalsValue)) {
      F64Out totalsView = asF64Out(totalsValue, "out.totals");
      if (totalsView.length != views.size()) {
        argFail("out.totals must have nFrames = " + std::to_string(views.size()) + " elements");
      }
      totals = totalsView.data;
    }
    Napi::Value sigValue = out.Get("sig");
    Napi::Value maskValue = out.Get("mask");
    const bool totalsOnly = absent(sigValue) && absent(maskValue);
    std::vector<double> sigScratch;
    std::vector<uint8_t> maskScratch;
    F64Out sig{nullptr, 0};
    U8Out mask{nullptr, 0};
    if (totalsOnly) {
      if (totals == nullptr) {
        typeFail("out.totals must be given when out.sig and out.mask are not");
      }
      sigScratch.assign(n, 0.0);
      maskScratch.assign(n, 0);
    } else {
      sig = asF64Out(sigValue, "out.sig");
      mask = asU8Out(maskValue, "out.mask");
      const double total = static_cast<double>(views.size()) * static_cast<double>(n);
      if (static_cast<double>(sig.length) != total || static_cast<double>(mask.length) != total) {
        argFail("out.sig and out.mask must have nFrames × pixels = " +
                std::to_string(static_cast<unsigned long long>(total)) + " elements");
      }
    }
    Napi::Uint8Array flags = Napi::Uint8Array::New(env, views.size());
    for (size_t f = 0; f < views.size(); f++) {
      double* frameSig = totalsOnly ? sigScratch.data() : sig.data + f * n;
      uint8_t* frameMask = totalsOnly ? maskScratch.data() : mask.data + f * n;
      flags[f] = countsStageFrame(plan, views[f], frameSig, frameMask);
      if (totals != nullptr) {
        totals[f] = inOrderSum(frameSig, n);
      }
    }
    return flags;
  });
}

Napi::Value FitPlanckBatch(const Napi::CallbackInfo& info) { return queueBatch(info, planckBatchArgs); }
Napi::Value SlidingTwoColorBatch(const Napi::CallbackInfo& info) { return queueBatch(info, twoColorBatchArgs); }
Napi::Value AnalyzeCountsBatch(const Napi::CallbackInfo& info) { return queueBatch(info, countsBatchArgs); }
Napi::Value FitPlanckBatchSync(const Napi::CallbackInfo& info) { return runBatch(info, planckBatchArgs); }
Napi::Value SlidingTwoColorBatchSync(const Napi::CallbackInfo& info) { return runBatch(info, twoColorBatchArgs); }
Napi::Value AnalyzeCountsBatchSync(const Napi::CallbackInfo& info) { return runBatch(info, countsBatchArgs); }

}  // namespace

void exportBatch(Napi::Env env, Napi::Object exports) {
  exports.Set("fitPlanckBatch", Napi::Function::New(env, FitPlanckBatch, "fitPlanckBatch"));
  exports.Set("fitPlanckBatchSync", Napi::Function::New(env, FitPlanckBatchSync, "fitPlanckBatchSync"));
  exports.Set("slidingTwoColorBatch", Napi::Function::New(env, SlidingTwoColorBatch, "slidingTwoColorBatch"));
  exports.Set("slidingTwoColorBatchSync",
              Napi::Function::New(env, SlidingTwoColorBatchSync, "slidingTwoColorBatchSync"));
  exports.Set("analyzeCountsBatch", Napi::Function::New(env, AnalyzeCountsBatch, "analyzeCountsBatch"));
  exports.Set("analyzeCountsBatchSync", Napi::Function::New(env, AnalyzeCountsBatchSync, "analyzeCountsBatchSync"));
  exports.Set("countsStageBatchSync", Napi::Function::New(env, CountsStageBatchSync, "countsStageBatchSync"));
}

}  // namespace binding
}  // namespace pyro
