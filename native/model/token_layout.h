// Where the encoder's token rows live. Padded: hidden states are [batch, seq, hidden], every
// position computed, as Hugging Face does. Packed: hidden states are [tokens, hidden] holding
// only the positions whose results matter (attention_mask 1, plus position 0 of every row,
// which the pooler reads). Everything in a BERT layer but attention works token by token, so
// the dense layers, LayerNorms and activations (most of the FLOPs) run on real tokens only;
// attention scatters its queries, keys and values back into the padded shape for one batched
// SDPA call. Real positions come out exactly as in the padded layout: a padded key is masked
// out, so nothing a real position computes ever reads a padded one.
#pragma once
#include <torch/torch.h>

namespace bertrun {

class TokenLayout {
 public:
  // The padded layout for [batch, seq] inputs.
  static TokenLayout padded(int64_t batch, int64_t seq) { return TokenLayout(batch, seq, {}, {}); }

  // A packed layout keeping the positions where keep ([batch, seq] bool) is true. Position 0 of
  // every row must be kept.
  static TokenLayout packed(const torch::Tensor& keep) {
    const int64_t batch = keep.size(0), seq = keep.size(1);
    auto indices = keep.reshape({-1}).nonzero().squeeze(1);
    auto counts = keep.sum(1);
    auto first_rows = counts.cumsum(0) - counts;  // each row's position 0 within the packed rows
    return TokenLayout(batch, seq, indices, first_rows);
  }

  // This layout with its index tensors on `device` (pinned and non-blocking from the CPU).
  TokenLayout to(const torch::Device& device) const {
    if (!is_packed() || indices_.device() == device) return *this;
    auto move = [&](const torch::Tensor& t) { return t.pin_memory().to(device, /*non_blocking=*/true); };
    return TokenLayout(batch_, seq_, move(indices_), move(first_rows_));
  }

  bool is_packed() const { return indices_.defined(); }
  int64_t batch() const { return batch_; }
  int64_t seq() const { return seq_; }

  // Packed rows [tokens, features] -> [batch, seq, features] with zeros at positions not kept.
  // Padded tensors pass through.
  torch::Tensor to_padded(const torch::Tensor& x) const {
    if (!is_packed()) return x;
    auto full = torch::zeros({batch_ * seq_, x.size(-1)}, x.options());
    return full.index_copy(0, indices_, x).view({batch_, seq_, x.size(-1)});
  }

  // [batch, seq, features] -> this layout's rows.
  torch::Tensor from_padded(const torch::Tensor& x) const {
    if (!is_packed()) return x;
    return x.reshape({batch_ * seq_, x.size(-1)}).index_select(0, indices_);
  }

  // Position 0 of every row as [batch, 1, features].
  torch::Tensor first_tokens(const torch::Tensor& x) const {
    if (!is_packed()) return x.narrow(1, 0, 1);
    return x.index_select(0, first_rows_).unsqueeze(1);
  }

  // Per-position values of the inputs ([batch, seq]) in this layout's rows.
  torch::Tensor gather_inputs(const torch::Tensor& x) const {
    if (!is_packed()) return x;
    return x.reshape({-1}).index_select(0, indices_);
  }

  // Position ids (0..seq-1 along each row) in this layout's rows.
  torch::Tensor position_ids(const torch::TensorOptions& options) const {
    auto positions = torch::arange(seq_, options.dtype(torch::kLong));
    if (!is_packed()) return positions.unsqueeze(0);
    return indices_.remainder(seq_);
  }

 private:
  TokenLayout(int64_t batch, int64_t seq, torch::Tensor indices, torch::Tensor first_rows)
      : batch_(batch), seq_(seq), indices_(std::move(indices)), first_rows_(std::move(first_rows)) {}

  int64_t batch_, seq_;
  torch::Tensor indices_;     // packed: flat positions (row * seq + column) of the kept tokens
  torch::Tensor first_rows_;  // packed: the packed row holding each sequence's position 0
};

}  // namespace bertrun
