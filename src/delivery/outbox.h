// The outbox: delivers every accepted unblocking event at least once, in acceptance order per
// connection, with no head-of-line blocking across connections (docs/delivery.md). Producers
// hand events over from any thread (EventOutbox); the outbox thread moves them into the store
// once per loop turn (one transaction per batch: group commit), leases due heads, posts each
// with one attempt through the upstream client, and then removes it (2xx; 410 and other 4xx:
// dropped) or reschedules it (408, 429, 5xx, network errors, validation failure: exponential
// backoff with jitter from 1 s to delivery.max_retry_delay_seconds, Retry-After honoured up to
// that cap). A 1 s tick drops expired and overflowing events and logs a backlog warning at most
// once a minute.
// Owned by the Server. accept(), recordConnection(), updateConnectionState() and
// pendingEvents() are thread-safe; everything else runs on the outbox thread (its own event
// loop and upstream client).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "common/event_loop.h"
#include "common/status.h"
#include "config/generation.h"
#include "delivery/event_outbox.h"
#include "delivery/outbox_store.h"
#include "metrics/metrics.h"
#include "trace/tracer.h"
#include "upstream/abuse_protection.h"
#include "upstream/upstream_client.h"

namespace wps::delivery {

// The disconnected reason of a connection recorded by a process that did not stop cleanly.
inline constexpr std::string_view kReasonServerRestarted = "The server restarted.";
// The disconnected reason of a connection of a cluster node that died.
inline constexpr std::string_view kReasonNodeStopped = "The server node stopped.";
// The ce-id of a `disconnected` event the server makes for a connection it no longer holds
// (after a restart, or for a dead node): never used by a live connection (theirs are numbers).
inline constexpr std::string_view kRecoveredCeId = "recovered";

class Outbox final : public EventOutbox {
 public:
  // `loop`, `client`, `abuse` and `metrics` must outlive the outbox. `loop` and `client` belong
  // to the outbox thread. `settings` is the first generation (a reload sets the next ones).
  Outbox(config::SettingsPtr settings, EventLoop& loop, upstream::UpstreamClient& client,
         upstream::AbuseProtection& abuse, std::unique_ptr<OutboxStore> store,
         metrics::Metrics& metrics);
  // The same with settings that must outlive the outbox (tests, tools).
  Outbox(const config::ServerSettings& settings, EventLoop& loop, upstream::UpstreamClient& client,
         upstream::AbuseProtection& abuse, std::unique_ptr<OutboxStore> store,
         metrics::Metrics& metrics)
      : Outbox(config::unownedSettings(settings), loop, client, abuse, std::move(store), metrics) {}
  ~Outbox() override;

  // Outbox thread, once, before any event is accepted from elsewhere: queues a `disconnected`
  // (reason kReasonServerRestarted, ce-id kRecoveredCeId) for every orphaned connection record
  // and starts delivering. Errors: the store's.
  Status start();
  // Before start(): every delivery attempt becomes a live-trace event while `tracer` has
  // viewers (its attempt number is always 1: the outbox's own retries are separate events).
  void traceInto(trace::Tracer* tracer);

  void accept(PendingEvent event, SetCookieHook onSetCookie = {}) override;
  void recordConnection(ConnectionRecord record) override;
  void updateConnectionState(std::string connectionId, std::string state) override;

  // Thread-safe (a reload): posts `settings` to the outbox thread; attempts started from then on
  // use its handlers and access keys (ce-signature). Call only while the outbox's loop runs or
  // before start(). Precondition: delivery.* equal the start's (config::planReload).
  void setSettings(config::SettingsPtr settings);

  // Thread-safe: events accepted and neither delivered nor dropped yet.
  uint64_t pendingEvents() const { return pending_.load(std::memory_order_relaxed); }

  // Outbox thread: moves every accepted event into the store, cancels the attempts in flight
  // (their events stay pending) and stops scheduling. Returns the events left pending.
  uint64_t stop();

  class Impl;  // outbox.cc

 private:
  std::unique_ptr<Impl> impl_;
  std::atomic<uint64_t> pending_{0};
};

}  // namespace wps::delivery
