// The HTTP/1.1 upstream client against a scripted TCP server: framing, keep-alive reuse, the
// stale-connection retry, timeouts, limits, cancellation and the per-origin pool bound.
#include "transport/http_upstream_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "metrics/metrics.h"

namespace wps::transport {
namespace {

using namespace std::chrono_literals;
using http::HttpRequest;
using http::HttpResponse;

// What the server does with one request.
struct Action {
  std::string response;  // bytes to write
  bool close = false;    // close the connection after writing
  bool hang = false;     // never answer
  std::chrono::milliseconds delay{0};
};

// Accepts connections on 127.0.0.1:0; one thread per connection reads requests (headers plus
// Content-Length body) and answers them with the handler's action.
class ScriptedServer {
 public:
  using Handler = std::function<Action(const std::string& request)>;

  explicit ScriptedServer(Handler handler) : handler_(std::move(handler)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listener_, 64);
    socklen_t len = sizeof addr;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { acceptLoop(); });
  }
  ~ScriptedServer() {
    stop_ = true;
    acceptor_.join();
    {
      std::lock_guard lock(mu_);
      for (int fd : fds_)
        ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : workers_)
      t.join();
    for (int fd : fds_)
      ::close(fd);
    ::close(listener_);
  }

  std::string url(const std::string& path = "/upstream") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int accepted() const { return accepted_; }
  std::vector<std::string> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  void acceptLoop() {
    while (!stop_) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int fd = ::accept(listener_, nullptr, nullptr);
      if (fd < 0) continue;
      ++accepted_;
      std::lock_guard lock(mu_);
      fds_.push_back(fd);
      workers_.emplace_back([this, fd] { serve(fd); });
    }
  }

  void serve(int fd) {
    std::string buf;
    char chunk[4096];
    while (!stop_) {
      size_t end = buf.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t length = 0;
        size_t cl = buf.find("Content-Length: ");
        if (cl != std::string::npos && cl < end) length = std::stoul(buf.substr(cl + 16));
        if (buf.size() >= end + 4 + length) {
          std::string request = buf.substr(0, end + 4 + length);
          buf.erase(0, end + 4 + length);
          {
            std::lock_guard lock(mu_);
            requests_.push_back(request);
          }
          Action a = handler_(request);
          if (a.hang) return;  // the destructor closes the socket
          std::this_thread::sleep_for(a.delay);
          ::send(fd, a.response.data(), a.response.size(), MSG_NOSIGNAL);
          if (a.close) {
            ::shutdown(fd, SHUT_RDWR);
            return;
          }
          continue;
        }
      }
      ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      if (n <= 0) return;
      buf.append(chunk, static_cast<size_t>(n));
    }
  }

  Handler handler_;
  int listener_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<int> fds_;
  std::vector<std::thread> workers_;
  std::vector<std::string> requests_;
};

std::string ok(const std::string& body, const std::string& extra = "") {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" + extra +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

class HttpUpstreamClientTest : public ::testing::Test {
 protected:
  void makeClient(HttpClientOptions options = {}) {
    client_ = makeHttpUpstreamClient(io_, options);
  }

  HttpRequest post(const std::string& url, const std::string& body = "payload") {
    HttpRequest r;
    r.url = url;
    r.headers = {{"ce-type", "azure.webpubsub.user.message"}, {"Content-Type", "text/plain"}};
    r.body = body;
    return r;
  }

  // Sends and runs the loop until the callback ran (or 10 s passed).
  StatusOr<HttpResponse> roundTrip(HttpRequest r, Duration timeout = 5s) {
    std::optional<StatusOr<HttpResponse>> result;
    auto handle = client_->send(
        std::move(r), timeout, [&](StatusOr<HttpResponse> res) { result.emplace(std::move(res)); });
    runUntil([&] { return result.has_value(); });
    if (!result) return Status(StatusCode::kInternal, "no callback");
    return std::move(*result);
  }

  void runUntil(const std::function<bool()>& done, Duration limit = 10s) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < until) {
      io_.restart();
      io_.run_for(5ms);
    }
  }

  boost::asio::io_context io_;
  std::unique_ptr<upstream::UpstreamClient> client_;
};

TEST_F(HttpUpstreamClientTest, PostsOneWellFormedRequestAndReusesTheConnection) {
  ScriptedServer server([](const std::string&) { return Action{ok("pong", "ce-userId: u\r\n")}; });
  makeClient();
  for (int i = 0; i < 3; ++i) {
    auto res = roundTrip(post(server.url("/up?x=1"), "hello"));
    ASSERT_TRUE(res.isOk()) << res.status().toString();
    EXPECT_EQ(res.value().status, 200);
    EXPECT_EQ(res.value().body, "pong");
    EXPECT_EQ(http::findHeader(res.value().headers, "CE-USERID").value_or(""), "u");
  }
  EXPECT_EQ(server.accepted(), 1);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0],
            "POST /up?x=1 HTTP/1.1\r\nHost: 127.0.0.1:" + server.url("").substr(17) +
                "\r\nce-type: azure.webpubsub.user.message\r\nContent-Type: text/plain\r\n"
                "Content-Length: 5\r\n\r\nhello");
}

