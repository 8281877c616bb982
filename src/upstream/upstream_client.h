// The I/O boundary towards event handlers: one HTTP exchange. Implementations:
// transport/http_upstream_client (keep-alive pool per origin, per worker) and
// tests/fakes/fake_upstream_client.
#pragma once

#include <functional>
#include <memory>

#include "common/status.h"
#include "common/time.h"
#include "http/message.h"
#include "metrics/metrics.h"

namespace wps::upstream {

// An in-flight request. Destroying it cancels the request: its callback will not run.
class RequestHandle {
 public:
  virtual ~RequestHandle() = default;
};

// Owned by one worker; every method is called on that worker's loop thread.
class UpstreamClient {
 public:
  using Callback = std::function<void(StatusOr<http::HttpResponse>)>;

  virtual ~UpstreamClient() = default;

  // Sends `request` (absolute http/https URL; read during the call only, not kept). Calls `done`
  // exactly once, on the loop thread and never from inside send(), with the response (any status)
  // or an error:
  //   kUnavailable       name resolution, connect, reset, TLS or HTTP protocol failure
  //   kDeadlineExceeded  no complete response within `timeout`, or (at once) too many requests
  //                      already wait for a connection to the URL's origin (an implementation's
  //                      bound; the caller sees it exactly as a timeout)
  //   kResourceExhausted the response body is larger than the configured maximum
  //   kInvalidArgument   the request cannot be sent (bad URL, non-ASCII header value)
  // Destroying the returned handle before `done` runs cancels the request and `done` is
  // dropped; destroying it from inside `done` is allowed. Redirects are not followed.
  virtual std::unique_ptr<RequestHandle> send(const http::HttpRequest& request, Duration timeout,
                                              Callback done) = 0;

  // Counts every request refused at once by the bound on waiting requests in `counter` (a
  // counter of this client's worker, which outlives the client's use; null = not counted).
  virtual void countOverflowsIn(metrics::Counter* counter) { (void)counter; }
};

}  // namespace wps::upstream
