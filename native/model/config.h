// The subset of Hugging Face's BertConfig that shapes the network. Parsed from config.json in
// TypeScript (lib/config/bert_config.ts) and handed over field by field.
#pragma once
#include <string>

namespace bertrun {

struct BertConfig {
  int64_t vocab_size = 30522;
  int64_t hidden_size = 768;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t intermediate_size = 3072;
  std::string hidden_act = "gelu";
  double hidden_dropout_prob = 0.1;
  double attention_probs_dropout_prob = 0.1;
  int64_t max_position_embeddings = 512;
  int64_t type_vocab_size = 2;
  double initializer_range = 0.02;
  double layer_norm_eps = 1e-12;
  int64_t pad_token_id = 0;
  int64_t num_labels = 2;
  // Negative means "use hidden_dropout_prob", as HF's classifier_dropout=None does.
  double classifier_dropout = -1.0;
  // "", "regression", "single_label_classification" or "multi_label_classification".
  std::string problem_type;
};

// Throws std::invalid_argument naming the field when the config cannot build a model.
void validate(const BertConfig& config);

}  // namespace bertrun
