// The subset of Hugging Face's BertConfig that shapes the network. Its defaults live in one
// place, lib/config/bert_config.ts (BERT_DEFAULTS), which parses config.json and hands every
// field over (nativeConfig()); the binding refuses a config that lacks one. So the members here
// have no defaults of their own: they start zeroed, which no valid config is.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace bertrun {

// One output head of a multi-head model (config.json "bertrun_heads"): a linear layer on the
// pooled output or on every token's state, with its own loss, weighted in the model's sum.
struct HeadSpec {
  std::string name;  // parameters heads.<name>.weight / .bias; output logits.<name>
  // "classification" (pooled, cross-entropy over class ids), "multi-label" (pooled, BCE over
  // multi-hot targets), "regression" (pooled, MSE) or "token-classification" (tokens, cross-entropy).
  std::string kind;
  int64_t num_labels{};
  double loss_weight{};

  bool on_tokens() const { return kind == "token-classification"; }
};

struct BertConfig {
  int64_t vocab_size{};
  int64_t hidden_size{};
  int64_t num_hidden_layers{};
  int64_t num_attention_heads{};
  int64_t intermediate_size{};
  std::string hidden_act;  // one of the names in model/activations.h
  double hidden_dropout_prob{};
  double attention_probs_dropout_prob{};
  int64_t max_position_embeddings{};
  int64_t type_vocab_size{};
  double initializer_range{};
  double layer_norm_eps{};
  int64_t pad_token_id{};
  int64_t num_labels{};
  // Negative means "use hidden_dropout_prob", as HF's classifier_dropout=None does.
  double classifier_dropout{};
  // "", "regression", "single_label_classification" or "multi_label_classification".
  std::string problem_type;
  // Multi-head models only (Task::MultiHead); empty otherwise.
  std::vector<HeadSpec> heads;
};

// Throws std::invalid_argument naming the field when the config cannot build a model.
void validate(const BertConfig& config);

}  // namespace bertrun
