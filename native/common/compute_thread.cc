#include "common/compute_thread.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace bertrun {
namespace {

class ComputeThread {
 public:
  ComputeThread() : thread_([this] { loop(); }) { thread_.detach(); }

  void post(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      tasks_.push_back(std::move(task));
    }
    ready_.notify_one();
  }

 private:
  void loop() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        ready_.wait(lock, [this] { return !tasks_.empty(); });
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();  // tasks catch their own exceptions
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  std::thread thread_;
};

}  // namespace

void run_on_compute_thread(std::function<void()> task) {
  // Never destroyed: a detached thread must not outlive the queue it reads.
  static ComputeThread* thread = new ComputeThread();
  thread->post(std::move(task));
}

}  // namespace bertrun
