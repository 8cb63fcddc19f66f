// Dropout for the encoder. On CPU the mask comes from a counter-based hash of (seed, element
// index), computed in parallel: libtorch's CPU dropout draws every element from one sequential
// Mersenne Twister (~10 ns each), which made attention dropout alone cost more than the
// attention matmuls. The seed is one draw from libtorch's default CPU generator, so
// manual_seed and saved RNG states reproduce the masks exactly. CUDA keeps libtorch's dropout.
#pragma once
#include <torch/torch.h>

#include <cstdint>

namespace bertrun {

// x * mask / (1 - p) in training, x unchanged otherwise.
torch::Tensor hashed_dropout(const torch::Tensor& x, double p, bool training);

// The keep mask scaled by 1 / (1 - p) (elements 0 or 1 / (1 - p)), shaped like `like`.
torch::Tensor hashed_dropout_mask(const torch::Tensor& like, double p, uint64_t seed);

// The next dropout seed from libtorch's default CPU generator.
uint64_t next_dropout_seed();

}  // namespace bertrun
