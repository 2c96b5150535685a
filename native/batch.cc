// The BatchJob thread pool (batch.h). Pure C++, no Node-API.
#include "batch.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "frame.h"

namespace pyro {

namespace {

// Scratch of one worker thread.
struct WorkerScratch {
  Scratch fit;
  std::vector<uint32_t> idx;  // used pixels of the current frame (per-frame masks)
  std::vector<double> ca, cb;
  std::vector<double> z, t;  // sliding two-colour
  std::vector<double> prepBuffer;
  PrepScratch prep{};

  WorkerScratch(size_t nPix, bool twoColor, bool prepare) {
    if (twoColor) {
      z.resize(nPix);
      t.resize(nPix);
    }
    if (prepare) {
      prepBuffer.resize(4 * nPix);
      double* base = prepBuffer.data();
      prep = PrepScratch{base, base + nPix, base + 2 * nPix, base + 3 * nPix};
    }
  }
};

}  // namespace

void BatchJob::allocateOutputs() {
  const double nan = std::nan("");
  if (planck) {
    T.assign(nFrames, nan);
    sT.assign(nFrames, nan);
    scale.assign(nFrames, nan);
    chi2.assign(nFrames, nan);
    dof.assign(nFrames, 0);
    iterations.assign(nFrames, 0);
    status.assign(nFrames, InvalidData);
  }
  if (tcSep > 0) {
    tcMean.assign(nFrames, nan);
    tcStd.assign(nFrames, nan);
    tcCount.assign(nFrames, 0);
  }
  if (prep) {
    flags.assign(nFrames, 0);
  }
}

void BatchJob::run() {
  allocateOutputs();
  if (nFrames == 0) {
    return;
  }
  if (planck && !maskPerFrame) {
    usedPixels(*grid, mask, sharedIdx, sharedA, sharedB);
  }
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
  const int chunks = static_cast<int>((nFrames + kChunk - 1) / kChunk);
  const int threadCount = std::max(1, std::min<int>(threads, chunks));
  std::vector<std::thread> pool;
  for (int k = 1; k < threadCount; k++) {
    try {
      pool.emplace_back(worker);
    } catch (const std::system_error&) {
      break;  // no more threads available: the ones running share the work
    }
  }
  worker();
  for (auto& thread : pool) {
    thread.join();
  }
  if (failed) {
    throw std::runtime_error("out of memory in a batch worker");
  }
}

void BatchJob::work() {
  WorkerScratch scratch(nPix, tcSep > 0, prep);
  for (;;) {
    const size_t start = next.fetch_add(kChunk);
    if (start >= nFrames) {
      break;
    }
    const size_t end = std::min(nFrames, start + kChunk);
    for (size_t f = start; f < end; f++) {
      const size_t offset = f * nPix;
      if (prep) {
        flags[f] = prepareCountsFrame(plan, counts[f], prepOut.radiance + offset, prepOut.variance + offset,
                                      prepOut.mask + offset, scratch.prep);
      }
      const uint8_t* frameMask = mask == nullptr ? nullptr : (maskPerFrame ? mask + offset : mask);
      if (tcSep > 0) {
        // two-colour first, while the frame's data come into the cache for the fit
        TwoColorOut tc;
        if (slidingTwoColorFrame(frames + offset, frameMask, *grid, tcSep, scratch.z.data(), scratch.t.data(), tc)) {
          tcMean[f] = tc.mean;
          tcStd[f] = tc.sd;
          tcCount[f] = static_cast<int32_t>(tc.count);
        }
      }
      if (!planck) {
        continue;
      }
      const uint32_t* usedIdx = sharedIdx.data();
      const double* usedA = sharedA.data();
      const double* usedB = sharedB.data();
      size_t usedCount = sharedIdx.size();
      if (maskPerFrame) {
        usedPixels(*grid, frameMask, scratch.idx, scratch.ca, scratch.cb);
        usedIdx = scratch.idx.data();
        usedA = scratch.ca.data();
        usedB = scratch.cb.data();
        usedCount = scratch.idx.size();
      }
      const double* frameVar = var != nullptr ? var + offset : nullptr;
      FrameFit r = fitFrame(frames + offset, frameVar, usedIdx, usedCount, usedA, usedB, maxIterations, tolerance,
                            scratch.fit);
      status[f] = r.status;
      if (r.status == Ok || r.status == NotConverged) {
        T[f] = r.fit.temperature;
        sT[f] = r.fit.temperatureError;
        scale[f] = r.fit.scale;
        chi2[f] = r.fit.chi2;
        dof[f] = r.fit.dof;
        iterations[f] = r.fit.iterations;
      }
    }
  }
}

}  // namespace pyro
