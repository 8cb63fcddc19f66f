// Linked when the build found no NCCL headers (CPU-only libtorch, or no nvidia-nccl package).
#include "dist/process_group.h"

#include <torch/csrc/distributed/c10d/Backend.hpp>

namespace bertrun {

c10::intrusive_ptr<c10d::Backend> create_nccl_backend(const c10::intrusive_ptr<c10d::Store>&, int, int,
                                                      std::chrono::milliseconds) {
  throw std::invalid_argument(
      "the nccl backend is not in this build of bertrun (no CUDA libtorch or no NCCL headers at build time). "
      "Fix: use --ddp_backend gloo, or rebuild against a CUDA libtorch with the nvidia-nccl package installed.");
}

}  // namespace bertrun
