#include "bindings/model_binding.h"

#include <stdexcept>
#include <unordered_map>

#include "bindings/batch.h"
#include "bindings/process_group_binding.h"
#include "common/async_job.h"
#include "common/autocast_guard.h"
#include "common/js_guard.h"
#include "common/tensor_convert.h"
#include "train/grad_clip.h"

namespace bertrun {

namespace {

int64_t int_field(const Napi::Object& o, const char* key, int64_t fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsNumber()) throw std::invalid_argument(std::string("config.") + key + " must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (d != static_cast<double>(static_cast<int64_t>(d))) throw std::invalid_argument(std::string("config.") + key + " must be an integer");
  return static_cast<int64_t>(d);
}

double number_field(const Napi::Object& o, const char* key, double fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsNumber()) throw std::invalid_argument(std::string("config.") + key + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

std::string string_field(const Napi::Object& o, const char* key, const std::string& fallback) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return fallback;
  if (!v.IsString()) throw std::invalid_argument(std::string("config.") + key + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

BertConfig config_from_js(const Napi::Object& o) {
  BertConfig c;
  c.vocab_size = int_field(o, "vocab_size", c.vocab_size);
  c.hidden_size = int_field(o, "hidden_size", c.hidden_size);
  c.num_hidden_layers = int_field(o, "num_hidden_layers", c.num_hidden_layers);
  c.num_attention_heads = int_field(o, "num_attention_heads", c.num_attention_heads);
  c.intermediate_size = int_field(o, "intermediate_size", c.intermediate_size);
  c.hidden_act = string_field(o, "hidden_act", c.hidden_act);
  c.hidden_dropout_prob = number_field(o, "hidden_dropout_prob", c.hidden_dropout_prob);
  c.attention_probs_dropout_prob = number_field(o, "attention_probs_dropout_prob", c.attention_probs_dropout_prob);
  c.max_position_embeddings = int_field(o, "max_position_embeddings", c.max_position_embeddings);
  c.type_vocab_size = int_field(o, "type_vocab_size", c.type_vocab_size);
  c.initializer_range = number_field(o, "initializer_range", c.initializer_range);
  c.layer_norm_eps = number_field(o, "layer_norm_eps", c.layer_norm_eps);
  c.pad_token_id = int_field(o, "pad_token_id", c.pad_token_id);
  c.num_labels = int_field(o, "num_labels", c.num_labels);
  c.classifier_dropout = number_field(o, "classifier_dropout", c.classifier_dropout);
  c.problem_type = string_field(o, "problem_type", c.problem_type);
  return c;
}

torch::Device parse_device(const std::string& name) {
  torch::Device device(torch::kCPU);
  try {
    device = torch::Device(name);
  } catch (const c10::Error&) {
    throw std::invalid_argument("unknown device '" + name + "' (use cpu, cuda or cuda:N)");
  }
  if (device.is_cuda()) {
    if (!torch::cuda::is_available())
      throw std::invalid_argument("device '" + name + "' requested but CUDA is not available (no GPU, or libtorch built without CUDA)");
    if (device.has_index() && device.index() >= static_cast<int>(torch::cuda::device_count()))
      throw std::invalid_argument("device '" + name + "' does not exist: " + std::to_string(torch::cuda::device_count()) + " CUDA device(s)");
  } else if (!device.is_cpu()) {
    throw std::invalid_argument("unsupported device '" + name + "' (use cpu, cuda or cuda:N)");
  }
  return device;
}

bool bool_option(const Napi::Value& options, const char* key, bool fallback) {
  if (!options.IsObject()) return fallback;
  Napi::Value v = options.As<Napi::Object>().Get(key);
  return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : fallback;
}

double number_option(const Napi::Value& options, const char* key, double fallback) {
  if (!options.IsObject()) return fallback;
  Napi::Value v = options.As<Napi::Object>().Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) throw std::invalid_argument(std::string(key) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

// A named tensor read on the JS thread; `keep` holds the JS array alive until the job ends.
struct IncomingTensor {
  std::string name;
  torch::Tensor view;
  std::shared_ptr<Napi::ObjectReference> keep;
};

std::vector<IncomingTensor> named_tensors_from_js(const Napi::Value& value, const char* what) {
  if (!value.IsArray()) throw std::invalid_argument(std::string(what) + " must be an array of { name, dtype, shape, data }");
  auto array = value.As<Napi::Array>();
  std::vector<IncomingTensor> out;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    auto entry = array.Get(i).As<Napi::Object>();
    std::string name = entry.Get("name").ToString().Utf8Value();
    Napi::Value data = entry.Get("data");
    if (!data.IsTypedArray()) throw std::invalid_argument(std::string(what) + " '" + name + "': data must be a typed array");
    auto shape = shape_from_js(entry.Get("shape"), name);
    std::string dtype = entry.Get("dtype").IsString() ? entry.Get("dtype").ToString().Utf8Value() : "";
    auto view = view_typed_array(data.As<Napi::TypedArray>(), shape, dtype, name);
    out.push_back({name, view, std::make_shared<Napi::ObjectReference>(Napi::Persistent(data.As<Napi::Object>()))});
  }
  return out;
}

Napi::Object named_tensor_to_js(Napi::Env env, const std::string& name, const torch::Tensor& t) {
  auto o = Napi::Object::New(env);
  o.Set("name", name);
  o.Set("dtype", dtype_name(t.scalar_type()));
  o.Set("shape", shape_to_js(env, t.sizes()));
  o.Set("data", typed_array_from_tensor(env, t));
  return o;
}

Napi::Array named_tensors_to_js(Napi::Env env, const std::vector<std::pair<std::string, torch::Tensor>>& tensors) {
  auto out = Napi::Array::New(env, tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i)
    out.Set(static_cast<uint32_t>(i), named_tensor_to_js(env, tensors[i].first, tensors[i].second));
  return out;
}

// CPU copies, so the JS thread never reads device memory or a tensor that a later job mutates.
std::vector<std::pair<std::string, torch::Tensor>> host_copies(const std::vector<std::pair<std::string, torch::Tensor>>& in) {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& [name, t] : in) out.emplace_back(name, t.detach().to(torch::kCPU, /*non_blocking=*/false, /*copy=*/true).contiguous());
  return out;
}

// Outputs for JS: CPU copies, with fp16/bf16 (from autocast) widened to float32.
std::vector<std::pair<std::string, torch::Tensor>> output_copies(const std::vector<std::pair<std::string, torch::Tensor>>& in) {
  auto out = host_copies(in);
  for (auto& [name, t] : out)
    if (t.scalar_type() == torch::kHalf || t.scalar_type() == torch::kBFloat16) t = t.to(torch::kFloat32);
  return out;
}

std::optional<c10::ScalarType> parse_precision(const Napi::Value& value) {
  if (value.IsUndefined() || value.IsNull()) return std::nullopt;
  const std::string name = value.IsString() ? value.As<Napi::String>().Utf8Value() : "";
  if (name == "float32" || name == "fp32") return std::nullopt;
  if (name == "bfloat16" || name == "bf16") return torch::kBFloat16;
  if (name == "float16" || name == "fp16") return torch::kHalf;
  throw std::invalid_argument("mixed precision must be 'bfloat16', 'float16' or null (float32), got '" + name + "'");
}

std::vector<torch::Tensor> present_gradients(const std::vector<torch::Tensor>& params) {
  std::vector<torch::Tensor> grads;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  return grads;
}

}  // namespace

Napi::Function ModelBinding::Define(Napi::Env env) {
  return DefineClass(env, "NativeModel",
                     {InstanceMethod("info", &ModelBinding::Info),
                      InstanceMethod("setTraining", &ModelBinding::SetTraining),
                      InstanceMethod("setMixedPrecision", &ModelBinding::SetMixedPrecision),
                      InstanceMethod("setGradientCheckpointing", &ModelBinding::SetGradientCheckpointing),
                      InstanceMethod("configureGradScaler", &ModelBinding::ConfigureGradScaler),
                      InstanceMethod("getGradScalerState", &ModelBinding::GetGradScalerState),
                      InstanceMethod("loadGradScalerState", &ModelBinding::LoadGradScalerState),
                      InstanceMethod("forward", &ModelBinding::Forward),
                      InstanceMethod("forwardBackward", &ModelBinding::ForwardBackward),
                      InstanceMethod("takeLoss", &ModelBinding::TakeLoss),
                      InstanceMethod("clipGradNorm", &ModelBinding::ClipGradNorm),
                      InstanceMethod("configureOptimizer", &ModelBinding::ConfigureOptimizer),
                      InstanceMethod("step", &ModelBinding::Step),
                      InstanceMethod("zeroGrad", &ModelBinding::ZeroGrad),
                      InstanceMethod("getGradients", &ModelBinding::GetGradients),
                      InstanceMethod("setGradients", &ModelBinding::SetGradients),
                      InstanceMethod("getStateDict", &ModelBinding::GetStateDict),
                      InstanceMethod("loadStateDict", &ModelBinding::LoadStateDict),
                      InstanceMethod("getOptimizerState", &ModelBinding::GetOptimizerState),
                      InstanceMethod("loadOptimizerState", &ModelBinding::LoadOptimizerState),
                      InstanceMethod("attachProcessGroup", &ModelBinding::AttachProcessGroup),
                      InstanceMethod("broadcastParameters", &ModelBinding::BroadcastParameters),
                      InstanceMethod("gradientSyncStats", &ModelBinding::GradientSyncStats)});
}

// new NativeModel(config, task, { device, seed })
ModelBinding::ModelBinding(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ModelBinding>(info) {
  Napi::Env env = info.Env();
  js_guard(env, [&] {
      if (!info[0].IsObject()) throw std::invalid_argument("NativeModel: config must be an object (HF config.json fields)");
      if (!info[1].IsString()) throw std::invalid_argument("NativeModel: task must be a string");
      auto config = config_from_js(info[0].As<Napi::Object>());
      auto task = parse_task(info[1].As<Napi::String>().Utf8Value());
      std::string device = "cpu";
      int64_t seed = 42;
      if (info[2].IsObject()) {
        auto o = info[2].As<Napi::Object>();
        if (o.Get("device").IsString()) device = o.Get("device").ToString().Utf8Value();
        if (o.Get("seed").IsNumber()) seed = o.Get("seed").As<Napi::Number>().Int64Value();
      }
      device_ = parse_device(device);
      torch::manual_seed(static_cast<uint64_t>(seed));
      model_ = std::make_shared<TaskModel>(task, config);
      model_->to(device_);
      model_->eval();
  });
}

std::vector<std::pair<std::string, torch::Tensor>> ModelBinding::named_parameters() const {
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const auto& item : model_->named_parameters(/*recurse=*/true)) out.emplace_back(item.key(), item.value());
  return out;
}

AdamW& ModelBinding::optimizer() {
  if (!optimizer_) {
    auto named = named_parameters();
    std::vector<bool> decayed;
    for (const auto& [name, p] : named) decayed.push_back(TaskModel::decays(name));
    optimizer_ = std::make_unique<AdamW>(named, decayed, optimizer_options_);
  }
  return *optimizer_;
}

Napi::Value ModelBinding::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
  o.Set("task", task_name(model_->task()));
  o.Set("device", device_.str());
  o.Set("training", model_->is_training());
  o.Set("mixedPrecision", autocast_dtype_ ? Napi::Value(Napi::String::New(env, *autocast_dtype_ == torch::kHalf ? "float16" : "bfloat16")) : env.Null());
  o.Set("gradientCheckpointing", model_->gradient_checkpointing());
  o.Set("gradScaler", scaler_ != nullptr);
  auto params = Napi::Array::New(env);
  int64_t total = 0;
  uint32_t i = 0;
  for (const auto& [name, p] : named_parameters()) {
    auto entry = Napi::Object::New(env);
    entry.Set("name", name);
    entry.Set("dtype", dtype_name(p.scalar_type()));
    entry.Set("shape", shape_to_js(env, p.sizes()));
    entry.Set("decay", TaskModel::decays(name));
    params.Set(i++, entry);
    total += p.numel();
  }
  o.Set("parameters", params);
  o.Set("numParameters", Napi::Number::New(env, static_cast<double>(total)));
  return o;
}

Napi::Value ModelBinding::SetTraining(const Napi::CallbackInfo& info) {
  std::unique_lock<std::mutex> lock(*busy_, std::try_to_lock);
  if (!lock.owns_lock()) throw Napi::Error::New(info.Env(), "model is busy: await the running call before switching train/eval mode");
  model_->train(info[0].ToBoolean().Value());
  return info.Env().Undefined();
}

// setMixedPrecision('bfloat16' | 'float16' | null): forwards (training and inference) run under
// autocast to that dtype; parameters, gradients and optimizer state stay float32.
Napi::Value ModelBinding::SetMixedPrecision(const Napi::CallbackInfo& info) {
  std::unique_lock<std::mutex> lock(*busy_, std::try_to_lock);
  if (!lock.owns_lock()) throw Napi::Error::New(info.Env(), "model is busy: await the running call before changing precision");
  js_guard(info.Env(), [&] {
      auto dtype = parse_precision(info[0]);
      if (dtype && !at::autocast::is_autocast_available(device_.type()))
        throw std::invalid_argument("autocast is not available on " + device_.str());
      autocast_dtype_ = dtype;
  });
  return info.Env().Undefined();
}

Napi::Value ModelBinding::SetGradientCheckpointing(const Napi::CallbackInfo& info) {
  std::unique_lock<std::mutex> lock(*busy_, std::try_to_lock);
  if (!lock.owns_lock()) throw Napi::Error::New(info.Env(), "model is busy: await the running call before changing gradient checkpointing");
  model_->set_gradient_checkpointing(info[0].ToBoolean().Value());
  return info.Env().Undefined();
}

// configureGradScaler({ initScale, growthFactor, backoffFactor, growthInterval } | null): dynamic
// loss scaling (fp16) from now on; null turns it off.
Napi::Value ModelBinding::ConfigureGradScaler(const Napi::CallbackInfo& info) {
  std::unique_lock<std::mutex> lock(*busy_, std::try_to_lock);
  if (!lock.owns_lock()) throw Napi::Error::New(info.Env(), "model is busy: await the running call before configuring the loss scaler");
  js_guard(info.Env(), [&] {
      if (info[0].IsNull() || info[0].IsUndefined()) {
        scaler_.reset();
        return;
      }
      GradScalerOptions o;
      o.init_scale = number_option(info[0], "initScale", o.init_scale);
      o.growth_factor = number_option(info[0], "growthFactor", o.growth_factor);
      o.backoff_factor = number_option(info[0], "backoffFactor", o.backoff_factor);
      const double interval = number_option(info[0], "growthInterval", static_cast<double>(o.growth_interval));
      if (interval != std::floor(interval)) throw std::invalid_argument("loss scale: growth_interval must be an integer >= 1");
      o.growth_interval = static_cast<int64_t>(interval);
      scaler_ = std::make_unique<GradScaler>(o, device_);
  });
  return info.Env().Undefined();
}

Napi::Value ModelBinding::GetGradScalerState(const Napi::CallbackInfo& info) {
  auto state = std::make_shared<std::vector<std::pair<std::string, torch::Tensor>>>();
  return AsyncJob::Start(
      info.Env(), Value(),
      [=] {
        std::lock_guard<std::mutex> lock(*busy_);
        if (!scaler_) throw std::invalid_argument("no loss scaler: configureGradScaler first (fp16 training)");
        *state = host_copies(scaler_->export_state());
      },
      [=](Napi::Env env) -> Napi::Value { return named_tensors_to_js(env, *state); });
}

Napi::Value ModelBinding::LoadGradScalerState(const Napi::CallbackInfo& info) {
  return js_guard(info.Env(), [&]() -> Napi::Value {
      auto incoming = std::make_shared<std::vector<IncomingTensor>>(named_tensors_from_js(info[0], "loss scaler state"));
      return AsyncJob::Start(info.Env(), Value(), [=] {
        std::lock_guard<std::mutex> lock(*busy_);
        if (!scaler_) throw std::invalid_argument("no loss scaler: configureGradScaler first (fp16 training)");
        std::vector<std::pair<std::string, torch::Tensor>> state;
        for (const auto& t : *incoming) state.emplace_back(t.name, t.view);
        scaler_->import_state(state);
      }, [incoming](Napi::Env env) -> Napi::Value { return env.Undefined(); });
  });
}

// forward(batch, { outputHiddenStates, outputAttentions, skipPadding }) -> { loss?, outputs: NamedTensor[] }
Napi::Value ModelBinding::Forward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct Result {
    torch::Tensor loss;
    std::vector<std::pair<std::string, torch::Tensor>> outputs;
  };
  return js_guard(env, [&]() -> Napi::Value {
      auto batch = std::make_shared<HostBatch>(batch_from_js(info[0]));
      ForwardOptions options;
      options.output_hidden_states = bool_option(info[1], "outputHiddenStates", false);
      options.output_attentions = bool_option(info[1], "outputAttentions", false);
      options.skip_padding = bool_option(info[1], "skipPadding", true);
      auto result = std::make_shared<Result>();
      auto model = model_;
      auto device = device_;
      auto busy = busy_;
      return AsyncJob::Start(
          env, Value(),
          [=] {
            std::lock_guard<std::mutex> lock(*busy);
            validate_batch(*batch, *model);
            auto on_device = batch_to_device(*batch, device);
            torch::NoGradGuard no_grad;
            AutocastGuard autocast(device.type(), autocast_dtype_);
            auto out = model->forward(on_device.inputs, on_device.labels, options);
            if (out.loss.defined()) result->loss = out.loss.to(torch::kCPU, torch::kFloat64);
            result->outputs = output_copies(out.tensors);
          },
          [=](Napi::Env env) -> Napi::Value {
            auto o = Napi::Object::New(env);
            if (result->loss.defined()) o.Set("loss", result->loss.item<double>());
            o.Set("outputs", named_tensors_to_js(env, result->outputs));
            return o;
          });
  });
}

