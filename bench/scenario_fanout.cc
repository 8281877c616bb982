// fanout: --connections receivers (every second one a json.webpubsub.azure.v1 client, the
// others simple clients) are put in group `g` by their token (webpubsub.group claim). Phase
// "rest": --senders keep-alive HTTP clients publish through POST
// /api/hubs/bench/groups/g/:send (a fresh JWT per request). Phase "client": a JSON client
// publishes with sendToGroup frames. Closed loop: at most --window messages are in flight
// (sent but not yet received by every live receiver); or a fixed --rate of messages per second.
// Every message carries its send time (16 hex digits, the first bytes of the text payload), so
// each receipt gives a latency; delivered/s counts every message received by every receiver.
// With --nodes N (a cluster sharing one Redis), receivers, REST senders and client senders (one
// per node) are spread round-robin over the nodes, so most deliveries cross the cluster bus.
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <thread>

#include "bench/http_client.h"
#include "bench/rate.h"
#include "bench/scenarios.h"
#include "bench/ws_client.h"
#include "common/strings.h"

namespace wps::bench {
namespace {

enum class Mode : int { kNone = 0, kRest = 1, kClient = 2 };

class Fanout : public WsListener, public HttpListener {
 public:
  Fanout(const Options& o, Environment& env)
      : o_(o),
        env_(env),
        h_(o, env.target()),
        opener_(h_, *this, 31, [this](size_t l, size_t index, WsClient& c) {
          // Receiver `index` of loop l: its slots here, then the handshake.
          const size_t k = index * h_.loops.size() + l;
          const bool json = k % 2 == 1;
          const NodeInfo& node = nodes_[k % nodes_.size()];
          perLoop_[l].json.push_back(json);
          perLoop_[l].got.push_back(0);
          c.start(node.ws, node.receiverPath, json ? kJsonSubprotocol : "", 0, false);
        }) {}
  ~Fanout() override {
    h_.loops.stop();
    poll_.reset();
    restConns_.clear();
    senders_.clear();
    opener_.clear();
    perLoop_.clear();
  }

