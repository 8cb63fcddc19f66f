#include "model/bert.h"

#include "model/activation_checkpoint.h"
#include "model/activations.h"
#include "model/dropout.h"

#include <cmath>
#include <stdexcept>

namespace bertrun {
namespace F = torch::nn::functional;

void validate(const BertConfig& c) {
  auto require = [](bool ok, const std::string& message) {
    if (!ok) throw std::invalid_argument("invalid BERT config: " + message);
  };
  require(c.vocab_size > 0, "vocab_size must be > 0");
  require(c.hidden_size > 0, "hidden_size must be > 0");
  require(c.num_hidden_layers >= 0, "num_hidden_layers must be >= 0");
  require(c.num_attention_heads > 0, "num_attention_heads must be > 0");
  require(c.hidden_size % c.num_attention_heads == 0, "hidden_size (" + std::to_string(c.hidden_size) +
                                                          ") must be a multiple of num_attention_heads (" +
                                                          std::to_string(c.num_attention_heads) + ")");
  require(c.intermediate_size > 0, "intermediate_size must be > 0");
  require(c.max_position_embeddings > 0, "max_position_embeddings must be > 0");
  require(c.type_vocab_size > 0, "type_vocab_size must be > 0");
  require(c.num_labels > 0, "num_labels must be > 0");
  require(c.hidden_dropout_prob >= 0 && c.hidden_dropout_prob < 1, "hidden_dropout_prob must be in [0, 1)");
  require(c.attention_probs_dropout_prob >= 0 && c.attention_probs_dropout_prob < 1,
          "attention_probs_dropout_prob must be in [0, 1)");
  require(c.pad_token_id >= 0 && c.pad_token_id < c.vocab_size, "pad_token_id must be in [0, vocab_size)");
  try {
    find_activation(c.hidden_act);
  } catch (const std::invalid_argument& e) {
    require(false, e.what());
  }
}

static torch::nn::LayerNorm make_layer_norm(const BertConfig& c) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden_size}).eps(c.layer_norm_eps));
}

BertEmbeddingsImpl::BertEmbeddingsImpl(const BertConfig& c) : dropout_prob(c.hidden_dropout_prob) {
  word_embeddings = register_module(
      "word_embeddings",
      torch::nn::Embedding(torch::nn::EmbeddingOptions(c.vocab_size, c.hidden_size).padding_idx(c.pad_token_id)));
  position_embeddings =
      register_module("position_embeddings", torch::nn::Embedding(c.max_position_embeddings, c.hidden_size));
  token_type_embeddings =
      register_module("token_type_embeddings", torch::nn::Embedding(c.type_vocab_size, c.hidden_size));
  LayerNorm = register_module("LayerNorm", make_layer_norm(c));
}

torch::Tensor BertEmbeddingsImpl::forward(const torch::Tensor& input_ids, const torch::Tensor& token_type_ids,
                                          const TokenLayout& layout) {
  auto position_ids = layout.position_ids(input_ids.options());
  // Same summation order as HF: (word + token_type) + position.
  auto embeddings =
      word_embeddings(layout.gather_inputs(input_ids)) + token_type_embeddings(layout.gather_inputs(token_type_ids));
  embeddings = embeddings + position_embeddings(position_ids);
  embeddings = LayerNorm(embeddings);
  return hashed_dropout(embeddings, dropout_prob, is_training());
}

BertSelfAttentionImpl::BertSelfAttentionImpl(const BertConfig& c)
    : num_heads(c.num_attention_heads),
      head_size(c.hidden_size / c.num_attention_heads),
      dropout_prob(c.attention_probs_dropout_prob) {
  query = register_module("query", torch::nn::Linear(c.hidden_size, c.hidden_size));
  key = register_module("key", torch::nn::Linear(c.hidden_size, c.hidden_size));
  value = register_module("value", torch::nn::Linear(c.hidden_size, c.hidden_size));
}

