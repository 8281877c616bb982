#include "upstream/instrumented_client.h"

#include <chrono>
#include <string_view>

#include "http/message.h"

namespace wps::upstream {
namespace {

metrics::UpstreamOutcome outcomeOf(const StatusOr<http::HttpResponse>& result) {
  if (result.isOk()) return metrics::upstreamOutcomeOf(result->status);
  if (result.status().code() == StatusCode::kDeadlineExceeded)
    return metrics::UpstreamOutcome::kTimeout;
  return metrics::UpstreamOutcome::kError;
}

}  // namespace

std::unique_ptr<RequestHandle> InstrumentedUpstreamClient::send(const http::HttpRequest& request,
                                                                Duration timeout, Callback done) {
  if (block_ == nullptr) return inner_.send(request, timeout, std::move(done));
  auto ceType = http::findHeader(request.headers, "ce-type");
  auto event = metrics::upstreamEventClassOf(ceType ? *ceType : std::string_view());
  auto start = std::chrono::steady_clock::now();
  return inner_.send(
      request, timeout,
      [block = block_, event, start, done = std::move(done)](StatusOr<http::HttpResponse> result) {
        // The client's own stamp of the answer when it has one (one clock read less per event).
        auto end = result.isOk() && result->answerRead != std::chrono::steady_clock::time_point{}
                       ? result->answerRead
                       : std::chrono::steady_clock::now();
        metrics::Metrics::observe(
            metrics::Metrics::upstreamLatency(*block, event, outcomeOf(result)), end - start);
        done(std::move(result));
      });
}

}  // namespace wps::upstream