  Result run() {
    Result r("fanout");
    const Target& t = env_.target();
    restTarget_ = std::string("/api/hubs/") + kHub + "/groups/g/:send?api-version=2024-01-01";
    // Per node: its address, and tokens and URLs whose audience is that node.
    for (size_t n = 0; n < t.nodeCount(); ++n) {
      const Target nt = t.forNode(n);
      nodes_.push_back(NodeInfo{wsTarget(nt), clientPath(clientToken(nt, "receiver", {}, {"g"})),
                                nt.serverOrigin() + restTarget_, nt.serverHostHeader()});
    }
    const uint64_t m = static_cast<uint64_t>(o_.connections);
    r.setTitle(std::to_string(m) + " receivers in one group (" + std::to_string(m / 2) +
               " json), " + std::to_string(o_.size) + " B, " +
               (o_.rate > 0 ? "fixed rate " + formatNumber(o_.rate, 0) + " messages/s"
                            : "window " + std::to_string(o_.window) + " messages") +
               ", " + formatNumber(o_.duration, 1) + " s per phase" +
               (nodes_.size() > 1
                    ? ", " + std::to_string(nodes_.size()) + " nodes + Redis (round-robin)"
                    : std::string()));
    perLoop_.resize(h_.loops.size());
    h_.loops.start();

    // Receivers, opened with bounded concurrency.
    if (!opener_.openUpTo(m, 120) || opener_.failed.load() > 0) {
      r.setFailed("only " + std::to_string(opener_.opened.load()) + " of " + std::to_string(m) +
                  " receivers connected");
      return r;
    }
    // Senders live on loop 0. REST sender i (tag i) calls node i % nodes; in phase "client"
    // one JSON sender per node takes the messages in turn.
    const bool wantRest = o_.phase != "client", wantClient = o_.phase != "rest";
    h_.loops.runAndWait(0, [&] {
      poll_ = std::make_unique<asio::steady_timer>(h_.loops.at(0));
      if (wantRest) {
        for (int i = 0; i < o_.senders; ++i) {
          auto c = std::make_unique<HttpConn>(h_.loops.at(0), *this);
          c->tag = static_cast<uint64_t>(i);
          const WsTarget& ws = nodes_[c->tag % nodes_.size()].ws;
          c->start(ws.server, ws.tls, ws.tlsHost);
          restConns_.push_back(std::move(c));
        }
      }
      if (wantClient) {
        for (size_t n = 0; n < nodes_.size(); ++n) {
          const Target nt = t.forNode(n);
          auto c = std::make_unique<WsClient>(h_.loops.at(0), senderListener_, 5 + n);
          c->start(nodes_[n].ws,
                   clientPath(clientToken(nt, "sender", {"webpubsub.sendToGroup.g"}, {})),
                   kJsonSubprotocol, 0, false);
          senders_.push_back(std::move(c));
        }
      }
    });
    const size_t wantedSenders =
        (wantRest ? restConns_.size() : 0) + (wantClient ? senders_.size() : 0);
    if (!waitUntil([&] { return restOpen_.load() + senderListener_.open.load() >= wantedSenders; },
                   30)) {
      r.setFailed("the senders did not connect");
      return r;
    }

    struct PhaseResult {
      Harness::Window window;
      LatencyHistogram latency;
    };
    std::vector<std::pair<std::string, PhaseResult>> phases;
    for (Mode mode : {Mode::kRest, Mode::kClient}) {
      if ((mode == Mode::kRest && !wantRest) || (mode == Mode::kClient && !wantClient)) continue;
      const std::string name = mode == Mode::kRest ? "rest" : "client";
      setPhase(Phase::kSetup);
      asio::post(h_.loops.at(0), [this, mode] { startMode(mode); });
      PhaseResult pr;
      pr.window = h_.measure("fanout/" + name, "messages", "delivered", [&] {
        return "in flight " + std::to_string(inFlightMessages()) + " msgs";
      });
      // Stop sending, let every message in flight arrive, then take this phase's latencies.
      h_.loops.runAndWait(0, [this] { startMode(Mode::kNone); });
      waitUntil([&] { return inFlightDeliveries() == 0; }, 5);
      for (size_t l = 0; l < h_.loops.size(); ++l) {
        h_.loops.runAndWait(l, [&, l] {
          pr.latency.merge(h_.meters[l]->total);
          h_.meters[l]->total.reset();
        });
      }
      phases.emplace_back(name, std::move(pr));
    }
    h_.loops.stop();

    double delivered = 0, seconds = 0;
    CpuUse cpu{0.0, std::nullopt};  // of the server over both phases
    for (const auto& [name, pr] : phases) {
      delivered += static_cast<double>(pr.window.delta.received);
      seconds += pr.window.seconds;
      cpu.server = cpu.server && pr.window.cpu.server
                       ? std::optional<double>(*cpu.server + *pr.window.cpu.server)
                       : std::nullopt;
    }
    r.add("delivered_per_sec", seconds > 0 ? delivered / seconds : 0, "delivered/s (all phases)");
    addCpuFigures(r, cpu, seconds, delivered, "", "delivered frame", false);
    for (const auto& [name, pr] : phases) {
      const double s = pr.window.seconds;
      const double got = static_cast<double>(pr.window.delta.received);
      r.add(name + "_delivered_per_sec", got / s, name + ": delivered/s");
      addCpuFigures(r, pr.window.cpu, s, got, name + "_", "delivered frame", false);
      r.add(name + "_messages_per_sec", static_cast<double>(pr.window.delta.sent) / s,
            name + ": messages sent/s");
      r.addLatency(pr.latency, name + "_", name + ":");
    }
    r.add("nodes", static_cast<double>(nodes_.size()), "server nodes");
    r.add("receivers", static_cast<double>(m), "receivers");
    r.add("json_receivers", static_cast<double>(m / 2), "json receivers");
    r.add("size", static_cast<double>(o_.size), "payload bytes");
    const uint64_t dropped = opener_.dropped.load();
    r.add("dropped_receivers", static_cast<double>(dropped), "receivers lost");
    r.add("errors", static_cast<double>(sumCounts(h_.meters).errors + dropped), "errors");
    if (phases.empty()) r.setFailed("no phase ran");
    return r;
  }

