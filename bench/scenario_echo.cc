// echo: N simple WebSocket clients send binary frames; the hub's upstream (bench-upstream)
// answers every `message` event with the same body, which the server returns to the client as
// a binary frame. The first 8 payload bytes carry the (intended) send time, so latency is the
// full client round trip. Closed loop (one message in flight per client) or fixed rate (--rate
// in total, spread over the clients, latency measured from each send's intended time).
//
// baseline: the same upstream hit directly with HTTP POSTs of the same size and concurrency,
// carrying the same CloudEvents headers as the server's requests: the physical-limit reference.
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstring>

#include "bench/http_client.h"
#include "bench/rate.h"
#include "bench/scenarios.h"
#include "bench/ws_client.h"

namespace wps::bench {
namespace {

constexpr size_t kTimestampBytes = 8;

void putBinaryTimestamp(char* out, uint64_t ns) {
  std::memcpy(out, &ns, kTimestampBytes);
}
uint64_t getBinaryTimestamp(const char* in) {
  uint64_t ns;
  std::memcpy(&ns, in, kTimestampBytes);
  return ns;
}

// Fixed-rate driver of one loop: calls send(intendedNs) for every due send, on a timer armed
// for the next due time (at least 50 µs apart; several sends per wake-up at high rates).
class RateDriver {
 public:
  RateDriver(asio::io_context& io, double perSecond, std::function<void(uint64_t)> send)
      : timer_(io),
        scheduler_(perSecond, Clock::now(), std::max<uint64_t>(16, uint64_t(perSecond / 200))),
        send_(std::move(send)) {}
  void start() { tick(); }

 private:
  void tick() {
    if (phase() == Phase::kStop) return;
    const auto now = Clock::now();
    const uint64_t first = scheduler_.issued();
    const uint64_t n = scheduler_.take(now);
    for (uint64_t k = 0; k < n; ++k)
      send_(toNs(scheduler_.intendedTime(first + k)));
    auto next = std::max(scheduler_.nextDue(), now + std::chrono::microseconds(50));
    if (scheduler_.backlog(now) > 0) next = now;  // catching up after a stall
    timer_.expires_at(next);
    timer_.async_wait([this](const error_code& ec) {
      if (!ec) tick();
    });
  }
  asio::steady_timer timer_;
  FixedRateScheduler scheduler_;
  std::function<void(uint64_t)> send_;
};

std::string modeTitle(const Options& o, const char* unit) {
  std::string t =
      std::to_string(o.connections) + " " + unit + ", " + std::to_string(o.size) + " B, ";
  t += o.rate > 0 ? "fixed rate " + formatNumber(o.rate, 0) + "/s" : std::string("closed loop");
  t += ", " + formatNumber(o.duration, 1) + " s";
  return t;
}

// ---- echo ----------------------------------------------------------------------------------

class Echo : public WsListener {
 public:
  Echo(const Options& o, Environment& env) : o_(o), env_(env), h_(o) {}
  // Loops stop before the clients go, and the clients before the loops' io_contexts.
  ~Echo() override {
    h_.loops.stop();
    perLoop_.clear();
  }

