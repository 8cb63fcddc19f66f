#include "model/activations.h"

#include <stdexcept>

namespace bertrun {
namespace {

torch::Tensor apply_gelu(const torch::Tensor& x) { return torch::gelu(x); }  // exact, erf-based
torch::Tensor apply_gelu_tanh(const torch::Tensor& x) { return torch::gelu(x, "tanh"); }
torch::Tensor apply_relu(const torch::Tensor& x) { return torch::relu(x); }
torch::Tensor apply_silu(const torch::Tensor& x) { return torch::silu(x); }
torch::Tensor apply_tanh(const torch::Tensor& x) { return torch::tanh(x); }

struct Activation {
  const char* name;
  ActivationFunction apply;
};

// Hugging Face's ACT2FN names that BERT checkpoints use.
const Activation kActivations[] = {
    {"gelu", apply_gelu},           {"gelu_new", apply_gelu_tanh}, {"gelu_pytorch_tanh", apply_gelu_tanh},
    {"gelu_fast", apply_gelu_tanh}, {"relu", apply_relu},          {"silu", apply_silu},
    {"swish", apply_silu},          {"tanh", apply_tanh},
};

}  // namespace

std::vector<std::string> activation_names() {
  std::vector<std::string> names;
  for (const auto& a : kActivations) names.emplace_back(a.name);
  return names;
}

ActivationFunction find_activation(const std::string& name) {
  for (const auto& a : kActivations)
    if (name == a.name) return a.apply;
  std::string list;
  for (const auto& a : kActivations) list += (list.empty() ? "" : ", ") + std::string(a.name);
  throw std::invalid_argument("hidden_act '" + name + "' is not supported (use one of " + list + ")");
}

}  // namespace bertrun
