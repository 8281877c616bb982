// bench-upstream: the minimal, fast event handler ("upstream") of the benchmarks and the
// physical-limit reference of the echo scenario. A hand-parsed HTTP/1.1 keep-alive server on
// Asio (one io_context per thread):
//   OPTIONS (abuse-protection probe)   → 200, WebHook-Allowed-Origin: *
//   POST .../connect                   → 204 (accept the connection as it is)
//   POST .../connected, .../disconnected → 200, empty body
//   POST .../<any other event>         → 200, the request body echoed with its Content-Type
//   GET /stats                         → JSON counters per event (for the connect scenario)
// The event is the last path segment (the server's url_template ends with /{event}).
// Prints "Listening=HOST:PORT" on stdout once bound; stops on SIGINT/SIGTERM.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <CLI/CLI.hpp>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/net.h"
#include "common/strings.h"

namespace wps::bench {
namespace {

struct Counters {
  std::atomic<uint64_t> requests{0}, options{0}, connect{0}, connected{0}, disconnected{0},
      userEvents{0}, userEventBytes{0}, other{0};
  void add(std::atomic<uint64_t>& c, uint64_t n = 1) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
};

class Worker;

// --print-requests N: the first N request heads go to stderr (to see what the server sends).
std::atomic<int> gPrintRequests{0};

class Connection {
 public:
  Connection(Worker& worker, tcp::socket socket);
  void start();
  void close();

 private:
  ptrdiff_t consume(char* data, size_t len);
  void handle(std::string_view method, std::string_view target, std::string_view contentType,
              std::string_view body);

  Worker& worker_;
  tcp::socket socket_;
  Writer writer_;
  Reader reader_;
  bool open_ = true;
};

class Worker {
 public:
  explicit Worker(std::vector<Worker*>* all) : all_(all), sweep_(io) {}
  asio::io_context io{1};
  Counters counters;

  void adopt(tcp::socket socket) {
    auto c = std::make_unique<Connection>(*this, std::move(socket));
    c->start();
    live_.push_back(std::move(c));
  }
  // Closed connections are freed a little later, once their cancelled completions have run.
  void retire(Connection* c) {
    for (auto& p : live_) {
      if (p.get() == c) {
        dead_.push_back(std::move(p));
        p = std::move(live_.back());
        live_.pop_back();
        return;
      }
    }
  }
  void startSweeping() {
    sweep_.expires_after(std::chrono::seconds(1));
    sweep_.async_wait([this](const error_code& ec) {
      if (ec) return;
      graveyard_.clear();
      graveyard_.swap(dead_);
      startSweeping();
    });
  }
  std::string statsJson() const {
    uint64_t v[8] = {};
    for (Worker* w : *all_) {
      const Counters& c = w->counters;
      v[0] += c.requests.load(std::memory_order_relaxed);
      v[1] += c.options.load(std::memory_order_relaxed);
      v[2] += c.connect.load(std::memory_order_relaxed);
      v[3] += c.connected.load(std::memory_order_relaxed);
      v[4] += c.disconnected.load(std::memory_order_relaxed);
      v[5] += c.userEvents.load(std::memory_order_relaxed);
      v[6] += c.userEventBytes.load(std::memory_order_relaxed);
      v[7] += c.other.load(std::memory_order_relaxed);
    }
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "{\"requests\":%llu,\"options\":%llu,\"connect\":%llu,\"connected\":%llu,"
                  "\"disconnected\":%llu,\"user_events\":%llu,\"user_event_bytes\":%llu,"
                  "\"other\":%llu}",
                  (unsigned long long)v[0], (unsigned long long)v[1], (unsigned long long)v[2],
                  (unsigned long long)v[3], (unsigned long long)v[4], (unsigned long long)v[5],
                  (unsigned long long)v[6], (unsigned long long)v[7]);
    return buf;
  }

 private:
  std::vector<Worker*>* all_;
  std::vector<std::unique_ptr<Connection>> live_, dead_, graveyard_;
  asio::steady_timer sweep_;
};

Connection::Connection(Worker& worker, tcp::socket socket)
    : worker_(worker), socket_(std::move(socket)), writer_(socket_), reader_(socket_) {}

void Connection::start() {
  error_code ec;
  socket_.set_option(tcp::no_delay(true), ec);
  socket_.non_blocking(true, ec);
  reader_.start([this](char* data, size_t len) { return consume(data, len); },
                [this](const error_code&) { close(); });
}

void Connection::close() {
  if (!open_) return;
  open_ = false;
  error_code ec;
  socket_.close(ec);
  writer_.clear();
  reader_.clear();
  worker_.retire(this);
}

// Parses every complete request in data[0, len), appends the answers and sends them at once.
ptrdiff_t Connection::consume(char* data, size_t len) {
  std::string_view all(data, len);
  size_t used = 0;
  while (used < len) {
    std::string_view rest = all.substr(used);
    const size_t headEnd = rest.find("\r\n\r\n");
    if (headEnd == std::string_view::npos) {
      if (rest.size() > 64 * 1024) {
        close();
        return -1;
      }
      break;
    }
    const size_t lineEnd = rest.find("\r\n");
    std::string_view requestLine = rest.substr(0, lineEnd);
    const size_t sp1 = requestLine.find(' ');
    const size_t sp2 = requestLine.find(' ', sp1 + 1);
    if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) {
      close();
      return -1;
    }
    std::string_view method = requestLine.substr(0, sp1);
    std::string_view target = requestLine.substr(sp1 + 1, sp2 - sp1 - 1);
    uint64_t contentLength = 0;
    std::string_view contentType;
    size_t pos = lineEnd;
    while (pos < headEnd) {
      const size_t start = pos + 2;
      const size_t end = rest.find("\r\n", start);
      std::string_view line = rest.substr(start, end - start);
      pos = end;
      if (line.empty()) continue;
      // Only two headers matter; check the length before comparing.
      const size_t colon = line.find(':');
      if (colon == 14 && iequals(line.substr(0, 14), "content-length")) {
        auto v = parseUint64(trim(line.substr(15)));
        if (!v) {
          close();
          return -1;
        }
        contentLength = *v;
      } else if (colon == 12 && iequals(line.substr(0, 12), "content-type")) {
        contentType = trim(line.substr(13));
      } else if (colon == 17 && iequals(line.substr(0, 17), "transfer-encoding")) {
        close();  // not needed by our server; keep the parser small
        return -1;
      }
    }
    const size_t total = headEnd + 4 + contentLength;
    if (rest.size() < total) break;
    if (gPrintRequests.load(std::memory_order_relaxed) > 0 && gPrintRequests.fetch_sub(1) > 0) {
      std::fprintf(stderr, "%.*s\n\n", static_cast<int>(headEnd), rest.data());
    }
    handle(method, target, contentType, rest.substr(headEnd + 4, contentLength));
    used += total;
  }
  writer_.flush([this](const error_code&) { close(); });
  if (!open_) return -1;
  return static_cast<ptrdiff_t>(used);
}

