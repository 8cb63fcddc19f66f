#include "dist/gradient_sync.h"

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/distributed/c10d/Work.hpp>

#include <chrono>

namespace bertrun {

namespace {

// Fires after a parameter's gradient accumulator has added this backward's gradient.
struct GradientReadyHook : torch::autograd::FunctionPostHook {
  GradientReadyHook(GradientSync* owner, size_t index) : owner(owner), index(index) {}
  torch::autograd::variable_list operator()(const torch::autograd::variable_list& outputs,
                                            const torch::autograd::variable_list&) override {
    owner->on_gradient_ready(index);
    return outputs;
  }
  GradientSync* owner;
  size_t index;
};

}  // namespace

GradientSync::GradientSync(std::shared_ptr<ProcessGroup> group, std::vector<torch::Tensor> params,
                           int64_t bucket_cap_bytes)
    : group_(std::move(group)), params_(std::move(params)) {
  if (bucket_cap_bytes < 1) throw std::invalid_argument("ddp_bucket_cap_mb must be > 0");
  bucket_of_.assign(params_.size(), 0);
  ready_.assign(params_.size(), false);
  // Reverse registration order: the head and last layers get their gradients first.
  int64_t bytes = 0, elements = 0;
  torch::ScalarType dtype = torch::kFloat;
  for (size_t k = params_.size(); k-- > 0;) {
    const auto& p = params_[k];
    const int64_t size = p.numel() * p.element_size();
    if (buckets_.empty() || (bytes + size > bucket_cap_bytes && bytes > 0) || p.scalar_type() != dtype) {
      if (!buckets_.empty())
        buckets_.back().buffer =
            torch::empty({elements}, params_[buckets_.back().params[0]].options().requires_grad(false));
      buckets_.emplace_back();
      bytes = elements = 0;
      dtype = p.scalar_type();
    }
    auto& bucket = buckets_.back();
    bucket.offsets.push_back(elements);
    bucket.params.push_back(k);
    bucket_of_[k] = buckets_.size() - 1;
    bytes += size;
    elements += p.numel();
  }
  if (!buckets_.empty())
    buckets_.back().buffer =
        torch::empty({elements}, params_[buckets_.back().params[0]].options().requires_grad(false));
  for (auto& bucket : buckets_) stats_.bucket_bytes += bucket.buffer.numel() * bucket.buffer.element_size();
  for (size_t k = 0; k < params_.size(); ++k) {
    // Holding the accumulator keeps it (and its hook) alive between backward passes.
    auto accumulator = torch::autograd::impl::grad_accumulator(params_[k]);
    hook_keys_.push_back(accumulator->add_post_hook(std::make_unique<GradientReadyHook>(this, k)));
    accumulators_.push_back(std::move(accumulator));
  }
}

GradientSync::~GradientSync() {
  for (size_t k = 0; k < accumulators_.size(); ++k) accumulators_[k]->del_post_hook(hook_keys_[k]);
}

void GradientSync::begin_backward(bool sync) {
  syncing_ = sync;
  if (!sync) return;
  std::fill(ready_.begin(), ready_.end(), false);
  for (auto& bucket : buckets_) {
    bucket.pending = bucket.params.size();
    bucket.work.reset();
  }
  next_to_launch_ = 0;
}

void GradientSync::on_gradient_ready(size_t index) {
  if (!syncing_ || ready_[index]) return;
  ready_[index] = true;
  auto& bucket = buckets_[bucket_of_[index]];
  if (--bucket.pending == 0) launch_in_order();
}

// Buckets start strictly in index order, so every rank issues the same collectives in the same
// order even if its backward finished gradients in a different order.
void GradientSync::launch_in_order() {
  while (next_to_launch_ < buckets_.size() && buckets_[next_to_launch_].pending == 0)
    launch(buckets_[next_to_launch_++]);
}

void GradientSync::launch(Bucket& bucket) {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < bucket.params.size(); ++i) {
    const auto& p = params_[bucket.params[i]];
    auto slot = bucket.buffer.narrow(0, bucket.offsets[i], p.numel());
    // A parameter this rank did not use contributes zeros, so every rank still sends the bucket.
    if (p.grad().defined())
      slot.copy_(p.grad().reshape(-1));
    else
      slot.zero_();
  }
  bucket.work = group_->start_allreduce_sum(bucket.buffer);
}

void GradientSync::end_backward() {
  if (!syncing_) return;
  syncing_ = false;
  for (auto& bucket : buckets_) bucket.pending = 0;
  launch_in_order();
  torch::NoGradGuard no_grad;
  const double world = static_cast<double>(group_->world_size());
  for (size_t b = 0; b < buckets_.size(); ++b) {
    auto& bucket = buckets_[b];
    if (bucket.work->isCompleted()) ++stats_.buckets_done_before_wait;
    const auto started = std::chrono::steady_clock::now();
    group_->wait_for(bucket.work, "gradient all-reduce (bucket " + std::to_string(b) + " of " +
                                      std::to_string(buckets_.size()) + ")");
    stats_.exposed_wait_ms +=
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    bucket.buffer.div_(world);
    for (size_t i = 0; i < bucket.params.size(); ++i) {
      auto& p = params_[bucket.params[i]];
      auto averaged = bucket.buffer.narrow(0, bucket.offsets[i], p.numel()).view(p.sizes());
      if (p.grad().defined())
        p.mutable_grad().copy_(averaged);
      else
        p.mutable_grad() = averaged.clone();
    }
    bucket.work.reset();
  }
  ++stats_.synced_steps;
  stats_.buckets += static_cast<int64_t>(buckets_.size());
}

}  // namespace bertrun
