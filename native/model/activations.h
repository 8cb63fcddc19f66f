// The activations config.hidden_act may name. The table in activations.cc is the one list:
// the addon exports its names (`activations`), which lib/config/bert_config.ts validates
// hidden_act against, and BertIntermediate applies the function found here.
#pragma once
#include <torch/torch.h>

#include <string>
#include <vector>

namespace bertrun {

using ActivationFunction = torch::Tensor (*)(const torch::Tensor&);

// Every supported name, in the table's order.
std::vector<std::string> activation_names();

// The function hidden_act names; throws std::invalid_argument listing the names when unknown.
ActivationFunction find_activation(const std::string& name);

}  // namespace bertrun
