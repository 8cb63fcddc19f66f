// The JS class `NativeModel`: one BERT task model on one device, with its optimizer.
// Every computing method returns a Promise and runs on the compute thread; one job at a time.
// dispose() frees all of it; every other method fails afterwards.
// model_binding.cc: the class, construction, modes, forward/backward and DDP wiring;
// model_training_state_binding.cc: optimizer, loss scaler, step, and state export/import.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <memory>
#include <optional>

#include "bindings/model_job_lock.h"
#include "common/js_guard.h"
#include "common/tensor_convert.h"
#include "dist/gradient_sync.h"
#include "model/heads.h"
#include "train/adamw.h"
#include "train/grad_scaler.h"

namespace bertrun {

class ModelBinding : public GuardedObjectWrap<ModelBinding> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit ModelBinding(const Napi::CallbackInfo& info);

 private:
  // A method of a live model, registered behind the guard: after dispose() it fails at its entry
  // with kDisposedModel (bindings/model_job_lock.h).
  template <Method method>
  static Napi::ClassPropertyDescriptor<ModelBinding> LiveMethod(const char* name) {
    return GuardedMethod<&ModelBinding::CallLive<method>>(name);
  }
  template <Method method>
  Napi::Value CallLive(const Napi::CallbackInfo& info) {
    lock_.require_live();
    return (this->*method)(info);
  }

  // model_binding.cc
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value SetTraining(const Napi::CallbackInfo& info);
  Napi::Value SetMixedPrecision(const Napi::CallbackInfo& info);
  Napi::Value SetGradientCheckpointing(const Napi::CallbackInfo& info);
  Napi::Value Forward(const Napi::CallbackInfo& info);
  Napi::Value ForwardBackward(const Napi::CallbackInfo& info);
  Napi::Value TakeLoss(const Napi::CallbackInfo& info);
  Napi::Value AttachProcessGroup(const Napi::CallbackInfo& info);
  Napi::Value BroadcastParameters(const Napi::CallbackInfo& info);
  Napi::Value GradientSyncStats(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  // model_training_state_binding.cc
  Napi::Value ConfigureOptimizer(const Napi::CallbackInfo& info);
  Napi::Value ConfigureGradScaler(const Napi::CallbackInfo& info);
  Napi::Value ClipGradNorm(const Napi::CallbackInfo& info);
  Napi::Value Step(const Napi::CallbackInfo& info);
  Napi::Value ZeroGrad(const Napi::CallbackInfo& info);
  Napi::Value GetGradients(const Napi::CallbackInfo& info);
  Napi::Value SetGradients(const Napi::CallbackInfo& info);
  Napi::Value GetStateDict(const Napi::CallbackInfo& info);
  Napi::Value LoadStateDict(const Napi::CallbackInfo& info);
  Napi::Value GetOptimizerState(const Napi::CallbackInfo& info);
  Napi::Value LoadOptimizerState(const Napi::CallbackInfo& info);
  Napi::Value GetGradScalerState(const Napi::CallbackInfo& info);
  Napi::Value LoadGradScalerState(const Napi::CallbackInfo& info);

  // State export/import jobs: on the compute thread, under the job lock. Export resolves with host
  // copies of what `collect` returns; import parses info[0] as named tensors (named `what` in
  // errors) and hands them to `apply`, keeping their JS arrays alive until the job ends.
  template <typename Collect>
  Napi::Value ExportNamedTensors(const Napi::CallbackInfo& info, Collect collect);
  template <typename Apply>
  Napi::Value ImportNamedTensors(const Napi::CallbackInfo& info, const char* what, Apply apply);

  NamedTensors named_parameters() const;
  std::vector<torch::Tensor> parameters() const;
  AdamW& optimizer();  // created with defaults on first use

  std::shared_ptr<TaskModel> model_;
  torch::Device device_{torch::kCPU};
  std::unique_ptr<AdamW> optimizer_;
  AdamWOptions optimizer_options_;
  std::optional<c10::ScalarType> autocast_dtype_;  // set: forward runs under autocast to this dtype
  std::unique_ptr<GradScaler> scaler_;             // set: fp16 dynamic loss scaling
  torch::Tensor loss_sum_;                         // running sum of unscaled losses since the last TakeLoss, on device
  int64_t loss_count_ = 0;
  std::shared_ptr<ProcessGroup> group_;
  std::shared_ptr<GradientSync> gradient_sync_;  // DDP: set by attachProcessGroup
  ModelJobLock lock_;
};

}  // namespace bertrun
