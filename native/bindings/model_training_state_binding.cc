// NativeModel: the state training updates, and its export/import for checkpoints. The
// optimizer (AdamW), the fp16 loss scaler, gradient clipping and the step; weights, gradients,
// optimizer state and loss scaler state as named tensors.
#include <cmath>
#include <stdexcept>
#include <unordered_map>

#include "bindings/method_options.h"
#include "bindings/model_binding.h"
#include "common/async_job.h"
#include "train/grad_clip.h"

namespace bertrun {

namespace {

std::vector<torch::Tensor> present_gradients(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  return grads;
}

// Copies named tensors into matching parameters (all validated first: nothing changes on error).
void copy_named_into(const std::vector<IncomingTensor>& incoming, const NamedTensors& targets, bool into_grad,
                     const char* what) {
  std::unordered_map<std::string, torch::Tensor> by_name(targets.begin(), targets.end());
  std::vector<std::pair<torch::Tensor, torch::Tensor>> plan;
  for (const auto& t : incoming) {
    auto it = by_name.find(t.name);
    if (it == by_name.end())
      throw std::invalid_argument(std::string(what) + ": the model has no parameter '" + t.name + "'");
    if (it->second.sizes() != t.view.sizes())
      throw std::invalid_argument(std::string(what) + ": '" + t.name + "' has shape " + c10::str(t.view.sizes()) +
                                  " but the model expects " + c10::str(it->second.sizes()));
    if (!t.view.is_floating_point())
      throw std::invalid_argument(std::string(what) + ": '" + t.name + "' is not a floating-point tensor");
    plan.emplace_back(it->second, t.view);
  }
  torch::NoGradGuard no_grad;
  for (auto& [param, source] : plan) {
    if (into_grad) {
      param.mutable_grad() = source.to(param.device(), param.scalar_type(), /*non_blocking=*/false, /*copy=*/true);
    } else {
      param.copy_(source);
    }
  }
}

const char* const kNoLossScaler = "no loss scaler: configureGradScaler first (fp16 training)";

}  // namespace

AdamW& ModelBinding::optimizer() {
  if (!optimizer_) {
    auto named = named_parameters();
    std::vector<bool> decayed;
    for (const auto& [name, p] : named) decayed.push_back(TaskModel::decays(name));
    optimizer_ = std::make_unique<AdamW>(named, decayed, optimizer_options_);
  }
  return *optimizer_;
}

// configureOptimizer({ beta1, beta2, eps, weightDecay }): resets the optimizer state.
Napi::Value ModelBinding::ConfigureOptimizer(const Napi::CallbackInfo& info) {
  auto lock = lock_.hold_now("configuring the optimizer");
  AdamWOptions o;
  o.beta1 = number_option(info[0], "beta1", o.beta1);
  o.beta2 = number_option(info[0], "beta2", o.beta2);
  o.eps = number_option(info[0], "eps", o.eps);
  o.weight_decay = number_option(info[0], "weightDecay", o.weight_decay);
  if (!(o.beta1 >= 0 && o.beta1 < 1) || !(o.beta2 >= 0 && o.beta2 < 1))
    throw std::invalid_argument("AdamW betas must be in [0, 1)");
  if (!(o.eps > 0)) throw std::invalid_argument("AdamW eps must be > 0");
  if (!(o.weight_decay >= 0)) throw std::invalid_argument("weight_decay must be >= 0");
  optimizer_options_ = o;
  optimizer_.reset();
  return info.Env().Undefined();
}

// configureGradScaler({ initScale, growthFactor, backoffFactor, growthInterval } | null): dynamic
// loss scaling (fp16) from now on; null turns it off.
Napi::Value ModelBinding::ConfigureGradScaler(const Napi::CallbackInfo& info) {
  auto lock = lock_.hold_now("configuring the loss scaler");
  if (info[0].IsNull() || info[0].IsUndefined()) {
    scaler_.reset();
    return info.Env().Undefined();
  }
  GradScalerOptions o;
  o.init_scale = number_option(info[0], "initScale", o.init_scale);
  o.growth_factor = number_option(info[0], "growthFactor", o.growth_factor);
  o.backoff_factor = number_option(info[0], "backoffFactor", o.backoff_factor);
  const double interval = number_option(info[0], "growthInterval", static_cast<double>(o.growth_interval));
  if (interval != std::floor(interval))
    throw std::invalid_argument("loss scale: growth_interval must be an integer >= 1");
  o.growth_interval = static_cast<int64_t>(interval);
  scaler_ = std::make_unique<GradScaler>(o, device_);
  return info.Env().Undefined();
}

// clipGradNorm(maxNorm) -> total norm before clipping (maxNorm <= 0 only measures)
Napi::Value ModelBinding::ClipGradNorm(const Napi::CallbackInfo& info) {
  const double max_norm = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0.0;
  auto norm = std::make_shared<double>(0.0);
  return AsyncJob::Start(
      info.Env(), Value(),
      [=] {
        auto held = lock_.hold();
        *norm = clip_grad_norm(parameters(), max_norm).item<double>();
      },
      [=](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, *norm); });
}

