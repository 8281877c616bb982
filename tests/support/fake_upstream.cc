#include "support/fake_upstream.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/strings.h"

namespace wps::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

std::string RecordedRequest::header(std::string_view name) const {
  auto v = wps::http::findHeader(headers, name);
  return v ? std::string(*v) : std::string();
}

bool RecordedRequest::hasHeader(std::string_view name) const {
  return wps::http::findHeader(headers, name).has_value();
}

std::string RecordedRequest::event() const {
  std::string_view path = target;
  path = path.substr(0, path.find('?'));
  size_t slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

class FakeUpstream::Impl {
 public:
  Impl() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    handler_ = &FakeUpstream::defaultReply;
    asio::co_spawn(io_, acceptLoop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Impl() {
    io_.stop();
    thread_.join();
  }

  asio::awaitable<void> acceptLoop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kTuple);
      if (ec) co_return;
      asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      auto [ec, n] = co_await http::async_read(socket, buffer, req, kTuple);
      if (ec) co_return;
      RecordedRequest r;
      r.method = std::string(req.method_string());
      r.target = std::string(req.target());
      for (const auto& f : req) {
        r.headers.push_back({std::string(f.name_string()), std::string(f.value())});
      }
      r.body = req.body();
      r.at = std::chrono::steady_clock::now();
      Handler handler;
      {
        std::lock_guard lock(mu_);
        requests_.push_back(r);
        handler = handler_;
      }
      cv_.notify_all();
      Reply reply = handler(r);
      if (reply.delay.count() > 0) {
        asio::steady_timer t(io_, reply.delay);
        co_await t.async_wait(kTuple);
      }
      switch (reply.action) {
        case Reply::Action::kHang: {
          asio::steady_timer t(io_, std::chrono::hours(1));
          co_await t.async_wait(kTuple);
          co_return;
        }
        case Reply::Action::kCloseConnection:
          co_return;
        case Reply::Action::kGarbage: {
          static constexpr std::string_view kJunk = "this is not HTTP\r\n\r\n";
          co_await asio::async_write(socket, asio::buffer(kJunk), kTuple);
          co_return;
        }
        case Reply::Action::kRespond:
          break;
      }
      http::response<http::string_body> res;
      res.version(11);
      res.result(static_cast<unsigned>(reply.response.status));
      for (const auto& h : reply.response.headers)
        res.insert(h.name, h.value);
      res.body() = reply.response.body;
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      auto [wec, wn] = co_await http::async_write(socket, res, kTuple);
      if (wec || !res.keep_alive()) co_return;
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  uint16_t port_;
  std::thread thread_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  Handler handler_;
  std::vector<RecordedRequest> requests_;
};

FakeUpstream::FakeUpstream() : impl_(std::make_unique<Impl>()) {}
FakeUpstream::~FakeUpstream() = default;

uint16_t FakeUpstream::port() const {
  return impl_->port_;
}

std::string FakeUpstream::url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(impl_->port_) + std::string(path);
}

void FakeUpstream::setHandler(Handler handler) {
  std::lock_guard lock(impl_->mu_);
  impl_->handler_ = std::move(handler);
}

Reply FakeUpstream::defaultReply(const RecordedRequest& r) {
  Reply reply;
  if (r.method == "OPTIONS") {
    reply.response.headers.push_back({"WebHook-Allowed-Origin", "*"});
  }
  return reply;
}

std::vector<RecordedRequest> FakeUpstream::requests() const {
  std::lock_guard lock(impl_->mu_);
  return impl_->requests_;
}

std::vector<RecordedRequest> FakeUpstream::requestsFor(std::string_view event) const {
  std::vector<RecordedRequest> out;
  for (auto& r : requests()) {
    if (r.event() == event && (r.method == "POST" || event == "validate")) out.push_back(r);
  }
  return out;
}

bool FakeUpstream::waitFor(const std::function<bool(const RecordedRequest&)>& pred, size_t count,
                           std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu_);
  return impl_->cv_.wait_for(lock, timeout, [&] {
    size_t n = 0;
    for (const auto& r : impl_->requests_)
      n += pred(r) ? 1 : 0;
    return n >= count;
  });
}

bool FakeUpstream::waitForEvent(std::string_view event, size_t count,
                                std::chrono::milliseconds timeout) const {
  return waitFor(
      [event](const RecordedRequest& r) { return r.method == "POST" && r.event() == event; }, count,
      timeout);
}

void FakeUpstream::clear() {
  std::lock_guard lock(impl_->mu_);
  impl_->requests_.clear();
}

}  // namespace wps::test
