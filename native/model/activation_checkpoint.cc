#include "model/activation_checkpoint.h"

#include <ATen/autocast_mode.h>
#include <ATen/core/ivalue.h>

#include <optional>

#include "common/autocast_guard.h"

namespace bertrun {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// What backward needs to replay the forward: the function, the RNG state it started from and
// the autocast dtype it ran under. Held by the autograd graph as an IValue capsule.
struct Replay : torch::CustomClassHolder {
  std::function<torch::Tensor(const torch::Tensor&)> run;
  torch::Device device{torch::kCPU};
  torch::Tensor cpu_rng_state;
  torch::Tensor device_rng_state;  // CUDA only: dropout there draws from the device generator
  std::optional<c10::ScalarType> autocast_dtype;
};

at::Generator device_generator(const torch::Device& device) { return at::globalContext().defaultGenerator(device); }

torch::Tensor rng_state(at::Generator generator) {
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state();
}

void set_rng_state(at::Generator generator, const torch::Tensor& state) {
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
}

class Checkpoint : public torch::autograd::Function<Checkpoint> {
 public:
  // Function::apply runs this with grad mode off: nothing inside is kept for backward.
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& input, c10::intrusive_ptr<Replay> replay) {
    replay->device = input.device();
    replay->cpu_rng_state = rng_state(at::detail::getDefaultCPUGenerator());
    if (input.is_cuda()) replay->device_rng_state = rng_state(device_generator(input.device()));
    const auto device_type = input.device().type();
    if (at::autocast::is_autocast_enabled(device_type))
      replay->autocast_dtype = at::autocast::get_autocast_dtype(device_type);
    ctx->save_for_backward({input});
    auto output = replay->run(input);
    ctx->saved_data["replay"] = at::IValue::make_capsule(replay);
    return output;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    auto replay = c10::static_intrusive_pointer_cast<Replay>(ctx->saved_data["replay"].toCapsule());
    auto input = ctx->get_saved_variables()[0].detach().requires_grad_(true);
    // Replay with the forward's RNG, then give the generators back the state they have now.
    auto cpu_now = rng_state(at::detail::getDefaultCPUGenerator());
    torch::Tensor device_now;
    if (replay->device_rng_state.defined()) device_now = rng_state(device_generator(replay->device));
    set_rng_state(at::detail::getDefaultCPUGenerator(), replay->cpu_rng_state);
    if (replay->device_rng_state.defined()) set_rng_state(device_generator(replay->device), replay->device_rng_state);
    torch::Tensor output;
    {
      torch::AutoGradMode grad(true);
      AutocastGuard autocast(replay->device.type(), replay->autocast_dtype);
      // A view, not the leaf itself: autocast caches casts of leaves, and a cached cast would sum
      // the input's gradients from query, key, value and residual in bf16 instead of float32.
      output = replay->run(input.view_as(input));
    }
    set_rng_state(at::detail::getDefaultCPUGenerator(), cpu_now);
    if (device_now.defined()) set_rng_state(device_generator(replay->device), device_now);
    // A nested backward through the recomputed piece: parameter gradients accumulate (and fire
    // their hooks, e.g. DDP's bucket all-reduce) as they would without checkpointing.
    torch::autograd::backward({output}, {grad_outputs[0]});
    return {input.grad(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor checkpointed(std::function<torch::Tensor(const torch::Tensor&)> run, const torch::Tensor& input) {
  auto replay = c10::make_intrusive<Replay>();
  replay->run = std::move(run);
  return Checkpoint::apply(input, replay);
}

}  // namespace bertrun
