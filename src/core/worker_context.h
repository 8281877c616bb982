// The per-worker services a session uses. Built by the Engine; everything referenced lives as
// long as the worker. Loop-thread only except where a member says otherwise.
#pragma once

#include <cstddef>

#include "common/event_loop.h"
#include "config/generation.h"
#include "metrics/metrics.h"
#include "trace/tracer.h"

namespace wps::upstream {
class EventDispatcher;
}

namespace wps::delivery {
class EventOutbox;
}

namespace wps::core {

class Broker;
class ConnectionDirectory;
class Shard;
class ReconnectionTokens;

struct WorkerContext {
  size_t index;
  EventLoop& loop;
  // The worker's current settings generation: replaced on its loop thread by a reload
  // (Engine::applySettings). Read it afresh after every asynchronous wait; keep a copy of the
  // pointer to hold one generation across a wait.
  config::SettingsPtr generation;
  Shard& shard;
  upstream::EventDispatcher& dispatcher;
  delivery::EventOutbox& outbox;     // thread-safe: connected/disconnected go here
  Broker& broker;                    // thread-safe
  ConnectionDirectory& directory;    // thread-safe
  const ReconnectionTokens& tokens;  // thread-safe
  metrics::Metrics& metrics;         // thread-safe
  trace::Tracer& tracer;             // thread-safe: live-trace events (check active() first)
  // This worker's counters: only its loop thread counts in them (Metrics::inc/add); /metrics
  // scrapes read them from any thread. Registered with `metrics` while the worker exists.
  metrics::CounterBlock counters{metrics};

  // Loop thread. The settings in effect on this worker now.
  const config::ServerSettings& settings() const { return *generation; }
};

}  // namespace wps::core
