// One model runs one job at a time. A job holds the lock for its whole run on the compute
// thread; a synchronous call on the JS thread that finds a job running fails at once with
// "model is busy" instead of blocking the event loop.
//
// The lock also knows whether the model was disposed. dispose() marks it on the JS thread, so
// every call made afterwards fails at its entry (require_live) with kDisposedModel; the jobs
// already queued still run first (the compute thread runs jobs in submission order), then the
// disposing job releases the model's state while holding the lock. A job that would find the
// state released anyway fails in hold() with the same message.
#pragma once
#include <atomic>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

namespace bertrun {

inline constexpr const char* kDisposedModel = "this model was disposed; create or load a new one";

class ModelJobLock {
 public:
  // In a job: waits for the synchronous call that holds the lock, if any (they are short).
  std::unique_lock<std::mutex> hold() const {
    std::unique_lock<std::mutex> lock(state_->mutex);
    if (state_->released) throw std::runtime_error(kDisposedModel);
    return lock;
  }

  // In a synchronous call; doing: what the call does ("changing precision").
  std::unique_lock<std::mutex> hold_now(const std::string& doing) const {
    std::unique_lock<std::mutex> lock(state_->mutex, std::try_to_lock);
    if (!lock.owns_lock()) throw std::runtime_error("model is busy: await the running call before " + doing);
    return lock;
  }

  // At the entry of every call but dispose, on the JS thread.
  void require_live() const {
    if (state_->disposed) throw std::runtime_error(kDisposedModel);
  }

  // dispose(), on the JS thread: from now on every call fails at its entry.
  void mark_disposed() const { state_->disposed = true; }

  // The disposing job: holds the lock like hold(); true the first time, when the caller is to
  // release the model's state.
  std::unique_lock<std::mutex> hold_to_release(bool* first) const {
    std::unique_lock<std::mutex> lock(state_->mutex);
    *first = !state_->released;
    state_->released = true;
    return lock;
  }

 private:
  struct State {
    std::mutex mutex;
    std::atomic<bool> disposed{false};
    bool released = false;  // guarded by mutex
  };
  // Shared, so a job's copy of the lock stays valid whatever happens to the model object.
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace bertrun
