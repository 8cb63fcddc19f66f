// Each rank bumps a counter in the rendezvous store every second from a thread of its own.
// When a collective fails, the survivors compare counters over a few seconds to name the rank
// that died or hangs; Gloo itself only reports "connection closed by peer <address>".
#pragma once
#include <torch/csrc/distributed/c10d/Store.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace bertrun {

class Heartbeat {
 public:
  // store: a connection of its own (the store client is not shared across threads).
  Heartbeat(c10::intrusive_ptr<c10d::Store> store, int rank, int world_size);
  ~Heartbeat();

  // Ranks whose counter did not move during `window`; throws if the store is unreachable.
  std::vector<int> silent_ranks(std::chrono::milliseconds window) const;

 private:
  void run();
  static std::string key(int rank);

  c10::intrusive_ptr<c10d::Store> store_;
  int rank_;
  int world_size_;
  mutable std::mutex mutex_;  // the store connection is used by the thread and by silent_ranks
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace bertrun
