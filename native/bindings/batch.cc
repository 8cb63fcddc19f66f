#include "bindings/batch.h"

#include <algorithm>
#include <stdexcept>

#include "common/tensor_convert.h"

namespace bertrun {

static torch::Tensor read_array(const Napi::Object& batch, const char* field, const std::vector<int64_t>& shape,
                                bool integer) {
  Napi::Value value = batch.Get(field);
  if (value.IsUndefined() || value.IsNull()) return {};
  if (!value.IsTypedArray()) throw std::invalid_argument(std::string("batch.") + field + " must be a typed array");
  auto array = value.As<Napi::TypedArray>();
  auto kind = array.TypedArrayType();
  const bool is_integer = kind == napi_int32_array || kind == napi_bigint64_array;
  if (integer && !is_integer)
    throw std::invalid_argument(std::string("batch.") + field + " must be an Int32Array or BigInt64Array");
  if (!integer && !is_integer && kind != napi_float32_array && kind != napi_float64_array)
    throw std::invalid_argument(std::string("batch.") + field +
                                " must be an Int32Array, BigInt64Array or Float32Array");
  return view_typed_array(array, shape, "", std::string("batch.") + field).clone();
}

HostBatch batch_from_js(const Napi::Value& value) {
  if (!value.IsObject()) throw std::invalid_argument("batch must be an object");
  auto batch = value.As<Napi::Object>();
  auto shape = shape_from_js(batch.Get("shape"), "batch");
  if (shape.size() != 2) throw std::invalid_argument("batch.shape must be [batch_size, sequence_length]");
  if (shape[0] == 0 || shape[1] == 0)
    throw std::invalid_argument("batch is empty: shape " + c10::str(c10::IntArrayRef(shape)));
  HostBatch out;
  out.inputs.input_ids = read_array(batch, "inputIds", shape, true);
  if (!out.inputs.input_ids.defined()) throw std::invalid_argument("batch.inputIds is required");
  out.inputs.token_type_ids = read_array(batch, "tokenTypeIds", shape, true);
  out.inputs.attention_mask = read_array(batch, "attentionMask", shape, true);
  if (batch.Has("labels") && !batch.Get("labels").IsUndefined()) {
    Napi::Value label_shape = batch.Get("labelShape");
    std::vector<int64_t> lshape;
    if (label_shape.IsUndefined()) {
      auto n = batch.Get("labels").As<Napi::TypedArray>().ElementLength();
      lshape = n == static_cast<size_t>(shape[0]) ? std::vector<int64_t>{shape[0]}
                                                  : std::vector<int64_t>{shape[0], static_cast<int64_t>(n) / shape[0]};
    } else {
      lshape = shape_from_js(label_shape, "batch.labelShape");
    }
    out.labels.labels = read_array(batch, "labels", lshape, false);
  }
  out.labels.start_positions = read_array(batch, "startPositions", {shape[0]}, true);
  out.labels.end_positions = read_array(batch, "endPositions", {shape[0]}, true);
  Napi::Value heads = batch.Get("headLabels");
  if (!heads.IsUndefined() && !heads.IsNull()) {
    if (!heads.IsObject() || heads.IsArray())
      throw std::invalid_argument("batch.headLabels must be an object { head name: { data, shape } }");
    auto by_name = heads.As<Napi::Object>();
    auto names = by_name.GetPropertyNames();
    for (uint32_t i = 0; i < names.Length(); ++i) {
      const std::string name = names.Get(i).As<Napi::String>().Utf8Value();
      const std::string field = "batch.headLabels." + name;
      Napi::Value entry = by_name.Get(name);
      if (!entry.IsObject()) throw std::invalid_argument(field + " must be an object { data, shape }");
      auto target = entry.As<Napi::Object>();
      Napi::Value data = target.Get("data");
      if (!data.IsTypedArray())
        throw std::invalid_argument(field + ".data must be an Int32Array, BigInt64Array, Float32Array or Float64Array");
      auto kind = data.As<Napi::TypedArray>().TypedArrayType();
      if (kind != napi_int32_array && kind != napi_bigint64_array && kind != napi_float32_array &&
          kind != napi_float64_array)
        throw std::invalid_argument(field + ".data must be an Int32Array, BigInt64Array, Float32Array or Float64Array");
      auto lshape = shape_from_js(target.Get("shape"), field);
      out.labels.head_labels.emplace_back(
          name, view_typed_array(data.As<Napi::TypedArray>(), lshape, "", field + ".data").clone());
    }
  }
  return out;
}

// First element outside [low, high) (ignoring `ignored` when set), as "value at [i, j]".
static void check_range(const torch::Tensor& t, int64_t low, int64_t high, const std::string& field,
                        const std::string& limit, const std::string& fix,
                        std::optional<int64_t> ignored = std::nullopt) {
  if (!t.defined()) return;
  auto values = t.to(torch::kLong);
  auto bad = (values < low) | (values >= high);
  if (ignored) bad = bad & (values != *ignored);
  if (!bad.any().item<bool>()) return;
  auto index = bad.nonzero()[0];
  std::string where;
  for (int64_t d = 0; d < index.size(0); ++d) where += (d ? ", " : "") + std::to_string(index[d].item<int64_t>());
  auto flat = index.size(0) == 2 ? values[index[0]][index[1]] : values[index[0]];
  throw std::invalid_argument(field + " has " + std::to_string(flat.item<int64_t>()) + " at [" + where + "], but " +
                              limit + ". " + fix);
}

// Multi-head targets: every name a head of the model, each with its head's shape, dtype and range.
static void validate_head_labels(const HostBatch& batch, const TaskModel& model) {
  const auto& heads = model.config().heads;
  const auto& given = batch.labels.head_labels;
  if (given.empty()) return;
  std::string known;
  for (const auto& h : heads) known += (known.empty() ? "" : ", ") + h.name;
  if (model.task() != Task::MultiHead)
    throw std::invalid_argument("batch.headLabels is for multi-head models; this " + task_name(model.task()) +
                                " model takes 'labels'" +
                                (model.task() == Task::QuestionAnswering ? " (startPositions / endPositions)" : ""));
  const int64_t rows = batch.inputs.input_ids.size(0), seq = batch.inputs.input_ids.size(1);
  for (const auto& [name, target] : given) {
    auto spec = std::find_if(heads.begin(), heads.end(), [&](const HeadSpec& h) { return h.name == name; });
    if (spec == heads.end())
      throw std::invalid_argument("unexpected label field '" + name + "': this model's heads are " + known +
                                  ". Fix: name each label field after a head in config.json bertrun_heads.");
    const std::string field = "labels of head '" + name + "' (" + spec->kind + ")";
    const bool integer = target.scalar_type() == torch::kLong || target.scalar_type() == torch::kInt;
    std::vector<int64_t> shape;
    if (spec->kind == "classification") shape = {rows};
    if (spec->kind == "token-classification") shape = {rows, seq};
    if (spec->kind == "multi-label") shape = {rows, spec->num_labels};
    if (spec->kind == "regression")
      shape = spec->num_labels == 1 ? std::vector<int64_t>{rows} : std::vector<int64_t>{rows, spec->num_labels};
    if (target.sizes() != c10::IntArrayRef(shape))
      throw std::invalid_argument(field + " have shape " + c10::str(target.sizes()) + " but need " +
                                  c10::str(c10::IntArrayRef(shape)));
    if (spec->kind == "classification" || spec->kind == "token-classification") {
      if (!integer) throw std::invalid_argument(field + " must be integer class ids (Int32Array/BigInt64Array)");
      check_range(target, 0, spec->num_labels, field, "num_labels is " + std::to_string(spec->num_labels),
                  "Use -100 where a row or token has no label.", -100);
    } else if (!torch::isfinite(target.to(torch::kDouble)).all().item<bool>()) {
      throw std::invalid_argument(field + " contain NaN or infinity");
    }
  }
}

void validate_batch(const HostBatch& batch, const TaskModel& model) {
  const auto& c = model.config();
  const auto& ids = batch.inputs.input_ids;
  const int64_t rows = ids.size(0), seq = ids.size(1);
  if (seq > c.max_position_embeddings) {
    throw std::invalid_argument(
        "sequence length " + std::to_string(seq) + " exceeds max_position_embeddings (" +
        std::to_string(c.max_position_embeddings) +
        "). Fix: truncate inputs (max_seq_length <= " + std::to_string(c.max_position_embeddings) + ").");
  }
  check_range(ids, 0, c.vocab_size, "input_ids",
              "vocab_size is " + std::to_string(c.vocab_size) + " (ids must be in [0, vocab_size))",
              "Does the tokenizer's vocabulary match the model's config.json?");
  check_range(batch.inputs.token_type_ids, 0, c.type_vocab_size, "token_type_ids",
              "type_vocab_size is " + std::to_string(c.type_vocab_size),
              "Segment ids must be in [0, type_vocab_size).");
  check_range(batch.inputs.attention_mask, 0, 2, "attention_mask", "the mask must hold only 0 and 1",
              "Use 1 for real tokens, 0 for padding.");
  validate_head_labels(batch, model);
  const auto& labels = batch.labels.labels;
  if (!labels.defined()) return;
  const bool integer = labels.scalar_type() == torch::kLong || labels.scalar_type() == torch::kInt;
  auto expect_shape = [&](std::vector<int64_t> shape, const std::string& what) {
    if (labels.sizes() != c10::IntArrayRef(shape))
      throw std::invalid_argument("labels have shape " + c10::str(labels.sizes()) + " but " + what + " needs " +
                                  c10::str(c10::IntArrayRef(shape)));
  };
  switch (model.task()) {
    case Task::SequenceClassification: {
      const bool regression = c.problem_type == "regression" || (c.problem_type.empty() && c.num_labels == 1);
      const bool multi =
          c.problem_type == "multi_label_classification" || (c.problem_type.empty() && !regression && !integer);
      if (regression) {
        if (c.num_labels == 1 && labels.dim() == 1)
          expect_shape({rows}, "regression");
        else
          expect_shape({rows, c.num_labels}, "regression");
      } else if (multi) {
        expect_shape({rows, c.num_labels}, "multi-label classification");
      } else {
        if (!integer)
          throw std::invalid_argument(
              "labels must be integer class ids (Int32Array/BigInt64Array) for single-label classification");
        expect_shape({rows}, "single-label classification");
        check_range(labels, 0, c.num_labels, "labels", "num_labels is " + std::to_string(c.num_labels),
                    "Check the label list (id2label) against the data.");
      }
      if (!integer && !torch::isfinite(labels).all().item<bool>())
        throw std::invalid_argument("labels contain NaN or infinity");
      break;
    }
    case Task::TokenClassification:
    case Task::MaskedLM: {
      if (!integer) throw std::invalid_argument("labels must be integer ids (Int32Array/BigInt64Array)");
      expect_shape({rows, seq}, model.task() == Task::MaskedLM ? "masked LM" : "token classification");
      const int64_t limit = model.task() == Task::MaskedLM ? c.vocab_size : c.num_labels;
      check_range(labels, 0, limit, "labels",
                  (model.task() == Task::MaskedLM ? "vocab_size is " : "num_labels is ") + std::to_string(limit),
                  "Use -100 for positions without a label.", -100);
      break;
    }
    case Task::Base:
    case Task::QuestionAnswering:
      throw std::invalid_argument("this model takes no 'labels' (question answering uses startPositions/endPositions)");
    case Task::MultiHead:
      throw std::invalid_argument("a multi-head model takes its targets per head in headLabels, not 'labels'");
  }
}

HostBatch batch_to_device(const HostBatch& batch, const torch::Device& device) {
  auto move = [&](const torch::Tensor& t, bool to_long) -> torch::Tensor {
    if (!t.defined()) return t;
    auto x = to_long ? t.to(torch::kLong) : t;
    if (device.is_cpu()) return x;
    return x.pin_memory().to(device, /*non_blocking=*/true);
  };
  HostBatch out;
  out.inputs.input_ids = move(batch.inputs.input_ids, true);
  out.inputs.token_type_ids = move(batch.inputs.token_type_ids, true);
  // All-ones masks are dropped: no mask lets SDPA pick its fastest kernel, with identical results.
  if (batch.inputs.attention_mask.defined() && !batch.inputs.attention_mask.all().item<bool>()) {
    out.inputs.attention_mask = move(batch.inputs.attention_mask, true);
    if (!device.is_cpu()) out.inputs.host_attention_mask = batch.inputs.attention_mask;
  }
  const auto& labels = batch.labels.labels;
  const bool integer =
      labels.defined() && (labels.scalar_type() == torch::kLong || labels.scalar_type() == torch::kInt);
  out.labels.labels = move(labels, integer);
  if (!device.is_cpu() && labels.defined()) out.labels.host_labels = labels;
  out.labels.start_positions = move(batch.labels.start_positions, true);
  out.labels.end_positions = move(batch.labels.end_positions, true);
  for (const auto& [name, target] : batch.labels.head_labels) {
    const bool ids = target.scalar_type() == torch::kLong || target.scalar_type() == torch::kInt;
    out.labels.head_labels.emplace_back(name, move(target, ids));
    if (!device.is_cpu()) out.labels.host_head_labels.emplace_back(name, target);
  }
  return out;
}

}  // namespace bertrun
