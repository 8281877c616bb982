// What the HTTP sessions, WebSocket upgrades and socket migrations of every worker share: the
// settings, the engine, the HTTP handler, the workers and the "still accepting" flag. No Asio.
#pragma once

#include <atomic>

#include "config/generation.h"
#include "transport/admission.h"
#include "transport/ws_connection.h"

namespace wps::core {
class Engine;
}

namespace wps::transport {

class HttpHandler;
class WorkerPool;

// Owned by the Runtime. Filled on the control thread before start() and read-only afterwards,
// except `admission` (thread-safe) and `accepting`, which the acceptor's thread clears and every
// worker reads.
struct ServerContext {
  ServerContext(const config::ServerSettings& s, WorkerPool& w)
      : startSettings(s),
        workers(w),
        admission(s.limits.maxConnections, s.limits.maxConnectionsPerIp) {}

  // Worker `worker`'s loop thread: its current settings generation (the engine's). Hold the
  // pointer, never a reference into it, across an asynchronous wait.
  config::SettingsPtr settingsOn(size_t worker) const;
  // Worker `worker`'s loop thread: the limits of a WebSocket transport created now.
  WsLimits wsLimitsOn(size_t worker) const { return wsLimitsOf(settingsOn(worker)->limits); }

  // The settings at start: only their restart-only values (listen, workers) are read.
  const config::ServerSettings& startSettings;
  WorkerPool& workers;
  mutable Admission admission;        // thread-safe: WebSocket clients counted node-wide and per IP
  core::Engine* engine = nullptr;     // set by Runtime::attach
  HttpHandler* handler = nullptr;     // set by Runtime::attach
  std::atomic<bool> accepting{true};  // false once stopAccepting() ran: no more keep-alive

 private:
  static WsLimits wsLimitsOf(const config::LimitSettings& limits) {
    WsLimits l;
    l.maxMessageBytes = limits.maxMessageBytes;
    l.maxQueuedBytes = limits.outboundQueueBytes;
    l.maxQueuedFrames = limits.outboundQueueMessages;
    return l;
  }
};

}  // namespace wps::transport
