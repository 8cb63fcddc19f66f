#include "bindings/process_group_binding.h"

#include <cstring>

#include "common/async_job.h"

namespace bertrun {

namespace {

int int_option(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw std::invalid_argument(std::string("process group option ") + key + " must be a number");
  return v.As<Napi::Number>().Int32Value();
}

// What a collective was for, named in its error message.
std::string label(const Napi::Value& v, const char* fallback) {
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : fallback;
}

}  // namespace

Napi::Function ProcessGroupBinding::Define(Napi::Env env) {
  return DefineClass(env, "NativeProcessGroup",
                     {GuardedMethod<&ProcessGroupBinding::Connect>("connect"),
                      GuardedMethod<&ProcessGroupBinding::AllreduceSum>("allreduceSum"),
                      GuardedMethod<&ProcessGroupBinding::AllgatherBytes>("allgatherBytes"),
                      GuardedMethod<&ProcessGroupBinding::Barrier>("barrier"),
                      GuardedMethod<&ProcessGroupBinding::UnresponsivePeers>("unresponsivePeers")});
}

// new NativeProcessGroup({ rank, worldSize, masterAddr, masterPort, hostStore, storePrefix, timeoutMs, backend, device
// })
ProcessGroupBinding::ProcessGroupBinding(const Napi::CallbackInfo& info)
    : GuardedObjectWrap<ProcessGroupBinding>(info) {
  js_guard(info.Env(), [&] {
    if (!info[0].IsObject()) throw std::invalid_argument("NativeProcessGroup needs an options object");
    auto o = info[0].As<Napi::Object>();
    options_.rank = int_option(o, "rank");
    options_.world_size = int_option(o, "worldSize");
    options_.master_addr = o.Get("masterAddr").ToString().Utf8Value();
    options_.master_port = int_option(o, "masterPort");
    options_.host_store = o.Get("hostStore").ToBoolean().Value();
    options_.store_prefix = o.Get("storePrefix").ToString().Utf8Value();
    options_.timeout =
        std::chrono::milliseconds(static_cast<int64_t>(o.Get("timeoutMs").As<Napi::Number>().DoubleValue()));
    options_.backend = o.Get("backend").ToString().Utf8Value();
    options_.device = torch::Device(o.Get("device").ToString().Utf8Value());
  });
}

std::shared_ptr<ProcessGroup> ProcessGroupBinding::group(Napi::Env env) const {
  if (!*group_) throw Napi::Error::New(env, "the process group is not connected: await connect() first");
  return *group_;
}

Napi::Value ProcessGroupBinding::Connect(const Napi::CallbackInfo& info) {
  auto options = options_;
  auto slot = group_;
  return AsyncJob::Start(info.Env(), Value(), [=] { *slot = std::make_shared<ProcessGroup>(options); }, nullptr);
}

// allreduceSum(Float64Array, what?) -> Float64Array of the element-wise sums over all ranks
Napi::Value ProcessGroupBinding::AllreduceSum(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw Napi::Error::New(env, "allreduceSum needs a Float64Array");
  auto group = this->group(env);
  auto input = info[0].As<Napi::Float64Array>();
  auto what = std::make_shared<std::string>(label(info[1], "all-reduce"));
  auto values = std::make_shared<torch::Tensor>(
      torch::from_blob(input.Data(), {static_cast<int64_t>(input.ElementLength())}, torch::kFloat64).clone());
  return AsyncJob::Start(
      env, Value(),
      [=] {
        auto on_device = values->to(group->options().device);
        group->allreduce_sum(on_device, *what);
        *values = on_device.cpu();
      },
      [=](Napi::Env env) -> Napi::Value {
        auto out = Napi::Float64Array::New(env, values->numel());
        std::memcpy(out.Data(), values->data_ptr<double>(), values->numel() * sizeof(double));
        return out;
      });
}

// allgatherBytes(Uint8Array, what?) -> Uint8Array[] (one per rank, in rank order)
Napi::Value ProcessGroupBinding::AllgatherBytes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::Error::New(env, "allgatherBytes needs a Uint8Array");
  auto group = this->group(env);
  auto input = info[0].As<Napi::Uint8Array>();
  auto what = std::make_shared<std::string>(label(info[1], "all-gather"));
  auto mine = std::make_shared<std::vector<uint8_t>>(input.Data(), input.Data() + input.ElementLength());
  auto gathered = std::make_shared<std::vector<std::vector<uint8_t>>>();
  return AsyncJob::Start(
      env, Value(), [=] { *gathered = group->allgather_bytes(*mine, *what); },
      [=](Napi::Env env) -> Napi::Value {
        auto out = Napi::Array::New(env, gathered->size());
        for (size_t r = 0; r < gathered->size(); ++r) {
          auto bytes = Napi::Uint8Array::New(env, (*gathered)[r].size());
          if (!(*gathered)[r].empty()) std::memcpy(bytes.Data(), (*gathered)[r].data(), (*gathered)[r].size());
          out.Set(static_cast<uint32_t>(r), bytes);
        }
        return out;
      });
}

Napi::Value ProcessGroupBinding::Barrier(const Napi::CallbackInfo& info) {
  auto group = this->group(info.Env());
  return AsyncJob::Start(info.Env(), Value(), [=] { group->barrier(); }, nullptr);
}

// unresponsivePeers(limitMs) -> the message naming a peer (or the store host) silent for limitMs
// while this rank needs it in a collective, or null. Synchronous and cheap: it reads what the
// heartbeat thread saw, never the store, so it answers even when the store does not.
Napi::Value ProcessGroupBinding::UnresponsivePeers(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber() || !(info[0].As<Napi::Number>().DoubleValue() > 0))
    throw Napi::Error::New(env, "unresponsivePeers needs a limit in milliseconds > 0");
  auto limit = std::chrono::milliseconds(static_cast<int64_t>(info[0].As<Napi::Number>().DoubleValue()));
  auto report = group(env)->unresponsive_peers(limit);
  return report ? Napi::String::New(env, *report) : env.Null();
}

}  // namespace bertrun
