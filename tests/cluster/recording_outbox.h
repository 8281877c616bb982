// A delivery::EventOutbox for tests: records every accepted event, recorded connection and
// state update.
// Thread-safe (one mutex), like the real outbox.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/mutex.h"
#include "delivery/event_outbox.h"

namespace wps::cluster::test {

class RecordingOutbox : public delivery::EventOutbox {
 public:
  void accept(delivery::PendingEvent event, SetCookieHook) override {
    MutexLock lock(mu_);
    events_.push_back(std::move(event));
  }
  void recordConnection(delivery::ConnectionRecord record) override {
    MutexLock lock(mu_);
    records_.push_back(std::move(record));
  }
  void updateConnectionState(std::string connectionId, std::string state) override {
    MutexLock lock(mu_);
    states_.emplace_back(std::move(connectionId), std::move(state));
  }
  std::vector<delivery::PendingEvent> events() const {
    MutexLock lock(mu_);
    return events_;
  }
  std::vector<delivery::ConnectionRecord> records() const {
    MutexLock lock(mu_);
    return records_;
  }
  std::vector<std::pair<std::string, std::string>> states() const {
    MutexLock lock(mu_);
    return states_;
  }

 private:
  mutable Mutex mu_;
  std::vector<delivery::PendingEvent> events_ GUARDED_BY(mu_);
  std::vector<delivery::ConnectionRecord> records_ GUARDED_BY(mu_);
  std::vector<std::pair<std::string, std::string>> states_ GUARDED_BY(mu_);
};

}  // namespace wps::cluster::test
