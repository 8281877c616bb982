// rest: --connections keep-alive HTTP clients call the REST API in a closed loop (or at a fixed
// --rate in total), each call with a freshly signed JWT (audience = the request URL, HS256 with
// the access key), so the server verifies a token per call:
//   send  POST /api/hubs/bench/:send           (a --size text body to the hub; 202)
//   group PUT  /api/hubs/bench/groups/rN/connections/{id}   (a live connection; 200)
// Two JSON clients stay connected: their connection ids are the group targets and they receive
// the sends. --mix picks send, group or both (alternating per client).
// With --nodes N (a cluster sharing one Redis), HTTP client i calls node i % N and there is one
// member client per node (at least two), member j on node j % N: most group calls address a
// connection on another node (a scatter-gather over the bus), and every send reaches members on
// every node.
#include <deque>

#include "bench/http_client.h"
#include "bench/scenarios.h"
#include "bench/ws_client.h"

namespace wps::bench {
namespace {

class Rest : public HttpListener, public WsListener {
 public:
  Rest(const Options& o, Environment& env) : o_(o), env_(env), h_(o, env.target()) {}
  ~Rest() override {
    h_.loops.stop();
    perLoop_.clear();
    members_.clear();
  }

  Result run() {
    Result r("rest");
    const Target& t = env_.target();
    for (size_t n = 0; n < t.nodeCount(); ++n)
      nodes_.push_back(t.forNode(n));
    r.setTitle(std::to_string(o_.connections) + " HTTP clients, calls: " + o_.mix + ", " +
               std::to_string(o_.size) + " B bodies, " +
               (o_.rate > 0 ? "fixed rate " + formatNumber(o_.rate, 0) + "/s"
                            : std::string("closed loop")) +
               ", a new JWT per call, " + formatNumber(o_.duration, 1) + " s" +
               (nodes_.size() > 1
                    ? ", " + std::to_string(nodes_.size()) + " nodes + Redis (round-robin)"
                    : std::string()));
    perLoop_.resize(h_.loops.size());
    h_.loops.start();
    // Members for the group calls: member i on node i % nodes.
    const size_t memberCount = std::max<size_t>(2, nodes_.size());
    h_.loops.runAndWait(0, [&] {
      for (size_t i = 0; i < memberCount; ++i) {
        const Target& nt = nodes_[i % nodes_.size()];
        auto c = std::make_unique<WsClient>(h_.loops.at(0), *this, 100 + i);
        c->start(wsTarget(nt), clientPath(clientToken(nt, "member" + std::to_string(i), {}, {})),
                 kJsonSubprotocol, 0, false);
        members_.push_back(std::move(c));
      }
    });
    if (!waitUntil([&] { return membersOpen_.load() >= memberCount; }, 30)) {
      r.setFailed("the member clients did not connect");
      return r;
    }
    h_.loops.runAndWait(0, [&] {
      for (auto& m : members_)
        memberIds_.push_back(m->connectionId());
    });
    h_.forEachConnection(o_.connections, [&](size_t l, int64_t i) {
      auto& L = perLoop_[l];
      auto c = std::make_unique<HttpConn>(h_.loops.at(l), *this);
      c->tag = makeTag(l, L.conns.size());
      const size_t node = static_cast<size_t>(i) % nodes_.size();
      c->start(nodes_[node].serverEndpoint());
      L.conns.push_back(std::move(c));
      L.node.push_back(node);
      L.starts.emplace_back();
      L.kinds.emplace_back();
      L.turn.push_back(static_cast<uint64_t>(i));
    });
    if (!waitUntil([&] { return opened_.load() >= static_cast<uint64_t>(o_.connections); }, 30)) {
      r.setFailed("only " + std::to_string(opened_.load()) + " HTTP connections opened");
      return r;
    }
    h_.postToEachLoop([this](size_t l) { startSending(l); });
    auto w = h_.measure("rest", "calls", "answered");
    h_.loops.stop();
    const LatencyHistogram lat = mergedLatency(h_.meters);
    const double groupCalls = static_cast<double>(w.delta.extra);
    r.add("calls_per_sec", static_cast<double>(w.delta.received) / w.seconds, "calls/s");
    addCpuFigures(r, w.cpu, w.seconds, static_cast<double>(w.delta.received), "", "call", false);
    r.add("send_per_sec", (static_cast<double>(w.delta.received) - groupCalls) / w.seconds,
          "send calls/s");
    r.add("group_add_per_sec", groupCalls / w.seconds, "add-to-group calls/s");
    r.addLatency(lat, "", "call");
    r.add("connections", static_cast<double>(o_.connections), "HTTP clients");
    r.add("nodes", static_cast<double>(nodes_.size()), "server nodes");
    r.add("size", static_cast<double>(o_.size), "body bytes");
    r.add("errors", static_cast<double>(sumCounts(h_.meters).errors), "errors");
    r.add("seconds", w.seconds, "measured seconds", 2);
    return r;
  }

