#include "model/heads.h"

#include "model/dropout.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>

namespace bertrun {
namespace F = torch::nn::functional;

Task parse_task(const std::string& name) {
  if (name == "base") return Task::Base;
  if (name == "sequence-classification") return Task::SequenceClassification;
  if (name == "question-answering") return Task::QuestionAnswering;
  if (name == "token-classification") return Task::TokenClassification;
  if (name == "masked-lm") return Task::MaskedLM;
  if (name == "multi-head") return Task::MultiHead;
  throw std::invalid_argument(
      "unknown task '" + name +
      "' (use base, sequence-classification, question-answering, token-classification, masked-lm or multi-head)");
}

std::string task_name(Task task) {
  switch (task) {
    case Task::Base:
      return "base";
    case Task::SequenceClassification:
      return "sequence-classification";
    case Task::QuestionAnswering:
      return "question-answering";
    case Task::TokenClassification:
      return "token-classification";
    case Task::MaskedLM:
      return "masked-lm";
    case Task::MultiHead:
      return "multi-head";
  }
  return "unknown";
}

static void validate_heads(const std::vector<HeadSpec>& heads) {
  auto fail = [](const std::string& message) { throw std::invalid_argument("invalid bertrun_heads: " + message); };
  if (heads.empty()) fail("a multi-head model needs at least one head");
  for (size_t i = 0; i < heads.size(); ++i) {
    const auto& h = heads[i];
    const std::string where = "head " + std::to_string(i) + " (\"" + h.name + "\")";
    if (h.name.empty()) fail("head " + std::to_string(i) + " has an empty name");
    for (char ch : h.name)
      if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_')
        fail(where + ": names may hold only letters, digits and _ (they become parameter names)");
    for (size_t j = 0; j < i; ++j)
      if (heads[j].name == h.name) fail("two heads are named \"" + h.name + "\"");
    if (h.kind != "classification" && h.kind != "multi-label" && h.kind != "regression" &&
        h.kind != "token-classification")
      fail(where + ": type \"" + h.kind +
           "\" is not one of classification, multi-label, regression, token-classification");
    if (h.num_labels < 1) fail(where + ": num_labels must be >= 1");
    if (!(h.loss_weight >= 0) || !std::isfinite(h.loss_weight))
      fail(where + ": loss_weight must be a finite number >= 0");
  }
}

bool TaskModel::decays(const std::string& name) {
  return name.find("bias") == std::string::npos && name.find("LayerNorm.weight") == std::string::npos;
}

TaskModel::TaskModel(Task task, const BertConfig& config)
    : task_(task),
      config_(config),
      classifier_dropout_(config.classifier_dropout >= 0 ? config.classifier_dropout : config.hidden_dropout_prob) {
  validate(config);
  if (task == Task::MultiHead) validate_heads(config.heads);
  const bool pooled_head =
      std::any_of(config.heads.begin(), config.heads.end(), [](const HeadSpec& h) { return !h.on_tokens(); });
  const bool pooler =
      task == Task::Base || task == Task::SequenceClassification || (task == Task::MultiHead && pooled_head);
  bert_ = BertModel(config, pooler);
  if (task == Task::Base) {
    // HF's BertModel state_dict has no "bert." prefix: register the encoder's parts directly.
    for (auto& child : bert_->named_children()) register_module(child.key(), child.value());
  } else {
    register_module("bert", bert_);
  }
  switch (task) {
    case Task::SequenceClassification:
    case Task::TokenClassification:
      classifier_ = register_module("classifier", torch::nn::Linear(config.hidden_size, config.num_labels));
      break;
    case Task::QuestionAnswering:
      qa_outputs_ = register_module("qa_outputs", torch::nn::Linear(config.hidden_size, 2));
      break;
    case Task::MaskedLM: {
      cls_ = register_module("cls", std::make_shared<torch::nn::Module>());
      auto predictions = cls_->register_module("predictions", std::make_shared<torch::nn::Module>());
      auto transform = predictions->register_module("transform", std::make_shared<torch::nn::Module>());
      mlm_transform_dense_ =
          transform->register_module("dense", torch::nn::Linear(config.hidden_size, config.hidden_size));
      mlm_transform_norm_ = transform->register_module(
          "LayerNorm",
          torch::nn::LayerNorm(torch::nn::LayerNormOptions({config.hidden_size}).eps(config.layer_norm_eps)));
      mlm_bias_ = predictions->register_parameter("bias", torch::zeros({config.vocab_size}));
      mlm_transform_activation_ = find_activation(config.hidden_act);
      break;
    }
    case Task::MultiHead:
      heads_module_ = register_module("heads", std::make_shared<torch::nn::Module>());
      for (const auto& head : config.heads)
        heads_.push_back(
            heads_module_->register_module(head.name, torch::nn::Linear(config.hidden_size, head.num_labels)));
      break;
    case Task::Base:
      break;
  }
  init_bert_weights(*this, config);
}

torch::Tensor TaskModel::masked_lm_logits(const torch::Tensor& hidden) {
  auto x = mlm_transform_norm_(mlm_transform_activation_(mlm_transform_dense_(hidden)));
  return F::linear(x, bert_->embeddings->word_embeddings->weight, mlm_bias_);
}

torch::Tensor TaskModel::sequence_classification_loss(const torch::Tensor& logits, const torch::Tensor& labels) const {
  std::string problem = config_.problem_type;
  if (problem.empty()) {
    if (config_.num_labels == 1)
      problem = "regression";
    else if (labels.scalar_type() == torch::kLong || labels.scalar_type() == torch::kInt)
      problem = "single_label_classification";
    else
      problem = "multi_label_classification";
  }
  if (problem == "regression") {
    auto target = labels.to(logits.scalar_type());
    if (config_.num_labels == 1) return F::mse_loss(logits.squeeze(), target.squeeze());
    return F::mse_loss(logits, target);
  }
  if (problem == "single_label_classification") {
    return F::cross_entropy(logits.view({-1, config_.num_labels}), labels.view({-1}).to(torch::kLong));
  }
  if (problem == "multi_label_classification") {
    return F::binary_cross_entropy_with_logits(logits, labels.to(logits.scalar_type()));
  }
  throw std::invalid_argument("unknown problem_type '" + problem + "'");
}

bool TaskModel::can_skip_padding(const BertInputs& inputs, const TaskLabels& labels,
                                 const ForwardOptions& options) const {
  if (!options.skip_padding || !inputs.attention_mask.defined()) return false;
  switch (task_) {
    case Task::Base:
    case Task::SequenceClassification:
      return true;
    case Task::QuestionAnswering:
      // HF's QA loss is a softmax over every position, padding included: packing would change it.
      return !labels.start_positions.defined() && !labels.end_positions.defined();
    case Task::TokenClassification:
    case Task::MaskedLM:
      // HF's loss reads every label that is not -100, padded positions included.
      if (!labels.labels.defined()) return true;
      return !(labels.labels_on_host().ne(-100) & inputs.mask_on_host().eq(0)).any().item<bool>();
    case Task::MultiHead: {
      // As token classification: a token head's label on a padded position must be computed.
      const auto& host = labels.host_head_labels.empty() ? labels.head_labels : labels.host_head_labels;
      for (size_t i = 0; i < host.size(); ++i) {
        const auto& [name, target] = host[i];
        if (target.dim() == 2 && target.size(1) == inputs.mask_on_host().size(1) && is_token_head(name) &&
            (target.ne(-100) & inputs.mask_on_host().eq(0)).any().item<bool>())
          return false;
      }
      return true;
    }
  }
  return false;
}

TaskOutputs TaskModel::forward(const BertInputs& inputs, const TaskLabels& labels, const ForwardOptions& options) {
  // Sequence classification reads [CLS] alone: the last layer need not compute other positions.
  const bool pooled_only = task_ == Task::SequenceClassification ||
                           (task_ == Task::MultiHead && std::none_of(config_.heads.begin(), config_.heads.end(),
                                                                     [](const HeadSpec& h) { return h.on_tokens(); }));
  const bool first_token_only = pooled_only && !options.output_hidden_states && !options.output_attentions;
  auto encoded = bert_->forward(inputs, options.output_hidden_states, options.output_attentions, first_token_only,
                                can_skip_padding(inputs, labels, options));
  TaskOutputs out;
  auto& t = out.tensors;
  const auto& hidden = encoded.last_hidden_state;  // token rows in encoded.layout
  const auto& layout = encoded.layout;
  auto dropout = [&](const torch::Tensor& x, double p) { return hashed_dropout(x, p, is_training()); };
  switch (task_) {
    case Task::Base:
      t.emplace_back("last_hidden_state", layout.to_padded(hidden));
      if (encoded.pooler_output.defined()) t.emplace_back("pooler_output", encoded.pooler_output);
      break;
    case Task::SequenceClassification: {
      auto logits = classifier_(dropout(encoded.pooler_output, classifier_dropout_));
      t.emplace_back("logits", logits);
      if (labels.labels.defined()) out.loss = sequence_classification_loss(logits, labels.labels);
      break;
    }
    case Task::TokenClassification: {
      auto logits = layout.to_padded(classifier_(dropout(hidden, classifier_dropout_)));
      t.emplace_back("logits", logits);
      if (labels.labels.defined()) {
        // HF ignores -100 and does not consult the attention mask.
        out.loss = F::cross_entropy(logits.view({-1, config_.num_labels}), labels.labels.view({-1}).to(torch::kLong),
                                    F::CrossEntropyFuncOptions().ignore_index(-100));
      }
      break;
    }
    case Task::QuestionAnswering: {
      auto logits = layout.to_padded(qa_outputs_(hidden));
      auto parts = logits.split(1, -1);
      auto start_logits = parts[0].squeeze(-1).contiguous();
      auto end_logits = parts[1].squeeze(-1).contiguous();
      t.emplace_back("start_logits", start_logits);
      t.emplace_back("end_logits", end_logits);
      if (labels.start_positions.defined() && labels.end_positions.defined()) {
        // HF: positions outside the sequence are clamped to seq_len, which the loss ignores.
        const int64_t ignored = start_logits.size(1);
        auto start = labels.start_positions.view({-1}).to(torch::kLong).clamp(0, ignored);
        auto end = labels.end_positions.view({-1}).to(torch::kLong).clamp(0, ignored);
        auto ce = F::CrossEntropyFuncOptions().ignore_index(ignored);
        out.loss = (F::cross_entropy(start_logits, start, ce) + F::cross_entropy(end_logits, end, ce)) / 2;
      }
      break;
    }
    case Task::MaskedLM: {
      if (labels.labels.defined() && !options.masked_lm_full_logits) {
        // HF's mean over the positions whose label is not -100, from those positions' logits only.
        auto targets = layout.gather_inputs(labels.labels).reshape({-1}).to(torch::kLong);
        auto rows = targets.ne(-100).nonzero().squeeze(1);
        auto selected = hidden.reshape({-1, hidden.size(-1)}).index_select(0, rows);
        out.loss = F::cross_entropy(masked_lm_logits(selected), targets.index_select(0, rows));
        break;
      }
      auto logits = layout.to_padded(masked_lm_logits(hidden));
      t.emplace_back("logits", logits);
      if (labels.labels.defined()) {
        out.loss = F::cross_entropy(logits.view({-1, config_.vocab_size}), labels.labels.view({-1}).to(torch::kLong),
                                    F::CrossEntropyFuncOptions().ignore_index(-100));
      }
      break;
    }
    case Task::MultiHead:
      multi_head_forward(encoded, labels, out);
      break;
  }
  for (size_t i = 0; i < encoded.hidden_states.size(); ++i)
    t.emplace_back("hidden_states." + std::to_string(i), encoded.hidden_states[i]);
  for (size_t i = 0; i < encoded.attentions.size(); ++i)
    t.emplace_back("attentions." + std::to_string(i), encoded.attentions[i]);
  return out;
}

bool TaskModel::is_token_head(const std::string& name) const {
  for (const auto& head : config_.heads)
    if (head.name == name) return head.on_tokens();
  return false;
}

// Each head's logits as "logits.<name>"; the loss is the loss_weight-weighted sum over the heads
// the batch has targets for, each head's loss as the matching single-head HF model computes it.
void TaskModel::multi_head_forward(const BertModelOutputs& encoded, const TaskLabels& labels, TaskOutputs& out) {
  torch::Tensor total;
  for (size_t i = 0; i < heads_.size(); ++i) {
    const auto& spec = config_.heads[i];
    auto input = spec.on_tokens() ? encoded.last_hidden_state : encoded.pooler_output;
    auto logits = heads_[i](hashed_dropout(input, classifier_dropout_, is_training()));
    if (spec.on_tokens()) logits = encoded.layout.to_padded(logits);
    out.tensors.emplace_back("logits." + spec.name, logits);
    const torch::Tensor* target = nullptr;
    for (const auto& [name, t] : labels.head_labels)
      if (name == spec.name) target = &t;
    if (target == nullptr) continue;
    torch::Tensor loss;
    if (spec.kind == "classification" || spec.kind == "token-classification") {
      // HF's mean over the labelled rows (-100 ignored); a batch with none adds 0, not HF's NaN
      // (0/0), so a head whose rows are all unlabelled here costs nothing. No host sync.
      auto y = target->reshape({-1}).to(torch::kLong);
      auto summed = F::cross_entropy(logits.reshape({-1, spec.num_labels}), y,
                                     F::CrossEntropyFuncOptions().ignore_index(-100).reduction(torch::kSum));
      loss = summed / y.ne(-100).sum().clamp_min(1).to(summed.scalar_type());
    } else if (spec.kind == "multi-label") {
      loss = F::binary_cross_entropy_with_logits(logits, target->to(logits.scalar_type()));
    } else {  // regression, as HF's MSELoss on squeezed tensors for one output
      auto y = target->to(logits.scalar_type());
      loss = spec.num_labels == 1 ? F::mse_loss(logits.squeeze(), y.squeeze()) : F::mse_loss(logits, y);
    }
    auto weighted = spec.loss_weight == 1.0 ? loss : loss * spec.loss_weight;
    total = total.defined() ? total + weighted : weighted;
  }
  if (total.defined()) out.loss = total;
}

}  // namespace bertrun
