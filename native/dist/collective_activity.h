// What this rank asks of its peers: the collectives it waits for (and since when) and when it
// last started one. The hung-peer watchdog reports a silent peer only when this rank needs it
// (see ProcessGroup::unresponsive_peers), never one that finished and left first.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace bertrun {

class CollectiveActivity {
 public:
  using Clock = std::chrono::steady_clock;

  struct Wait {
    std::string what;
    Clock::time_point since;
  };

  struct Snapshot {
    std::optional<Wait> oldest_wait;              // the longest-running wait, if any
    std::optional<Clock::time_point> last_start;  // the latest collective started, if any
  };

  // Registered while it lives: construct it around the blocking wait.
  class Waiting {
   public:
    Waiting(CollectiveActivity& activity, std::string what) : activity_(activity) {
      std::lock_guard<std::mutex> lock(activity_.mutex_);
      id_ = activity_.next_id_++;
      activity_.waits_.emplace(id_, Wait{std::move(what), Clock::now()});
    }
    ~Waiting() {
      std::lock_guard<std::mutex> lock(activity_.mutex_);
      activity_.waits_.erase(id_);
    }
    Waiting(const Waiting&) = delete;
    Waiting& operator=(const Waiting&) = delete;

   private:
    CollectiveActivity& activity_;
    uint64_t id_ = 0;
  };

  // Call as a collective is handed to the backend. With NCCL, wait() only orders the stream and
  // the rank blocks later, in some device sync; a start after a peer fell silent still shows
  // that this rank needs it.
  void started() {
    std::lock_guard<std::mutex> lock(mutex_);
    last_start_ = Clock::now();
  }

  Snapshot snapshot() const {
    std::lock_guard<std::mutex> lock(mutex_);
    Snapshot out;
    if (!waits_.empty()) out.oldest_wait = waits_.begin()->second;  // ids grow with time
    out.last_start = last_start_;
    return out;
  }

 private:
  mutable std::mutex mutex_;
  uint64_t next_id_ = 0;
  std::map<uint64_t, Wait> waits_;
  std::optional<Clock::time_point> last_start_;
};

}  // namespace bertrun
