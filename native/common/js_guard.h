// The one guard for code on the JS thread: any C++ exception (c10::Error, std::exception,
// bad_alloc, CUDA out-of-memory, anything else) becomes a JS Error with an actionable message,
// and an allocation failure also gets `code` = kOutOfMemoryCode. Napi errors pass through
// unchanged. Never lets an exception abort Node.
//
// It is applied where functions are registered, not inside them: classes derive from
// GuardedObjectWrap and list their methods with GuardedMethod; module functions are exported as
// guarded_function. Constructors, which ObjectWrap calls itself, wrap their body in js_guard.
// Async jobs reject through the same js_error (common/async_job.h).
#pragma once
#include <napi.h>

#include "common/error_message.h"

namespace bertrun {

// The JS Error for a described native error.
inline Napi::Error js_error(Napi::Env env, const NativeError& error) {
  Napi::Error js = Napi::Error::New(env, error.message);
  if (!error.code.empty()) js.Value().Set("code", error.code);
  return js;
}

template <typename Body>
auto js_guard(Napi::Env env, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw js_error(env, describe_error(std::current_exception()));
  }
}

using JsFunction = Napi::Value (*)(const Napi::CallbackInfo&);

template <JsFunction function>
Napi::Value call_guarded(const Napi::CallbackInfo& info) {
  return js_guard(info.Env(), [&] { return function(info); });
}

// A module function behind the guard: exports.Set(name, guarded_function<&Function>(env, name)).
template <JsFunction function>
Napi::Function guarded_function(Napi::Env env, const char* name) {
  return Napi::Function::New<&call_guarded<function>>(env, name);
}

// The base of every exported class: GuardedMethod<&T::Method>("name") registers a method behind
// the guard (DefineClass(env, "Name", { GuardedMethod<&T::Run>("run"), ... })).
template <typename T>
class GuardedObjectWrap : public Napi::ObjectWrap<T> {
 public:
  explicit GuardedObjectWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<T>(info) {}

 protected:
  using Method = Napi::Value (T::*)(const Napi::CallbackInfo&);

  template <Method method>
  static Napi::ClassPropertyDescriptor<T> GuardedMethod(const char* name) {
    // A method of this base is a method of T: ObjectWrap dispatches to it on the unwrapped T.
    typename Napi::ObjectWrap<T>::InstanceMethodCallback guarded = &GuardedObjectWrap::CallGuarded<method>;
    return Napi::ObjectWrap<T>::InstanceMethod(name, guarded);
  }

 private:
  template <Method method>
  Napi::Value CallGuarded(const Napi::CallbackInfo& info) {
    return js_guard(info.Env(), [&] { return (static_cast<T*>(this)->*method)(info); });
  }
};

}  // namespace bertrun
