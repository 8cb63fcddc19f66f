#include "model/dropout.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

#include <mutex>

namespace bertrun {
namespace {

// SplitMix64's output function: a well-mixed 64-bit value from a counter.
inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ULL;

}  // namespace

uint64_t next_dropout_seed() {
  auto generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  return at::check_generator<at::CPUGeneratorImpl>(generator)->random64();
}

torch::Tensor hashed_dropout_mask(const torch::Tensor& like, double p, uint64_t seed) {
  auto mask =
      torch::empty(like.sizes(), like.options().device(torch::kCPU).memory_format(torch::MemoryFormat::Contiguous));
  const int64_t n = mask.numel();
  // An element is dropped when its 32-bit uniform falls below p * 2^32; one hash gives two elements.
  const uint64_t threshold = static_cast<uint64_t>(p * 4294967296.0);
  const int64_t pairs = (n + 1) / 2;
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, mask.scalar_type(), "bertrun_dropout_mask", [&] {
    scalar_t* out = mask.data_ptr<scalar_t>();
    const scalar_t keep = static_cast<scalar_t>(1.0 / (1.0 - p));
    const scalar_t drop = static_cast<scalar_t>(0);
    at::parallel_for(0, pairs, 16384, [&](int64_t begin, int64_t end) {
      for (int64_t j = begin; j < end; ++j) {
        const uint64_t h = mix64(seed + static_cast<uint64_t>(j + 1) * kGolden);
        out[2 * j] = (h & 0xFFFFFFFFULL) < threshold ? drop : keep;
        if (2 * j + 1 < n) out[2 * j + 1] = (h >> 32) < threshold ? drop : keep;
      }
    });
  });
  return mask;
}

torch::Tensor hashed_dropout(const torch::Tensor& x, double p, bool training) {
  if (!training || p == 0.0) return x;
  if (!x.device().is_cpu()) return torch::dropout(x, p, /*train=*/true);
  return x * hashed_dropout_mask(x, p, next_dropout_seed());
}

}  // namespace bertrun
