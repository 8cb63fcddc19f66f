// Typed arrays <-> tensors. JS never holds a libtorch tensor: data crosses as typed arrays
// described by { dtype, shape, data }.
#pragma once
#include <napi.h>
#include <torch/torch.h>

#include <string>
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

}  // namespace bertrun