  // ---- HTTP clients ----

  void onOpen(HttpConn&) override { opened_.fetch_add(1); }

  void onResponse(HttpConn& c, int status, std::string_view) override {
    const size_t l = tagLoop(c.tag), i = tagIndex(c.tag);
    auto& L = perLoop_[l];
    Meter& m = *h_.meters[l];
    if (c.outstanding > 0) --c.outstanding;
    const uint64_t start = L.starts[i].empty() ? nowNs() : L.starts[i].front();
    const bool group = !L.kinds[i].empty() && L.kinds[i].front();
    if (!L.starts[i].empty()) L.starts[i].pop_front();
    if (!L.kinds[i].empty()) L.kinds[i].pop_front();
    if ((group && status == 200) || (!group && status == 202)) {
      m.recordLatency(latencyMicros(start, nowNs()), measuring());
      Meter::inc(m.received);
      if (group) Meter::inc(m.extra);
    } else {
      Meter::inc(m.errors);
      reportError("rest: " + std::string(group ? "add to group" : "send") + " answered " +
                  std::to_string(status));
    }
    if (o_.rate <= 0 && phase() != Phase::kStop) call(l, c, nowNs());
  }

  void onClosed(HttpConn& c, std::string_view why) override {
    Meter::inc(h_.meters[tagLoop(c.tag)]->errors);
    reportError("rest connection: " + std::string(why));
  }

  // ---- member clients ----

  void onOpen(WsClient&) override { membersOpen_.fetch_add(1); }
  void onMessage(WsClient&, bool, std::string_view) override {}
  void onClosed(WsClient&, std::string_view why) override {
    reportError("rest member client: " + std::string(why));
  }

 private:
  struct PerLoop : LoopConns<HttpConn> {
    std::vector<std::deque<uint64_t>> starts;  // send times of the calls in flight
    std::vector<std::deque<bool>> kinds;       // true = group call
    std::vector<uint64_t> turn;
    std::vector<size_t> node;  // the server node each client calls
  };

  void startSending(size_t l) {
    // With --rate: an idle connection if any, else the least busy one; after a stall the
    // driver still waits 50 µs between wake-ups (catchUp false).
    perLoop_[l].startSending(
        h_, l, Pick::kLeastBusy, [this, l](HttpConn& c, uint64_t ns) { call(l, c, ns); }, false);
  }

  void call(size_t l, HttpConn& c, uint64_t startNs) {
    if (!c.isOpen()) return;
    auto& L = perLoop_[l];
    const size_t i = tagIndex(c.tag);
    const uint64_t turn = L.turn[i]++;
    const bool group = o_.mix == "group" || (o_.mix == "both" && turn % 2 == 1);
    const Target& t = nodes_[L.node[i]];
    std::string target;
    if (group) {
      // Every member in turn (with --mix both only odd turns are group calls).
      const uint64_t groupTurn = o_.mix == "both" ? turn / 2 : turn;
      target = std::string("/api/hubs/") + kHub + "/groups/r" + std::to_string(turn % 16) +
               "/connections/" + memberIds_[groupTurn % memberIds_.size()] +
               "?api-version=2024-01-01";
    } else {
      target = std::string("/api/hubs/") + kHub + "/:send?api-version=2024-01-01";
    }
    std::string& out = c.out();
    out += group ? "PUT " : "POST ";
    out += target;
    out += " HTTP/1.1\r\nHost: ";
    out += t.serverHostHeader();
    out += "\r\nAuthorization: Bearer ";
    out += restToken(t.accessKey, t.serverOrigin() + target);
    if (group) {
      out += "\r\nContent-Length: 0\r\n\r\n";
    } else {
      const size_t size = static_cast<size_t>(o_.size);
      out += "\r\nContent-Type: text/plain\r\nContent-Length: ";
      out += std::to_string(size);
      out += "\r\n\r\n";
      out.append(size, 'x');
    }
    c.flush();
    ++c.outstanding;
    L.starts[i].push_back(startNs);
    L.kinds[i].push_back(group);
    Meter::inc(h_.meters[l]->sent);
  }

  const Options& o_;
  Environment& env_;
  Harness h_;
  std::vector<PerLoop> perLoop_;
  std::vector<Target> nodes_;  // env_.target() per node (node 0 first); read-only while running
  std::vector<std::unique_ptr<WsClient>> members_;
  std::vector<std::string> memberIds_;
  std::atomic<uint64_t> opened_{0}, membersOpen_{0};
};

}  // namespace

Result runRest(const Options& o, Environment& env) {
  Rest r(o, env);
  return r.run();
}

}  // namespace wps::bench
