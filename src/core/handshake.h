// The client handshake (client-protocols.md §1.3): hub and token checks, simple-client mode
// parameters, the upstream `connect` event, subprotocol selection, and recovery requests of
// reliable sessions. One instance per worker; loop-thread only.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/session.h"
#include "core/worker_context.h"
#include "http/message.h"
#include "upstream/connect_event.h"

namespace wps::core {

struct HandshakeRequest {
  std::string hub;                        // from the path (/client/hubs/{hub}) or ?hub=, decoded
  upstream::MultiMap query;               // decoded query parameters, in order
  http::HttpHeaders headers;              // all request headers
  std::vector<std::string> subprotocols;  // offered, in order
  std::string host;                       // Host header
  bool secure = false;                    // TLS
};

struct HandshakeResult {
  enum class Kind {
    kReject,          // answer `status` (no upgrade)
    kAccept,          // 101 with `subprotocol`; then session->start(transport)
    kRecover,         // 101 with `subprotocol`; then resume session `connectionId` on `worker`
    kRecoveryFailed,  // 101 with `subprotocol`, then close 1008 at once
  };
  Kind kind = Kind::kReject;
  int status = 0;
  std::string body;         // kReject: short text/plain body
  std::string subprotocol;  // "" = no Sec-WebSocket-Protocol header
  std::shared_ptr<ClientSession> session;
  size_t worker = 0;
  std::string connectionId;
};

class HandshakeService {
 public:
  explicit HandshakeService(WorkerContext& worker) : worker_(worker) {}

  // Decides the handshake. `done` runs on the loop thread, synchronously for every answer that
  // needs no upstream call. While the connect event is in flight the caller keeps the request
  // open. Destroying the returned handle (non-null only while waiting) cancels the connect
  // event; `done` is then not called.
  std::unique_ptr<upstream::RequestHandle> handle(HandshakeRequest request,
                                                  std::function<void(HandshakeResult)> done);

 private:
  WorkerContext& worker_;
};

// Generates an unguessable, URL-safe connection id (22 characters, 128 random bits).
std::string newConnectionId();

}  // namespace wps::core
