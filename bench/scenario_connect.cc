// connect: connection establishment rate. --connections connectors loop concurrently: open a
// TCP connection (from 127.0.0.2... in turn), send the upgrade request with a valid token, wait
// for the 101 (subprotocol clients: for the `connected` message), then reset the connection
// (SO_LINGER 0: no TIME_WAIT on either side) and start over. Every connection makes the server
// send the blocking `connect` event (before the 101) and the `connected` event (after it) to
// bench-upstream, whose counters tell how many of each arrived.
#include <boost/asio/post.hpp>

#include "bench/scenarios.h"
#include "bench/ws_client.h"

namespace wps::bench {
namespace {

class Connect : public WsListener {
 public:
  Connect(const Options& o, Environment& env) : o_(o), env_(env), h_(o, env.target()) {}
  ~Connect() override {
    h_.loops.stop();
    perLoop_.clear();
  }

  Result run() {
    Result r("connect");
    handshake_ = Handshake(env_.target(), o_, "connector");
    r.setTitle(std::to_string(o_.connections) + " concurrent connectors, " +
               handshake_.clientKind() + " clients, " + std::to_string(o_.sourceAddresses) +
               " source addresses, " + formatNumber(o_.duration, 1) + " s");
    const auto s0 = env_.upstreamStats();
    perLoop_.resize(h_.loops.size());
    h_.loops.start();
    setPhase(Phase::kWarmup);
    h_.forEachConnection(o_.connections, [&](size_t l, int64_t i) {
      auto& L = perLoop_[l];
      const size_t index = L.clients.size();
      auto c = std::make_unique<WsClient>(h_.loops.at(l), *this, 77 + static_cast<uint64_t>(i));
      c->tag = makeTag(l, index);
      L.clients.push_back(std::move(c));
      L.started.push_back(0);
      begin(l, index);
    });
    std::optional<std::string> s1, s2;
    auto w = h_.measure(
        "connect", "", "connected", {}, -1, [&] { s1 = env_.upstreamStats(); },
        [&] { s2 = env_.upstreamStats(); });
    h_.loops.stop();
    // Let the server deliver the last connected/disconnected events.
    std::optional<std::string> s3 = s2;
    for (int i = 0; i < 50; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      auto s = env_.upstreamStats();
      if (!s || (s3 && *s == *s3)) break;
      s3 = s;
    }
    const Counts total = sumCounts(h_.meters);
    const LatencyHistogram lat = mergedLatency(h_.meters);
    r.add("connections_per_sec", static_cast<double>(w.delta.received) / w.seconds,
          "connections/s");
    // Each connection: the handshake, `connect` and `connected` upstream, the reset and its
    // `disconnected` (the later ones of the window's connections fall after it, earlier ones'
    // in it).
    addCpuFigures(r, w.cpu, w.seconds, static_cast<double>(w.delta.received), "", "connection",
                  true);
    auto field = [](const std::optional<std::string>& s, const char* k) {
      return s ? jsonNumber(*s, k).value_or(0) : 0.0;
    };
    if (s1 && s2) {
      r.add("connect_events_per_sec", (field(s2, "connect") - field(s1, "connect")) / w.seconds,
            "upstream connect events/s");
      r.add("connected_events_per_sec",
            (field(s2, "connected") - field(s1, "connected")) / w.seconds,
            "upstream connected events/s");
    }
    r.addLatency(lat, "", "handshake");
    r.add("connections_total", static_cast<double>(total.received), "connections (all phases)");
    if (s0 && s3) {
      const double connects = field(s3, "connect") - field(s0, "connect");
      const double connected = field(s3, "connected") - field(s0, "connected");
      r.add("connect_events_total", connects, "upstream connect events");
      r.add("connected_events_total", connected, "upstream connected events");
      r.addBool("events_complete",
                connects >= static_cast<double>(total.received) &&
                    connected >= static_cast<double>(total.received),
                "both events for every connection");
    }
    r.add("concurrency", static_cast<double>(o_.connections), "concurrent connectors");
    r.add("errors", static_cast<double>(total.errors), "errors");
    r.add("seconds", w.seconds, "measured seconds", 2);
    if (total.received == 0) r.setFailed("no connection succeeded");
    return r;
  }

  void onOpen(WsClient& c) override {
    const size_t l = tagLoop(c.tag), i = tagIndex(c.tag);
    Meter& m = *h_.meters[l];
    m.recordLatency(latencyMicros(perLoop_[l].started[i], nowNs()), measuring());
    Meter::inc(m.received);
    c.close();  // SO_LINGER 0: reset
    if (phase() != Phase::kStop) asio::post(h_.loops.at(l), [this, l, i] { begin(l, i); });
  }

  void onMessage(WsClient&, bool, std::string_view) override {}

  void onClosed(WsClient& c, std::string_view why) override {
    const size_t l = tagLoop(c.tag), i = tagIndex(c.tag);
    Meter::inc(h_.meters[l]->errors);
    reportError("connect: " + std::string(why));
    if (phase() != Phase::kStop) asio::post(h_.loops.at(l), [this, l, i] { begin(l, i); });
  }

 private:
  struct PerLoop {
    std::vector<std::unique_ptr<WsClient>> clients;
    std::vector<uint64_t> started;
    size_t nextSource = 0;
  };

  void begin(size_t l, size_t i) {
    if (phase() == Phase::kStop) return;
    auto& L = perLoop_[l];
    L.started[i] = nowNs();
    const uint32_t source = loopbackSource(L.nextSource++ * h_.loops.size() + l,
                                           static_cast<size_t>(o_.sourceAddresses));
    L.clients[i]->start(handshake_.target, handshake_.path, handshake_.subprotocol, source, true);
  }

  const Options& o_;
  Environment& env_;
  Harness h_;
  std::vector<PerLoop> perLoop_;
  Handshake handshake_;
};

}  // namespace

Result runConnect(const Options& o, Environment& env) {
  Connect c(o, env);
  return c.run();
}

}  // namespace wps::bench
