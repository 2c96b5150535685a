// Node-API binding of the fitting core: Init only. The entry points live in single.cc (one frame per call),
// batch_binding.cc (batches on worker threads, batch.{h,cc}), json_binding.cc (frame results as JSON text) and
// assemble.cc (a Planck batch's per-frame results into their columns); the
// shared argument readers, error mapping and caches in args.{h,cc}. Every argument is validated there; problems become JavaScript errors (TypeError for
// wrong types, RangeError for bad values, Error for internal failures) and nothing aborts the process.
#include <napi.h>

#include <algorithm>
#include <thread>

#include "args.h"
#include "bindings.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  pyro::binding::initKeys(env);
  pyro::binding::exportSingle(env, exports);
  pyro::binding::exportBatch(env, exports);
  pyro::binding::exportJson(env, exports);
  pyro::binding::exportAssemble(env, exports);
  pyro::binding::exportGain(env, exports);
  pyro::binding::exportCalibration(env, exports);
  exports.Set("hardwareConcurrency", Napi::Number::New(env, std::max(1u, std::thread::hardware_concurrency())));
  return exports;
}

}  // namespace

NODE_API_MODULE(pyrolive, Init)
