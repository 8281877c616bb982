// Small error values used at module boundaries (no exceptions on the data path).
// Thread-safety: value types; safe to copy between threads.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace wps {

// Broad error category. The client-visible code (close code, ack error name, HTTP status,
// REST error code) is decided by the layer that talks to the client, from this category and
// the catalogue in common/errors.h.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // malformed input from a peer
  kUnauthenticated,     // bad/missing token or signature
  kPermissionDenied,    // authenticated, but not allowed
  kNotFound,            // target does not exist
  kAlreadyExists,       // duplicate
  kResourceExhausted,   // a bounded queue or limit is full
  kUnavailable,         // peer down, connection refused/reset; retryable
  kDeadlineExceeded,    // timeout
  kCancelled,           // the caller went away
  kFailedPrecondition,  // operation not valid in the current state
  kUnsupported,         // recognised but not supported
  kDataLoss,            // stored data is corrupt or unreadable (never silently recreated)
  kInternal,            // bug or unexpected condition
};

const char* statusCodeName(StatusCode code);

// A success or an error category plus a human-readable message.
class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }
  bool isOk() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return isOk(); }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "InvalidArgument: <message>"; "OK" for success.
  std::string toString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status invalidArgument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status unauthenticated(std::string m) {
  return {StatusCode::kUnauthenticated, std::move(m)};
}
inline Status internalError(std::string m) {
  return {StatusCode::kInternal, std::move(m)};
}

// Either a value or a non-OK Status. Accessing value() of an error is a programming error.
template <class T>
class StatusOr {
 public:
  StatusOr(T value) : v_(std::move(value)) {}        // NOLINT(implicit)
  StatusOr(Status status) : v_(std::move(status)) {  // NOLINT(implicit)
    assert(!std::get<Status>(v_).isOk());
  }

  bool isOk() const { return v_.index() == 0; }
  explicit operator bool() const { return isOk(); }
  const Status& status() const {
    static const Status kOk;
    return isOk() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace wps
