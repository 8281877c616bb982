#include "upstream/abuse_protection.h"

#include "cloudevents/request_builder.h"
#include "common/log.h"

namespace wps::upstream {

using std::chrono::seconds;

std::string AbuseProtection::keyOf(const ProbeTarget& target) {
  // '\n' cannot appear in a URL nor in a header value.
  return target.url + '\n' + target.origin;
}

AbuseProtection::Entry& AbuseProtection::entryFor(const std::string& key) {
  if (entries_.size() >= kMaxEntries && !entries_.contains(key)) {
    for (bool failedOnly : {true, false}) {
      std::erase_if(entries_, [failedOnly](const auto& kv) {
        const Entry& e = kv.second;
        return !e.probing && (!failedOnly || (e.initialized && !e.success));
      });
      if (entries_.size() < kMaxEntries) break;
    }
  }
  return entries_[key];
}

bool AbuseProtection::check(const ProbeTarget& target, Delivery& delivery,
                            std::function<void(bool)> done) {
  TimePoint now = delivery.loop().now();
  bool runProbe = false;
  bool overflow = false;
  std::optional<bool> immediate;
  {
    MutexLock lock(mu_);
    Entry& e = entryFor(keyOf(target));
    if (now >= e.next && !e.probing) {
      e.probing = true;
      runProbe = true;
    }
    if (e.initialized) {
      immediate = e.success;
    } else if (e.waiters.size() >= maxWaiters_) {
      overflow = true;
      immediate = false;
    } else {
      e.waiters.push_back({&delivery.loop(), std::move(done)});
    }
  }
  if (runProbe) startProbe(target, delivery);
  if (immediate) done(*immediate);
  return !overflow;
}

void AbuseProtection::clear() {
  MutexLock lock(mu_);
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (!it->second.probing) {
      it = entries_.erase(it);
      continue;
    }
    // A probe is in flight: its waiters still need its answer, and later events wait for it
    // instead of using the forgotten result.
    Entry& e = it->second;
    e.initialized = false;
    e.success = true;
    e.interval = {};
    ++it;
  }
}

void AbuseProtection::startProbe(const ProbeTarget& target, Delivery& delivery) {
  struct Probe {
    ProbeTarget target;
    std::unique_ptr<RequestHandle> inflight;
  };
  auto probe = std::make_shared<Probe>();
  probe->target = target;
  {
    // The entry owns the probe until finishProbe(); callbacks hold it weakly, so a probe that
    // never completes (shutdown) is freed with the entry instead of leaking through a cycle.
    MutexLock lock(mu_);
    entryFor(keyOf(target)).probe = probe;
  }
  std::weak_ptr<Probe> weak = probe;
  EventLoop& loop = delivery.loop();
  auto judge = [this, weak, &loop](StatusOr<http::HttpResponse> r) {
    auto probe = weak.lock();
    if (!probe) return;
    bool ok = r && cloudevents::validationAllows(*r, probe->target.origin);
    if (!ok) {
      if (!r) {
        WPS_LOG_WARN("abuse protection: validation of {} failed: {}", redactUrl(probe->target.url),
                     r.status().toString());
      } else {
        WPS_LOG_WARN("abuse protection: validation of {} failed: status {}, {}",
                     redactUrl(probe->target.url), r->status,
                     r->isSuccess() ? "WebHook-Allowed-Origin does not allow this origin"
                                    : "non-2xx status");
      }
    }
    finishProbe(keyOf(probe->target), ok, loop.now());
  };
  auto options = cloudevents::buildValidationRequest(target.url, "OPTIONS", target.origin,
                                                     target.hub, target.extra);
  Delivery* d = &delivery;
  probe->inflight = delivery.send(
      std::move(options), loop.now() + probeTimeout_,
      [this, weak, judge, d](StatusOr<http::HttpResponse> r) mutable {
        auto probe = weak.lock();
        if (!probe) return;
        if (r && r->status == 404) {
          auto get =
              cloudevents::buildValidationRequest(probe->target.url, "GET", probe->target.origin,
                                                  probe->target.hub, probe->target.extra);
          // Replacing the handle from inside its own callback is allowed (it only cancels a
          // delivery that has already finished).
          probe->inflight = d->send(std::move(get), d->loop().now() + probeTimeout_, judge);
          return;
        }
        judge(std::move(r));
      });
}

void AbuseProtection::finishProbe(const std::string& key, bool ok, TimePoint now) {
  std::vector<Waiter> waiters;
  std::shared_ptr<void> finished;  // released outside the lock
  {
    MutexLock lock(mu_);
    Entry& e = entries_[key];
    if (ok) {
      e.interval = seconds(60);
    } else if (e.success || !e.initialized) {
      e.interval = seconds(1);
    } else {
      e.interval = std::min<Duration>(e.interval * 2, seconds(60));
    }
    e.success = ok;
    e.initialized = true;
    e.probing = false;
    e.next = now + e.interval;
    waiters.swap(e.waiters);
    finished = std::move(e.probe);
  }
  for (auto& w : waiters) {
    if (w.loop->isInLoopThread()) {
      w.done(ok);
    } else {
      w.loop->post([done = std::move(w.done), ok] { done(ok); });
    }
  }
}

}  // namespace wps::upstream
