#include "server/reloader.h"

#include <future>

#include "common/log.h"
#include "common/thread_name.h"

namespace wps::server {

std::string configurationErrorText(const Status& status) {
  return "configuration error: " + status.message();
}

Reloader::Reloader(Apply apply) : apply_(std::move(apply)), thread_([this] { loop(); }) {}

Reloader::~Reloader() {
  stop();
}

void Reloader::setSource(Source source) {
  std::lock_guard lock(mu_);
  source_ = std::move(source);
}

void Reloader::request(Done done) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      queue_.push_back(std::move(done));
      wake_.notify_one();
      return;
    }
  }
  done(Status(StatusCode::kUnavailable, "the server is shutting down"));
}

StatusOr<config::ReloadPlan> Reloader::run() {
  std::promise<StatusOr<config::ReloadPlan>> result;
  auto future = result.get_future();
  request(
      [&result](StatusOr<config::ReloadPlan> outcome) { result.set_value(std::move(outcome)); });
  return future.get();
}

void Reloader::stop() {
  std::deque<Done> dropped;
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    dropped.swap(queue_);
    wake_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
  for (auto& done : dropped)
    done(Status(StatusCode::kUnavailable, "the server is shutting down"));
}

void Reloader::loop() {
  setCurrentThreadName("wps-reload");
  for (;;) {
    Done done;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      done = std::move(queue_.front());
      queue_.pop_front();
    }
    done(reloadOnce());
  }
}

StatusOr<config::ReloadPlan> Reloader::reloadOnce() {
  Source source;
  {
    std::lock_guard lock(mu_);
    source = source_;
  }
  if (!source) return Status(StatusCode::kFailedPrecondition, "no configuration source to reload");
  auto settings = source();
  if (!settings) {
    WPS_LOG_ERROR("reload failed, the running configuration stays: {}",
                  configurationErrorText(settings.status()));
    return settings.status();
  }
  auto plan = apply_(std::move(settings.value()));
  if (!plan) {
    WPS_LOG_ERROR("reload failed, the running configuration stays: {}",
                  configurationErrorText(plan.status()));
  }
  return plan;
}

}  // namespace wps::server
