// BERT encoder modules, one per Hugging Face role, registered under HF's state_dict names
// (embeddings.word_embeddings.weight, encoder.layer.0.attention.self.query.weight, ...).
#pragma once
#include <torch/torch.h>

#include <optional>
#include <vector>

#include "model/activations.h"
#include "model/config.h"
#include "model/token_layout.h"

namespace bertrun {

struct BertEmbeddingsImpl : torch::nn::Module {
  explicit BertEmbeddingsImpl(const BertConfig& config);
  // Token rows in `layout` (see token_layout.h).
  torch::Tensor forward(const torch::Tensor& input_ids, const torch::Tensor& token_type_ids, const TokenLayout& layout);

  torch::nn::Embedding word_embeddings{nullptr}, position_embeddings{nullptr}, token_type_embeddings{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
  double dropout_prob;
};
TORCH_MODULE(BertEmbeddings);

struct BertSelfAttentionImpl : torch::nn::Module {
  explicit BertSelfAttentionImpl(const BertConfig& config);
  // hidden: token rows in `layout`. additive_mask: [batch, 1, 1, seq] with 0 for real tokens and
  // a large negative for padding, or undefined when there is no padding. attention_probs
  // (optional out) receives the softmax. first_token_only: queries from position 0 alone (keys
  // and values from every position); the result is then [batch, 1, hidden].
  torch::Tensor forward(const torch::Tensor& hidden, const TokenLayout& layout, const torch::Tensor& additive_mask,
                        torch::Tensor* attention_probs, bool first_token_only = false);

  torch::nn::Linear query{nullptr}, key{nullptr}, value{nullptr};
  int64_t num_heads, head_size;
  double dropout_prob;
};
TORCH_MODULE(BertSelfAttention);

// Dense + dropout + residual LayerNorm: HF's BertSelfOutput and BertOutput share this shape.
struct BertResidualOutputImpl : torch::nn::Module {
  BertResidualOutputImpl(int64_t in_features, const BertConfig& config);
  torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& residual);

  torch::nn::Linear dense{nullptr};
  torch::nn::LayerNorm LayerNorm{nullptr};
  double dropout_prob;
};
TORCH_MODULE(BertResidualOutput);

struct BertAttentionImpl : torch::nn::Module {
  explicit BertAttentionImpl(const BertConfig& config);
  torch::Tensor forward(const torch::Tensor& hidden, const TokenLayout& layout, const torch::Tensor& additive_mask,
                        torch::Tensor* attention_probs, bool first_token_only = false);

  BertSelfAttention self{nullptr};
  BertResidualOutput output{nullptr};
};
TORCH_MODULE(BertAttention);

struct BertIntermediateImpl : torch::nn::Module {
  explicit BertIntermediateImpl(const BertConfig& config);
  torch::Tensor forward(const torch::Tensor& hidden);

  torch::nn::Linear dense{nullptr};
  ActivationFunction activation;  // config.hidden_act's
};
TORCH_MODULE(BertIntermediate);

struct BertLayerImpl : torch::nn::Module {
  explicit BertLayerImpl(const BertConfig& config);
  // first_token_only: the output holds position 0 alone ([batch, 1, hidden]).
  torch::Tensor forward(const torch::Tensor& hidden, const TokenLayout& layout, const torch::Tensor& additive_mask,
                        torch::Tensor* attention_probs, bool first_token_only = false);

  BertAttention attention{nullptr};
  BertIntermediate intermediate{nullptr};
  BertResidualOutput output{nullptr};
};
TORCH_MODULE(BertLayer);

struct EncoderOutputs {
  torch::Tensor last_hidden_state;           // token rows in the layout, or [batch, 1, hidden]
  std::vector<torch::Tensor> hidden_states;  // embeddings output + each layer, when requested
  std::vector<torch::Tensor> attentions;     // per layer [batch, heads, seq, seq], when requested
};

struct BertEncoderImpl : torch::nn::Module {
  explicit BertEncoderImpl(const BertConfig& config);
  // first_token_only: the last layer computes position 0 alone (all a pooler reads), so
  // last_hidden_state is [batch, 1, hidden]. Exact for every output that depends on [CLS] only.
  EncoderOutputs forward(const torch::Tensor& embeddings, const TokenLayout& layout, const torch::Tensor& additive_mask,
                         bool output_hidden_states, bool output_attentions, bool first_token_only = false);

  torch::nn::ModuleList layer;
  // Recompute each layer's activations in backward instead of keeping them (training only).
  bool gradient_checkpointing = false;
};
TORCH_MODULE(BertEncoder);

struct BertPoolerImpl : torch::nn::Module {
  explicit BertPoolerImpl(const BertConfig& config);
  torch::Tensor forward(const torch::Tensor& hidden);

  torch::nn::Linear dense{nullptr};
};
TORCH_MODULE(BertPooler);

struct BertInputs {
  torch::Tensor input_ids;       // int64 [batch, seq]
  torch::Tensor token_type_ids;  // int64 [batch, seq]
  torch::Tensor attention_mask;  // int64 [batch, seq], 1 = real token; undefined = no padding
  // The mask's CPU original when the inputs live on a GPU: decisions about the layout read it,
  // so a step never waits for the device to answer a question the host can.
  torch::Tensor host_attention_mask;

  const torch::Tensor& mask_on_host() const {
    return host_attention_mask.defined() ? host_attention_mask : attention_mask;
  }
};

struct BertModelOutputs {
  TokenLayout layout = TokenLayout::padded(0, 0);
  // Token rows in `layout` (layout.to_padded gives [batch, seq, hidden]), or [batch, 1, hidden]
  // with first_token_only.
  torch::Tensor last_hidden_state;
  torch::Tensor pooler_output;  // undefined without a pooler
  std::vector<torch::Tensor> hidden_states;
  std::vector<torch::Tensor> attentions;
};

struct BertModelImpl : torch::nn::Module {
  BertModelImpl(const BertConfig& config, bool add_pooling_layer);
  // skip_padding: compute only real tokens (packed layout) when the batch has padding; real
  // positions and position 0 come out unchanged. hidden_states are always padded.
  BertModelOutputs forward(const BertInputs& inputs, bool output_hidden_states = false, bool output_attentions = false,
                           bool first_token_only = false, bool skip_padding = false);

  BertConfig config;
  BertEmbeddings embeddings{nullptr};
  BertEncoder encoder{nullptr};
  BertPooler pooler{nullptr};
};
TORCH_MODULE(BertModel);

// HF's _init_weights: Linear/Embedding weights ~ N(0, initializer_range), biases 0,
// the padding row of word embeddings 0, LayerNorm weight 1 and bias 0.
void init_bert_weights(torch::nn::Module& module, const BertConfig& config);

}  // namespace bertrun
