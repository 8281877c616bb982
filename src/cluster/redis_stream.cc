#include "cluster/redis_stream.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include <openssl/ssl.h>

namespace wps::cluster {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using boost::system::error_code;

namespace {

Status failure(const std::string& what, const error_code& ec) {
  return Status(StatusCode::kUnavailable, what + ec.message());
}

// Reads and writes of any Asio stream; subclasses connect it.
template <typename Socket>
class BasicStream : public RedisStream {
 public:
  template <typename... Args>
  explicit BasicStream(Args&&... args) : socket_(std::forward<Args>(args)...) {}

  void write(const char* data, size_t size, Done done) override {
    asio::async_write(socket_, asio::buffer(data, size),
                      [done = std::move(done)](const error_code& ec, size_t) {
                        done(ec ? failure("write failed: ", ec) : Status::ok());
                      });
  }

  void readSome(char* data, size_t size, ReadDone done) override {
    socket_.async_read_some(asio::buffer(data, size),
                            [done = std::move(done)](const error_code& ec, size_t n) {
                              if (ec == asio::error::eof) {
                                done(Status(StatusCode::kUnavailable, "closed by the server"), 0);
                              } else if (ec) {
                                done(failure("read failed: ", ec), 0);
                              } else {
                                done(Status::ok(), n);
                              }
                            });
  }

  void close() override {
    error_code ignored;
    lowest().close(ignored);
  }

 protected:
  auto& lowest() { return socket_.lowest_layer(); }
  Socket socket_;
};

class UnixStream : public BasicStream<asio::local::stream_protocol::socket> {
 public:
  UnixStream(asio::io_context& io, std::string path) : BasicStream(io), path_(std::move(path)) {}

  void connect(Done done) override {
    socket_.async_connect(asio::local::stream_protocol::endpoint(path_),
                          [done = std::move(done)](const error_code& ec) {
                            done(ec ? failure("", ec) : Status::ok());
                          });
  }

 private:
  std::string path_;
};

// TCP, or TLS over TCP when Socket is an ssl::stream.
template <typename Socket>
class TcpStream : public BasicStream<Socket> {
 public:
  using Done = RedisStream::Done;

  template <typename... Args>
  TcpStream(asio::io_context& io, RedisAddress address, std::shared_ptr<ssl::context> tls,
            Args&&... args)
      : BasicStream<Socket>(std::forward<Args>(args)...),
        resolver_(io),
        address_(std::move(address)),
        tls_(std::move(tls)) {}

  void connect(Done done) override {
    resolver_.async_resolve(
        address_.host, std::to_string(address_.port),
        [this, done = std::move(done)](const error_code& ec,
                                       tcp::resolver::results_type r) mutable {
          if (ec) return done(failure("cannot resolve the host: ", ec));
          asio::async_connect(
              this->lowest(), r,
              [this, done = std::move(done)](const error_code& ec, const tcp::endpoint&) mutable {
                if (ec) return done(failure("", ec));
                error_code ignored;
                this->lowest().set_option(tcp::no_delay(true), ignored);
                connected(std::move(done));
              });
        });
  }

 private:
  void connected(Done done);

  tcp::resolver resolver_;
  RedisAddress address_;
  std::shared_ptr<ssl::context> tls_;  // outlives the ssl::stream that refers to it
  std::string verifyError_;            // why the peer's certificate was refused
};

template <>
void TcpStream<tcp::socket>::connected(RedisStream::Done done) {
  done(Status::ok());
}

template <>
void TcpStream<ssl::stream<tcp::socket>>::connected(RedisStream::Done done) {
  // SNI for names (not for IP literals), and the name or address checked against the
  // certificate on top of the chain verification.
  error_code addrError;
  asio::ip::make_address(address_.host, addrError);
  if (addrError) SSL_set_tlsext_host_name(socket_.native_handle(), address_.host.c_str());
  socket_.set_verify_mode(ssl::verify_peer);
  socket_.set_verify_callback([this, check = ssl::host_name_verification(address_.host)](
                                  bool preverified, ssl::verify_context& ctx) {
    bool ok = check(preverified, ctx);
    if (!ok && verifyError_.empty()) {
      verifyError_ =
          preverified
              ? "the certificate is not for " + address_.host
              : X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.native_handle()));
    }
    return ok;
  });
  socket_.async_handshake(ssl::stream_base::client,
                          [this, done = std::move(done)](const error_code& ec) {
                            if (!ec) return done(Status::ok());
                            std::string why = "TLS handshake failed: " + ec.message();
                            if (!verifyError_.empty()) why += ": " + verifyError_;
                            done(Status(StatusCode::kUnavailable, why));
                          });
}

}  // namespace

StatusOr<std::shared_ptr<ssl::context>> makeRedisTlsContext(const RedisTlsFiles& files) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  ctx->set_verify_mode(ssl::verify_peer, ec);
  if (files.caFile.empty()) {
    ctx->set_default_verify_paths(ec);
    if (ec) return invalidArgument("cluster.tls_ca_file: the system CA store: " + ec.message());
  } else {
    ctx->load_verify_file(files.caFile, ec);
    if (ec) return invalidArgument("cluster.tls_ca_file: cannot load " + files.caFile);
  }
  if (files.certFile.empty() != files.keyFile.empty()) {
    return invalidArgument("cluster.tls_cert_file and cluster.tls_key_file go together");
  }
  if (!files.certFile.empty()) {
    ctx->use_certificate_chain_file(files.certFile, ec);
    if (ec) return invalidArgument("cluster.tls_cert_file: cannot load " + files.certFile);
    ctx->use_private_key_file(files.keyFile, ssl::context::pem, ec);
    if (ec) return invalidArgument("cluster.tls_key_file: cannot load " + files.keyFile);
  }
  return ctx;
}

std::unique_ptr<RedisStream> makeRedisStream(asio::io_context& io, const RedisAddress& address,
                                             std::shared_ptr<ssl::context> tls) {
  if (address.unix) return std::make_unique<UnixStream>(io, address.host);
  if (address.tls) {
    ssl::context& ctx = *tls;
    return std::make_unique<TcpStream<ssl::stream<tcp::socket>>>(io, address, std::move(tls), io,
                                                                 ctx);
  }
  return std::make_unique<TcpStream<tcp::socket>>(io, address, nullptr, io);
}

}  // namespace wps::cluster
