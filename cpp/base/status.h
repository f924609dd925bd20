// Errors in the engine are values, never exceptions or aborts: every fallible call returns a
// Status, and the bindings turn it into the JavaScript error class of the same name.
#pragma once

#include <string>
#include <utility>

namespace bn {

enum class Code : int {
  Ok = 0,
  TypeError = 1,   // wrong kind of argument (not an integer, ...)
  RangeError = 2,  // wrong length, shape, size or value
  StateError = 3,  // the object cannot do this now (backward before forward, ...)
  OutOfMemory = 4, // the wasm heap could not grow
};

struct Status {
  Code code = Code::Ok;
  std::string message;

  static Status ok() { return {}; }
  static Status type_error(std::string m) { return {Code::TypeError, std::move(m)}; }
  static Status range_error(std::string m) { return {Code::RangeError, std::move(m)}; }
  static Status state_error(std::string m) { return {Code::StateError, std::move(m)}; }
  static Status out_of_memory(std::string m) { return {Code::OutOfMemory, std::move(m)}; }
  bool is_ok() const { return code == Code::Ok; }
  explicit operator bool() const { return is_ok(); }
};

// Propagate a non-ok Status to the caller.
#define BN_TRY(expr)                      \
  do {                                    \
    ::bn::Status bn_try_status_ = (expr); \
    if (!bn_try_status_) return bn_try_status_; \
  } while (0)

}  // namespace bn
