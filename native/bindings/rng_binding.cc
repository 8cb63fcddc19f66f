#include "bindings/rng_binding.h"

#include <ATen/Context.h>
#include <torch/torch.h>

#include <stdexcept>
#include <unordered_map>

#include "common/async_job.h"
#include "common/js_guard.h"
#include "common/tensor_convert.h"
#include "model/dropout.h"

namespace bertrun {
namespace {

// Named generators: "cpu", then "cuda:N" for every visible device.
std::vector<std::pair<std::string, at::Generator>> generators() {
  std::vector<std::pair<std::string, at::Generator>> out;
  out.emplace_back("cpu", at::detail::getDefaultCPUGenerator());
  if (torch::cuda::is_available()) {
    for (int64_t i = 0; i < static_cast<int64_t>(torch::cuda::device_count()); ++i) {
      at::Device device(at::kCUDA, static_cast<c10::DeviceIndex>(i));
      out.emplace_back(device.str(), at::globalContext().defaultGenerator(device));
    }
  }
  return out;
}

// dropoutMask(count, p) -> Float32Array: the mask the encoder's CPU dropout would apply next
// (0 or 1 / (1 - p)), drawn from the same generator. For tests of its statistics.
Napi::Value DropoutMask(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber() || !info[1].IsNumber())
    throw std::invalid_argument("dropoutMask(count, p) needs two numbers");
  const int64_t count = info[0].As<Napi::Number>().Int64Value();
  const double p = info[1].As<Napi::Number>().DoubleValue();
  if (count < 0 || !(p >= 0 && p < 1)) throw std::invalid_argument("dropoutMask: count must be >= 0 and p in [0, 1)");
  auto mask = std::make_shared<torch::Tensor>();
  return AsyncJob::Start(
      info.Env(), Napi::Object::New(info.Env()),
      [mask, count, p] { *mask = hashed_dropout_mask(torch::empty({count}), p, next_dropout_seed()); },
      [mask](Napi::Env env) -> Napi::Value { return typed_array_from_tensor(env, *mask); });
}

Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber()) throw std::invalid_argument("manualSeed(seed) needs a number");
  const auto seed = static_cast<uint64_t>(info[0].As<Napi::Number>().Int64Value());
  return AsyncJob::Start(info.Env(), Napi::Object::New(info.Env()), [seed] { torch::manual_seed(seed); }, nullptr);
}

Napi::Value GetRngState(const Napi::CallbackInfo& info) {
  auto states = std::make_shared<NamedTensors>();
  return AsyncJob::Start(
      info.Env(), Napi::Object::New(info.Env()),
      [states] {
        for (auto& [name, generator] : generators()) {
          std::lock_guard<std::mutex> lock(generator.mutex());
          states->emplace_back(name, generator.get_state());
        }
      },
      [states](Napi::Env env) -> Napi::Value { return named_tensors_to_js(env, *states); });
}

Napi::Value SetRngState(const Napi::CallbackInfo& info) {
  if (!info[0].IsArray()) throw std::invalid_argument("setRngState(states) needs the array getRngState() returned");
  auto incoming = std::make_shared<std::vector<IncomingTensor>>(named_tensors_from_js(info[0], "RNG state"));
  for (const auto& t : *incoming)
    if (t.view.scalar_type() != torch::kUInt8)
      throw std::invalid_argument("RNG state '" + t.name + "': data must be a Uint8Array");
  return AsyncJob::Start(
      info.Env(), Napi::Object::New(info.Env()),
      [incoming] {
        std::unordered_map<std::string, torch::Tensor> states;
        for (const auto& t : *incoming) states[t.name] = t.view;
        auto all = generators();
        // Check every state first: a bad one must not leave the others half-restored.
        for (const auto& [name, state] : states) {
          bool known = false;
          for (const auto& g : all) known = known || g.first == name;
          if (!known) throw std::invalid_argument("RNG state for '" + name + "' but this process has no such device");
        }
        for (auto& [name, generator] : all) {
          auto it = states.find(name);
          if (it == states.end()) continue;
          std::lock_guard<std::mutex> lock(generator.mutex());
          generator.set_state(it->second);
        }
      },
      [incoming](Napi::Env env) -> Napi::Value { return env.Undefined(); });
}

}  // namespace

void register_rng_functions(Napi::Env env, Napi::Object exports) {
  exports.Set("manualSeed", guarded_function<&ManualSeed>(env, "manualSeed"));
  exports.Set("dropoutMask", guarded_function<&DropoutMask>(env, "dropoutMask"));
  exports.Set("getRngState", guarded_function<&GetRngState>(env, "getRngState"));
  exports.Set("setRngState", guarded_function<&SetRngState>(env, "setRngState"));
}

}  // namespace bertrun
