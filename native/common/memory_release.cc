// The libtorch-version difference of return_freed_memory lives here: libtorch >= 2.9 reaches the
// CUDA caching allocator through c10::DeviceAllocator (c10/core/CachingDeviceAllocator.h),
// without CUDA's headers, which the PyPI wheel does not ship. Before 2.9 only
// c10/cuda/CUDACachingAllocator.h offers emptyCache, and it needs cuda_runtime_api.h.
#include "common/memory_release.h"

#include <c10/core/CPUAllocator.h>
#include <torch/version.h>

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#if defined(BERTRUN_WITH_CUDA) && (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 9))
#define BERTRUN_CAN_EMPTY_CUDA_CACHE 1
#include <c10/core/CachingDeviceAllocator.h>
#endif

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace bertrun {
namespace {

constexpr std::size_t kMinCachedBytes = std::size_t{1} << 20;
constexpr std::size_t kAlignment = 64;  // c10's gAlignment: what vectorised kernels assume

// The size class of n >= kMinCachedBytes: n rounded up to one of eight steps per power of two,
// so buffers whose size varies a little (dynamic padding) still share blocks; waste < 12.5%.
std::size_t size_class(std::size_t n) {
  std::size_t octave = std::size_t{1} << (63 - __builtin_clzll(n));
  std::size_t step = octave / 8;
  return (n + step - 1) / step * step;
}

class CachingCpuAllocator final : public c10::Allocator {
 public:
  explicit CachingCpuAllocator(c10::Allocator* fallback) : fallback_(fallback) {}

  c10::DataPtr allocate(std::size_t n) override {
    if (n < kMinCachedBytes) return fallback_->allocate(n);
    std::size_t size = size_class(n);
    void* ptr = take_cached(size);
    if (ptr == nullptr) ptr = allocate_fresh(size);
    return {ptr, ptr, &Release, c10::Device(c10::DeviceType::CPU)};
  }

  // raw_allocate / raw_deallocate (kernels' scratch buffers) free through this: small blocks went to
  // the fallback allocator, whose deleter frees them.
  c10::DeleterFnPtr raw_deleter() const override { return &Release; }

  void copy_data(void* dest, const void* src, std::size_t count) const override { std::memcpy(dest, src, count); }

  void empty_cache() {
    std::lock_guard<std::mutex> lock(mutex_);
    release_all_cached_locked();
  }

  HostCacheStats stats() {
    std::lock_guard<std::mutex> lock(mutex_);
    return {true, live_bytes_, cached_bytes_, peak_live_bytes_, hits_, misses_};
  }

 private:
  static void Release(void* ptr);

  void* take_cached(std::size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = free_.find(size);
    if (it == free_.end() || it->second.empty()) return nullptr;
    void* ptr = it->second.back();
    it->second.pop_back();
    cached_bytes_ -= size;
    note_live_locked(ptr, size);
    ++hits_;
    return ptr;
  }

  void* allocate_fresh(std::size_t size) {
    void* ptr = nullptr;
    if (posix_memalign(&ptr, kAlignment, size) != 0) {
      // Out of memory: what the cache holds may be enough once returned.
      empty_cache();
      int err = posix_memalign(&ptr, kAlignment, size);
      // The same error, and words, as libtorch's own CPU allocator (callers recognise both).
      TORCH_CHECK_WITH(OutOfMemoryError, err == 0, "CachingCpuAllocator: can't allocate memory: you tried to allocate ",
                       size, " bytes. Error code ", err, " (", std::strerror(err), ")");
    }
    std::lock_guard<std::mutex> lock(mutex_);
    note_live_locked(ptr, size);
    ++misses_;
    return ptr;
  }

  void note_live_locked(void* ptr, std::size_t size) {
    live_[ptr] = size;
    live_bytes_ += size;
    if (live_bytes_ > peak_live_bytes_) peak_live_bytes_ = live_bytes_;
  }

  void give_back(void* ptr) {
    std::unique_lock<std::mutex> lock(mutex_);
    auto it = live_.find(ptr);
    if (it == live_.end()) {
      lock.unlock();
      fallback_->raw_deleter()(ptr);
      return;
    }
    std::size_t size = it->second;
    live_.erase(it);
    live_bytes_ -= size;
    // Keep at most 1.25x the peak of live bytes: the next step needs what the last one did (its
    // blocks, not all live at once, sum to a little more than the peak); beyond that, give back.
    if (cached_bytes_ + size <= peak_live_bytes_ + peak_live_bytes_ / 4) {
      free_[size].push_back(ptr);
      cached_bytes_ += size;
    } else {
      std::free(ptr);
    }
  }

  void release_all_cached_locked() {
    for (auto& [size, blocks] : free_) {
      for (void* ptr : blocks) std::free(ptr);
    }
    free_.clear();
    cached_bytes_ = 0;
    // Later steps may be smaller (evaluation after training): the bound follows what is live now.
    peak_live_bytes_ = live_bytes_;
  }

  c10::Allocator* fallback_;
  std::mutex mutex_;
  std::unordered_map<void*, std::size_t> live_;
  std::unordered_map<std::size_t, std::vector<void*>> free_;
  std::size_t live_bytes_ = 0;
  std::size_t cached_bytes_ = 0;
  std::size_t peak_live_bytes_ = 0;
  std::size_t hits_ = 0;
  std::size_t misses_ = 0;
};

// Never destroyed: tensors freed during process exit still call Release.
CachingCpuAllocator* g_allocator = nullptr;

void CachingCpuAllocator::Release(void* ptr) { g_allocator->give_back(ptr); }

}  // namespace

void install_caching_cpu_allocator() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* choice = std::getenv("BERTRUN_CPU_ALLOCATOR");
    if (choice != nullptr && std::strcmp(choice, "system") == 0) return;
    g_allocator = new CachingCpuAllocator(c10::GetDefaultCPUAllocator());
    // Priority above the default allocator's registration (0), so libtorch's at::empty uses it.
    c10::SetCPUAllocator(g_allocator, 1);
  });
}

HostCacheStats host_cache_stats() {
  if (g_allocator == nullptr) return {false, 0, 0, 0, 0, 0};
  return g_allocator->stats();
}

void return_freed_memory(const torch::Device& device) {
#ifdef BERTRUN_CAN_EMPTY_CUDA_CACHE
  // Releases every cached block no tensor uses (the allocator has no per-device call); blocks a
  // live tensor of another model occupies stay where they are.
  if (device.is_cuda()) c10::getDeviceAllocator(c10::DeviceType::CUDA)->emptyCache();
#endif
  if (g_allocator != nullptr) g_allocator->empty_cache();
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

}  // namespace bertrun
