// Activation (gradient) checkpointing: run a piece of the network without keeping its
// intermediate activations, and run it again during backward to get them. Saves the memory of
// everything inside the piece (for a BERT layer: attention scores and probabilities, the 4x
// wide intermediate) at the cost of one more forward of it.
//
// The recomputation must see what the first run saw: the same dropout draws (the RNG state of
// the input's device is saved and restored around it) and the same autocast state (backward
// runs outside the forward's autocast scope, so it is re-entered).
#pragma once
#include <torch/torch.h>

#include <functional>

namespace bertrun {

// run(input) with its activations recomputed in backward. Gradients reach the parameters `run`
// uses through the usual accumulation (and their hooks); the input receives its gradient.
torch::Tensor checkpointed(std::function<torch::Tensor(const torch::Tensor&)> run, const torch::Tensor& input);

}  // namespace bertrun