void Connection::handle(std::string_view method, std::string_view target,
                        std::string_view contentType, std::string_view body) {
  Counters& c = worker_.counters;
  c.add(c.requests);
  std::string& out = writer_.buffer();
  if (method == "OPTIONS") {
    c.add(c.options);
    out += "HTTP/1.1 200 OK\r\nWebHook-Allowed-Origin: *\r\nContent-Length: 0\r\n\r\n";
    return;
  }
  std::string_view path = target.substr(0, target.find('?'));
  if (method == "GET" && path == "/stats") {
    std::string json = worker_.statsJson();
    out += "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ";
    out += std::to_string(json.size());
    out += "\r\n\r\n";
    out += json;
    return;
  }
  if (method != "POST") {
    c.add(c.other);
    out += "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    return;
  }
  std::string_view event = path.substr(path.rfind('/') + 1);
  if (event == "connect") {
    c.add(c.connect);
    out += "HTTP/1.1 204 No Content\r\n\r\n";
  } else if (event == "connected" || event == "disconnected") {
    c.add(event == "connected" ? c.connected : c.disconnected);
    out += "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  } else {
    c.add(c.userEvents);
    c.add(c.userEventBytes, body.size());
    out += "HTTP/1.1 200 OK\r\n";
    if (!contentType.empty()) {
      out += "Content-Type: ";
      out += contentType;
      out += "\r\n";
    }
    out += "Content-Length: ";
    char num[24];
    const int n = std::snprintf(num, sizeof num, "%zu", body.size());
    out.append(num, static_cast<size_t>(n));
    out += "\r\n\r\n";
    out += body;
  }
}

int run(int argc, char** argv) {
  CLI::App app{"bench-upstream: minimal fast event handler for webpubsub-bench"};
  std::string listen = "127.0.0.1:0";
  int threads = 1;
  app.add_option("--listen", listen, "HOST:PORT (port 0 = any free port)");
  app.add_option("--threads", threads, "Threads (one io_context each)")->check(CLI::Range(1, 64));
  int printRequests = 0;
  app.add_option("--print-requests", printRequests, "Print the first N request heads to stderr");
  CLI11_PARSE(app, argc, argv);
  gPrintRequests = printRequests;

  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "bench-upstream: --listen HOST:PORT\n");
    return 2;
  }
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<Worker*> all;
  for (int i = 0; i < threads; ++i) {
    workers.push_back(std::make_unique<Worker>(&all));
    all.push_back(workers.back().get());
  }
  asio::io_context& main = workers[0]->io;
  tcp::acceptor acceptor(main);
  try {
    tcp::endpoint ep(asio::ip::make_address(listen.substr(0, colon)),
                     static_cast<uint16_t>(std::stoi(listen.substr(colon + 1))));
    acceptor.open(ep.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen(4096);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench-upstream: cannot listen on %s: %s\n", listen.c_str(), e.what());
    return 2;
  }
  const auto bound = acceptor.local_endpoint();
  std::printf("Listening=%s:%u\n", bound.address().to_string().c_str(), bound.port());
  std::fflush(stdout);

  size_t next = 0;
  std::function<void()> acceptNext = [&] {
    Worker* w = all[next++ % all.size()];
    acceptor.async_accept(w->io, [&, w](const error_code& ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) asio::post(w->io, [w, s = std::move(socket)]() mutable { w->adopt(std::move(s)); });
      acceptNext();
    });
  };
  acceptNext();

  asio::signal_set signals(main, SIGINT, SIGTERM);
  signals.async_wait([&](const error_code&, int) {
    error_code ec;
    acceptor.close(ec);
    for (Worker* w : all)
      w->io.stop();
  });
  std::vector<std::thread> pool;
  for (Worker* w : all) {
    w->startSweeping();
    if (w != all[0])
      pool.emplace_back([w] {
        auto guard = asio::make_work_guard(w->io);
        w->io.run();
      });
  }
  main.run();
  for (Worker* w : all)
    w->io.stop();
  for (auto& t : pool)
    t.join();
  return 0;
}

}  // namespace
}  // namespace wps::bench

int main(int argc, char** argv) {
  return wps::bench::run(argc, argv);
}
