// DistributedDataParallel's gradient synchronisation: parameters grouped into buckets (in
// reverse order, roughly the order backward produces their gradients), each bucket's sum
// all-reduce started by a hook on the gradient accumulators as soon as its last gradient is
// final, so communication overlaps the rest of backward. After backward, every bucket is
// awaited, averaged over the world and copied back into the gradients.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <vector>

#include "dist/process_group.h"

namespace bertrun {

struct GradientSyncStats {
  int64_t synced_steps = 0;
  int64_t buckets = 0;
  int64_t bucket_bytes = 0;
  // Time end_backward spent waiting for all-reduces still running when backward ended.
  double exposed_wait_ms = 0;
  // Buckets whose all-reduce had already finished when backward ended (fully hidden).
  int64_t buckets_done_before_wait = 0;
};

class GradientSync {
 public:
  GradientSync(std::shared_ptr<ProcessGroup> group, std::vector<torch::Tensor> params, int64_t bucket_cap_bytes);
  ~GradientSync();
  GradientSync(const GradientSync&) = delete;
  GradientSync& operator=(const GradientSync&) = delete;

  // sync=false (an accumulation micro-step): gradients only accumulate locally.
  void begin_backward(bool sync);
  // Starts what did not start yet (in bucket order, as on every rank), waits, averages.
  void end_backward();
  // Called by the accumulator hooks.
  void on_gradient_ready(size_t param_index);

  const GradientSyncStats& stats() const { return stats_; }
  int64_t bucket_count() const { return static_cast<int64_t>(buckets_.size()); }

 private:
  struct Bucket {
    std::vector<size_t> params;
    std::vector<int64_t> offsets;
    torch::Tensor buffer;
    size_t pending = 0;
    c10::intrusive_ptr<c10d::Work> work;
  };
  void launch_in_order();
  void launch(Bucket& bucket);

  std::shared_ptr<ProcessGroup> group_;
  std::vector<torch::Tensor> params_;
  std::vector<std::shared_ptr<torch::autograd::Node>> accumulators_;
  std::vector<uintptr_t> hook_keys_;
  std::vector<size_t> bucket_of_;
  std::vector<bool> ready_;
  std::vector<Bucket> buckets_;
  size_t next_to_launch_ = 0;
  bool syncing_ = false;
  GradientSyncStats stats_;
};

}  // namespace bertrun
