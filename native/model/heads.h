// Task heads over BertModel, with HF's parameter names and loss rules.
#pragma once
#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "model/bert.h"

namespace bertrun {

enum class Task { Base, SequenceClassification, QuestionAnswering, TokenClassification, MaskedLM, MultiHead };

Task parse_task(const std::string& name);
std::string task_name(Task task);

// What a batch may carry beside the encoder inputs. Undefined tensors are absent.
struct TaskLabels {
  torch::Tensor labels;           // int64 class ids, or float targets (regression / multi-label)
  torch::Tensor start_positions;  // int64 [batch] (question answering)
  torch::Tensor end_positions;    // int64 [batch]
  torch::Tensor host_labels;      // labels' CPU original when they live on a GPU (see BertInputs)
  // Multi-head models: targets per head name, in any order; a head without an entry adds no loss.
  std::vector<std::pair<std::string, torch::Tensor>> head_labels;
  std::vector<std::pair<std::string, torch::Tensor>> host_head_labels;  // CPU originals (GPU runs)

  const torch::Tensor& labels_on_host() const { return host_labels.defined() ? host_labels : labels; }
  bool has_targets() const {
    return labels.defined() || (start_positions.defined() && end_positions.defined()) || !head_labels.empty();
  }
};

using NamedOutputs = std::vector<std::pair<std::string, torch::Tensor>>;

struct TaskOutputs {
  torch::Tensor loss;    // 0-d, defined when labels were given
  NamedOutputs tensors;  // logits, start_logits, last_hidden_state, hidden_states.N, ...
};

struct ForwardOptions {
  bool output_hidden_states = false;
  bool output_attentions = false;
  // Compute real tokens only (see token_layout.h) when that leaves the loss and every output at
  // a real position (and position 0) unchanged. Per-token outputs (hidden states, token logits)
  // at other padded positions come back as 0 instead of HF's values, which nothing should read.
  bool skip_padding = true;
  // Masked LM with labels: the [batch, seq, vocab] logits, or only the loss, computed from the
  // labelled positions alone (the decoder is most of an MLM step at vocab 30k; the loss is the same).
  bool masked_lm_full_logits = true;
};

// A BERT with (or without) a task head. parameter names equal HF's state_dict keys:
// "bert.*" + head for task models, bare encoder names for Task::Base (HF's BertModel).
class TaskModel : public torch::nn::Module {
 public:
  TaskModel(Task task, const BertConfig& config);
  TaskOutputs forward(const BertInputs& inputs, const TaskLabels& labels, const ForwardOptions& options);

  Task task() const { return task_; }
  // Activation checkpointing of every encoder layer in training (see activation_checkpoint.h).
  void set_gradient_checkpointing(bool on) { bert_->encoder->gradient_checkpointing = on; }
  bool gradient_checkpointing() const { return bert_->encoder->gradient_checkpointing; }
  const BertConfig& config() const { return config_; }
  // Parameters eligible for weight decay (HF/run_glue rule: not biases, not LayerNorm weights).
  static bool decays(const std::string& name);

 private:
  torch::Tensor sequence_classification_loss(const torch::Tensor& logits, const torch::Tensor& labels) const;
  void multi_head_forward(const BertModelOutputs& encoded, const TaskLabels& labels, TaskOutputs& out);
  torch::Tensor masked_lm_logits(const torch::Tensor& hidden);
  bool is_token_head(const std::string& name) const;
  bool can_skip_padding(const BertInputs& inputs, const TaskLabels& labels, const ForwardOptions& options) const;

  Task task_;
  BertConfig config_;
  BertModel bert_{nullptr};
  torch::nn::Linear classifier_{nullptr};  // sequence / token classification
  torch::nn::Linear qa_outputs_{nullptr};
  // cls.predictions.{transform.dense, transform.LayerNorm, bias}; the decoder is tied to the
  // word embeddings, so it owns no weight of its own.
  std::shared_ptr<torch::nn::Module> cls_;
  torch::nn::Linear mlm_transform_dense_{nullptr};
  torch::nn::LayerNorm mlm_transform_norm_{nullptr};
  ActivationFunction mlm_transform_activation_ = nullptr;  // config.hidden_act's, as HF's transform
  torch::Tensor mlm_bias_;
  // Multi-head: one linear layer per config.heads entry, registered as heads.<name>.
  std::shared_ptr<torch::nn::Module> heads_module_;
  std::vector<torch::nn::Linear> heads_;
  double classifier_dropout_;
};

}  // namespace bertrun
