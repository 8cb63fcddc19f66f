// Precompiled for every translation unit: torch's headers dominate the build time.
#pragma once
#include <torch/torch.h>
