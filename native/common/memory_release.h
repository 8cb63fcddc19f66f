// Host and device memory the process keeps or gives back: a caching CPU allocator for libtorch
// (training steps allocate the same large activation buffers every step; glibc returns such
// blocks to the kernel on free, so each step faulted in gigabytes of fresh pages) and the calls
// that hand freed memory back to the system.
#pragma once
#include <torch/torch.h>

#include <cstddef>

namespace bertrun {

// Makes libtorch's CPU tensors of 1 MiB and more come from a cache of freed blocks (size classes
// eight to an octave). Freed blocks are kept while the cache holds no more than 1.25x the peak of
// live cached-size allocations, so resident memory stays under 2.25x that peak. Idempotent.
// BERTRUN_CPU_ALLOCATOR=system leaves libtorch's own allocator in place.
void install_caching_cpu_allocator();

struct HostCacheStats {
  bool installed;
  std::size_t live_bytes;
  std::size_t cached_bytes;
  std::size_t peak_live_bytes;
  std::size_t hits;
  std::size_t misses;
};
HostCacheStats host_cache_stats();

// On CUDA: the caching allocator's unused blocks (libtorch >= 2.9, where that needs no CUDA
// headers; older libtorch keeps them cached for the next allocation). On the host: the CPU
// cache's free blocks and glibc's free heap pages (malloc_trim). Safe to call at any time; frees
// nothing still in use.
void return_freed_memory(const torch::Device& device);

}  // namespace bertrun
