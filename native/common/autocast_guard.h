// Mixed-precision autocast for one scope, on the calling thread. libtorch has no public C++
// guard (Python's torch.autocast is the only one), so this mirrors what it does: enable the
// device's autocast dispatch key with the wanted dtype, count nesting, and clear the cast cache
// when the outermost guarded scope ends. Without that clear, casts of weights made in one step
// would be reused in the next, after the optimizer has changed the weights.
#pragma once
#include <ATen/autocast_mode.h>
#include <c10/core/DeviceType.h>
#include <c10/core/ScalarType.h>

#include <optional>

namespace bertrun {

class AutocastGuard {
 public:
  // dtype empty: autocast stays as it is (fp32 runs pass through untouched).
  AutocastGuard(c10::DeviceType device, std::optional<c10::ScalarType> dtype)
      : device_(device), active_(dtype.has_value()) {
    if (!active_) return;
    previous_enabled_ = at::autocast::is_autocast_enabled(device_);
    previous_dtype_ = at::autocast::get_autocast_dtype(device_);
    at::autocast::set_autocast_enabled(device_, true);
    at::autocast::set_autocast_dtype(device_, *dtype);
    at::autocast::increment_nesting();
  }

  ~AutocastGuard() {
    if (!active_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_autocast_enabled(device_, previous_enabled_);
    at::autocast::set_autocast_dtype(device_, previous_dtype_);
  }

  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

 private:
  c10::DeviceType device_;
  bool active_;
  bool previous_enabled_ = false;
  c10::ScalarType previous_dtype_ = c10::ScalarType::Float;
};

}  // namespace bertrun
