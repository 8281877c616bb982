#include "transport/runtime.h"

#include "transport/acceptor.h"
#include "transport/http_session.h"
#include "transport/server_context.h"
#include "transport/tls_context.h"
#include "transport/workers.h"

namespace wps::transport {
namespace {

// Composes the workers, the acceptor and the HTTP sessions they start. Owned and driven by the
// control thread (see Runtime for which calls are thread-safe).
class RuntimeImpl : public Runtime {
 public:
  explicit RuntimeImpl(const config::ServerSettings& settings)
      : workers_(settings),
        context_(settings, workers_),
        acceptor_(workers_, context_.accepting,
                  [this](WorkerIo& w, boost::asio::ip::tcp::socket s) {
                    if (SslContextPtr ssl = tls_.current()) {
                      startHttpsSession(context_, w, std::move(s), std::move(ssl));
                    } else {
                      startHttpSession(context_, w, std::move(s));
                    }
                  }) {}

  // Joins the threads before the acceptor and the workers are destroyed.
  ~RuntimeImpl() override { stop(); }

  size_t workerCount() const override { return workers_.size(); }
  EventLoop& loop(size_t i) override { return workers_.at(i).loop; }
  upstream::UpstreamClient& upstreamClient(size_t i) override { return *workers_.at(i).upstream; }
  EventLoop& outboxLoop() override { return workers_.outbox().loop; }
  upstream::UpstreamClient& outboxClient() override { return *workers_.outbox().upstream; }

  StatusOr<uint16_t> listen(const std::string& host, uint16_t port) override {
    return acceptor_.listen(host, port);
  }

  Status loadTls(const config::TlsSettings& tls) override { return tls_.load(tls); }

  void applyAdmissionLimits(const config::LimitSettings& limits) override {
    context_.admission.setLimits(limits.maxConnections, limits.maxConnectionsPerIp);
  }

  void attach(core::Engine& engine, HttpHandler& handler) override {
    context_.engine = &engine;
    context_.handler = &handler;
    workers_.attach(engine, handler);
  }

  void startOutbox() override { workers_.startOutbox(); }

  void start() override {
    workers_.start();
    acceptor_.start();
  }

  void stopAccepting() override { acceptor_.stop(); }
  size_t openWebSockets() override { return workers_.openWebSockets(); }
  void stop() override { workers_.stop(); }

 private:
  // Destroyed in reverse order: the acceptor (on worker 0's io_context) before the workers.
  WorkerPool workers_;
  ServerContext context_;
  TlsContext tls_;  // read by the acceptor's thread at each accept
  Acceptor acceptor_;
};

}  // namespace

std::unique_ptr<Runtime> Runtime::create(const config::ServerSettings& settings) {
  return std::make_unique<RuntimeImpl>(settings);
}

}  // namespace wps::transport
