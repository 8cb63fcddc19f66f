#include "dist/heartbeat.h"

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace bertrun {

namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

// Rounds further apart than this (or one round taking this long) mean this process was paused
// or starved itself: what the peers did meanwhile is unknown, so their clocks start again.
constexpr milliseconds kPauseGap{3000};

std::string key(int rank) { return "bertrun/heartbeat/" + std::to_string(rank); }

int64_t parse_count(const std::vector<uint8_t>& bytes) { return std::stoll(std::string(bytes.begin(), bytes.end())); }

}  // namespace

struct Heartbeat::State {
  State(c10::intrusive_ptr<c10d::Store> store, int rank, int world_size)
      : store(std::move(store)),
        rank(rank),
        world_size(world_size),
        counts(world_size, -1),
        unchanged_since(world_size, Clock::now()) {}

  const c10::intrusive_ptr<c10d::Store> store;  // the thread's alone
  const int rank;
  const int world_size;

  std::mutex mutex;                    // guards everything below; never held during a store request
  std::condition_variable wake;        // stop requests, for the thread
  std::condition_variable round_done;  // finished rounds (and the thread's end), for readers
  bool stop = false;
  bool finished = false;
  int64_t rounds_started = 0;
  int64_t rounds_done = 0;
  bool request_pending = false;
  Clock::time_point request_sent;
  bool last_round_failed = false;
  Clock::time_point last_answered;                 // end of the last round that got every answer
  std::vector<int64_t> counts;                     // each rank's counter as last read
  std::vector<Clock::time_point> unchanged_since;  // when that value was first read
};

Heartbeat::Heartbeat(c10::intrusive_ptr<c10d::Store> store, int rank, int world_size)
    : state_(std::make_shared<State>(std::move(store), rank, world_size)) {
  std::thread([state = state_] { run(state); }).detach();
}

Heartbeat::~Heartbeat() {
  std::unique_lock<std::mutex> lock(state_->mutex);
  state_->stop = true;
  state_->wake.notify_all();
  // Normally the thread ends within one round trip; one blocked on a store that never answers
  // keeps the shared state alive and ends when (if ever) its request returns.
  state_->round_done.wait_for(lock, 2 * kInterval, [this] { return state_->finished; });
}

void Heartbeat::run(std::shared_ptr<State> s) {
  std::vector<std::string> keys;
  for (int r = 0; r < s->world_size; ++r) keys.push_back(key(r));
  bool keys_exist = false;
  Clock::time_point previous_start;
  std::unique_lock<std::mutex> lock(s->mutex);
  while (!s->stop) {
    const auto start = Clock::now();
    const bool after_pause = s->rounds_started > 0 && start - previous_start > kPauseGap;
    previous_start = start;
    ++s->rounds_started;
    s->request_pending = true;
    s->request_sent = start;
    lock.unlock();

    std::vector<int64_t> counts;
    bool failed = false;
    try {
      s->store->add(key(s->rank), 1);
      if (keys_exist) {
        for (const auto& bytes : s->store->multiGet(keys)) counts.push_back(parse_count(bytes));
      } else {
        // add(0) creates the keys of peers that have not beaten yet; multiGet would wait for them.
        for (const auto& k : keys) counts.push_back(s->store->add(k, 0));
        keys_exist = true;
      }
    } catch (...) {
      failed = true;  // the store host has gone: a collective reports it (see silent_ranks)
    }

    lock.lock();
    const auto answered = Clock::now();
    s->request_pending = false;
    s->last_round_failed = failed;
    ++s->rounds_done;
    if (!failed) {
      const bool restart_clocks = after_pause || answered - start > kPauseGap;
      for (int r = 0; r < s->world_size; ++r) {
        if (restart_clocks || counts[r] != s->counts[r]) s->unchanged_since[r] = answered;
        s->counts[r] = counts[r];
      }
      s->last_answered = answered;
    }
    s->round_done.notify_all();
    s->wake.wait_until(lock, start + kInterval, [&] { return s->stop; });
  }
  s->finished = true;
  s->round_done.notify_all();
}

std::vector<int> Heartbeat::silent_ranks(milliseconds window) const {
  State& s = *state_;
  std::unique_lock<std::mutex> lock(s.mutex);
  // The counters read by the first round that starts from now on (the one in flight may have
  // read them before the failure this call is asked about).
  auto next_round_counts = [&](Clock::time_point deadline) {
    const int64_t wanted = s.rounds_started + 1;
    s.round_done.wait_until(lock, deadline, [&] { return s.rounds_done >= wanted || s.finished; });
    if (s.rounds_done < wanted) throw std::runtime_error("the rendezvous store did not answer heartbeat reads");
    if (s.last_round_failed) throw std::runtime_error("the rendezvous store is unreachable");
    return s.counts;
  };
  const auto begin = Clock::now();
  const auto before = next_round_counts(begin + window + 2 * kInterval);
  lock.unlock();
  std::this_thread::sleep_until(begin + window);
  lock.lock();
  const auto after = next_round_counts(Clock::now() + 3 * kInterval);
  std::vector<int> silent;
  for (int r = 0; r < s.world_size; ++r)
    if (r != s.rank && after[r] == before[r]) silent.push_back(r);
  return silent;
}

Heartbeat::Silence Heartbeat::silence(milliseconds limit) const {
  const State& s = *state_;
  std::lock_guard<std::mutex> lock(state_->mutex);
  Silence out;
  if (s.request_pending) {
    const auto unanswered = duration_cast<milliseconds>(Clock::now() - s.request_sent);
    if (unanswered >= limit) out.store = Quiet{-1, s.request_sent, unanswered};
  }
  if (s.rounds_done == 0) return out;
  for (int r = 0; r < s.world_size; ++r) {
    if (r == s.rank) continue;
    const auto quiet = duration_cast<milliseconds>(s.last_answered - s.unchanged_since[r]);
    if (quiet >= limit) out.ranks.push_back(Quiet{r, s.unchanged_since[r], quiet});
  }
  return out;
}

}  // namespace bertrun
