// An UpstreamClient for unit tests: records every request; the test answers each one. Callbacks
// are posted to the ManualEventLoop (never run inside send()), as the contract requires.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "common/event_loop.h"
#include "upstream/upstream_client.h"

namespace wps::test {

class FakeUpstreamClient : public upstream::UpstreamClient {
 public:
  struct Sent {
    http::HttpRequest request;
    Duration timeout;
    Callback done;
    bool cancelled = false;
    bool answered = false;
  };

  explicit FakeUpstreamClient(EventLoop& loop) : loop_(loop) {}

  std::unique_ptr<upstream::RequestHandle> send(const http::HttpRequest& request, Duration timeout,
                                                Callback done) override {
    auto s = std::make_shared<Sent>(Sent{request, timeout, std::move(done)});
    sent_.push_back(s);
    return std::make_unique<Handle>(s);
  }

  size_t count() const { return sent_.size(); }
  const http::HttpRequest& request(size_t i) const { return sent_.at(i)->request; }
  bool cancelled(size_t i) const { return sent_.at(i)->cancelled; }
  Duration timeout(size_t i) const { return sent_.at(i)->timeout; }

  // Answers request `i` (posted to the loop; call loop.runPending()).
  void respond(size_t i, http::HttpResponse response) {
    answer(i, StatusOr<http::HttpResponse>(std::move(response)));
  }
  void respond(size_t i, int status, http::HttpHeaders headers = {}, std::string body = {}) {
    respond(i, http::HttpResponse{status, std::move(headers), std::move(body)});
  }
  void fail(size_t i, StatusCode code) { answer(i, Status(code, "fake failure")); }

  // Fails every request in flight, and the retries and probes that follow, until no new request
  // is sent (time is advanced so that retry delays pass). For test teardown.
  template <class ManualLoop>
  void failEverything(ManualLoop& loop) {
    for (int round = 0; round < 10; ++round) {
      size_t sent = count();
      for (size_t i = 0; i < sent; ++i)
        fail(i, StatusCode::kCancelled);
      loop.runPending();
      loop.advance(std::chrono::hours(1));
      if (count() == sent) break;
    }
  }

 private:
  class Handle : public upstream::RequestHandle {
   public:
    explicit Handle(std::shared_ptr<Sent> s) : s_(std::move(s)) {}
    ~Handle() override { s_->cancelled = true; }

   private:
    std::shared_ptr<Sent> s_;
  };

  void answer(size_t i, StatusOr<http::HttpResponse> r) {
    auto s = sent_.at(i);
    if (s->answered) return;
    s->answered = true;
    loop_.post([s, r = std::move(r)]() mutable {
      if (!s->cancelled && s->done) s->done(std::move(r));
    });
  }

  EventLoop& loop_;
  std::vector<std::shared_ptr<Sent>> sent_;
};

}  // namespace wps::test
