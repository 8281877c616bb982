// An EventOutbox for unit tests: records every accepted event (with its Set-Cookie hook), every
// recorded connection and every connection-state update, delivers nothing. Thread-safe like the
// interface: a mutex guards the records; tests read them once the producers are quiet.
#pragma once

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "delivery/event_outbox.h"

namespace wps::test {

class FakeEventOutbox : public delivery::EventOutbox {
 public:
  struct Accepted {
    delivery::PendingEvent event;
    SetCookieHook onSetCookie;
    bool hadHook = false;
  };
  struct StateUpdate {
    std::string connectionId;
    std::string state;
  };

  // Hooks are dropped at once (as for an event delivered without Set-Cookie) unless
  // keepHooks is set; release(i) drops a kept one.
  bool keepHooks = false;

  void accept(delivery::PendingEvent event, SetCookieHook onSetCookie = {}) override {
    std::lock_guard lock(mu_);
    bool had = static_cast<bool>(onSetCookie);
    if (!keepHooks) onSetCookie = nullptr;
    accepted_.push_back({std::move(event), std::move(onSetCookie), had});
  }

  // Whether event `i` came with a hook.
  bool hadHook(size_t i) const {
    std::lock_guard lock(mu_);
    return accepted_.at(i).hadHook;
  }
  // Drops the kept hook of event `i` (the outbox delivered or dropped the event).
  void release(size_t i) {
    SetCookieHook gone;
    std::lock_guard lock(mu_);
    gone.swap(accepted_.at(i).onSetCookie);
  }

  void recordConnection(delivery::ConnectionRecord record) override {
    std::lock_guard lock(mu_);
    records_.push_back(std::move(record));
  }

  void updateConnectionState(std::string connectionId, std::string state) override {
    std::lock_guard lock(mu_);
    updates_.push_back({std::move(connectionId), std::move(state)});
  }

  size_t count() const {
    std::lock_guard lock(mu_);
    return accepted_.size();
  }
  // Event `i` in acceptance order (a copy: producers may still append).
  delivery::PendingEvent event(size_t i) const {
    std::lock_guard lock(mu_);
    return accepted_.at(i).event;
  }
  SetCookieHook hook(size_t i) const {
    std::lock_guard lock(mu_);
    return accepted_.at(i).onSetCookie;
  }
  // The events of `connectionId` in acceptance order.
  std::vector<delivery::PendingEvent> eventsOf(const std::string& connectionId) const {
    std::lock_guard lock(mu_);
    std::vector<delivery::PendingEvent> out;
    for (const auto& a : accepted_) {
      if (a.event.connectionId == connectionId) out.push_back(a.event);
    }
    return out;
  }
  std::vector<StateUpdate> stateUpdates() const {
    std::lock_guard lock(mu_);
    return updates_;
  }
  // The recordConnection() calls in order.
  std::vector<delivery::ConnectionRecord> recordedConnections() const {
    std::lock_guard lock(mu_);
    return records_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Accepted> accepted_;
  std::vector<StateUpdate> updates_;
  std::vector<delivery::ConnectionRecord> records_;
};

}  // namespace wps::test