TEST_F(HttpUpstreamClientTest, ChunkedAndCloseDelimitedResponses) {
  int n = 0;
  ScriptedServer server([&](const std::string&) {
    if (n++ == 0) {
      return Action{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"};
    }
    return Action{"HTTP/1.1 200 OK\r\n\r\nuntil close", true};
  });
  makeClient();
  auto a = roundTrip(post(server.url()));
  ASSERT_TRUE(a.isOk()) << a.status().toString();
  EXPECT_EQ(a.value().body, "abc");
  auto b = roundTrip(post(server.url()));
  ASSERT_TRUE(b.isOk()) << b.status().toString();
  EXPECT_EQ(b.value().body, "until close");
  auto c = roundTrip(post(server.url()));  // a new connection after the close
  ASSERT_TRUE(c.isOk()) << c.status().toString();
  EXPECT_EQ(server.accepted(), 2);
}

TEST_F(HttpUpstreamClientTest, AKeepAliveConnectionClosedByThePeerIsRetriedOnce) {
  ScriptedServer server([](const std::string&) { return Action{ok("x"), /*close=*/true}; });
  makeClient();
  // The server answers with keep-alive framing but closes right after: the pooled connection is
  // stale when the next request goes out, and the client silently retries on a fresh one.
  for (int i = 0; i < 3; ++i) {
    io_.restart();
    io_.run_for(30ms);  // let the FIN arrive
    auto res = roundTrip(post(server.url()));
    ASSERT_TRUE(res.isOk()) << i << ": " << res.status().toString();
  }
  EXPECT_EQ(server.accepted(), 3);
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST_F(HttpUpstreamClientTest, AFreshConnectionThatClosesWithoutAnswerIsNotRetried) {
  ScriptedServer server([](const std::string&) { return Action{"", true}; });
  makeClient();
  auto res = roundTrip(post(server.url()));
  ASSERT_FALSE(res.isOk());
  EXPECT_EQ(res.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST_F(HttpUpstreamClientTest, NoAnswerTimesOut) {
  ScriptedServer server([](const std::string&) { return Action{"", false, /*hang=*/true}; });
  makeClient();
  auto start = std::chrono::steady_clock::now();
  auto res = roundTrip(post(server.url()), 300ms);
  ASSERT_FALSE(res.isOk());
  EXPECT_EQ(res.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms);
}

TEST_F(HttpUpstreamClientTest, RefusedConnectionIsUnavailable) {
  uint16_t port;
  {
    ScriptedServer closed([](const std::string&) { return Action{}; });
    port = static_cast<uint16_t>(std::stoi(closed.url("").substr(17)));
  }
  makeClient();
  auto res = roundTrip(post("http://127.0.0.1:" + std::to_string(port) + "/"));
  ASSERT_FALSE(res.isOk());
  EXPECT_EQ(res.status().code(), StatusCode::kUnavailable);
}

TEST_F(HttpUpstreamClientTest, OversizedAndMalformedResponsesAreErrors) {
  int n = 0;
  ScriptedServer server([&](const std::string&) {
    if (n++ == 0) return Action{ok(std::string(2000, 'x'))};
    return Action{"NOT HTTP\r\n\r\n"};
  });
  HttpClientOptions options;
  options.maxResponseBytes = 1000;
  makeClient(options);
  auto big = roundTrip(post(server.url()));
  ASSERT_FALSE(big.isOk());
  EXPECT_EQ(big.status().code(), StatusCode::kResourceExhausted);
  auto bad = roundTrip(post(server.url()));
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().code(), StatusCode::kUnavailable);
}

TEST_F(HttpUpstreamClientTest, InvalidRequestsFailAsynchronously) {
  makeClient();
  bool called = false;
  StatusCode code = StatusCode::kOk;
  HttpRequest r = post("ftp://example.com/");
  auto handle = client_->send(r, 1s, [&](StatusOr<HttpResponse> res) {
    called = true;
    code = res.status().code();
  });
  EXPECT_FALSE(called);  // never from inside send()
  runUntil([&] { return called; });
  EXPECT_EQ(code, StatusCode::kInvalidArgument);

  HttpRequest injected = post("http://127.0.0.1:1/");
  injected.headers.push_back({"ce-subject", "a\r\nX: y"});
  auto res = roundTrip(injected);
  EXPECT_EQ(res.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(HttpUpstreamClientTest, DestroyingTheHandleCancelsTheCallback) {
  ScriptedServer server([](const std::string&) { return Action{ok("late"), false, false, 200ms}; });
  makeClient();
  bool called = false;
  auto handle = client_->send(post(server.url()), 2s, [&](auto) { called = true; });
  runUntil([&] { return !server.requests().empty(); });
  handle.reset();
  io_.restart();
  io_.run_for(400ms);
  EXPECT_FALSE(called);
  // The client still works afterwards.
  auto res = roundTrip(post(server.url()));
  EXPECT_TRUE(res.isOk()) << res.status().toString();
}

TEST_F(HttpUpstreamClientTest, ThePoolBoundQueuesRequestsOnFewConnections) {
  ScriptedServer server([](const std::string& r) {
    return Action{ok(r.substr(r.size() - 2)), false, false, 20ms};
  });
  HttpClientOptions options;
  options.maxConnectionsPerOrigin = 2;
  makeClient(options);
  std::vector<std::string> bodies;
  std::vector<std::unique_ptr<upstream::RequestHandle>> handles;
  for (int i = 10; i < 20; ++i) {
    handles.push_back(
        client_->send(post(server.url(), std::to_string(i)), 5s, [&](StatusOr<HttpResponse> res) {
          bodies.push_back(res ? res.value().body : res.status().toString());
        }));
  }
  runUntil([&] { return bodies.size() == 10; });
  ASSERT_EQ(bodies.size(), 10u);
  std::sort(bodies.begin(), bodies.end());
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(bodies[i], std::to_string(10 + i));
  EXPECT_EQ(server.accepted(), 2);
}

TEST_F(HttpUpstreamClientTest, AQueuedRequestTimesOutWhileThePoolIsBusy) {
  // b waits for a's connection and times out first, without a connection of its own.
  ScriptedServer server([](const std::string&) { return Action{"", false, true}; });
  HttpClientOptions options;
  options.maxConnectionsPerOrigin = 1;
  makeClient(options);
  std::vector<StatusCode> codes;
  auto a = client_->send(post(server.url()), 200ms,
                         [&](auto res) { codes.push_back(res.status().code()); });
  auto b = client_->send(post(server.url()), 100ms,
                         [&](auto res) { codes.push_back(res.status().code()); });
  runUntil([&] { return codes.size() == 2; });
  ASSERT_EQ(codes.size(), 2u);
  EXPECT_EQ(codes[0], StatusCode::kDeadlineExceeded);
  EXPECT_EQ(codes[1], StatusCode::kDeadlineExceeded);
  EXPECT_EQ(server.accepted(), 1);
}

TEST_F(HttpUpstreamClientTest, RequestsBeyondThePendingBoundFailAtOnceLikeATimeout) {
  std::atomic<bool> answer{false};
  ScriptedServer server([&](const std::string&) {
    return answer ? Action{ok("fine")} : Action{"", false, /*hang=*/true};
  });
  HttpClientOptions options;
  options.maxConnectionsPerOrigin = 2;
  options.maxPendingPerOrigin = 100;
  makeClient(options);
  metrics::Counter overflows;
  client_->countOverflowsIn(&overflows);
  constexpr size_t kSent = 5000, kKept = 2 + 100;  // on the connections + waiting
  size_t finished = 0, timedOut = 0;
  std::vector<std::unique_ptr<upstream::RequestHandle>> handles;
  for (size_t i = 0; i < kSent; ++i) {
    handles.push_back(client_->send(post(server.url()), 60s, [&](StatusOr<HttpResponse> res) {
      ++finished;
      timedOut += !res && res.status().code() == StatusCode::kDeadlineExceeded;
    }));
  }
  EXPECT_EQ(finished, 0u) << "never from inside send()";
  EXPECT_EQ(overflows.value(), kSent - kKept);
  // The refused ones end at once, long before their 60 s, exactly as a timeout ends them.
  runUntil([&] { return finished == kSent - kKept; });
  EXPECT_EQ(finished, kSent - kKept);
  EXPECT_EQ(timedOut, kSent - kKept);
  runUntil([&] { return server.requests().size() == 2; });
  io_.restart();
  io_.run_for(50ms);
  EXPECT_EQ(finished, kSent - kKept) << "the kept ones still wait for the hung upstream";
  EXPECT_EQ(server.accepted(), 2);
  // The upstream recovers (the hung requests are given up): new requests succeed again.
  answer = true;
  handles.clear();
  auto res = roundTrip(post(server.url()));
  ASSERT_TRUE(res.isOk()) << res.status().toString();
  EXPECT_EQ(res.value().body, "fine");
  EXPECT_EQ(overflows.value(), kSent - kKept);
}

}  // namespace
}  // namespace wps::transport
