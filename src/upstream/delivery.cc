#include "upstream/delivery.h"

#include <algorithm>

#include "upstream/upstream_trace.h"

namespace wps::upstream {

bool isRetryable(const StatusOr<http::HttpResponse>& outcome) {
  if (!outcome) return outcome.status().code() == StatusCode::kUnavailable;
  int s = outcome->status;
  return s == 408 || (s >= 500 && s <= 599);
}

// Shared state of one delivery: alive while an attempt or a retry timer is pending.
class Delivery::Attempt : public std::enable_shared_from_this<Delivery::Attempt> {
 public:
  Attempt(Delivery& owner, http::HttpRequest request, TimePoint deadline,
          UpstreamClient::Callback done)
      : owner_(owner), request_(std::move(request)), deadline_(deadline), done_(std::move(done)) {}

  void start() { sendOnce(); }

  void cancel() {
    cancelled_ = true;
    inflight_.reset();
    timer_.reset();
    done_ = nullptr;
  }

 private:
  void sendOnce() {
    TimePoint now = owner_.loop_.now();
    if (now >= deadline_) {
      auto self = shared_from_this();
      finish(Status(StatusCode::kDeadlineExceeded, "the event timed out"));
      return;
    }
    std::weak_ptr<Attempt> weak = shared_from_this();
    sentAt_ = now;
    inflight_ =
        owner_.client_.send(request_, deadline_ - now, [weak](StatusOr<http::HttpResponse> r) {
          if (auto self = weak.lock()) self->onResult(std::move(r));
        });
  }

  void onResult(StatusOr<http::HttpResponse> r) {
    inflight_.reset();
    if (cancelled_) return;
    bool last = !isRetryable(r) || retries_ >= owner_.retryDelays_.size();
    if (owner_.tracer_ != nullptr && owner_.tracer_->active()) trace(r, !last);
    if (last) {
      finish(std::move(r));
      return;
    }
    Duration delay = owner_.retryDelays_[retries_++];
    if (owner_.loop_.now() + delay >= deadline_) {
      // The retry could not start before the deadline: the budget is spent.
      finish(Status(StatusCode::kDeadlineExceeded, "the event timed out while retrying"));
      return;
    }
    std::weak_ptr<Attempt> weak = shared_from_this();
    timer_ = owner_.loop_.schedule(delay, [weak] {
      if (auto self = weak.lock()) {
        self->timer_.reset();
        if (!self->cancelled_) self->sendOnce();
      }
    });
  }

  void trace(const StatusOr<http::HttpResponse>& r, bool willRetry) {
    AttemptTrace t{owner_.loop_.now() - sentAt_, retries_ + 1,
                   owner_.retryDelays_.size() - std::min(retries_, owner_.retryDelays_.size()),
                   willRetry};
    traceAttempt(*owner_.tracer_, request_, r, t);
  }

  // The caller's callback may destroy the handle (and with it this attempt): every caller of
  // finish() holds a strong reference for the duration of the call.
  void finish(StatusOr<http::HttpResponse> r) {
    auto done = std::move(done_);
    done_ = nullptr;
    if (done) done(std::move(r));
  }

 private:
  Delivery& owner_;
  http::HttpRequest request_;
  TimePoint deadline_;
  UpstreamClient::Callback done_;
  std::unique_ptr<RequestHandle> inflight_;
  std::unique_ptr<Timer> timer_;
  size_t retries_ = 0;
  bool cancelled_ = false;
  TimePoint sentAt_{};
};

namespace {
// Owns the attempt: destroying the handle cancels it and frees it.
class AttemptHandle : public RequestHandle {
 public:
  explicit AttemptHandle(std::shared_ptr<Delivery::Attempt> a) : attempt_(std::move(a)) {}
  ~AttemptHandle() override { attempt_->cancel(); }

 private:
  std::shared_ptr<Delivery::Attempt> attempt_;
};
}  // namespace

std::unique_ptr<RequestHandle> Delivery::send(http::HttpRequest request, TimePoint deadline,
                                              UpstreamClient::Callback done) {
  auto attempt = std::make_shared<Attempt>(*this, std::move(request), deadline, std::move(done));
  attempt->start();
  return std::make_unique<AttemptHandle>(std::move(attempt));
}

}  // namespace wps::upstream
