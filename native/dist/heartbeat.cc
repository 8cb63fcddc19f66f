#include "dist/heartbeat.h"

#include <chrono>

namespace bertrun {

Heartbeat::Heartbeat(c10::intrusive_ptr<c10d::Store> store, int rank, int world_size)
    : store_(std::move(store)), rank_(rank), world_size_(world_size), thread_([this] { run(); }) {}

Heartbeat::~Heartbeat() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::string Heartbeat::key(int rank) { return "bertrun/heartbeat/" + std::to_string(rank); }

void Heartbeat::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    try {
      store_->add(key(rank_), 1);
    } catch (...) {
      return;  // the store is gone; the next collective reports it
    }
    wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; });
  }
}

std::vector<int> Heartbeat::silent_ranks(std::chrono::milliseconds window) const {
  auto read_all = [&] {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<int64_t> counts;
    for (int r = 0; r < world_size_; ++r) counts.push_back(store_->add(key(r), 0));
    return counts;
  };
  auto before = read_all();
  std::this_thread::sleep_for(window);
  auto after = read_all();
  std::vector<int> silent;
  for (int r = 0; r < world_size_; ++r)
    if (r != rank_ && after[r] == before[r]) silent.push_back(r);
  return silent;
}

}  // namespace bertrun
