// The NCCL process group (CUDA tensors), built when libtorch has CUDA and NCCL's headers exist.
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>

#include "dist/process_group.h"

namespace bertrun {

c10::intrusive_ptr<c10d::Backend> create_nccl_backend(const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
                                                      std::chrono::milliseconds timeout) {
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
  return c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, options);
}

}  // namespace bertrun
