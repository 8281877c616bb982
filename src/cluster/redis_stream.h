// The byte stream under a Redis connection, owned by Asio: TCP (redis://), TLS over TCP
// (rediss://, server certificate and host name verified) or a unix socket (unix://). RESP is
// encoded and decoded above it (RedisLink, with hiredis's codec only). Owned by the cluster
// thread; every method is called there and every callback runs on its io_context.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "cluster/redis_url.h"
#include "common/status.h"

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}
}  // namespace boost::asio

namespace wps::cluster {

struct RedisTlsFiles {
  std::string caFile;    // PEM CA bundle that signs the server; empty = the system's CAs
  std::string certFile;  // client certificate chain (mutual TLS); empty = none
  std::string keyFile;   // its private key (set together with certFile)
};

// A client TLS context that verifies the peer against `files.caFile` (or the system store) and
// presents the client certificate when given. Errors: kInvalidArgument naming the setting
// (cluster.tls_ca_file, cluster.tls_cert_file, cluster.tls_key_file) whose file cannot be used.
StatusOr<std::shared_ptr<boost::asio::ssl::context>> makeRedisTlsContext(
    const RedisTlsFiles& files);

class RedisStream {
 public:
  // Failures carry a short reason ("Connection refused", "TLS handshake failed: certificate
  // verify failed ..."), never credentials.
  using Done = std::function<void(Status)>;
  using ReadDone = std::function<void(Status, size_t)>;

  virtual ~RedisStream() = default;

  // Resolves, connects and (TLS) completes the handshake. Called once.
  virtual void connect(Done done) = 0;
  // Writes all of [data, data + size), which must stay valid until `done`. One write at a time.
  virtual void write(const char* data, size_t size, Done done) = 0;
  // Reads at least one byte into [data, data + size); end of stream is an error. One at a time.
  virtual void readSome(char* data, size_t size, ReadDone done) = 0;
  // Cancels the pending operations (their callbacks still run, with an error) and closes.
  virtual void close() = 0;
};

// `tls` must be set when address.tls. The stream keeps a reference to `io`.
std::unique_ptr<RedisStream> makeRedisStream(boost::asio::io_context& io,
                                             const RedisAddress& address,
                                             std::shared_ptr<boost::asio::ssl::context> tls);

}  // namespace wps::cluster
