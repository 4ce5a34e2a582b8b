// Result<T>: expected failures as values, classified by what the caller does next.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace edgestream {

// What the caller must do when it receives an error of this kind.
enum class ErrorKind {
  kRetriable,      // retry the same call later, with backoff, within its deadline
  kAbort,          // abort the transaction, rewind to committed offsets, begin again
  kFatal,          // flush what is safe to flush and exit non-zero
  kInvalidInput,   // this record can never succeed: dead-letter or quarantine it
  kInvalidConfig,  // tell the operator which setting is wrong and exit non-zero
};

const char* to_string(ErrorKind kind);

class Error {
 public:
  Error(ErrorKind kind, std::string message) : kind_(kind), message_(std::move(message)) {}

  ErrorKind kind() const { return kind_; }
  const std::string& message() const { return message_; }

  // Prefixes context ("PutObject s3://b/k: ") while keeping the kind.
  Error with_context(const std::string& context) const {
    return Error(kind_, context + ": " + message_);
  }

 private:
  ErrorKind kind_;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Error error) : value_(std::move(error)) {}      // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(value_); }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok() && "value() on an error Result is a bug");
    return std::get<T>(value_);
  }
  T&& value() && {
    assert(ok() && "value() on an error Result is a bug");
    return std::get<T>(std::move(value_));
  }
  const T& value() const& {
    assert(ok() && "value() on an error Result is a bug");
    return std::get<T>(value_);
  }
  const Error& error() const {
    assert(!ok() && "error() on an ok Result is a bug");
    return std::get<Error>(value_);
  }

 private:
  std::variant<T, Error> value_;
};

// Result<void> equivalent.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design
  static Status success() { return Status(); }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_ && "error() on an ok Status is a bug");
    return error_;
  }

 private:
  Error error_{ErrorKind::kFatal, ""};
  bool ok_ = true;
};

}  // namespace edgestream
