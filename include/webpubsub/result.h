// webpubsub::Result<T>: a value or an Error, the return type of every fallible SDK call (the SDK
// never throws on the request path). Value types; safe to copy and move between threads.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace webpubsub {

// An error with an HTTP status, a machine-readable code and a human-readable message.
//  - Upstream parsing: `status` is the status the HTTP answer to the service should carry
//    (400, 401, 405, 415), `code` one of the codes listed in upstream.h.
//  - Service client: `status` is the HTTP status the service answered (0 when there was no
//    HTTP answer: connection failure, timeout, cancellation, invalid argument), `code` the
//    service's error code (x-ms-error-code header, else the body's "code"; e.g.
//    "Error.Connection.NotExisted") or a client-side code ("ConnectionFailed", "Timeout",
//    "Cancelled", "InvalidArgument", "InvalidResponse", "UnexpectedStatus").
struct Error {
  int status = 0;
  std::string code;
  std::string message;
};

// Either a T or an Error. Accessing value() of an error (or error() of a value) is a
// programming error (asserted in debug builds).
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

// Success without a value, or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace webpubsub
