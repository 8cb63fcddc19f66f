// The JS class `NativeProcessGroup`: this process's c10d group (see dist/process_group.h).
// connect() rendezvouses on the compute thread; every collective is a Promise.
#pragma once
#include <napi.h>

#include <memory>

#include "common/js_guard.h"
#include "dist/process_group.h"

namespace bertrun {

class ProcessGroupBinding : public GuardedObjectWrap<ProcessGroupBinding> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit ProcessGroupBinding(const Napi::CallbackInfo& info);

  // The connected group; throws a JS error if connect() has not finished.
  std::shared_ptr<ProcessGroup> group(Napi::Env env) const;

 private:
  Napi::Value Connect(const Napi::CallbackInfo& info);
  Napi::Value AllreduceSum(const Napi::CallbackInfo& info);
  Napi::Value AllgatherBytes(const Napi::CallbackInfo& info);
  Napi::Value Barrier(const Napi::CallbackInfo& info);
  Napi::Value UnresponsivePeers(const Napi::CallbackInfo& info);

  ProcessGroupOptions options_;
  std::shared_ptr<std::shared_ptr<ProcessGroup>> group_ = std::make_shared<std::shared_ptr<ProcessGroup>>();
};

}  // namespace bertrun
