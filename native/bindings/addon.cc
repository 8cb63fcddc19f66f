// Registers the addon's exports: the NativeModel and NativeProcessGroup classes, process-wide
// libtorch settings and random state, and the names config.hidden_act may take. Every function
// is registered behind the exception guard (common/js_guard.h).
#include <ATen/Parallel.h>
#include <napi.h>
#include <torch/torch.h>

#include <stdexcept>

#include "bindings/model_binding.h"
#include "bindings/process_group_binding.h"
#include "bindings/rng_binding.h"
#include "common/js_guard.h"
#include "common/memory_release.h"
#include "model/activations.h"

#ifndef BERTRUN_TORCH_VERSION
#define BERTRUN_TORCH_VERSION "unknown"
#endif

namespace bertrun {
namespace {

Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto o = Napi::Object::New(env);
  o.Set("torchVersion", BERTRUN_TORCH_VERSION);
#ifdef BERTRUN_WITH_CUDA
  o.Set("builtWithCuda", true);
#else
  o.Set("builtWithCuda", false);
#endif
#ifdef BERTRUN_WITH_NCCL
  o.Set("builtWithNccl", true);
#else
  o.Set("builtWithNccl", false);
#endif
  o.Set("cudaAvailable", torch::cuda::is_available());
  o.Set("cudaDeviceCount", Napi::Number::New(env, static_cast<double>(torch::cuda::device_count())));
  o.Set("numThreads", Napi::Number::New(env, at::get_num_threads()));
  o.Set("parallelInfo", at::get_parallel_info());
  o.Set("config", at::show_config());
  auto cache = host_cache_stats();
  auto host = Napi::Object::New(env);
  host.Set("caching", cache.installed);
  host.Set("liveBytes", Napi::Number::New(env, static_cast<double>(cache.live_bytes)));
  host.Set("cachedBytes", Napi::Number::New(env, static_cast<double>(cache.cached_bytes)));
  host.Set("peakLiveBytes", Napi::Number::New(env, static_cast<double>(cache.peak_live_bytes)));
  host.Set("hits", Napi::Number::New(env, static_cast<double>(cache.hits)));
  host.Set("misses", Napi::Number::New(env, static_cast<double>(cache.misses)));
  o.Set("hostAllocator", host);
  return o;
}

Napi::Value SetNumThreads(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber() || info[0].As<Napi::Number>().Int32Value() < 1)
    throw std::invalid_argument("setNumThreads(n) needs an integer n >= 1");
  at::set_num_threads(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

// The supported hidden_act names (model/activations.h), a frozen array.
Napi::Array ActivationNames(Napi::Env env) {
  auto names = Napi::Array::New(env);
  uint32_t i = 0;
  for (const auto& name : activation_names()) names.Set(i++, name);
  names.Freeze();
  return names;
}

}  // namespace
}  // namespace bertrun

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  using namespace bertrun;
  return js_guard(env, [&] {
    install_caching_cpu_allocator();
    exports.Set("NativeModel", ModelBinding::Define(env));
    exports.Set("NativeProcessGroup", ProcessGroupBinding::Define(env));
    exports.Set("buildInfo", guarded_function<&BuildInfo>(env, "buildInfo"));
    exports.Set("setNumThreads", guarded_function<&SetNumThreads>(env, "setNumThreads"));
    exports.Set("activations", ActivationNames(env));
    register_rng_functions(env, exports);
    return exports;
  });
}

NODE_API_MODULE(bertrun_addon, InitAddon)
