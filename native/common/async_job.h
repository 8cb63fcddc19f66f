// Runs a piece of native work on the compute thread and settles a Promise with its result on
// the JS thread. Any exception thrown by the work (or by settle) becomes a rejection with the
// same Error the guard gives a synchronous call (common/js_guard.h).
#pragma once
#include <ATen/Parallel.h>
#include <napi.h>

#include <functional>
#include <string>

#include "common/compute_thread.h"
#include "common/error_message.h"
#include "common/js_guard.h"

namespace bertrun {

class AsyncJob {
 public:
  using Work = std::function<void()>;
  using Settle = std::function<Napi::Value(Napi::Env)>;

  // receiver: the JS object that owns the native state; kept alive until the job settles.
  static Napi::Promise Start(Napi::Env env, const Napi::Object& receiver, Work work, Settle settle) {
    auto* job = new AsyncJob(env, receiver, std::move(work), std::move(settle));
    auto promise = job->deferred_.Promise();
    // The threadsafe function also keeps the event loop alive until the job settles.
    auto done = Completion::New(env, "bertrun:job", 0, 1);
    run_on_compute_thread([job, done]() mutable {
      try {
        // OpenMP's thread count is per thread: adopt the process-wide setting (it may have changed).
        at::init_num_threads();
        job->work_();
      } catch (...) {
        job->failed_ = true;
        job->error_ = describe_error(std::current_exception());
      }
      done.BlockingCall(job);
      done.Release();
    });
    return promise;
  }

 private:
  AsyncJob(Napi::Env env, const Napi::Object& receiver, Work work, Settle settle)
      : receiver_(Napi::Persistent(receiver)),
        deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)),
        settle_(std::move(settle)) {}

  static void Finish(Napi::Env env, Napi::Function, std::nullptr_t*, AsyncJob* job) {
    if (env != nullptr) job->SettleOnJsThread(env);
    delete job;
  }
  using Completion = Napi::TypedThreadSafeFunction<std::nullptr_t, AsyncJob, Finish>;

  void SettleOnJsThread(Napi::Env env) {
    Napi::HandleScope scope(env);
    if (failed_) {
      deferred_.Reject(js_error(env, error_).Value());
      return;
    }
    try {
      deferred_.Resolve(settle_ ? settle_(env) : env.Undefined());
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (...) {
      deferred_.Reject(js_error(env, describe_error(std::current_exception())).Value());
    }
  }

  Napi::ObjectReference receiver_;
  Napi::Promise::Deferred deferred_;
  Work work_;
  Settle settle_;
  bool failed_ = false;
  NativeError error_;
};

}  // namespace bertrun
