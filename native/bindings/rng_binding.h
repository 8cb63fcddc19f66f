// Process-wide random state (CPU and each CUDA device), for seeding and exact resume.
#pragma once
#include <napi.h>

namespace bertrun {

// manualSeed(seed) -> Promise<void>; getRngState() -> Promise<NamedTensor[]>;
// setRngState(tensors) -> Promise<void>. They run on the compute thread, in order with model
// jobs, so a state is never read or replaced while a dropout mask is being drawn.
void register_rng_functions(Napi::Env env, Napi::Object exports);

}  // namespace bertrun
