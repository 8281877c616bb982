// An EventLoop for unit tests: nothing runs until the test says so, and time moves only with
// advance(). Single-threaded: the test thread is the loop thread.
#pragma once

#include <algorithm>
#include <deque>
#include <map>
#include <memory>

#include "common/event_loop.h"

namespace wps::test {

class ManualEventLoop : public EventLoop {
 public:
  void post(Task task) override { posted_.push_back(std::move(task)); }

  std::unique_ptr<Timer> schedule(Duration delay, Task task) override {
    auto state = std::make_shared<TimerState>();
    state->task = std::move(task);
    timers_.emplace(std::make_pair(now_ + delay, seq_++), state);
    return std::make_unique<ManualTimer>(state);
  }

  TimePoint now() const override { return now_; }
  WallTime wallNow() const override { return wallStart_ + (now_ - TimePoint{}); }
  bool isInLoopThread() const override { return true; }
  size_t index() const override { return 0; }

  // Runs posted tasks (including ones they post) until none is left. Returns how many ran.
  size_t runPending() {
    size_t n = 0;
    while (!posted_.empty()) {
      Task t = std::move(posted_.front());
      posted_.pop_front();
      t();
      ++n;
    }
    return n;
  }

  // Moves time forward, firing due timers in order (and running posted tasks in between).
  void advance(Duration d) {
    TimePoint end = now_ + d;
    runPending();
    while (!timers_.empty() && timers_.begin()->first.first <= end) {
      auto it = timers_.begin();
      now_ = std::max(now_, it->first.first);
      auto state = it->second;
      timers_.erase(it);
      if (!state->cancelled && state->task) {
        Task t = std::move(state->task);
        t();
      }
      runPending();
    }
    now_ = end;
  }

  size_t pendingTimers() const {
    size_t n = 0;
    for (const auto& [k, s] : timers_)
      n += s->cancelled ? 0 : 1;
    return n;
  }

 private:
  struct TimerState {
    Task task;
    bool cancelled = false;
  };
  class ManualTimer : public Timer {
   public:
    explicit ManualTimer(std::shared_ptr<TimerState> s) : s_(std::move(s)) {}
    ~ManualTimer() override { cancel(); }
    void cancel() override {
      s_->cancelled = true;
      s_->task = nullptr;
    }

   private:
    std::shared_ptr<TimerState> s_;
  };

  TimePoint now_{std::chrono::hours(1)};
  WallTime wallStart_{std::chrono::seconds(1800000000)};
  uint64_t seq_ = 0;
  std::deque<Task> posted_;
  std::multimap<std::pair<TimePoint, uint64_t>, std::shared_ptr<TimerState>> timers_;
};

}  // namespace wps::test
