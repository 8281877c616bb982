// Coroutine helpers shared by the HTTP session, the WebSocket upgrade and the socket migration
// (Asio only, no Beast).
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <optional>
#include <utility>

namespace wps::transport {

// Completion token: co_await yields (error_code, result...) instead of throwing.
inline constexpr auto kTuple = boost::asio::as_tuple(boost::asio::use_awaitable);

// Waits inside a coroutine for a callback-style result delivered on the same thread. Owned
// (shared) by the waiting coroutine and the callback; used on one loop thread only.
template <class T>
struct Rendezvous {
  explicit Rendezvous(boost::asio::io_context& io)
      : timer(io, boost::asio::steady_timer::time_point::max()) {}
  boost::asio::steady_timer timer;
  std::optional<T> value;

  // Stores the result and wakes the waiter.
  void set(T v) {
    value = std::move(v);
    timer.cancel();
  }
  // Completes once set() was called (at once when it already was).
  boost::asio::awaitable<void> wait() {
    if (!value) co_await timer.async_wait(kTuple);
  }
};

}  // namespace wps::transport
