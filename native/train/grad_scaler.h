// Dynamic loss scaling for fp16 training, equal to torch.amp.GradScaler: the loss is multiplied
// by `scale` before backward so small fp16 gradients do not flush to zero; before the optimizer
// step the gradients are divided by it again and checked for inf/NaN. A step with a non-finite
// gradient is skipped and the scale shrinks (backoff); after `growth_interval` clean steps in a row
// it grows. Both kernels (_amp_foreach_non_finite_check_and_unscale_, _amp_update_scale_) exist on
// CPU and CUDA, so the same code runs and is tested on both.
#pragma once
#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace bertrun {

struct GradScalerOptions {
  double init_scale = 65536.0;  // 2^16
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  int64_t growth_interval = 2000;
};

class GradScaler {
 public:
  GradScaler(GradScalerOptions options, const torch::Device& device);

  // The current scale as a 1-element float32 tensor on the device (no host sync to use it).
  const torch::Tensor& scale() const { return scale_; }

  // Divides the gradients by the scale in place and records whether any is inf/NaN.
  void unscale(const std::vector<torch::Tensor>& grads);

  // Whether the last unscale found a non-finite gradient (one host read).
  bool found_inf() const;

  // Backoff or growth after a step (reads the flag set by unscale on the device).
  void update();

  // "scale" (float32 [1]) and "growth_tracker" (int32 [1]) as torch's GradScaler state_dict holds
  // them ("_growth_tracker" there), plus the options for a check on resume.
  std::vector<std::pair<std::string, torch::Tensor>> export_state() const;
  void import_state(const std::vector<std::pair<std::string, torch::Tensor>>& state);

  const GradScalerOptions& options() const { return options_; }

 private:
  GradScalerOptions options_;
  torch::Tensor scale_;           // float32 [1]
  torch::Tensor growth_tracker_;  // int32 [1]: clean steps since the last change
  torch::Tensor found_inf_;       // float32 [1]: 1 when the last unscale saw inf/NaN
};

}  // namespace bertrun
