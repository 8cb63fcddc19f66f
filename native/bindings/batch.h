// A training or inference batch as it arrives from JS, and its validation against the model.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include "model/heads.h"

namespace bertrun {

struct HostBatch {
  BertInputs inputs;  // CPU tensors, owned (copied out of the JS arrays)
  TaskLabels labels;
};

// Reads { shape: [batch, seq], inputIds, tokenTypeIds?, attentionMask?, labels?, labelShape?,
// startPositions?, endPositions? } on the JS thread. Throws std::invalid_argument naming the field.
HostBatch batch_from_js(const Napi::Value& value);

// Checks every value against the model's limits (vocab, type vocab, positions, labels) before any
// of it reaches libtorch; errors name the field, the offending position and the limit.
void validate_batch(const HostBatch& batch, const TaskModel& model);

// Moves a validated batch to the device (non-blocking from pinned memory on CUDA).
HostBatch batch_to_device(const HostBatch& batch, const torch::Device& device);

}  // namespace bertrun
