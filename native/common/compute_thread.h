// The one thread that runs every libtorch job of the process, in submission order.
// libuv's pool would hop between its threads, and each thread that enters an OpenMP region
// keeps a team of its own spinning workers: several teams fight over the cores (measured: the
// training step ran ~8% slower than a plain C++ program). One long-lived thread owns one team.
#pragma once
#include <functional>

namespace bertrun {

// Queues a task for the compute thread (started on first use, lives as long as the process).
void run_on_compute_thread(std::function<void()> task);

}  // namespace bertrun
