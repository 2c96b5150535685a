// The BatchJob thread pool (batch.h). Pure C++, no Node-API.
#include "batch.h"

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "frame.h"

namespace pyro {

struct WorkerScratch {
  Scratch fit;
  std::vector<uint32_t> idx;  // used pixels of the current frame (per-frame masks)
  std::vector<double> ca, cb;
  std::vector<double> z, t;  // sliding two-colour
  std::vector<double> prepBuffer;
  PrepScratch prep{};
  // the prepared frame when the job keeps it here (no prepOut): radiance and variance, mask
  std::vector<double> frameBuffer;
  std::vector<uint8_t> frameMask;
  RefitScratch refit;  // the misfit refits

  WorkerScratch(size_t nPix, bool twoColor, bool prepare, bool keepFrame) {
    if (twoColor) {
      z.resize(nPix);
      t.resize(nPix);
    }
    if (prepare) {
      prepBuffer.resize(3 * nPix);
      double* base = prepBuffer.data();
      prep = PrepScratch{base, base + nPix, base + 2 * nPix};
    }
    if (keepFrame) {
      frameBuffer.resize(2 * nPix);
      frameMask.resize(nPix);
    }
  }
};

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
    lastRadiance.assign(nFrames > 0 ? nPix : 0, nan);
    lastMask.assign(nFrames > 0 ? nPix : 0, 0);
  }
  if (misfitThreshold != nullptr) {
    unweighted.assign(nFrames, nan);
  }
}

// The persistent worker threads of every multi-threaded batch: a FIFO queue of jobs; a thread works on the first
// job that has chunks left, if it has fewer than its `threads` workers. Never destroyed (its threads may be waiting
// at process exit), so created with new.
class WorkerPool {
 public:
  static WorkerPool& instance() {
    static WorkerPool* pool = new WorkerPool();
    return *pool;
  }

  // Queues the job. False (nothing queued) when no pool thread could be started.
  bool queueJob(BatchJob& job) {
    std::lock_guard<std::mutex> lock(mutex_);
    ensureThreads(job.threads);
    if (threadCount_ == 0) {
      return false;
    }
    queue_.push_back(&job);
    work_.notify_all();
    return true;
  }

  // Waits until a queued job is done.
  void waitFor(BatchJob& job) {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&job]() { return job.finished; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable work_;
  std::condition_variable done_;
  std::deque<BatchJob*> queue_;
  int threadCount_ = 0;

  // (under the lock) At least `wanted` threads, as far as the system gives them.
  void ensureThreads(int wanted) {
    while (threadCount_ < wanted) {
      try {
        std::thread(&WorkerPool::loop, this).detach();
      } catch (const std::system_error&) {
        return;  // no more threads available: the ones running share the work
      }
      threadCount_++;
    }
  }

  // (under the lock) The job a thread may join: the first queued one with chunks left, if it has fewer than its
  // `threads` workers (strictly first in, first out: a later job waits even when threads are free, so two jobs
  // overlap only while the first one's last chunks finish). Drops exhausted jobs from the queue.
  BatchJob* takeJob() {
    while (!queue_.empty() && queue_.front()->exhausted()) {
      queue_.pop_front();
    }
    if (queue_.empty() || queue_.front()->active >= queue_.front()->threads) {
      return nullptr;
    }
    return queue_.front();
  }

  void loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      BatchJob* job = nullptr;
      work_.wait(lock, [&]() { return (job = takeJob()) != nullptr; });
      job->active++;
      lock.unlock();
      job->workSafely();
      lock.lock();
      job->active--;
      if (job->active == 0 && job->exhausted() && !job->finished) {
        // out of the queue before its waiter may free it
        queue_.erase(std::remove(queue_.begin(), queue_.end(), job), queue_.end());
        job->finished = true;
        done_.notify_all();
      }
    }
  }
};

void BatchJob::run() {
  start();
  finish();
}

void BatchJob::start() {
  allocateOutputs();
  next = 0;
  failed = false;
  finished = false;
  active = 0;
  pooled = false;
  if (nFrames == 0) {
    return;
  }
  if (planck && !maskPerFrame) {
    usedPixels(*grid, mask, sharedIdx, sharedA, sharedB);
    sharedAll = sharedIdx.size() == nPix;
  }
  const int chunks = static_cast<int>((nFrames + kChunk - 1) / kChunk);
  threads = std::max(1, std::min<int>(threads, chunks));
  pooled = threads > 1 && WorkerPool::instance().queueJob(*this);
}