  // ---- receivers (WsListener) ----

  void onOpen(WsClient& c) override {
    alive_.fetch_add(1);
    opener_.onOpen(c);
  }

  void onMessage(WsClient& c, bool, std::string_view payload) override {
    const size_t l = tagLoop(c.tag);
    Meter& m = *h_.meters[l];
    std::string_view data = payload;
    if (perLoop_[l].json[tagIndex(c.tag)]) {
      // {"type":"message","from":"group","group":"g",...,"data":"<payload>"}
      const size_t at = payload.find("\"data\":\"");
      if (at == std::string_view::npos) return;  // not a data message
      data = payload.substr(at + 8);
    }
    if (auto ts = getHexTimestamp(data)) m.recordLatency(latencyMicros(*ts, nowNs()), measuring());
    Meter::inc(m.received);
    ++perLoop_[l].got[tagIndex(c.tag)];
  }

  void onClosed(WsClient& c, std::string_view why) override {
    if (opener_.onClosed(c)) {  // it had been open
      alive_.fetch_sub(1);
      // What was sent and not received by it will never arrive.
      const uint64_t sent = sent_.load();
      const uint64_t got = perLoop_[tagLoop(c.tag)].got[tagIndex(c.tag)];
      if (sent > got) expected_.fetch_sub(static_cast<int64_t>(sent - got));
    }
    reportError("fanout receiver: " + std::string(why));
  }

  // ---- REST senders (HttpListener, loop 0) ----

  void onOpen(HttpConn&) override { restOpen_.fetch_add(1); }

  void onResponse(HttpConn& c, int status, std::string_view) override {
    if (c.outstanding > 0) --c.outstanding;
    if (status != 202) {
      Meter::inc(h_.meters[0]->errors);
      reportError("fanout: REST send answered " + std::to_string(status));
    }
    if (o_.rate <= 0) pumpRest();
  }

  void onClosed(HttpConn&, std::string_view why) override {
    Meter::inc(h_.meters[0]->errors);
    reportError("fanout REST sender: " + std::string(why));
  }

 private:
  struct SenderListener : WsListener {
    std::atomic<uint64_t> open{0};
    void onOpen(WsClient&) override { open.fetch_add(1); }
    void onMessage(WsClient&, bool, std::string_view) override {}
    void onClosed(WsClient&, std::string_view why) override {
      reportError("fanout client sender: " + std::string(why));
    }
  };

  // One server node: where to connect, the receivers' path (token for that node) and the REST
  // URL (the audience of the REST tokens) and Host header.
  struct NodeInfo {
    WsTarget ws;
    std::string receiverPath, restUrl, hostHeader;
  };

  // The loop's receivers (by tagIndex; the clients themselves are opener_'s).
  struct PerLoop {
    std::vector<bool> json;
    std::vector<uint64_t> got;  // messages received per receiver
  };

  uint64_t delivered() const { return sumCounts(h_.meters).received; }

  // Deliveries expected (each message counts the receivers alive when it was sent, minus what
  // lost receivers will never get) but not yet made.
  uint64_t inFlightDeliveries() const {
    const int64_t left = expected_.load() - static_cast<int64_t>(delivered());
    return left > 0 ? static_cast<uint64_t>(left) : 0;
  }
  uint64_t inFlightMessages() const {
    return inFlightDeliveries() / static_cast<uint64_t>(std::max<int64_t>(1, alive_.load()));
  }
  // Closed loop: at most --window messages' worth of deliveries in flight; nobody left, no send.
  bool mayOpen() const {
    const int64_t alive = alive_.load();
    return phase() != Phase::kStop && phase() != Phase::kSetup && alive > 0 &&
           inFlightDeliveries() < static_cast<uint64_t>(o_.window) * static_cast<uint64_t>(alive);
  }

  // Loop 0 only.
  void startMode(Mode mode) {
    mode_ = mode;
    if (mode == Mode::kNone) return;
    if (o_.rate > 0) {
      scheduler_ = std::make_unique<FixedRateScheduler>(
          o_.rate, Clock::now(), std::max<uint64_t>(8, static_cast<uint64_t>(o_.rate / 200)));
    }
    tick();
  }

