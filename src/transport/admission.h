// Admission of WebSocket clients: the node's count of client connections (limits.max_connections)
// and, when configured, the count per peer address (limits.max_connections_per_ip). No Beast.
#pragma once

#include <boost/asio/ip/address.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <unordered_map>

#include "common/mutex.h"

namespace wps::transport {

// Shared by every worker (owned by the Runtime's ServerContext); thread-safe. A client holds a
// Ticket from the start of its WebSocket handshake until its socket is gone; the ticket moves
// with the socket (to a WsConnection, or to another worker on recovery), so a connection is
// counted once wherever it lives. A detached reliable session holds no socket and no ticket;
// its recovery handshake takes a ticket like any other.
class Admission {
 public:
  enum class Verdict {
    kAdmitted,
    kServerFull,          // limits.max_connections reached: 503
    kTooManyFromAddress,  // limits.max_connections_per_ip reached: 429
  };

  // One admitted connection. Move-only; releases its place when destroyed or release()d.
  // Any thread. Tickets may outlive the Admission that issued them (their state is shared).
  class Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept;
    Ticket& operator=(Ticket&& other) noexcept;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket() { release(); }
    // Gives the place back (idempotent).
    void release();
    bool valid() const { return state_ != nullptr; }

   private:
    friend class Admission;
    struct State;
    Ticket(std::shared_ptr<State> state, std::string key)
        : state_(std::move(state)), key_(std::move(key)) {}
    std::shared_ptr<State> state_;
    std::string key_;  // the peer address key; empty when per-address counting is off
  };

  // `maxPerAddress` 0: no per-address limit (and no per-address bookkeeping).
  Admission(size_t maxConnections, size_t maxPerAddress);

  // Any thread. Takes a place for a client from `peer`, or says which limit refused it (then
  // `*ticket` is left empty). The node-wide limit is checked first.
  Verdict admit(const boost::asio::ip::address& peer, Ticket* ticket);

  // Any thread (a reload). Admissions from now on check these limits; connections already
  // admitted stay. Per-address counting covers the clients admitted while it is on (> 0).
  void setLimits(size_t maxConnections, size_t maxPerAddress);

  // Any thread. Places taken now (node-wide / by `peer`).
  size_t connections() const;
  size_t connectionsFrom(const boost::asio::ip::address& peer) const;

  // The key `peer` is counted under: IPv4 and IPv4-mapped IPv6 (::ffff:a.b.c.d) addresses of
  // one host share it.
  static std::string addressKey(const boost::asio::ip::address& peer);

 private:
  std::shared_ptr<Ticket::State> state_;
};

// The shared counts behind an Admission and its tickets.
struct Admission::Ticket::State {
  State(size_t maxTotal, size_t maxPerKey) : maxTotal(maxTotal), maxPerKey(maxPerKey) {}
  std::atomic<size_t> maxTotal;  // relaxed: a reload may change them (setLimits)
  std::atomic<size_t> maxPerKey;
  std::atomic<size_t> total{0};
  mutable Mutex mu;
  std::unordered_map<std::string, size_t> perKey GUARDED_BY(mu);
};

}  // namespace wps::transport