// step({ lr, maxGradNorm?, zeroGrad?, readGradNorm = true })
//   -> { gradNorm?, skipped, lossScale? }
// With a loss scaler: gradients are unscaled first (so clipping and the norm see true values); a
// step whose gradients hold inf/NaN changes neither weights nor optimizer state (skipped: true),
// and the scale backs off or grows. gradNorm (a host sync) is read only when clipping and asked.
Napi::Value ModelBinding::Step(const Napi::CallbackInfo& info) {
  if (!info[0].IsObject() || !info[0].As<Napi::Object>().Get("lr").IsNumber())
    throw std::invalid_argument("step({ lr }) needs a numeric learning rate");
  const double lr = number_option(info[0], "lr", 0.0);
  if (!(lr >= 0) || !std::isfinite(lr)) throw std::invalid_argument("lr must be a finite number >= 0");
  const double max_norm = number_option(info[0], "maxGradNorm", 0.0);
  const bool zero_grad = bool_option(info[0], "zeroGrad", false);
  const bool read_norm = bool_option(info[0], "readGradNorm", true);
  struct Result {
    bool has_norm = false;
    double norm = 0;
    bool skipped = false;
    double scale = std::nan("");
  };
  auto result = std::make_shared<Result>();
  return AsyncJob::Start(
      info.Env(), Value(),
      [=] {
        auto held = lock_.hold();
        auto params = parameters();
        if (scaler_) scaler_->unscale(present_gradients(params));
        torch::Tensor norm;
        if (max_norm > 0) norm = clip_grad_norm(params, max_norm);
        // The one host read fp16 needs per step: whether this step counts (HF reads the scale too).
        result->skipped = scaler_ && scaler_->found_inf();
        if (!result->skipped) optimizer().step(lr);
        if (scaler_) {
          scaler_->update();
          result->scale = scaler_->scale().item<double>();
        }
        if (zero_grad) model_->zero_grad(/*set_to_none=*/true);
        if (norm.defined() && read_norm) {
          result->has_norm = true;
          result->norm = norm.item<double>();
        }
      },
      [=](Napi::Env env) -> Napi::Value {
        auto o = Napi::Object::New(env);
        if (result->has_norm) o.Set("gradNorm", result->norm);
        o.Set("skipped", result->skipped);
        if (!std::isnan(result->scale)) o.Set("lossScale", result->scale);
        return o;
      });
}

Napi::Value ModelBinding::ZeroGrad(const Napi::CallbackInfo& info) {
  return AsyncJob::Start(
      info.Env(), Value(),
      [=] {
        auto held = lock_.hold();
        model_->zero_grad(/*set_to_none=*/true);
      },
      nullptr);
}

template <typename Collect>
Napi::Value ModelBinding::ExportNamedTensors(const Napi::CallbackInfo& info, Collect collect) {
  auto state = std::make_shared<NamedTensors>();
  return AsyncJob::Start(
      info.Env(), Value(),
      [=] {
        auto held = lock_.hold();
        *state = host_copies(collect());
      },
      [state](Napi::Env env) -> Napi::Value { return named_tensors_to_js(env, *state); });
}

template <typename Apply>
Napi::Value ModelBinding::ImportNamedTensors(const Napi::CallbackInfo& info, const char* what, Apply apply) {
  auto incoming = std::make_shared<std::vector<IncomingTensor>>(named_tensors_from_js(info[0], what));
  return AsyncJob::Start(
      info.Env(), Value(),
      [=] {
        auto held = lock_.hold();
        apply(*incoming);
      },
      // Settled on the JS thread, where the JS arrays the views read from may be released.
      [incoming](Napi::Env env) -> Napi::Value { return env.Undefined(); });
}

Napi::Value ModelBinding::GetGradients(const Napi::CallbackInfo& info) {
  return ExportNamedTensors(info, [this] {
    NamedTensors present;
    for (const auto& [name, p] : named_parameters())
      if (p.grad().defined()) present.emplace_back(name, p.grad());
    return present;
  });
}

Napi::Value ModelBinding::SetGradients(const Napi::CallbackInfo& info) {
  return ImportNamedTensors(info, "gradients", [this](const std::vector<IncomingTensor>& incoming) {
    copy_named_into(incoming, named_parameters(), /*into_grad=*/true, "setGradients");
  });
}

Napi::Value ModelBinding::GetStateDict(const Napi::CallbackInfo& info) {
  return ExportNamedTensors(info, [this] { return named_parameters(); });
}

// loadStateDict(tensors): names must be parameters of this model (TS resolves prefixes and
// reports missing/unexpected keys first); values convert to the parameter's dtype.
Napi::Value ModelBinding::LoadStateDict(const Napi::CallbackInfo& info) {
  return ImportNamedTensors(info, "state dict", [this](const std::vector<IncomingTensor>& incoming) {
    copy_named_into(incoming, named_parameters(), /*into_grad=*/false, "loadStateDict");
  });
}

Napi::Value ModelBinding::GetOptimizerState(const Napi::CallbackInfo& info) {
  return ExportNamedTensors(info, [this] { return optimizer().export_state(); });
}

Napi::Value ModelBinding::LoadOptimizerState(const Napi::CallbackInfo& info) {
  return ImportNamedTensors(info, "optimizer state", [this](const std::vector<IncomingTensor>& incoming) {
    optimizer().import_state(named_views(incoming));
  });
}

Napi::Value ModelBinding::GetGradScalerState(const Napi::CallbackInfo& info) {
  return ExportNamedTensors(info, [this] {
    if (!scaler_) throw std::invalid_argument(kNoLossScaler);
    return scaler_->export_state();
  });
}

Napi::Value ModelBinding::LoadGradScalerState(const Napi::CallbackInfo& info) {
  return ImportNamedTensors(info, "loss scaler state", [this](const std::vector<IncomingTensor>& incoming) {
    if (!scaler_) throw std::invalid_argument(kNoLossScaler);
    scaler_->import_state(named_views(incoming));
  });
}

}  // namespace bertrun