  void tick() {
    if (mode_ == Mode::kNone) return;
    if (o_.rate > 0) {
      const auto now = Clock::now();
      const uint64_t first = scheduler_->issued();
      const uint64_t n = phase() == Phase::kStop ? 0 : scheduler_->take(now);
      for (uint64_t k = 0; k < n; ++k)
        sendOne(toNs(scheduler_->intendedTime(first + k)));
    } else if (mode_ == Mode::kRest) {
      pumpRest();
    } else {
      for (int k = 0; k < 256 && mayOpen(); ++k)
        sendOne(nowNs());
    }
    poll_->expires_after(std::chrono::microseconds(200));
    poll_->async_wait([this](const error_code& ec) {
      if (!ec) tick();
    });
  }

  void pumpRest() {
    if (mode_ != Mode::kRest) return;
    for (auto& c : restConns_) {
      if (!mayOpen()) return;
      if (c->isOpen() && c->outstanding == 0) sendRest(*c, nowNs());
    }
  }

  void sendOne(uint64_t ns) {
    if (mode_ == Mode::kClient) {
      makeTextPayload(payload_, static_cast<size_t>(o_.size), ns);
      frame_ = "{\"type\":\"sendToGroup\",\"group\":\"g\",\"dataType\":\"text\",\"data\":\"";
      frame_ += payload_;
      frame_ += "\",\"noEcho\":true}";
      // The next open sender in turn (one per node).
      for (size_t k = 0; k < senders_.size(); ++k) {
        WsClient& sender = *senders_[nextSender_++ % senders_.size()];
        if (!sender.isOpen()) continue;
        sender.send(ws::Opcode::kText, frame_);
        countSent();
        return;
      }
      return;
    }
    // REST with a fixed rate: an idle connection if any, else the least busy one.
    HttpConn* best = nullptr;
    for (auto& c : restConns_) {
      if (!c->isOpen()) continue;
      if (!best || c->outstanding < best->outstanding) best = c.get();
    }
    if (best) sendRest(*best, ns);
  }

  void sendRest(HttpConn& c, uint64_t ns) {
    makeTextPayload(payload_, static_cast<size_t>(o_.size), ns);
    const NodeInfo& node = nodes_[c.tag % nodes_.size()];
    std::string& out = c.out();
    out += "POST ";
    out += restTarget_;
    out += " HTTP/1.1\r\nHost: ";
    out += node.hostHeader;
    out += "\r\nAuthorization: Bearer ";
    out += restToken(env_.target().accessKey, node.restUrl);  // a fresh token for every call
    out += "\r\nContent-Type: text/plain\r\nContent-Length: ";
    out += std::to_string(payload_.size());
    out += "\r\n\r\n";
    out += payload_;
    c.flush();
    ++c.outstanding;
    countSent();
  }

  void countSent() {
    sent_.fetch_add(1, std::memory_order_relaxed);
    expected_.fetch_add(alive_.load(), std::memory_order_relaxed);
    Meter::inc(h_.meters[0]->sent);
  }

  const Options& o_;
  Environment& env_;
  Harness h_;
  std::vector<PerLoop> perLoop_;
  std::vector<NodeInfo> nodes_;  // node 0 first; read-only once the loops run
  std::string restTarget_;
  ClientOpener opener_;  // the receivers
  std::atomic<uint64_t> restOpen_{0}, sent_{0};
  std::atomic<int64_t> alive_{0};
  std::atomic<int64_t> expected_{0};
  SenderListener senderListener_;
  // Loop 0 only:
  std::vector<std::unique_ptr<HttpConn>> restConns_;
  std::vector<std::unique_ptr<WsClient>> senders_;  // client phase: one per node
  size_t nextSender_ = 0;
  std::unique_ptr<asio::steady_timer> poll_;
  std::unique_ptr<FixedRateScheduler> scheduler_;
  Mode mode_ = Mode::kNone;
  std::string payload_, frame_;
};

}  // namespace

Result runFanout(const Options& o, Environment& env) {
  Fanout f(o, env);
  return f.run();
}

}  // namespace wps::bench
