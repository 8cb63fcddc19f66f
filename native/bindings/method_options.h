// Reading the options object a method takes ({ lr, maxGradNorm }, { skipPadding }, ...): a
// missing object or key gives the default, so does a flag that is not a boolean; a number option
// that is not a number is an error naming it.
#pragma once
#include <napi.h>

#include <stdexcept>
#include <string>

namespace bertrun {

inline bool bool_option(const Napi::Value& options, const char* key, bool fallback) {
  if (!options.IsObject()) return fallback;
  Napi::Value v = options.As<Napi::Object>().Get(key);
  return v.IsBoolean() ? v.As<Napi::Boolean>().Value() : fallback;
}

inline double number_option(const Napi::Value& options, const char* key, double fallback) {
  if (!options.IsObject()) return fallback;
  Napi::Value v = options.As<Napi::Object>().Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) throw std::invalid_argument(std::string(key) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

}  // namespace bertrun