torch::Tensor BertSelfAttentionImpl::forward(const torch::Tensor& hidden, const TokenLayout& layout,
                                             const torch::Tensor& additive_mask, torch::Tensor* attention_probs,
                                             bool first_token_only) {
  const int64_t batch = layout.batch();
  // [batch, seq, hidden] -> [batch, heads, seq, head_size]
  auto split_heads = [&](const torch::Tensor& x) {
    return x.view({batch, x.size(1), num_heads, head_size}).transpose(1, 2);
  };
  auto q = split_heads(first_token_only ? query(layout.first_tokens(hidden)) : layout.to_padded(query(hidden)));
  auto k = split_heads(layout.to_padded(key(hidden)));
  auto v = split_heads(layout.to_padded(value(hidden)));
  const double p = is_training() ? dropout_prob : 0.0;  // SDPA does not know the module's mode
  torch::Tensor context;
  // SDPA on CPU with dropout runs the same math as below but draws its mask from libtorch's slow
  // sequential generator (see dropout.h); on CUDA its fused kernels keep dropout inside.
  if (attention_probs == nullptr && (p == 0.0 || !q.device().is_cpu())) {
    context = at::scaled_dot_product_attention(
        q, k, v, additive_mask.defined() ? std::optional<at::Tensor>(additive_mask) : std::nullopt, p);
  } else {
    // Explicit: the caller asked for the probabilities (SDPA does not return them), or CPU dropout.
    auto scores = torch::matmul(q, k.transpose(-1, -2)) / std::sqrt(static_cast<double>(head_size));
    if (additive_mask.defined()) scores = scores + additive_mask;
    auto probs = torch::softmax(scores, -1);
    if (attention_probs != nullptr) *attention_probs = probs;
    context = torch::matmul(hashed_dropout(probs, p, p > 0), v);
  }
  auto merged = context.transpose(1, 2).reshape({batch, q.size(2), num_heads * head_size});
  return first_token_only ? merged : layout.from_padded(merged);
}

BertResidualOutputImpl::BertResidualOutputImpl(int64_t in_features, const BertConfig& c)
    : dropout_prob(c.hidden_dropout_prob) {
  dense = register_module("dense", torch::nn::Linear(in_features, c.hidden_size));
  LayerNorm = register_module("LayerNorm", make_layer_norm(c));
}

torch::Tensor BertResidualOutputImpl::forward(const torch::Tensor& hidden, const torch::Tensor& residual) {
  auto x = hashed_dropout(dense(hidden), dropout_prob, is_training());
  return LayerNorm(x + residual);
}

BertAttentionImpl::BertAttentionImpl(const BertConfig& c) {
  self = register_module("self", BertSelfAttention(c));
  output = register_module("output", BertResidualOutput(c.hidden_size, c));
}

torch::Tensor BertAttentionImpl::forward(const torch::Tensor& hidden, const TokenLayout& layout,
                                         const torch::Tensor& additive_mask, torch::Tensor* attention_probs,
                                         bool first_token_only) {
  auto residual = first_token_only ? layout.first_tokens(hidden) : hidden;
  return output(self(hidden, layout, additive_mask, attention_probs, first_token_only), residual);
}

BertIntermediateImpl::BertIntermediateImpl(const BertConfig& c) : activation(find_activation(c.hidden_act)) {
  dense = register_module("dense", torch::nn::Linear(c.hidden_size, c.intermediate_size));
}

torch::Tensor BertIntermediateImpl::forward(const torch::Tensor& hidden) { return activation(dense(hidden)); }

BertLayerImpl::BertLayerImpl(const BertConfig& c) {
  attention = register_module("attention", BertAttention(c));
  intermediate = register_module("intermediate", BertIntermediate(c));
  output = register_module("output", BertResidualOutput(c.intermediate_size, c));
}

torch::Tensor BertLayerImpl::forward(const torch::Tensor& hidden, const TokenLayout& layout,
                                     const torch::Tensor& additive_mask, torch::Tensor* attention_probs,
                                     bool first_token_only) {
  auto attended = attention(hidden, layout, additive_mask, attention_probs, first_token_only);
  return output(intermediate(attended), attended);
}

BertEncoderImpl::BertEncoderImpl(const BertConfig& c) {
  layer = register_module("layer", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) layer->push_back(BertLayer(c));
}

EncoderOutputs BertEncoderImpl::forward(const torch::Tensor& embeddings, const TokenLayout& layout,
                                        const torch::Tensor& additive_mask, bool output_hidden_states,
                                        bool output_attentions, bool first_token_only) {
  EncoderOutputs out;
  auto hidden = embeddings;
  if (output_hidden_states) out.hidden_states.push_back(layout.to_padded(hidden));
  const size_t last = layer->size() - 1;
  for (size_t i = 0; i < layer->size(); ++i) {
    torch::Tensor probs;
    const bool first_only = first_token_only && i == last;
    auto module = layer->ptr(i);
    // Attention probabilities are an output: a checkpointed layer would not keep them.
    if (gradient_checkpointing && is_training() && torch::GradMode::is_enabled() && !output_attentions &&
        hidden.requires_grad()) {
      hidden = checkpointed(
          [module, layout, additive_mask, first_only](const torch::Tensor& x) {
            return module->as<BertLayer>()->forward(x, layout, additive_mask, nullptr, first_only);
          },
          hidden);
    } else {
      hidden = module->as<BertLayer>()->forward(hidden, layout, additive_mask, output_attentions ? &probs : nullptr,
                                                first_only);
    }
    if (output_hidden_states) out.hidden_states.push_back(first_only ? hidden : layout.to_padded(hidden));
    if (output_attentions) out.attentions.push_back(probs);
  }
  out.last_hidden_state = hidden;
  return out;
}

