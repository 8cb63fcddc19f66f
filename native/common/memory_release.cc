// The libtorch-version difference of return_freed_memory lives here: libtorch >= 2.9 reaches the
// CUDA caching allocator through c10::DeviceAllocator (c10/core/CachingDeviceAllocator.h),
// without CUDA's headers, which the PyPI wheel does not ship. Before 2.9 only
// c10/cuda/CUDACachingAllocator.h offers emptyCache, and it needs cuda_runtime_api.h.
#include "common/memory_release.h"

#include <torch/version.h>

#if defined(BERTRUN_WITH_CUDA) && (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 9))
#define BERTRUN_CAN_EMPTY_CUDA_CACHE 1
#include <c10/core/CachingDeviceAllocator.h>
#endif

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace bertrun {

void return_freed_memory(const torch::Device& device) {
#ifdef BERTRUN_CAN_EMPTY_CUDA_CACHE
  // Releases every cached block no tensor uses (the allocator has no per-device call); blocks a
  // live tensor of another model occupies stay where they are.
  if (device.is_cuda()) c10::getDeviceAllocator(c10::DeviceType::CUDA)->emptyCache();
#endif
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace bertrun
