#include "train/grad_scaler.h"

#include <stdexcept>
#include <unordered_map>

namespace bertrun {

GradScaler::GradScaler(GradScalerOptions options, const torch::Device& device) : options_(options) {
  if (!(options.init_scale > 0) || !std::isfinite(options.init_scale))
    throw std::invalid_argument("loss scale: init_scale must be a finite number > 0");
  if (!(options.growth_factor > 1)) throw std::invalid_argument("loss scale: growth_factor must be > 1");
  if (!(options.backoff_factor > 0 && options.backoff_factor < 1))
    throw std::invalid_argument("loss scale: backoff_factor must be in (0, 1)");
  if (options.growth_interval < 1) throw std::invalid_argument("loss scale: growth_interval must be an integer >= 1");
  auto f32 = torch::TensorOptions().dtype(torch::kFloat32).device(device);
  scale_ = torch::full({1}, options.init_scale, f32);
  growth_tracker_ = torch::zeros({1}, f32.dtype(torch::kInt32));
  found_inf_ = torch::zeros({1}, f32);
}

void GradScaler::unscale(const std::vector<torch::Tensor>& grads) {
  torch::NoGradGuard no_grad;
  found_inf_.zero_();
  if (grads.empty()) return;
  // 1 / scale in float64, rounded to float32: what torch.amp.GradScaler passes to the kernel.
  auto inv_scale = scale_.to(torch::kFloat64).reciprocal().to(torch::kFloat32);
  at::_amp_foreach_non_finite_check_and_unscale_(grads, found_inf_, inv_scale);
}

bool GradScaler::found_inf() const { return found_inf_.item<float>() != 0.0f; }

void GradScaler::update() {
  torch::NoGradGuard no_grad;
  at::_amp_update_scale_(scale_, growth_tracker_, found_inf_, options_.growth_factor, options_.backoff_factor,
                         options_.growth_interval);
}

std::vector<std::pair<std::string, torch::Tensor>> GradScaler::export_state() const {
  return {{"scale", scale_}, {"growth_tracker", growth_tracker_}};
}

void GradScaler::import_state(const std::vector<std::pair<std::string, torch::Tensor>>& state) {
  std::unordered_map<std::string, torch::Tensor> by_name(state.begin(), state.end());
  auto take = [&](const char* name) {
    auto it = by_name.find(name);
    if (it == by_name.end()) throw std::invalid_argument(std::string("loss scaler state is missing '") + name + "'");
    if (it->second.numel() != 1)
      throw std::invalid_argument(std::string("loss scaler state '") + name + "' must hold one value");
    return it->second;
  };
  auto scale = take("scale");
  auto tracker = take("growth_tracker");
  const double value = scale.to(torch::kFloat64).item<double>();
  if (!(value > 0) || !std::isfinite(value))
    throw std::invalid_argument("loss scaler state 'scale' must be a finite number > 0");
  torch::NoGradGuard no_grad;
  scale_.copy_(scale.reshape({1}));
  growth_tracker_.copy_(tracker.reshape({1}));
}

}  // namespace bertrun
