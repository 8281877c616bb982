#include "support/fake_upstream.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
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
    stopped_ = true;  // coroutine frames destroyed with io_ must not touch sockets_
    sockets_.clear();
  }

  asio::awaitable<void> acceptLoop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kTuple);
      if (ec) co_return;
      if (down_) {
        reset(socket);
        continue;
      }
      auto shared = std::make_shared<tcp::socket>(std::move(socket));
      sockets_.insert(shared);
      asio::co_spawn(io_, serve(shared), asio::detached);
    }
  }

  // Loop thread: while down, every open connection is reset and every new one is reset as soon
  // as it is accepted; the listener itself stays open, so no other process (tests run in
  // parallel) can take the port and answer in our place.
  void applyDown(bool down) {
    down_ = down;
    if (!down) return;
    for (auto& s : sockets_)
      reset(*s);
    sockets_.clear();
  }

  static void reset(tcp::socket& socket) {
    boost::system::error_code ec;
    socket.set_option(asio::socket_base::linger(true, 0), ec);
    socket.close(ec);
  }

  // The answer to `r` under the current mode and handler.
  Reply replyFor(const RecordedRequest& r) {
    Handler handler;
    UpstreamMode mode;
    {
      std::lock_guard lock(mu_);
      handler = handler_;
      mode = mode_;
    }
    std::string name = r.header("ce-eventName");
    bool unblocking = r.method == "POST" && (name == "connected" || name == "disconnected");
    if (mode.kind == UpstreamMode::Kind::kStatus && unblocking) {
      Reply reply = Reply::status(mode.status);
      if (!mode.retryAfter.empty())
        reply.response.headers.push_back({"Retry-After", mode.retryAfter});
      return reply;
    }
    Reply reply = handler(r);
    if (mode.kind == UpstreamMode::Kind::kSlow) reply.delay += mode.delay;
    return reply;
  }

  static RecordedRequest record(const http::request<http::string_body>& req) {
    RecordedRequest r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    for (const auto& f : req) {
      r.headers.push_back({std::string(f.name_string()), std::string(f.value())});
    }
    r.body = req.body();
    r.at = std::chrono::steady_clock::now();
    return r;
  }

  asio::awaitable<void> serve(std::shared_ptr<tcp::socket> shared) {
    tcp::socket& socket = *shared;
    struct Forget {
      Impl* self;
      std::shared_ptr<tcp::socket> s;
      ~Forget() {
        if (!self->stopped_) self->sockets_.erase(s);
      }
    } forget{this, shared};
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> req;
      auto [ec, n] = co_await http::async_read(socket, buffer, req, kTuple);
      if (ec) co_return;
      // Recorded before the handler runs (a handler may block until the test saw the request),
      // the status it chose filled in afterwards.
      RecordedRequest r = record(req);
      uint64_t generation = 0;
      size_t index = 0;
      {
        std::lock_guard lock(mu_);
        generation = generation_;
        index = requests_.size();
        requests_.push_back(r);
      }
      cv_.notify_all();
      Reply reply = replyFor(r);
      {
        std::lock_guard lock(mu_);
        if (generation == generation_) {
          requests_[index].status =
              reply.action == Reply::Action::kRespond ? reply.response.status : 0;
        }
      }
      cv_.notify_all();
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

  // Declared before io_: the coroutine frames destroyed with io_ still see them.
  std::set<std::shared_ptr<tcp::socket>> sockets_;  // loop thread only
  bool stopped_ = false;
  asio::io_context io_;
  // Keeps io_.run() going while the upstream is down (no acceptor, no socket).
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  tcp::acceptor acceptor_;
  bool down_ = false;  // loop thread only: kDown resets every connection
  uint16_t port_;
  std::thread thread_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  Handler handler_;
  UpstreamMode mode_;
  std::vector<RecordedRequest> requests_;
  uint64_t generation_ = 0;  // incremented by clear(): indexes into requests_ become stale
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

void FakeUpstream::setMode(UpstreamMode mode) {
  bool down = mode.kind == UpstreamMode::Kind::kDown;
  {
    std::lock_guard lock(impl_->mu_);
    impl_->mode_ = std::move(mode);
  }
  std::promise<void> done;
  asio::post(impl_->io_, [&] {
    impl_->applyDown(down);
    done.set_value();
  });
  done.get_future().wait();
}

std::vector<DeliveryAttempt> FakeUpstream::deliveryAttempts() const {
  std::vector<DeliveryAttempt> out;
  for (const auto& r : requests()) {
    std::string name = r.header("ce-eventName");
    if (r.method != "POST" || (name != "connected" && name != "disconnected")) continue;
    out.push_back({name, r.header("ce-connectionId"), r.header("ce-id"), r.header("ce-time"),
                   r.body, r.status, r.at});
  }
  return out;
}

bool FakeUpstream::waitForDelivered(size_t count, std::chrono::milliseconds timeout) const {
  return waitFor(
      [](const RecordedRequest& r) {
        std::string name = r.header("ce-eventName");
        return r.method == "POST" && (name == "connected" || name == "disconnected") &&
               r.status >= 200 && r.status < 300;
      },
      count, timeout);
}

void FakeUpstream::clear() {
  std::lock_guard lock(impl_->mu_);
  impl_->requests_.clear();
  ++impl_->generation_;
}

}  // namespace wps::test
