// Runs a piece of native work on the libuv thread pool and settles a Promise with its result.
// Any exception thrown by the work becomes a rejection with an actionable message.
#pragma once
#include <ATen/Parallel.h>
#include <napi.h>

#include <functional>

#include "common/error_message.h"

namespace bertrun {

class AsyncJob : public Napi::AsyncWorker {
 public:
  using Work = std::function<void()>;
  using Settle = std::function<Napi::Value(Napi::Env)>;

  // receiver: the JS object that owns the native state; kept alive until the job settles.
  static Napi::Promise Start(Napi::Env env, const Napi::Object& receiver, Work work, Settle settle) {
    auto* job = new AsyncJob(env, receiver, std::move(work), std::move(settle));
    auto promise = job->deferred_.Promise();
    job->Queue();
    return promise;
  }

 protected:
  void Execute() override {
    try {
      // OpenMP's thread count is per thread: a pool thread must adopt the process-wide setting.
      at::init_num_threads();
      work_();
    } catch (...) {
      SetError(describe_exception(std::current_exception()));
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    try {
      deferred_.Resolve(settle_ ? settle_(env) : env.Undefined());
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (...) {
      deferred_.Reject(Napi::Error::New(env, describe_exception(std::current_exception())).Value());
    }
  }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  AsyncJob(Napi::Env env, const Napi::Object& receiver, Work work, Settle settle)
      : Napi::AsyncWorker(env, "bertrun:job"),
        receiver_(Napi::Persistent(receiver)),
        deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)),
        settle_(std::move(settle)) {}

  Napi::ObjectReference receiver_;
  Napi::Promise::Deferred deferred_;
  Work work_;
  Settle settle_;
};

}  // namespace bertrun
