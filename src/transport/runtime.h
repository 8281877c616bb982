// The transport runtime: N worker threads with their event loops, the listener, the HTTP
// server (client upgrades → core handshakes; other paths → HttpHandler) and the WebSocket
// transports. The only public face of the Asio/Beast code; no Asio types here.
#pragma once

#include <memory>
#include <string>

#include "common/event_loop.h"
#include "common/status.h"
#include "config/settings.h"
#include "transport/http_handler.h"
#include "upstream/upstream_client.h"

namespace wps::core {
class Engine;
}

namespace wps::transport {

// Owned by the Server and driven by its control thread; the calls marked thread-safe may come
// from any thread. Implemented by runtime.cc, which composes workers.h, acceptor.h and
// http_session.h.
class Runtime {
 public:
  virtual ~Runtime() = default;

  // Creates `settings.workers` workers (0 = number of cores). Nothing runs yet.
  static std::unique_ptr<Runtime> create(const config::ServerSettings& settings);

  virtual size_t workerCount() const = 0;
  virtual EventLoop& loop(size_t worker) = 0;
  virtual upstream::UpstreamClient& upstreamClient(size_t worker) = 0;
  // The outbox thread's event loop and upstream client (delivery/outbox.h): one more thread
  // that runs no WebSocket clients. Used only on that thread once startOutbox() ran.
  virtual EventLoop& outboxLoop() = 0;
  virtual upstream::UpstreamClient& outboxClient() = 0;

  // Binds the listening socket. Port 0 picks a free port. Returns the bound port. Errors:
  // kUnavailable with the OS message (address in use, permission denied, bad address).
  virtual StatusOr<uint16_t> listen(const std::string& host, uint16_t port) = 0;

  // Thread-safe. Loads [tls] for the connections accepted from now on (https and wss only while
  // it is enabled); open connections keep theirs. On an error the previous files stay in use.
  // Errors: kInvalidArgument naming tls.cert_file or tls.key_file (tls_context.h).
  virtual Status loadTls(const config::TlsSettings& tls) = 0;

  // Thread-safe (a reload). WebSocket handshakes from now on are admitted under
  // limits.max_connections and max_connections_per_ip; open connections stay.
  virtual void applyAdmissionLimits(const config::LimitSettings& limits) = 0;

  // Connects the engine and the HTTP handler. Call once before start().
  virtual void attach(core::Engine& engine, HttpHandler& handler) = 0;

  // Starts the outbox thread. Once, before start() (so the outbox is ready before clients).
  virtual void startOutbox() = 0;
  // Starts the worker threads and accepting.
  virtual void start() = 0;
  // Thread-safe. Stops accepting new TCP connections and closes idle HTTP connections.
  virtual void stopAccepting() = 0;
  // Thread-safe. Open WebSocket transports on all workers.
  virtual size_t openWebSockets() = 0;
  // Thread-safe. Stops every loop (the outbox thread's too) and joins the threads. Pending work
  // is dropped.
  virtual void stop() = 0;
};

}  // namespace wps::transport
