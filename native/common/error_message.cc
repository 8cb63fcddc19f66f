#include "common/error_message.h"

#include <c10/util/Exception.h>

#include <stdexcept>

namespace bertrun {

std::string describe_exception(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const c10::OutOfMemoryError& e) {
    return std::string("out of memory: ") + e.what_without_backtrace() +
           "\nFix: lower per_device_train_batch_size (use gradient_accumulation_steps to keep the effective batch), "
           "lower max_seq_length, or enable fp16/bf16.";
  } catch (const c10::Error& e) {
    return std::string("libtorch error: ") + e.what_without_backtrace();
  } catch (const std::bad_alloc&) {
    return "out of host memory. Fix: lower the batch size or sequence length.";
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown native error";
  }
}

}  // namespace bertrun
