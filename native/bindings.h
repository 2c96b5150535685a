// The functions each part of the binding adds to the addon's exports (called from Init in addon.cc).
#pragma once

#include <napi.h>

namespace pyro {
namespace binding {

// fitPlanck, fitWien, twoColor, slidingTwoColor (single.cc).
void exportSingle(Napi::Env env, Napi::Object exports);
// fitPlanckBatch, slidingTwoColorBatch, analyzeCountsBatch and their *Sync twins (batch_binding.cc).
void exportBatch(Napi::Env env, Napi::Object exports);
// formatFramesJson: a batch of frame results in columns as their JSON text (json_binding.cc).
void exportJson(Napi::Env env, Napi::Object exports);
// assembleCountsResults: the per-frame result assembly of one ROI of a Planck batch (assemble.cc).
void exportAssemble(Napi::Env env, Napi::Object exports);
// gainRatios: the per-pixel 1/gain estimates of the gain's first batches (gain.cc).
void exportGain(Napi::Env env, Napi::Object exports);
// addFrame, pixelVariances: the calibration's loops over the dark's and the lamp's frames (calibration.cc).
void exportCalibration(Napi::Env env, Napi::Object exports);

}  // namespace binding
}  // namespace pyro
