// Precompiled for every translation unit: torch's headers dominate the build time.
#pragma once
// clang-format off
#include "common/glibc_floor.h"  // first: it changes how the standard headers below compile
#include <torch/torch.h>
// clang-format on
