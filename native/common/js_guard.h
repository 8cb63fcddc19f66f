// The one guard for code on the JS thread: any C++ exception becomes a JS Error with an
// actionable message (Napi errors pass through unchanged). Never lets an exception abort Node.
#pragma once
#include <napi.h>

#include "common/error_message.h"

namespace bertrun {

template <typename Body>
auto js_guard(Napi::Env env, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw Napi::Error::New(env, describe_exception(std::current_exception()));
  }
}

}  // namespace bertrun
