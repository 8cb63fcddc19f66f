#include "train/adamw.h"

#include <stdexcept>
#include <unordered_map>

namespace bertrun {

AdamW::AdamW(std::vector<std::pair<std::string, torch::Tensor>> named, std::vector<bool> decayed, AdamWOptions options)
    : options_(options) {
  if (named.size() != decayed.size()) throw std::invalid_argument("AdamW: one decay flag per parameter is required");
  for (size_t i = 0; i < named.size(); ++i) {
    const auto& p = named[i].second;
    slots_.push_back(Slot{named[i].first, p, torch::zeros_like(p, torch::MemoryFormat::Preserve),
                          torch::zeros_like(p, torch::MemoryFormat::Preserve),
                          torch::zeros({}, p.options().dtype(torch::kFloat32)), decayed[i]});
  }
}

void AdamW::step_group(bool decayed, double lr) {
  std::vector<torch::Tensor> params, grads, exp_avgs, exp_avg_sqs, steps;
  for (auto& s : slots_) {
    if (s.decayed != decayed || !s.param.grad().defined()) continue;
    params.push_back(s.param);
    grads.push_back(s.param.grad());
    exp_avgs.push_back(s.exp_avg);
    exp_avg_sqs.push_back(s.exp_avg_sq);
    steps.push_back(s.step);
  }
  if (params.empty()) return;
  torch::NoGradGuard no_grad;
  // torch.optim.AdamW(fused=True) increments the step tensors before the kernel reads them.
  at::_foreach_add_(steps, 1);
  at::_fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, /*max_exp_avg_sqs=*/{}, steps, lr, options_.beta1,
                    options_.beta2, decayed ? options_.weight_decay : 0.0, options_.eps, /*amsgrad=*/false,
                    /*maximize=*/false);
}

void AdamW::step(double lr) {
  step_group(true, lr);
  step_group(false, lr);
  ++step_count_;
}

std::vector<std::pair<std::string, torch::Tensor>> AdamW::export_state() const {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& s : slots_) {
    out.emplace_back(s.name + ".exp_avg", s.exp_avg);
    out.emplace_back(s.name + ".exp_avg_sq", s.exp_avg_sq);
    out.emplace_back(s.name + ".step", s.step);
  }
  out.emplace_back("step_count", torch::full({}, static_cast<double>(step_count_), torch::kFloat64));
  return out;
}

void AdamW::import_state(const std::vector<std::pair<std::string, torch::Tensor>>& state) {
  std::unordered_map<std::string, torch::Tensor> by_name(state.begin(), state.end());
  auto take = [&](const std::string& name, const torch::Tensor& like) {
    auto it = by_name.find(name);
    if (it == by_name.end()) throw std::invalid_argument("optimizer state is missing '" + name + "'");
    if (it->second.sizes() != like.sizes()) {
      throw std::invalid_argument("optimizer state '" + name + "' has shape " + c10::str(it->second.sizes()) +
                                  ", expected " + c10::str(like.sizes()));
    }
    return it->second;
  };
  torch::NoGradGuard no_grad;
  // Validate everything before changing anything, so a bad file leaves the optimizer intact.
  std::vector<std::array<torch::Tensor, 3>> incoming;
  for (const auto& s : slots_) {
    incoming.push_back({take(s.name + ".exp_avg", s.exp_avg), take(s.name + ".exp_avg_sq", s.exp_avg_sq),
                        take(s.name + ".step", s.step)});
  }
  auto count = by_name.find("step_count");
  for (size_t i = 0; i < slots_.size(); ++i) {
    slots_[i].exp_avg.copy_(incoming[i][0]);
    slots_[i].exp_avg_sq.copy_(incoming[i][1]);
    slots_[i].step.copy_(incoming[i][2]);
  }
  if (count != by_name.end()) step_count_ = static_cast<int64_t>(count->second.item<double>());
}

}  // namespace bertrun
