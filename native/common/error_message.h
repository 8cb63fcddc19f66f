// The one place that turns any C++ exception into a message a user can act on.
#pragma once
#include <exception>
#include <string>

namespace bertrun {

// The JS Error `code` of an allocation failure (CUDA caching allocator, CPU allocator, host
// bad_alloc). lib/native.ts declares the same value as NATIVE_OUT_OF_MEMORY_CODE.
inline constexpr const char* kOutOfMemoryCode = "BERTRUN_OUT_OF_MEMORY";

struct NativeError {
  std::string message;
  std::string code;  // empty, or kOutOfMemoryCode
};

// The exception in flight (call inside a catch block or with a captured pointer), described.
// c10 errors lose their C++ backtrace; out-of-memory errors gain a hint on what to change and
// the code kOutOfMemoryCode.
NativeError describe_error(std::exception_ptr error);

// Its message alone, for messages that quote the cause of a failure.
std::string describe_exception(std::exception_ptr error);

}  // namespace bertrun