BertPoolerImpl::BertPoolerImpl(const BertConfig& c) {
  dense = register_module("dense", torch::nn::Linear(c.hidden_size, c.hidden_size));
}

torch::Tensor BertPoolerImpl::forward(const torch::Tensor& hidden) { return torch::tanh(dense(hidden.select(1, 0))); }

BertModelImpl::BertModelImpl(const BertConfig& c, bool add_pooling_layer) : config(c) {
  validate(c);
  embeddings = register_module("embeddings", BertEmbeddings(c));
  encoder = register_module("encoder", BertEncoder(c));
  if (add_pooling_layer) pooler = register_module("pooler", BertPooler(c));
}

// The packed layout when it saves work and changes no output that stays: only with padding, and
// not when a row has no real token (HF then attends uniformly over padding, which packing would
// not reproduce).
static TokenLayout choose_layout(const BertInputs& inputs, bool skip_padding) {
  const int64_t batch = inputs.input_ids.size(0), seq = inputs.input_ids.size(1);
  if (!skip_padding || !inputs.attention_mask.defined()) return TokenLayout::padded(batch, seq);
  auto keep = inputs.mask_on_host().ne(0);
  if (keep.any(1).all().item<bool>() == false) return TokenLayout::padded(batch, seq);
  keep.select(1, 0).fill_(true);  // the pooler (and HF's outputs) read position 0 whatever the mask says
  if (keep.all().item<bool>()) return TokenLayout::padded(batch, seq);
  return TokenLayout::packed(keep).to(inputs.attention_mask.device());
}

BertModelOutputs BertModelImpl::forward(const BertInputs& inputs, bool output_hidden_states, bool output_attentions,
                                        bool first_token_only, bool skip_padding) {
  const int64_t batch = inputs.input_ids.size(0), seq = inputs.input_ids.size(1);
  first_token_only = first_token_only && !encoder->layer->is_empty();
  // Attention probabilities of padded query rows exist only in the padded layout.
  auto layout = choose_layout(inputs, skip_padding && !output_attentions);
  auto token_types = inputs.token_type_ids.defined() ? inputs.token_type_ids : torch::zeros_like(inputs.input_ids);
  auto hidden = embeddings(inputs.input_ids, token_types, layout);
  torch::Tensor additive_mask;
  if (inputs.attention_mask.defined()) {
    // HF's extended mask: 0 where attended, the dtype's lowest value where masked, broadcast over
    // heads and queries. The lowest finite value (not -inf) keeps fully padded rows finite.
    auto keep = inputs.attention_mask.to(hidden.scalar_type()).view({batch, 1, 1, seq});
    const double lowest = hidden.scalar_type() == torch::kFloat64 ? std::numeric_limits<double>::lowest()
                          : hidden.scalar_type() == torch::kFloat32
                              ? static_cast<double>(std::numeric_limits<float>::lowest())
                          : hidden.scalar_type() == torch::kBFloat16 ? -3.3895313892515355e38
                                                                     : -65504.0;
    additive_mask = (1.0 - keep) * lowest;
  }
  auto encoded = encoder(hidden, layout, additive_mask, output_hidden_states, output_attentions, first_token_only);
  BertModelOutputs out;
  out.layout = layout;
  out.last_hidden_state = encoded.last_hidden_state;
  out.hidden_states = std::move(encoded.hidden_states);
  out.attentions = std::move(encoded.attentions);
  if (pooler)
    out.pooler_output = pooler(first_token_only ? out.last_hidden_state : layout.first_tokens(out.last_hidden_state));
  return out;
}

void init_bert_weights(torch::nn::Module& module, const BertConfig& c) {
  torch::NoGradGuard no_grad;
  for (auto& child : module.modules(/*include_self=*/false)) {
    if (auto* linear = child->as<torch::nn::Linear>()) {
      linear->weight.normal_(0.0, c.initializer_range);
      if (linear->bias.defined()) linear->bias.zero_();
    } else if (auto* embedding = child->as<torch::nn::Embedding>()) {
      embedding->weight.normal_(0.0, c.initializer_range);
      const auto& padding_idx = embedding->options.padding_idx();
      if (padding_idx.has_value()) embedding->weight[*padding_idx].zero_();
    } else if (auto* norm = child->as<torch::nn::LayerNorm>()) {
      norm->weight.fill_(1.0);
      norm->bias.zero_();
    }
  }
}

}  // namespace bertrun