// forwardBackward(batch, { lossScale = 1, returnLoss = false, skipPadding = true, syncGradients = true })
//   -> number | undefined
// Gradients accumulate across calls until zeroGrad. With a process group attached, syncGradients
// averages them over all ranks during backward (false: an accumulation micro-step, local only). The unscaled loss is summed on the device
// and read back only by takeLoss(), so a step needs no device-to-host sync.
Napi::Value ModelBinding::ForwardBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return js_guard(env, [&]() -> Napi::Value {
      auto batch = std::make_shared<HostBatch>(batch_from_js(info[0]));
      const double loss_scale = number_option(info[1], "lossScale", 1.0);
      const bool return_loss = bool_option(info[1], "returnLoss", false);
      const bool sync_gradients = bool_option(info[1], "syncGradients", true);
      ForwardOptions options;
      options.skip_padding = bool_option(info[1], "skipPadding", true);
      auto loss_value = std::make_shared<double>(0.0);
      return AsyncJob::Start(
          env, Value(),
          [=] {
            std::lock_guard<std::mutex> lock(*busy_);
            validate_batch(*batch, *model_);
            if (model_->task() == Task::Base) throw std::invalid_argument("a base model has no loss: use a task head to train");
            const bool has_targets = batch->labels.labels.defined() ||
                                     (batch->labels.start_positions.defined() && batch->labels.end_positions.defined());
            if (!has_targets) throw std::invalid_argument("forwardBackward needs labels (or startPositions and endPositions)");
            auto on_device = batch_to_device(*batch, device_);
            TaskOutputs out;
            {
              // Autocast covers the forward only; backward runs each op in its forward's dtype.
              AutocastGuard autocast(device_.type(), autocast_dtype_);
              out = model_->forward(on_device.inputs, on_device.labels, options);
            }
            auto loss = out.loss.to(torch::kFloat32);
            auto sync = gradient_sync_;
            if (sync) sync->begin_backward(sync_gradients);
            auto scaled = loss_scale == 1.0 ? loss : loss * loss_scale;
            if (scaler_) scaled = scaled * scaler_->scale().squeeze();
            scaled.backward();
            if (sync) sync->end_backward();
            auto detached = loss.detach();
            loss_sum_ = loss_sum_.defined() ? loss_sum_ + detached : detached.clone();
            ++loss_count_;
            if (return_loss) *loss_value = detached.item<double>();
          },
          [=](Napi::Env env) -> Napi::Value {
            return return_loss ? Napi::Number::New(env, *loss_value) : env.Undefined();
          });
  });
}

