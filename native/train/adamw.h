// AdamW equal to torch.optim.AdamW (decoupled weight decay, bias correction, amsgrad off),
// with two parameter groups: decayed and not decayed. The learning rate is passed per step so the
// schedule lives in TypeScript.
#pragma once
#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace bertrun {

struct AdamWOptions {
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
};

class AdamW {
 public:
  // named: (name, parameter) pairs; decays(name) picks the decayed group.
  AdamW(std::vector<std::pair<std::string, torch::Tensor>> named, std::vector<bool> decayed, AdamWOptions options);

  // One update of every parameter that has a gradient (the fused kernel; equal to the for-loop one).
  void step(double lr);

  int64_t step_count() const { return step_count_; }
  AdamWOptions& options() { return options_; }

  // State as named tensors: "<param>.exp_avg", "<param>.exp_avg_sq", and "step" (float64, 0-d).
  std::vector<std::pair<std::string, torch::Tensor>> export_state() const;
  void import_state(const std::vector<std::pair<std::string, torch::Tensor>>& state);

 private:
  struct Slot {
    std::string name;
    torch::Tensor param;
    torch::Tensor exp_avg;
    torch::Tensor exp_avg_sq;
    torch::Tensor step;  // float32 0-d, as torch.optim keeps it for the fused kernel
    bool decayed;
  };
  void step_group(bool decayed, double lr);

  std::vector<Slot> slots_;
  AdamWOptions options_;
  int64_t step_count_ = 0;
};

}  // namespace bertrun
