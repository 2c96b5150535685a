// A batch of frames fitted on a pool of std::threads: Planck fit, sliding two-colour, or both in one pass, and,
// for analyzeCountsBatch, the per-frame preparation of raw counts (prepare.h) first. Pure C++, no Node-API: the
// binding (batch_binding.cc) validates the arguments into a BatchJob, runs it and marshals the outputs.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "fit.h"
#include "prepare.h"

namespace pyro {

// Where analyzeCountsBatch writes each prepared frame (nFrames × nPix each; the caller's buffers, validated), or
// all null: each frame is prepared into its worker's scratch and stays there.
struct PrepOutput {
  double* radiance = nullptr;
  double* variance = nullptr;
  uint8_t* mask = nullptr;
};

// The scratch of one worker thread (batch.cc).
struct WorkerScratch;

struct BatchJob {
  std::shared_ptr<Grid> grid;
  // inputs (read only): radiance, variance (null: unweighted), mask (null: none; per frame when maskPerFrame)
  const double* frames = nullptr;
  const double* var = nullptr;
  const uint8_t* mask = nullptr;
  bool maskPerFrame = false;
  size_t nFrames = 0;
  size_t nPix = 0;
  int maxIterations = kDefaultMaxIterations;
  double tolerance = kDefaultTolerance;
  int threads = 1;
  bool planck = true;  // false: sliding two-colour only (slidingTwoColorBatch)
  size_t tcSep = 0;    // > 0: sliding two-colour at this separation, in the same pass over each frame
  // analyzeCountsBatch: each frame of raw counts is prepared first, into prepOut when given (frames/var/mask then
  // point at the same buffers, read back by the fit), else into the worker's scratch (frames/var/mask null)
  bool prep = false;
  PrepPlan plan;
  std::vector<CountsView> counts;
  PrepOutput prepOut;
  // analyzeCountsBatch, optional: misfitChi2Threshold per dof (index 0..misfitThresholdLength−1). A frame whose
  // weighted fit is beyond it (beyondMisfitThreshold) is refitted unweighted on its worker, into `unweighted`.
  const double* misfitThreshold = nullptr;
  size_t misfitThresholdLength = 0;
  // outputs
  std::vector<uint8_t> flags;
  std::vector<double> T, sT, scale, chi2;
  std::vector<int32_t> dof, iterations;
  std::vector<uint8_t> status;
  std::vector<double> tcMean, tcStd;
  std::vector<int32_t> tcCount;
  // (misfitThreshold given) per frame the unweighted refit's temperature; NaN where the frame needed none or the
  // refit failed (assemble.cc's unweightedTemperature returning false)
  std::vector<double> unweighted;
  // (prep) the last frame's prepared radiance and mask (nPix each; empty without frames): the live spectrum
  std::vector<double> lastRadiance;
  std::vector<uint8_t> lastMask;

  // Runs the job and returns when every frame is done (start, then finish). With threads = 1, on the calling
  // thread; with more, on `threads` threads of one persistent pool shared by every batch of the process, which
  // takes the jobs strictly in the order they were started (a batch started while another runs begins as that
  // one's last chunks are taken, so two batches in flight finish one after the other, not together). Throws
  // std::runtime_error when a worker ran out of memory; never lets an exception leave a worker thread.
  void run();
  // Allocates the outputs and, for a pooled job, queues it: call it where the batches are ordered (the JS thread).
  void start();
  // Waits for a pooled job, or runs the job on the calling thread; throws as run().
  void finish();

 private:
  friend class WorkerPool;
  static constexpr size_t kChunk = 64;  // frames taken at a time by a worker thread
  std::vector<uint32_t> sharedIdx;
  std::vector<double> sharedA, sharedB;
  bool sharedAll = false;  // the shared mask keeps every pixel: frames are fitted in place
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  // guarded by the pool's mutex
  int active = 0;
  bool finished = false;
  bool pooled = false;
  // One frame's data as the fit reads them.
  struct FrameView {
    const double* y;
    const double* var;
    const uint8_t* mask;
  };
  void allocateOutputs();
  FrameView frameView(size_t f, size_t end, WorkerScratch& scratch);
  void fitOne(size_t f, const FrameView& view, WorkerScratch& scratch);
  bool exhausted() const { return next.load() >= nFrames; }
  // Takes chunks until none is left; an exception (bad_alloc) marks the job failed and ends its chunks.
  void workSafely();
  void work();
};

}  // namespace pyro
