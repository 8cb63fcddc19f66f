// Total-norm gradient clipping, as torch.nn.utils.clip_grad_norm_ (L2, foreach).
#pragma once
#include <torch/torch.h>

#include <vector>

namespace bertrun {

// Returns the total L2 norm of all gradients before clipping, as a 0-d tensor on the
// gradients' device (no host sync). Scales gradients by max_norm / (norm + 1e-6) when that is < 1.
// max_norm <= 0 only measures.
torch::Tensor clip_grad_norm(const std::vector<torch::Tensor>& parameters, double max_norm);

}  // namespace bertrun
