#include "common/tensor_convert.h"

#include <cstring>
#include <stdexcept>

namespace bertrun {

torch::ScalarType dtype_from_name(const std::string& name) {
  if (name == "F32") return torch::kFloat32;
  if (name == "F64") return torch::kFloat64;
  if (name == "F16") return torch::kFloat16;
  if (name == "BF16") return torch::kBFloat16;
  if (name == "I64") return torch::kInt64;
  if (name == "I32") return torch::kInt32;
  if (name == "I16") return torch::kInt16;
  if (name == "I8") return torch::kInt8;
  if (name == "U8") return torch::kUInt8;
  if (name == "BOOL") return torch::kBool;
  throw std::invalid_argument("unsupported dtype '" + name + "'");
}

std::string dtype_name(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat32:
      return "F32";
    case torch::kFloat64:
      return "F64";
    case torch::kFloat16:
      return "F16";
    case torch::kBFloat16:
      return "BF16";
    case torch::kInt64:
      return "I64";
    case torch::kInt32:
      return "I32";
    case torch::kInt16:
      return "I16";
    case torch::kInt8:
      return "I8";
    case torch::kUInt8:
      return "U8";
    case torch::kBool:
      return "BOOL";
    default:
      throw std::invalid_argument(std::string("unsupported tensor dtype ") + c10::toString(type));
  }
}

static torch::ScalarType dtype_of_array(napi_typedarray_type type, const std::string& declared,
                                        const std::string& field) {
  switch (type) {
    case napi_float32_array:
      return torch::kFloat32;
    case napi_float64_array:
      return torch::kFloat64;
    case napi_int32_array:
      return torch::kInt32;
    case napi_bigint64_array:
      return torch::kInt64;
    case napi_int16_array:
      return torch::kInt16;
    case napi_int8_array:
      return torch::kInt8;
    case napi_uint8_array:
      return declared == "BOOL" ? torch::kBool : torch::kUInt8;
    case napi_uint16_array:
      if (declared == "F16") return torch::kFloat16;
      if (declared == "BF16") return torch::kBFloat16;
      throw std::invalid_argument(field + ": a Uint16Array must declare dtype F16 or BF16");
    default:
      throw std::invalid_argument(field + ": unsupported typed array kind");
  }
}

std::vector<int64_t> shape_from_js(const Napi::Value& value, const std::string& field) {
  if (!value.IsArray()) throw std::invalid_argument(field + ".shape must be an array of non-negative integers");
  auto array = value.As<Napi::Array>();
  std::vector<int64_t> shape;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value dim = array.Get(i);
    if (!dim.IsNumber()) throw std::invalid_argument(field + ".shape[" + std::to_string(i) + "] is not a number");
    double d = dim.As<Napi::Number>().DoubleValue();
    if (d < 0 || d != static_cast<double>(static_cast<int64_t>(d)))
      throw std::invalid_argument(field + ".shape[" + std::to_string(i) + "] must be a non-negative integer");
    shape.push_back(static_cast<int64_t>(d));
  }
  return shape;
}

torch::Tensor view_typed_array(const Napi::TypedArray& array, const std::vector<int64_t>& shape,
                               const std::string& declared, const std::string& field) {
  auto dtype = dtype_of_array(array.TypedArrayType(), declared, field);
  if (!declared.empty() && dtype_from_name(declared) != dtype)
    throw std::invalid_argument(field + ": dtype " + declared + " does not match the typed array kind");
  int64_t numel = 1;
  for (auto d : shape) numel *= d;
  if (static_cast<size_t>(numel) != array.ElementLength()) {
    throw std::invalid_argument(field + ": shape " + c10::str(c10::IntArrayRef(shape)) + " needs " +
                                std::to_string(numel) + " elements but the array has " +
                                std::to_string(array.ElementLength()));
  }
  auto buffer = array.ArrayBuffer();
  auto* data = static_cast<uint8_t*>(buffer.Data()) + array.ByteOffset();
  if (numel == 0) return torch::empty(shape, torch::TensorOptions().dtype(dtype));
  return torch::from_blob(data, shape, torch::TensorOptions().dtype(dtype));
}

