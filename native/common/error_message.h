// The one place that turns any C++ exception into a message a user can act on.
#pragma once
#include <exception>
#include <string>

namespace bertrun {

// Message for the exception in flight (call inside a catch block or with a captured pointer).
// c10 errors lose their C++ backtrace; out-of-memory errors gain a hint on what to change.
std::string describe_exception(std::exception_ptr error);

}  // namespace bertrun