// takeLoss() -> { sum, count }: losses since the last call (one host sync), then resets.
Napi::Value ModelBinding::TakeLoss(const Napi::CallbackInfo& info) {
  auto sum = std::make_shared<double>(0.0);
  auto count = std::make_shared<int64_t>(0);
  return AsyncJob::Start(
      info.Env(), Value(),
      [=] {
        std::lock_guard<std::mutex> lock(*busy_);
        *sum = loss_sum_.defined() ? loss_sum_.item<double>() : 0.0;
        *count = loss_count_;
        loss_sum_ = torch::Tensor();
        loss_count_ = 0;
      },
      [=](Napi::Env env) -> Napi::Value {
        auto o = Napi::Object::New(env);
        o.Set("sum", *sum);
        o.Set("count", Napi::Number::New(env, static_cast<double>(*count)));
        return o;
      });
}

// clipGradNorm(maxNorm) -> total norm before clipping (maxNorm <= 0 only measures)
Napi::Value ModelBinding::ClipGradNorm(const Napi::CallbackInfo& info) {
  const double max_norm = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 0.0;
  auto norm = std::make_shared<double>(0.0);
  return AsyncJob::Start(
      info.Env(), Value(),
      [=] {
        std::lock_guard<std::mutex> lock(*busy_);
        std::vector<torch::Tensor> params;
        for (const auto& [name, p] : named_parameters()) params.push_back(p);
        *norm = clip_grad_norm(params, max_norm).item<double>();
      },
      [=](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, *norm); });
}

