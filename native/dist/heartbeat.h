// Each rank bumps a counter in the rendezvous store every second from a thread of its own and,
// in the same round, reads every other rank's counter. The thread is native and independent of
// the training loop, so a healthy rank keeps beating while it writes a big checkpoint, runs a
// long stretch of JavaScript or waits in a collective; the counter stops when the process is
// stopped (SIGSTOP, Ctrl-Z, a debugger), its node froze, or it is gone. What the thread saw is
// kept in memory: readers never touch the store, so none of them blocks on a store host that
// stopped answering (its requests then stay pending, and that is what the readers see).
#pragma once
#include <torch/csrc/distributed/c10d/Store.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

namespace bertrun {

class Heartbeat {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kInterval{1000};

  // store: a connection of its own (used by the heartbeat thread only).
  Heartbeat(c10::intrusive_ptr<c10d::Store> store, int rank, int world_size);
  // Stops the thread; if a store request never returns, the thread is left to finish alone.
  ~Heartbeat();

  // Ranks whose counter did not move during `window` (this call waits that long, and for the
  // next round after it); throws if the store does not answer.
  std::vector<int> silent_ranks(std::chrono::milliseconds window) const;

  struct Quiet {
    int rank;                 // -1: the store itself
    Clock::time_point since;  // the peer's last beat seen, or the unanswered request sent
    std::chrono::milliseconds length;
  };
  struct Silence {
    std::optional<Quiet> store;  // a request to the store unanswered for at least the limit
    std::vector<Quiet> ranks;    // peers whose counter has not moved for at least the limit
  };
  // What has been silent for at least `limit` now. Peers are timed by the rounds that got their
  // answers, so a pending request freezes their clocks rather than aging them; a pause of this
  // process itself (its rounds more than a few intervals apart) restarts every peer's clock.
  Silence silence(std::chrono::milliseconds limit) const;

 private:
  struct State;  // shared with the thread, which may outlive this object
  static void run(std::shared_ptr<State> state);

  std::shared_ptr<State> state_;
};

}  // namespace bertrun
