// UpstreamClient over HTTP/1.1 with a bounded keep-alive connection pool per origin (Beast).
// One instance per worker; loop-thread only. TLS for https:// URLs (peer verified against the
// system CA store unless disabled).
#pragma once

#include <memory>
#include <string>

#include "config/settings.h"
#include "upstream/upstream_client.h"

namespace boost::asio {
class io_context;
}

namespace wps::transport {

struct HttpClientOptions {
  size_t maxConnectionsPerOrigin = 128;
  // Requests that may wait for a connection per origin; one more fails at once with
  // kDeadlineExceeded (upstream.max_pending_requests_per_origin).
  size_t maxPendingPerOrigin = 10000;
  size_t maxResponseBytes = 16 * 1024 * 1024;
  Duration idleTimeout = std::chrono::seconds(4);  // idle pooled connections are dropped after
  bool verifyTls = true;                           // upstream.tls_insecure_skip_verify turns it off
  std::string caFile;  // upstream.tls_ca_file: PEM CAs trusted besides the system store
};

std::unique_ptr<upstream::UpstreamClient> makeHttpUpstreamClient(boost::asio::io_context& io,
                                                                 HttpClientOptions options);

}  // namespace wps::transport