  Result run() {
    Result r("echo");
    r.setTitle(modeTitle(o_, "clients"));
    const Target& t = env_.target();
    WsTarget target{t.serverEndpoint(), t.serverHostHeader()};
    const std::string subprotocol = o_.protocol == "json" ? "json.webpubsub.azure.v1" : "";
    if (!subprotocol.empty()) {
      r.setFailed("echo uses simple clients (--protocol simple)");
      return r;
    }
    perLoop_.resize(h_.loops.size());
    h_.loops.start();
    // Clients are created and started on their own loops.
    for (size_t l = 0; l < h_.loops.size(); ++l) {
      h_.loops.runAndWait(l, [&, l] {
        auto& L = perLoop_[l];
        for (int64_t i = static_cast<int64_t>(l); i < o_.connections;
             i += static_cast<int64_t>(h_.loops.size())) {
          auto c =
              std::make_unique<WsClient>(h_.loops.at(l), *this, 0x1234 + static_cast<uint64_t>(i));
          c->tag = makeTag(l, L.clients.size());
          const std::string token = clientToken(t, "user" + std::to_string(i), {}, {});
          c->start(target, clientPath(token), "", 0, false);
          L.clients.push_back(std::move(c));
        }
      });
    }
    const bool allOpen = waitUntil(
        [&] { return opened_.load() + failed_.load() >= static_cast<uint64_t>(o_.connections); },
        60);
    if (!allOpen || failed_.load() > 0) {
      r.setFailed("only " + std::to_string(opened_.load()) + " of " +
                  std::to_string(o_.connections) + " clients connected");
      return r;
    }
    // Start sending on every loop.
    for (size_t l = 0; l < h_.loops.size(); ++l) {
      asio::post(h_.loops.at(l), [this, l] { startSending(l); });
    }
    auto w = h_.measure("echo", "sent", "echoed");
    h_.loops.stop();
    const LatencyHistogram lat = mergedLatency(h_.meters);
    r.add("events_per_sec", static_cast<double>(w.delta.received) / w.seconds, "events/s (echoed)");
    r.add("sent_per_sec", static_cast<double>(w.delta.sent) / w.seconds, "sent/s");
    r.addLatency(lat, "", "round trip");
    r.add("connections", static_cast<double>(o_.connections), "connections");
    r.add("size", static_cast<double>(o_.size), "payload bytes");
    r.add("rate", o_.rate, "target rate/s (0 = closed loop)");
    r.add("errors", static_cast<double>(sumCounts(h_.meters).errors), "errors");
    r.add("seconds", w.seconds, "measured seconds", 2);
    return r;
  }

  void onOpen(WsClient&) override { opened_.fetch_add(1); }

  void onMessage(WsClient& c, bool, std::string_view payload) override {
    const size_t l = tagLoop(c.tag);
    Meter& m = *h_.meters[l];
    if (payload.size() >= kTimestampBytes) {
      const uint64_t now = nowNs();
      m.recordLatency(latencyMicros(getBinaryTimestamp(payload.data()), now), measuring());
    }
    Meter::inc(m.received);
    if (c.outstanding > 0) --c.outstanding;
    if (o_.rate <= 0 && phase() != Phase::kStop) sendOne(l, c, nowNs());
  }

  void onClosed(WsClient& c, std::string_view why) override {
    if (phase() == Phase::kSetup) {
      failed_.fetch_add(1);
    } else {
      Meter::inc(h_.meters[tagLoop(c.tag)]->errors);
    }
    reportError("echo client: " + std::string(why));
  }

 private:
  struct PerLoop {
    std::vector<std::unique_ptr<WsClient>> clients;
    std::unique_ptr<RateDriver> driver;
    size_t next = 0;
    std::string scratch;
  };

  void startSending(size_t l) {
    auto& L = perLoop_[l];
    if (o_.rate <= 0) {
      for (auto& c : L.clients)
        sendOne(l, *c, nowNs());
      return;
    }
    const double share = o_.rate / static_cast<double>(h_.loops.size());
    L.driver = std::make_unique<RateDriver>(h_.loops.at(l), share, [this, l](uint64_t ns) {
      auto& P = perLoop_[l];
      for (size_t tries = 0; tries < P.clients.size(); ++tries) {
        WsClient& c = *P.clients[P.next++ % P.clients.size()];
        if (c.isOpen()) {
          sendOne(l, c, ns);
          return;
        }
      }
    });
    L.driver->start();
  }

