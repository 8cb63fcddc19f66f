// One model runs one job at a time. A job holds the lock for its whole run on the compute
// thread; a synchronous call on the JS thread that finds a job running fails at once with
// "model is busy" instead of blocking the event loop.
#pragma once
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

namespace bertrun {

class ModelJobLock {
 public:
  // In a job: waits for the synchronous call that holds the lock, if any (they are short).
  std::unique_lock<std::mutex> hold() const { return std::unique_lock<std::mutex>(*mutex_); }

  // In a synchronous call; doing: what the call does ("changing precision").
  std::unique_lock<std::mutex> hold_now(const std::string& doing) const {
    std::unique_lock<std::mutex> lock(*mutex_, std::try_to_lock);
    if (!lock.owns_lock()) throw std::runtime_error("model is busy: await the running call before " + doing);
    return lock;
  }

 private:
  // Shared, so a job's copy of the lock stays valid whatever happens to the model object.
  std::shared_ptr<std::mutex> mutex_ = std::make_shared<std::mutex>();
};

}  // namespace bertrun
