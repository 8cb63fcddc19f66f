// Typed arrays <-> tensors. JS never holds a libtorch tensor: data crosses as typed arrays
// described by { dtype, shape, data }, and state as named tensors { name, dtype, shape, data }
// (lib/io/named_tensor.ts).
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace bertrun {

// Safetensors dtype name ("F32", "BF16", ...) <-> torch dtype.
torch::ScalarType dtype_from_name(const std::string& name);
std::string dtype_name(torch::ScalarType type);

std::vector<int64_t> shape_from_js(const Napi::Value& value, const std::string& field);

// A CPU tensor viewing the typed array's memory (no copy). The caller must keep the array
// alive while the tensor is used, or clone it. dtype: the declared dtype name, used to tell
// F16 from BF16 in a Uint16Array; empty = infer from the array type.
torch::Tensor view_typed_array(const Napi::TypedArray& array, const std::vector<int64_t>& shape,
                               const std::string& dtype, const std::string& field);

// A contiguous CPU copy of the tensor in a new typed array of the matching kind.
Napi::TypedArray typed_array_from_tensor(Napi::Env env, const torch::Tensor& tensor);

Napi::Array shape_to_js(Napi::Env env, c10::IntArrayRef shape);

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

// A named tensor read on the JS thread. `view` reads the JS array's memory, which `keep` holds
// alive: keep the IncomingTensor until the job settles (its reference is released on the JS thread).
struct IncomingTensor {
  std::string name;
  torch::Tensor view;
  std::shared_ptr<Napi::ObjectReference> keep;
};

// [{ name, dtype, shape, data }] -> views of the arrays (no copy). what names the argument in
// errors ("state dict"). Throws std::invalid_argument naming the tensor.
std::vector<IncomingTensor> named_tensors_from_js(const Napi::Value& value, const std::string& what);

// The (name, view) pairs of incoming tensors.
NamedTensors named_views(const std::vector<IncomingTensor>& incoming);

// CPU copies, so the JS thread never reads device memory or a tensor that a later job mutates.
NamedTensors host_copies(const NamedTensors& tensors);

// Tensors -> [{ name, dtype, shape, data }] (each data a new typed array; see typed_array_from_tensor).
Napi::Array named_tensors_to_js(Napi::Env env, const NamedTensors& tensors);

}  // namespace bertrun