  void sendOne(size_t l, WsClient& c, uint64_t ns) {
    if (!c.isOpen()) return;
    auto& L = perLoop_[l];
    L.scratch.assign(static_cast<size_t>(std::max<int64_t>(o_.size, kTimestampBytes)), 'x');
    putBinaryTimestamp(L.scratch.data(), ns);
    c.send(ws::Opcode::kBinary, L.scratch);
    ++c.outstanding;
    Meter::inc(h_.meters[l]->sent);
  }

  const Options& o_;
  Environment& env_;
  Harness h_;
  std::vector<PerLoop> perLoop_;
  std::atomic<uint64_t> opened_{0}, failed_{0};
};

// ---- baseline ------------------------------------------------------------------------------

class Baseline : public HttpListener {
 public:
  Baseline(const Options& o, Environment& env) : o_(o), env_(env), h_(o) {}
  ~Baseline() override {
    h_.loops.stop();
    perLoop_.clear();
  }

  Result run() {
    Result r("baseline");
    r.setTitle(modeTitle(o_, "HTTP connections") + ", direct to the upstream");
    const Target& t = env_.target();
    buildRequestHead(t);
    perLoop_.resize(h_.loops.size());
    h_.loops.start();
    for (size_t l = 0; l < h_.loops.size(); ++l) {
      h_.loops.runAndWait(l, [&, l] {
        auto& L = perLoop_[l];
        for (int64_t i = static_cast<int64_t>(l); i < o_.connections;
             i += static_cast<int64_t>(h_.loops.size())) {
          auto c = std::make_unique<HttpConn>(h_.loops.at(l), *this);
          c->tag = makeTag(l, L.conns.size());
          c->start(t.upstreamEndpoint());
          L.conns.push_back(std::move(c));
        }
      });
    }
    const bool allOpen = waitUntil(
        [&] { return opened_.load() + failed_.load() >= static_cast<uint64_t>(o_.connections); },
        30);
    if (!allOpen || failed_.load() > 0) {
      r.setFailed("only " + std::to_string(opened_.load()) + " of " +
                  std::to_string(o_.connections) + " connections to the upstream opened");
      return r;
    }
    for (size_t l = 0; l < h_.loops.size(); ++l) {
      asio::post(h_.loops.at(l), [this, l] { startSending(l); });
    }
    auto w = h_.measure("baseline", "sent", "answered");
    h_.loops.stop();
    const LatencyHistogram lat = mergedLatency(h_.meters);
    r.add("requests_per_sec", static_cast<double>(w.delta.received) / w.seconds, "requests/s");
    r.add("sent_per_sec", static_cast<double>(w.delta.sent) / w.seconds, "sent/s");
    r.addLatency(lat, "", "round trip");
    r.add("connections", static_cast<double>(o_.connections), "connections");
    r.add("size", static_cast<double>(o_.size), "payload bytes");
    r.add("rate", o_.rate, "target rate/s (0 = closed loop)");
    r.add("request_head_bytes", static_cast<double>(head_.size()), "request head bytes");
    r.add("errors", static_cast<double>(sumCounts(h_.meters).errors), "errors");
    r.add("seconds", w.seconds, "measured seconds", 2);
    return r;
  }

  void onOpen(HttpConn&) override { opened_.fetch_add(1); }

  void onResponse(HttpConn& c, int status, std::string_view body) override {
    const size_t l = tagLoop(c.tag);
    Meter& m = *h_.meters[l];
    if (c.outstanding > 0) --c.outstanding;
    if (status != 200 || body.size() < kTimestampBytes) {
      Meter::inc(m.errors);
      reportError("baseline: upstream answered " + std::to_string(status));
    } else {
      m.recordLatency(latencyMicros(getBinaryTimestamp(body.data()), nowNs()), measuring());
      Meter::inc(m.received);
    }
    if (o_.rate <= 0 && phase() != Phase::kStop) sendOne(l, c, nowNs());
  }

  void onClosed(HttpConn& c, std::string_view why) override {
    if (phase() == Phase::kSetup) {
      failed_.fetch_add(1);
    } else {
      Meter::inc(h_.meters[tagLoop(c.tag)]->errors);
    }
    reportError("baseline connection: " + std::string(why));
  }