// configureOptimizer({ beta1, beta2, eps, weightDecay }): resets the optimizer state.
Napi::Value ModelBinding::ConfigureOptimizer(const Napi::CallbackInfo& info) {
  std::unique_lock<std::mutex> lock(*busy_, std::try_to_lock);
  if (!lock.owns_lock()) throw Napi::Error::New(info.Env(), "model is busy: await the running call before configuring the optimizer");
  js_guard(info.Env(), [&] {
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
  });
  return info.Env().Undefined();
}

// step({ lr, maxGradNorm?, zeroGrad?, readGradNorm = true })
//   -> { gradNorm?, skipped, lossScale? }
// With a loss scaler: gradients are unscaled first (so clipping and the norm see true values); a
// step whose gradients hold inf/NaN changes neither weights nor optimizer state (skipped: true),
// and the scale backs off or grows. gradNorm (a host sync) is read only when clipping and asked.
Napi::Value ModelBinding::Step(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  double lr, max_norm;
  bool zero_grad, read_norm;
  js_guard(env, [&] {
      if (!info[0].IsObject() || !info[0].As<Napi::Object>().Get("lr").IsNumber())
        throw std::invalid_argument("step({ lr }) needs a numeric learning rate");
      lr = number_option(info[0], "lr", 0.0);
      if (!(lr >= 0) || !std::isfinite(lr)) throw std::invalid_argument("lr must be a finite number >= 0");
      max_norm = number_option(info[0], "maxGradNorm", 0.0);
      zero_grad = bool_option(info[0], "zeroGrad", false);
      read_norm = bool_option(info[0], "readGradNorm", true);
  });
  struct Result {
    bool has_norm = false;
    double norm = 0;
    bool skipped = false;
    double scale = std::nan("");
  };
  auto result = std::make_shared<Result>();
  return AsyncJob::Start(
      env, Value(),
      [=] {
        std::lock_guard<std::mutex> lock(*busy_);
        std::vector<torch::Tensor> params;
        for (const auto& [name, p] : named_parameters()) params.push_back(p);
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
  return AsyncJob::Start(info.Env(), Value(), [=] {
    std::lock_guard<std::mutex> lock(*busy_);
    model_->zero_grad(/*set_to_none=*/true);
  }, nullptr);
}

Napi::Value ModelBinding::GetGradients(const Napi::CallbackInfo& info) {
  auto grads = std::make_shared<std::vector<std::pair<std::string, torch::Tensor>>>();
  return AsyncJob::Start(
      info.Env(), Value(),
      [=] {
        std::lock_guard<std::mutex> lock(*busy_);
        std::vector<std::pair<std::string, torch::Tensor>> present;
        for (const auto& [name, p] : named_parameters())
          if (p.grad().defined()) present.emplace_back(name, p.grad());
        *grads = host_copies(present);
      },
      [=](Napi::Env env) -> Napi::Value { return named_tensors_to_js(env, *grads); });
}

// Copies named tensors into matching parameters (all validated first: nothing changes on error).
static void copy_named_into(const std::vector<IncomingTensor>& incoming,
                            const std::vector<std::pair<std::string, torch::Tensor>>& targets, bool into_grad,
                            const char* what) {
  std::unordered_map<std::string, torch::Tensor> by_name(targets.begin(), targets.end());
  std::vector<std::pair<torch::Tensor, torch::Tensor>> plan;
  for (const auto& t : incoming) {
    auto it = by_name.find(t.name);
    if (it == by_name.end()) throw std::invalid_argument(std::string(what) + ": the model has no parameter '" + t.name + "'");
    if (it->second.sizes() != t.view.sizes())
      throw std::invalid_argument(std::string(what) + ": '" + t.name + "' has shape " + c10::str(t.view.sizes()) +
                                  " but the model expects " + c10::str(it->second.sizes()));
    if (!t.view.is_floating_point()) throw std::invalid_argument(std::string(what) + ": '" + t.name + "' is not a floating-point tensor");
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

Napi::Value ModelBinding::SetGradients(const Napi::CallbackInfo& info) {
  return js_guard(info.Env(), [&]() -> Napi::Value {
      auto incoming = std::make_shared<std::vector<IncomingTensor>>(named_tensors_from_js(info[0], "gradients"));
      return AsyncJob::Start(info.Env(), Value(), [=] {
        std::lock_guard<std::mutex> lock(*busy_);
        copy_named_into(*incoming, named_parameters(), /*into_grad=*/true, "setGradients");
      }, [incoming](Napi::Env env) -> Napi::Value { return env.Undefined(); });
  });
}

Napi::Value ModelBinding::GetStateDict(const Napi::CallbackInfo& info) {
  auto state = std::make_shared<std::vector<std::pair<std::string, torch::Tensor>>>();
  return AsyncJob::Start(
      info.Env(), Value(),
      [=] {
        std::lock_guard<std::mutex> lock(*busy_);
        *state = host_copies(named_parameters());
      },
      [=](Napi::Env env) -> Napi::Value { return named_tensors_to_js(env, *state); });
}

// loadStateDict(tensors): names must be parameters of this model (TS resolves prefixes and
// reports missing/unexpected keys first); values convert to the parameter's dtype.
Napi::Value ModelBinding::LoadStateDict(const Napi::CallbackInfo& info) {
  return js_guard(info.Env(), [&]() -> Napi::Value {
      auto incoming = std::make_shared<std::vector<IncomingTensor>>(named_tensors_from_js(info[0], "state dict"));
      return AsyncJob::Start(info.Env(), Value(), [=] {
        std::lock_guard<std::mutex> lock(*busy_);
        copy_named_into(*incoming, named_parameters(), /*into_grad=*/false, "loadStateDict");
      }, [incoming](Napi::Env env) -> Napi::Value { return env.Undefined(); });
  });
}

Napi::Value ModelBinding::GetOptimizerState(const Napi::CallbackInfo& info) {
  auto state = std::make_shared<std::vector<std::pair<std::string, torch::Tensor>>>();
  return AsyncJob::Start(
      info.Env(), Value(),
      [=] {
        std::lock_guard<std::mutex> lock(*busy_);
        *state = host_copies(optimizer().export_state());
      },
      [=](Napi::Env env) -> Napi::Value { return named_tensors_to_js(env, *state); });
}

Napi::Value ModelBinding::LoadOptimizerState(const Napi::CallbackInfo& info) {
  return js_guard(info.Env(), [&]() -> Napi::Value {
      auto incoming = std::make_shared<std::vector<IncomingTensor>>(named_tensors_from_js(info[0], "optimizer state"));
      return AsyncJob::Start(info.Env(), Value(), [=] {
        std::lock_guard<std::mutex> lock(*busy_);
        std::vector<std::pair<std::string, torch::Tensor>> state;
        for (const auto& t : *incoming) state.emplace_back(t.name, t.view);
        optimizer().import_state(state);
      }, [incoming](Napi::Env env) -> Napi::Value { return env.Undefined(); });
  });
}

// attachProcessGroup(group, { bucketCapMb = 25 }): gradients are averaged over the group from now on.
Napi::Value ModelBinding::AttachProcessGroup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return js_guard(env, [&]() -> Napi::Value {
      if (!info[0].IsObject()) throw std::invalid_argument("attachProcessGroup needs a NativeProcessGroup");
      auto group = Napi::ObjectWrap<ProcessGroupBinding>::Unwrap(info[0].As<Napi::Object>())->group(env);
      const double cap_mb = number_option(info[1], "bucketCapMb", 25.0);
      if (!(cap_mb > 0)) throw std::invalid_argument("ddp_bucket_cap_mb must be > 0");
      return AsyncJob::Start(env, Value(), [=] {
        std::lock_guard<std::mutex> lock(*busy_);
        if (device_.is_cuda() != group->options().device.is_cuda())
          throw std::invalid_argument("the model is on " + device_.str() + " but the process group's backend is " + group->options().backend +
                                      ": use gloo for CPU and nccl for CUDA");
        std::vector<torch::Tensor> params;
        for (const auto& [name, p] : named_parameters()) params.push_back(p);
        gradient_sync_.reset();
        gradient_sync_ = std::make_shared<GradientSync>(group, params, static_cast<int64_t>(cap_mb * 1024 * 1024));
        group_ = group;
      }, nullptr);
  });
}

// broadcastParameters(root = 0): every parameter and buffer takes root's values (DDP's start).
Napi::Value ModelBinding::BroadcastParameters(const Napi::CallbackInfo& info) {
  const int root = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
  return AsyncJob::Start(info.Env(), Value(), [=] {
    std::lock_guard<std::mutex> lock(*busy_);
    if (!group_) throw std::invalid_argument("broadcastParameters: attach a process group first");
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> tensors;
    for (const auto& [name, p] : named_parameters()) tensors.push_back(p.detach());
    for (const auto& item : model_->named_buffers(/*recurse=*/true)) tensors.push_back(item.value());
    group_->broadcast(tensors, root, "broadcast of the initial parameters from rank " + std::to_string(root));
  }, nullptr);
}

// gradientSyncStats() -> { buckets, bucketBytes, syncedSteps, exposedWaitMs, bucketsDoneBeforeWait } | null
Napi::Value ModelBinding::GradientSyncStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::unique_lock<std::mutex> lock(*busy_, std::try_to_lock);
  if (!lock.owns_lock()) throw Napi::Error::New(env, "model is busy: await the running call before reading gradient sync stats");
  if (!gradient_sync_) return env.Null();
  const auto& s = gradient_sync_->stats();
  auto o = Napi::Object::New(env);
  o.Set("buckets", Napi::Number::New(env, static_cast<double>(gradient_sync_->bucket_count())));
  o.Set("bucketBytes", Napi::Number::New(env, static_cast<double>(s.bucket_bytes)));
  o.Set("syncedSteps", Napi::Number::New(env, static_cast<double>(s.synced_steps)));
  o.Set("exposedWaitMs", Napi::Number::New(env, s.exposed_wait_ms));
  o.Set("bucketsDoneBeforeWait", Napi::Number::New(env, static_cast<double>(s.buckets_done_before_wait)));
  return o;
}

}  // namespace bertrun