void BatchJob::finish() {
  if (nFrames == 0) {
    return;
  }
  if (pooled) {
    WorkerPool::instance().waitFor(*this);
  } else {
    workSafely();
  }
  if (failed) {
    throw std::runtime_error("out of memory in a batch worker");
  }
}

void BatchJob::workSafely() {
  try {
    work();
  } catch (...) {  // (bad_alloc) never let an exception leave a thread: that would abort the process
    failed = true;
    next = nFrames;
  }
}

BatchJob::FrameView BatchJob::frameView(size_t f, size_t end, WorkerScratch& scratch) {
  const size_t offset = f * nPix;
  if (!prep) {
    const uint8_t* frameMask = mask == nullptr ? nullptr : (maskPerFrame ? mask + offset : mask);
    return FrameView{frames + offset, var != nullptr ? var + offset : nullptr, frameMask};
  }
  if (f + 1 < end) {
    prefetchCounts(plan, counts[f + 1]);
  }
  const bool kept = prepOut.radiance == nullptr;
  double* y = kept ? scratch.frameBuffer.data() : prepOut.radiance + offset;
  double* v = kept ? scratch.frameBuffer.data() + nPix : prepOut.variance + offset;
  uint8_t* m = kept ? scratch.frameMask.data() : prepOut.mask + offset;
  flags[f] = prepareCountsFrame(plan, counts[f], y, v, m, scratch.prep);
  if (f + 1 == nFrames) {
    std::copy(y, y + nPix, lastRadiance.begin());
    std::copy(m, m + nPix, lastMask.begin());
  }
  return FrameView{y, v, m};
}

void BatchJob::fitOne(size_t f, const FrameView& view, WorkerScratch& scratch) {
  // a frame without a masked pixel is fitted in place (no compaction: the common case of per-frame masks)
  const uint32_t* usedIdx = sharedIdx.data();
  const double* usedA = sharedA.data();
  const double* usedB = sharedB.data();
  size_t usedCount = sharedIdx.size();
  if (maskPerFrame ? !anyMasked(view.mask, nPix) : sharedAll) {
    usedIdx = nullptr;
    usedA = grid->a.data();
    usedB = grid->b.data();
    usedCount = nPix;
  } else if (maskPerFrame) {
    usedPixels(*grid, view.mask, scratch.idx, scratch.ca, scratch.cb);
    usedIdx = scratch.idx.data();
    usedA = scratch.ca.data();
    usedB = scratch.cb.data();
    usedCount = scratch.idx.size();
  }
  FrameFit r =
      fitFrame(view.y, view.var, usedIdx, usedCount, usedA, usedB, maxIterations, tolerance, scratch.fit);
  status[f] = r.status;
  if (r.status == Ok || r.status == NotConverged) {
    T[f] = r.fit.temperature;
    sT[f] = r.fit.temperatureError;
    scale[f] = r.fit.scale;
    chi2[f] = r.fit.chi2;
    dof[f] = r.fit.dof;
    iterations[f] = r.fit.iterations;
  }
  // the refit assemble would do, while the frame is still here (assemble then reads `unweighted`)
  if (misfitThreshold != nullptr &&
      beyondMisfitThreshold(r.status, T[f], chi2[f], dof[f], misfitThreshold, misfitThresholdLength)) {
    double temperature = 0;
    if (unweightedTemperature(*grid, view.y, view.mask, scratch.refit, temperature)) {
      unweighted[f] = temperature;
    }
  }
}

void BatchJob::work() {
  WorkerScratch scratch(nPix, tcSep > 0, prep, prep && prepOut.radiance == nullptr);
  for (;;) {
    const size_t start = next.fetch_add(kChunk);
    if (start >= nFrames) {
      break;
    }
    const size_t end = std::min(nFrames, start + kChunk);
    for (size_t f = start; f < end; f++) {
      const FrameView view = frameView(f, end, scratch);
      if (tcSep > 0) {
        // two-colour first, while the frame's data come into the cache for the fit
        TwoColorOut tc;
        if (slidingTwoColorFrame(view.y, view.mask, *grid, tcSep, scratch.z.data(), scratch.t.data(), tc, false)) {
          tcMean[f] = tc.mean;
          tcStd[f] = tc.sd;
          tcCount[f] = static_cast<int32_t>(tc.count);
        }
      }
      if (planck) {
        fitOne(f, view, scratch);
      }
    }
  }
}

}  // namespace pyro