 private:
  struct PerLoop {
    std::vector<std::unique_ptr<HttpConn>> conns;
    std::unique_ptr<RateDriver> driver;
    size_t next = 0;
  };

  // Exactly the header set webpubsubd sends for a simple client's message (captured with
  // bench-upstream --print-requests; upstream-cloudevents.md §3.2, §9.4), values of the same
  // length, so the upstream parses requests of the same shape and size.
  void buildRequestHead(const Target& t) {
    const std::string host = t.upstreamHost + ":" + std::to_string(t.upstreamPort);
    const size_t size = static_cast<size_t>(std::max<int64_t>(o_.size, kTimestampBytes));
    head_ = "POST /upstream/message HTTP/1.1\r\n";
    head_ += "Host: " + host + "\r\n";
    head_ += "WebHook-Request-Origin: 127.0.0.1\r\n";
    head_ += "Content-Type: application/octet-stream\r\n";
    head_ += "ce-specversion: 1.0\r\n";
    head_ += "ce-awpsversion: 1.0\r\n";
    head_ += "ce-type: azure.webpubsub.user.message\r\n";
    head_ += "ce-source: /hubs/bench/client/acvvXHCs1WtlMF-gPGWGFg\r\n";
    head_ += "ce-id: 2\r\n";
    head_ += "ce-time: 2026-11-28T06:27:32Z\r\n";
    head_ +=
        "ce-signature: "
        "sha256=89d509af69bbb0e4802f294b73b4355ec823d1fb2e51f3437185a9015a8b9a7a\r\n";
    head_ += "ce-userId: user1\r\n";
    head_ += "ce-connectionId: acvvXHCs1WtlMF-gPGWGFg\r\n";
    head_ += "ce-hub: bench\r\n";
    head_ += "ce-eventName: message\r\n";
    head_ += "Content-Length: " + std::to_string(size) + "\r\n\r\n";
    bodySize_ = size;
  }

  void startSending(size_t l) {
    auto& L = perLoop_[l];
    if (o_.rate <= 0) {
      for (auto& c : L.conns)
        sendOne(l, *c, nowNs());
      return;
    }
    const double share = o_.rate / static_cast<double>(h_.loops.size());
    L.driver = std::make_unique<RateDriver>(h_.loops.at(l), share, [this, l](uint64_t ns) {
      auto& P = perLoop_[l];
      // Prefer a connection with nothing in flight; pipeline only when all are busy.
      HttpConn* best = nullptr;
      for (size_t tries = 0; tries < P.conns.size(); ++tries) {
        HttpConn& c = *P.conns[P.next++ % P.conns.size()];
        if (!c.isOpen()) continue;
        if (c.outstanding == 0) {
          best = &c;
          break;
        }
        if (!best || c.outstanding < best->outstanding) best = &c;
      }
      if (best) sendOne(l, *best, ns);
    });
    L.driver->start();
  }

  void sendOne(size_t l, HttpConn& c, uint64_t ns) {
    if (!c.isOpen()) return;
    std::string& out = c.out();
    out += head_;
    const size_t at = out.size();
    out.append(bodySize_, 'x');
    putBinaryTimestamp(out.data() + at, ns);
    c.flush();
    ++c.outstanding;
    Meter::inc(h_.meters[l]->sent);
  }

  const Options& o_;
  Environment& env_;
  Harness h_;
  std::vector<PerLoop> perLoop_;
  std::string head_;
  size_t bodySize_ = 0;
  std::atomic<uint64_t> opened_{0}, failed_{0};
};

}  // namespace

Result runEcho(const Options& o, Environment& env) {
  Echo e(o, env);
  return e.run();
}

Result runBaseline(const Options& o, Environment& env) {
  Baseline b(o, env);
  return b.run();
}

}  // namespace wps::bench
