// Abuse-protection (webhook validation) results, cached per (validation URL, request origin) and
// shared by all workers (upstream-cloudevents.md §4.4): an answer judged for one
// WebHook-Request-Origin says nothing about another, so a client that makes its connection's
// origin odd (a bogus Host header) fails only its own events. The first event for a key waits
// for the probe
// (concurrent events share it); a success is trusted for 60 s, then re-checked in the
// background; a failure fails events at once and is re-checked after 1 s, doubling up to 60 s.
// Thread-safe: check() may be called from any worker; callbacks run on the caller's loop.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/event_loop.h"
#include "common/mutex.h"
#include "upstream/delivery.h"

namespace wps::upstream {

struct ProbeTarget {
  std::string url;          // the handler's template with {event} = "validate"
  std::string hub;          // lower-cased, sent as ce-hub
  std::string origin;       // WebHook-Request-Origin
  http::HttpHeaders extra;  // handler auth (Authorization), if configured
};

class AbuseProtection {
 public:
  // At most `maxWaiters` events (from all workers) wait for the first probe of one key
  // (upstream.max_pending_requests_per_origin).
  explicit AbuseProtection(Duration probeTimeout, size_t maxWaiters = SIZE_MAX)
      : probeTimeout_(probeTimeout), maxWaiters_(maxWaiters) {}

  // At most this many keys are cached; inserting beyond it first forgets failed results, then
  // every result whose probe is not running (their next events probe again).
  static constexpr size_t kMaxEntries = 4096;

  // Calls `done(true)` if events from `target.origin` may be posted to `target.url`,
  // `done(false)` if that validation failed. Runs `done` on `delivery.loop()`: synchronously when
  // the cached result is usable, otherwise once the probe (OPTIONS, then GET on 404, each bounded
  // by the probe timeout and retried per policy) completes. A probe needed by the call runs on the
  // calling worker. Returns false when `maxWaiters` events already wait for that probe:
  // `done(false)` has then run at once, as a probe that timed out would have answered.
  bool check(const ProbeTarget& target, Delivery& delivery, std::function<void(bool)> done)
      EXCLUDES(mu_);

  // Forgets every cached result (tests, config reload). Probes in flight complete and still
  // answer the events waiting for them; events checked meanwhile wait for those probes too.
  void clear() EXCLUDES(mu_);

 private:
  struct Waiter {
    EventLoop* loop;
    std::function<void(bool)> done;
  };
  struct Entry {
    bool initialized = false;
    bool success = true;
    bool probing = false;
    Duration interval{};
    TimePoint next{};
    std::vector<Waiter> waiters;
    std::shared_ptr<void> probe;  // the running probe (owned here; its callbacks hold it weakly)
  };

  // The cache key of `target`: its URL and origin.
  static std::string keyOf(const ProbeTarget& target);
  // The entry of `key`, made room for when new.
  Entry& entryFor(const std::string& key) REQUIRES(mu_);

  void startProbe(const ProbeTarget& target, Delivery& delivery) EXCLUDES(mu_);
  void finishProbe(const std::string& key, bool ok, TimePoint now) EXCLUDES(mu_);

  Duration probeTimeout_;
  size_t maxWaiters_;
  Mutex mu_;
  std::unordered_map<std::string, Entry> entries_ GUARDED_BY(mu_);
};

}  // namespace wps::upstream
