// NativeModel: the class and its method table, construction, modes, the computing calls
// (forward, forwardBackward, takeLoss) and the DDP wiring forwardBackward uses.
#include "bindings/model_binding.h"

#include <stdexcept>

#include "bindings/batch.h"
#include "bindings/method_options.h"
#include "bindings/process_group_binding.h"
#include "common/async_job.h"
#include "common/autocast_guard.h"
#include "common/memory_release.h"

namespace bertrun {

namespace {

// Every field the model reads must be there: its defaults live in lib/config/bert_config.ts
// (nativeConfig() sends them all), so a missing one is a bug on the caller's side, not a default.
Napi::Value required_field(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined())
    throw std::invalid_argument(std::string("NativeModel: config.") + key +
                                " is missing (the native model takes every field nativeConfig() in "
                                "lib/config/bert_config.ts sends; it has no defaults of its own)");
  return v;
}

double number_field(const Napi::Object& o, const char* key) {
  Napi::Value v = required_field(o, key);
  if (!v.IsNumber()) throw std::invalid_argument(std::string("config.") + key + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

int64_t int_field(const Napi::Object& o, const char* key) {
  double d = number_field(o, key);
  if (d != static_cast<double>(static_cast<int64_t>(d)))
    throw std::invalid_argument(std::string("config.") + key + " must be an integer");
  return static_cast<int64_t>(d);
}

std::string string_field(const Napi::Object& o, const char* key) {
  Napi::Value v = required_field(o, key);
  if (!v.IsString()) throw std::invalid_argument(std::string("config.") + key + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

// A field HF allows to be None: present, and null or a value.
bool is_null_field(const Napi::Object& o, const char* key) { return required_field(o, key).IsNull(); }

BertConfig config_from_js(const Napi::Object& o) {
  BertConfig c;
  c.vocab_size = int_field(o, "vocab_size");
  c.hidden_size = int_field(o, "hidden_size");
  c.num_hidden_layers = int_field(o, "num_hidden_layers");
  c.num_attention_heads = int_field(o, "num_attention_heads");
  c.intermediate_size = int_field(o, "intermediate_size");
  c.hidden_act = string_field(o, "hidden_act");
  c.hidden_dropout_prob = number_field(o, "hidden_dropout_prob");
  c.attention_probs_dropout_prob = number_field(o, "attention_probs_dropout_prob");
  c.max_position_embeddings = int_field(o, "max_position_embeddings");
  c.type_vocab_size = int_field(o, "type_vocab_size");
  c.initializer_range = number_field(o, "initializer_range");
  c.layer_norm_eps = number_field(o, "layer_norm_eps");
  c.pad_token_id = int_field(o, "pad_token_id");
  c.num_labels = int_field(o, "num_labels");
  // null: HF's None, the classifier uses hidden_dropout_prob.
  c.classifier_dropout = is_null_field(o, "classifier_dropout") ? -1.0 : number_field(o, "classifier_dropout");
  c.problem_type = is_null_field(o, "problem_type") ? std::string() : string_field(o, "problem_type");
  // [{ name, type, num_labels, loss_weight }], empty but for multi-head models; checked by the model.
  Napi::Value heads = required_field(o, "heads");
  {
    if (!heads.IsArray()) throw std::invalid_argument("config.heads must be an array");
    auto list = heads.As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); ++i) {
      if (!list.Get(i).IsObject()) throw std::invalid_argument("config.heads entries must be objects");
      auto h = list.Get(i).As<Napi::Object>();
      c.heads.push_back({string_field(h, "name"), string_field(h, "type"), int_field(h, "num_labels"),
                         number_field(h, "loss_weight")});
    }
  }
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
      throw std::invalid_argument("device '" + name +
                                  "' requested but CUDA is not available (no GPU, or libtorch built without CUDA)");
    if (device.has_index() && device.index() >= static_cast<int>(torch::cuda::device_count()))
      throw std::invalid_argument(
          "device '" + name + "' does not exist: " + std::to_string(torch::cuda::device_count()) + " CUDA device(s)");
  } else if (!device.is_cpu()) {
    throw std::invalid_argument("unsupported device '" + name + "' (use cpu, cuda or cuda:N)");
  }
  return device;
}

std::optional<c10::ScalarType> parse_precision(const Napi::Value& value) {
  if (value.IsUndefined() || value.IsNull()) return std::nullopt;
  const std::string name = value.IsString() ? value.As<Napi::String>().Utf8Value() : "";
  if (name == "float32" || name == "fp32") return std::nullopt;
  if (name == "bfloat16" || name == "bf16") return torch::kBFloat16;
  if (name == "float16" || name == "fp16") return torch::kHalf;
  throw std::invalid_argument("mixed precision must be 'bfloat16', 'float16' or null (float32), got '" + name + "'");
}

// Outputs for JS: CPU copies, with fp16/bf16 (from autocast) widened to float32.
NamedTensors output_copies(const NamedTensors& tensors) {
  auto out = host_copies(tensors);
  for (auto& [name, t] : out)
    if (t.scalar_type() == torch::kHalf || t.scalar_type() == torch::kBFloat16) t = t.to(torch::kFloat32);
  return out;
}

}  // namespace

Napi::Function ModelBinding::Define(Napi::Env env) {
  return DefineClass(env, "NativeModel",
                     {LiveMethod<&ModelBinding::Info>("info"),
                      LiveMethod<&ModelBinding::SetTraining>("setTraining"),
                      LiveMethod<&ModelBinding::SetMixedPrecision>("setMixedPrecision"),
                      LiveMethod<&ModelBinding::SetGradientCheckpointing>("setGradientCheckpointing"),
                      LiveMethod<&ModelBinding::ConfigureGradScaler>("configureGradScaler"),
                      LiveMethod<&ModelBinding::GetGradScalerState>("getGradScalerState"),
                      LiveMethod<&ModelBinding::LoadGradScalerState>("loadGradScalerState"),
                      LiveMethod<&ModelBinding::Forward>("forward"),
                      LiveMethod<&ModelBinding::ForwardBackward>("forwardBackward"),
                      LiveMethod<&ModelBinding::TakeLoss>("takeLoss"),
                      LiveMethod<&ModelBinding::ClipGradNorm>("clipGradNorm"),
                      LiveMethod<&ModelBinding::ConfigureOptimizer>("configureOptimizer"),
                      LiveMethod<&ModelBinding::Step>("step"),
                      LiveMethod<&ModelBinding::ZeroGrad>("zeroGrad"),
                      LiveMethod<&ModelBinding::GetGradients>("getGradients"),
                      LiveMethod<&ModelBinding::SetGradients>("setGradients"),
                      LiveMethod<&ModelBinding::GetStateDict>("getStateDict"),
                      LiveMethod<&ModelBinding::LoadStateDict>("loadStateDict"),
                      LiveMethod<&ModelBinding::GetOptimizerState>("getOptimizerState"),
                      LiveMethod<&ModelBinding::LoadOptimizerState>("loadOptimizerState"),
                      LiveMethod<&ModelBinding::AttachProcessGroup>("attachProcessGroup"),
                      LiveMethod<&ModelBinding::BroadcastParameters>("broadcastParameters"),
                      LiveMethod<&ModelBinding::GradientSyncStats>("gradientSyncStats"),
                      GuardedMethod<&ModelBinding::Dispose>("dispose")});
}

// new NativeModel(config, task, { device, seed })
ModelBinding::ModelBinding(const Napi::CallbackInfo& info) : GuardedObjectWrap<ModelBinding>(info) {
  js_guard(info.Env(), [&] {
    if (!info[0].IsObject())
      throw std::invalid_argument("NativeModel: config must be an object (HF config.json fields)");
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

NamedTensors ModelBinding::named_parameters() const {
  NamedTensors out;
  for (const auto& item : model_->named_parameters(/*recurse=*/true)) out.emplace_back(item.key(), item.value());
  return out;
}

std::vector<torch::Tensor> ModelBinding::parameters() const {
  std::vector<torch::Tensor> out;
  for (const auto& [name, p] : named_parameters()) out.push_back(p);
  return out;
}

Napi::Value ModelBinding::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
  o.Set("task", task_name(model_->task()));
  o.Set("device", device_.str());
  o.Set("training", model_->is_training());
  o.Set("mixedPrecision",
        autocast_dtype_ ? Napi::Value(Napi::String::New(env, *autocast_dtype_ == torch::kHalf ? "float16" : "bfloat16"))
                        : env.Null());
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
  auto lock = lock_.hold_now("switching train/eval mode");
  model_->train(info[0].ToBoolean().Value());
  return info.Env().Undefined();
}

// setMixedPrecision('bfloat16' | 'float16' | null): forwards (training and inference) run under
// autocast to that dtype; parameters, gradients and optimizer state stay float32.
Napi::Value ModelBinding::SetMixedPrecision(const Napi::CallbackInfo& info) {
  auto lock = lock_.hold_now("changing precision");
  auto dtype = parse_precision(info[0]);
  if (dtype && !at::autocast::is_autocast_available(device_.type()))
    throw std::invalid_argument("autocast is not available on " + device_.str());
  autocast_dtype_ = dtype;
  return info.Env().Undefined();
}

Napi::Value ModelBinding::SetGradientCheckpointing(const Napi::CallbackInfo& info) {
  auto lock = lock_.hold_now("changing gradient checkpointing");
  model_->set_gradient_checkpointing(info[0].ToBoolean().Value());
  return info.Env().Undefined();
}

// forward(batch, { outputHiddenStates, outputAttentions, skipPadding }) -> { loss?, outputs: NamedTensor[] }
Napi::Value ModelBinding::Forward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct Result {
    torch::Tensor loss;
    NamedTensors outputs;
  };
  auto batch = std::make_shared<HostBatch>(batch_from_js(info[0]));
  ForwardOptions options;
  options.output_hidden_states = bool_option(info[1], "outputHiddenStates", false);
  options.output_attentions = bool_option(info[1], "outputAttentions", false);
  options.skip_padding = bool_option(info[1], "skipPadding", true);
  options.masked_lm_full_logits = bool_option(info[1], "maskedLmLogits", true);
  auto result = std::make_shared<Result>();
  return AsyncJob::Start(
      env, Value(),
      [=] {
        auto held = lock_.hold();
        validate_batch(*batch, *model_);
        auto on_device = batch_to_device(*batch, device_);
        torch::NoGradGuard no_grad;
        AutocastGuard autocast(device_.type(), autocast_dtype_);
        auto out = model_->forward(on_device.inputs, on_device.labels, options);
        if (out.loss.defined()) result->loss = out.loss.to(torch::kCPU, torch::kFloat64);
        result->outputs = output_copies(out.tensors);
      },
      [=](Napi::Env env) -> Napi::Value {
        auto o = Napi::Object::New(env);
        if (result->loss.defined()) o.Set("loss", result->loss.item<double>());
        o.Set("outputs", named_tensors_to_js(env, result->outputs));
        return o;
      });
}

// forwardBackward(batch, { lossScale = 1, returnLoss = false, skipPadding = true, syncGradients = true })
//   -> number | undefined
// Gradients accumulate across calls until zeroGrad. With a process group attached, syncGradients
// averages them over all ranks during backward (false: an accumulation micro-step, local only).
// The unscaled loss is summed on the device and read back only by takeLoss(), so a step needs no
// device-to-host sync.
Napi::Value ModelBinding::ForwardBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto batch = std::make_shared<HostBatch>(batch_from_js(info[0]));
  const double loss_scale = number_option(info[1], "lossScale", 1.0);
  const bool return_loss = bool_option(info[1], "returnLoss", false);
  const bool sync_gradients = bool_option(info[1], "syncGradients", true);
  ForwardOptions options;
  options.skip_padding = bool_option(info[1], "skipPadding", true);
  // Training needs the loss only: a masked LM computes logits at its labelled positions alone.
  options.masked_lm_full_logits = false;
  auto loss_value = std::make_shared<double>(0.0);
  return AsyncJob::Start(
      env, Value(),
      [=] {
        auto held = lock_.hold();
        validate_batch(*batch, *model_);
        if (model_->task() == Task::Base)
          throw std::invalid_argument("a base model has no loss: use a task head to train");
        if (!batch->labels.has_targets())
          throw std::invalid_argument(
              "forwardBackward needs labels (startPositions and endPositions for question answering, headLabels for "
              "a multi-head model)");
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
}

// takeLoss() -> { sum, count }: losses since the last call (one host sync), then resets.
Napi::Value ModelBinding::TakeLoss(const Napi::CallbackInfo& info) {
  auto sum = std::make_shared<double>(0.0);
  auto count = std::make_shared<int64_t>(0);
  return AsyncJob::Start(
      info.Env(), Value(),
      [=] {
        auto held = lock_.hold();
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

// attachProcessGroup(group, { bucketCapMb = 25 }): gradients are averaged over the group from now on.
Napi::Value ModelBinding::AttachProcessGroup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsObject()) throw std::invalid_argument("attachProcessGroup needs a NativeProcessGroup");
  auto group = Napi::ObjectWrap<ProcessGroupBinding>::Unwrap(info[0].As<Napi::Object>())->group(env);
  const double cap_mb = number_option(info[1], "bucketCapMb", 25.0);
  if (!(cap_mb > 0)) throw std::invalid_argument("ddp_bucket_cap_mb must be > 0");
  return AsyncJob::Start(
      env, Value(),
      [=] {
        auto held = lock_.hold();
        if (device_.is_cuda() != group->options().device.is_cuda())
          throw std::invalid_argument("the model is on " + device_.str() + " but the process group's backend is " +
                                      group->options().backend + ": use gloo for CPU and nccl for CUDA");
        gradient_sync_.reset();
        gradient_sync_ =
            std::make_shared<GradientSync>(group, parameters(), static_cast<int64_t>(cap_mb * 1024 * 1024));
        group_ = group;
      },
      nullptr);
}

// broadcastParameters(root = 0): every parameter and buffer takes root's values (DDP's start).
Napi::Value ModelBinding::BroadcastParameters(const Napi::CallbackInfo& info) {
  const int root = info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 0;
  return AsyncJob::Start(
      info.Env(), Value(),
      [=] {
        auto held = lock_.hold();
        if (!group_) throw std::invalid_argument("broadcastParameters: attach a process group first");
        torch::NoGradGuard no_grad;
        std::vector<torch::Tensor> tensors;
        for (const auto& p : parameters()) tensors.push_back(p.detach());
        for (const auto& item : model_->named_buffers(/*recurse=*/true)) tensors.push_back(item.value());
        group_->broadcast(tensors, root, "broadcast of the initial parameters from rank " + std::to_string(root));
      },
      nullptr);
}

// gradientSyncStats() -> { buckets, bucketBytes, syncedSteps, exposedWaitMs, bucketsDoneBeforeWait } | null
Napi::Value ModelBinding::GradientSyncStats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto lock = lock_.hold_now("reading gradient sync stats");
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

// dispose() -> Promise<void>: after the jobs already queued, drops every tensor this model holds
// (parameters and their gradients, optimizer and loss scaler state, the running loss, the DDP
// buckets and hooks, the process group reference) and gives the freed memory back to the system
// (common/memory_release.h). Every later call fails with kDisposedModel; disposing again settles
// after the first disposal and does nothing more.
Napi::Value ModelBinding::Dispose(const Napi::CallbackInfo& info) {
  lock_.mark_disposed();
  return AsyncJob::Start(
      info.Env(), Value(),
      [=] {
        bool first = false;
        auto held = lock_.hold_to_release(&first);
        if (!first) return;
        gradient_sync_.reset();  // its hooks and buckets first: they refer to the parameters
        group_.reset();
        optimizer_.reset();
        scaler_.reset();
        loss_sum_ = torch::Tensor();
        loss_count_ = 0;
        model_.reset();
        return_freed_memory(device_);
      },
      nullptr);
}

}  // namespace bertrun
