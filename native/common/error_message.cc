#include "common/error_message.h"

#include <c10/util/Exception.h>

#include <new>

namespace bertrun {

namespace {

// The fix for any allocation failure. The trainer, which knows the batch size, sequence length
// and precision it ran with, replaces it with flags to change (lib/training/out_of_memory.ts).
NativeError out_of_memory(const std::string& what) {
  return {"out of memory: " + what +
              "\nFix: lower per_device_train_batch_size (use gradient_accumulation_steps to keep the effective "
              "batch), lower max_seq_length, enable gradient_checkpointing, or enable bf16/fp16.",
          kOutOfMemoryCode};
}

}  // namespace

NativeError describe_error(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const c10::OutOfMemoryError& e) {
    return out_of_memory(e.what_without_backtrace());
  } catch (const c10::Error& e) {
    const std::string what = e.what_without_backtrace();
    // libtorch's CPU allocator reports a failed allocation as a plain c10::Error.
    if (what.find("can't allocate memory") != std::string::npos) return out_of_memory(what);
    return {"libtorch error: " + what, ""};
  } catch (const std::bad_alloc&) {
    return out_of_memory("a host allocation failed");
  } catch (const std::exception& e) {
    return {e.what(), ""};
  } catch (...) {
    return {"unknown native error", ""};
  }
}

std::string describe_exception(std::exception_ptr error) { return describe_error(error).message; }

}  // namespace bertrun