Napi::TypedArray typed_array_from_tensor(Napi::Env env, const torch::Tensor& tensor) {
  auto t = tensor.detach().to(torch::kCPU).contiguous();
  const size_t n = static_cast<size_t>(t.numel());
  const size_t bytes = n * t.element_size();
  auto buffer = Napi::ArrayBuffer::New(env, bytes);
  if (bytes > 0) std::memcpy(buffer.Data(), t.data_ptr(), bytes);
  switch (t.scalar_type()) {
    case torch::kFloat32:
      return Napi::Float32Array::New(env, n, buffer, 0);
    case torch::kFloat64:
      return Napi::Float64Array::New(env, n, buffer, 0);
    case torch::kFloat16:
    case torch::kBFloat16:
      return Napi::Uint16Array::New(env, n, buffer, 0);
    case torch::kInt64:
      return Napi::BigInt64Array::New(env, n, buffer, 0);
    case torch::kInt32:
      return Napi::Int32Array::New(env, n, buffer, 0);
    case torch::kInt16:
      return Napi::Int16Array::New(env, n, buffer, 0);
    case torch::kInt8:
      return Napi::Int8Array::New(env, n, buffer, 0);
    case torch::kUInt8:
    case torch::kBool:
      return Napi::Uint8Array::New(env, n, buffer, 0);
    default:
      throw std::invalid_argument(std::string("cannot export tensor of dtype ") + c10::toString(t.scalar_type()));
  }
}

Napi::Array shape_to_js(Napi::Env env, c10::IntArrayRef shape) {
  auto out = Napi::Array::New(env, shape.size());
  for (size_t i = 0; i < shape.size(); ++i)
    out.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(shape[i])));
  return out;
}

std::vector<IncomingTensor> named_tensors_from_js(const Napi::Value& value, const std::string& what) {
  if (!value.IsArray()) throw std::invalid_argument(what + " must be an array of { name, dtype, shape, data }");
  auto array = value.As<Napi::Array>();
  std::vector<IncomingTensor> out;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    auto entry = array.Get(i).As<Napi::Object>();
    std::string name = entry.Get("name").ToString().Utf8Value();
    Napi::Value data = entry.Get("data");
    if (!data.IsTypedArray()) throw std::invalid_argument(what + " '" + name + "': data must be a typed array");
    auto shape = shape_from_js(entry.Get("shape"), name);
    std::string dtype = entry.Get("dtype").IsString() ? entry.Get("dtype").ToString().Utf8Value() : "";
    auto view = view_typed_array(data.As<Napi::TypedArray>(), shape, dtype, name);
    out.push_back({name, view, std::make_shared<Napi::ObjectReference>(Napi::Persistent(data.As<Napi::Object>()))});
  }
  return out;
}

NamedTensors named_views(const std::vector<IncomingTensor>& incoming) {
  NamedTensors out;
  for (const auto& t : incoming) out.emplace_back(t.name, t.view);
  return out;
}

NamedTensors host_copies(const NamedTensors& tensors) {
  NamedTensors out;
  for (const auto& [name, t] : tensors)
    out.emplace_back(name, t.detach().to(torch::kCPU, /*non_blocking=*/false, /*copy=*/true).contiguous());
  return out;
}

Napi::Array named_tensors_to_js(Napi::Env env, const NamedTensors& tensors) {
  auto out = Napi::Array::New(env, tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& [name, t] = tensors[i];
    auto o = Napi::Object::New(env);
    o.Set("name", name);
    o.Set("dtype", dtype_name(t.scalar_type()));
    o.Set("shape", shape_to_js(env, t.sizes()));
    o.Set("data", typed_array_from_tensor(env, t));
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

}  // namespace bertrun
