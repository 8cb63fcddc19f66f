// Gives memory the process has freed back to the system, so that dropping a model's tensors
// shows up in nvidia-smi and in the process's RSS at once rather than staying cached.
#pragma once
#include <torch/torch.h>

namespace bertrun {

// On CUDA: the caching allocator's unused blocks (libtorch >= 2.9, where that needs no CUDA
// headers; older libtorch keeps them cached for the next allocation). On the host: glibc's free
// heap pages (malloc_trim). Safe to call at any time; frees nothing still in use.
void return_freed_memory(const torch::Device& device);

}  // namespace bertrun
