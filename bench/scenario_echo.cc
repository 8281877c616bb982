// echo: N simple WebSocket clients send binary frames; the hub's upstream (bench-upstream)
// answers every `message` event with the same body, which the server returns to the client as
// a binary frame. The first 8 payload bytes carry the (intended) send time, so latency is the
// full client round trip. Closed loop (one message in flight per client) or fixed rate (--rate
// in total, spread over the clients, latency measured from each send's intended time).
//
// baseline: the same upstream hit directly with HTTP POSTs of the same size and concurrency,
// carrying the same CloudEvents headers as the server's requests: the physical-limit reference.
#include <cstring>

#include "bench/http_client.h"
#include "bench/scenarios.h"
#include "bench/stages.h"
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

std::string modeTitle(const Options& o, const char* unit) {
  std::string t =
      std::to_string(o.connections) + " " + unit + ", " + std::to_string(o.size) + " B, ";
  t += o.rate > 0 ? "fixed rate " + formatNumber(o.rate, 0) + "/s" : std::string("closed loop");
  t += ", " + formatNumber(o.duration, 1) + " s";
  return t;
}

// The connections of echo and baseline opening: all are started at once, and one that closes
// before the measurement failed to open; later closes are counted as errors.
struct OpenCount {
  std::atomic<uint64_t> opened{0}, failed{0};

  // Waits (at most `seconds`) until n connections opened or failed; true if all n opened.
  bool waitAll(int64_t n, double seconds) {
    const bool done = waitUntil(
        [&] { return opened.load() + failed.load() >= static_cast<uint64_t>(n); }, seconds);
    return done && failed.load() == 0;
  }
  // The listener's onClosed for connection `tag`.
  void closed(Harness& h, uint64_t tag) {
    if (phase() == Phase::kSetup) {
      failed.fetch_add(1);
    } else {
      Meter::inc(h.meters[tagLoop(tag)]->errors);
    }
  }
};

// The figures of echo and baseline, in this order: answers/s (under `answeredKey`), the CPU
// per answer (`what`) of the server and the upstream, sends/s, round-trip latency, the load's
// parameters, what more() adds, errors and measured seconds.
void addRoundTripFigures(Result& r, const Harness& h, const Harness::Window& w,
                         const char* answeredKey, const char* answeredLabel, const char* what,
                         const std::function<void()>& more = {}) {
  const Options& o = h.options;
  const LatencyHistogram lat = mergedLatency(h.meters);
  r.add(answeredKey, static_cast<double>(w.delta.received) / w.seconds, answeredLabel);
  addCpuFigures(r, w.cpu, w.seconds, static_cast<double>(w.delta.received), "", what, true);
  r.add("sent_per_sec", static_cast<double>(w.delta.sent) / w.seconds, "sent/s");
  r.addLatency(lat, "", "round trip");
  r.add("connections", static_cast<double>(o.connections), "connections");
  r.add("size", static_cast<double>(o.size), "payload bytes");
  r.add("rate", o.rate, "target rate/s (0 = closed loop)");
  if (more) more();
  r.add("errors", static_cast<double>(sumCounts(h.meters).errors), "errors");
  r.add("seconds", w.seconds, "measured seconds", 2);
}

// The blocking-event stages (docs/metrics.md) over the window, from the server's /metrics
// scraped at its edges: stage_NAME_mean_ms, _p50_ms, _p99_ms for each stage of kind "event"
// (nothing for a server without them, or when a scrape failed).
void addStageFigures(Result& r, const std::optional<std::string>& before,
                     const std::optional<std::string>& after) {
  if (!before || !after) return;
  for (const char* stage : kStageNames) {
    const std::string family =
        std::string("webpubsubd_blocking_stage_") + stage + "_duration_seconds";
    auto b = parsePromHistogram(*before, family, "event");
    auto a = parsePromHistogram(*after, family, "event");
    std::optional<PromHistogram> d;
    if (a && b) d = histogramDelta(*a, *b);
    if (!d || d->count == 0) continue;
    const std::string key = std::string("stage_") + stage, label = std::string("stage ") + stage;
    r.add(key + "_mean_ms", d->sum * 1000 / static_cast<double>(d->count), label + " mean (ms)", 3);
    r.add(key + "_p50_ms", histogramQuantile(*d, 0.5) * 1000, label + " p50 (ms)", 3);
    r.add(key + "_p99_ms", histogramQuantile(*d, 0.99) * 1000, label + " p99 (ms)", 3);
  }
}

// ---- echo ----------------------------------------------------------------------------------

class Echo : public WsListener {
 public:
  Echo(const Options& o, Environment& env) : o_(o), env_(env), h_(o, env.target()) {}
  // Loops stop before the clients go, and the clients before the loops' io_contexts.
  ~Echo() override {
    h_.loops.stop();
    perLoop_.clear();
  }

  Result run() {
    Result r("echo");
    r.setTitle(modeTitle(o_, "clients"));
    const Target& t = env_.target();
    const WsTarget target = wsTarget(t);
    if (o_.protocol == "json") {
      r.setFailed("echo uses simple clients (--protocol simple)");
      return r;
    }
    perLoop_.resize(h_.loops.size());
    h_.loops.start();
    // Clients are created and started on their own loops.
    h_.forEachConnection(o_.connections, [&](size_t l, int64_t i) {
      auto& L = perLoop_[l];
      auto c = std::make_unique<WsClient>(h_.loops.at(l), *this, 0x1234 + static_cast<uint64_t>(i));
      c->tag = makeTag(l, L.conns.size());
      const std::string token = clientToken(t, "user" + std::to_string(i), {}, {});
      c->start(target, clientPath(token), "", 0, false);
      L.conns.push_back(std::move(c));
    });
    if (!open_.waitAll(o_.connections, 60)) {
      r.setFailed("only " + std::to_string(open_.opened.load()) + " of " +
                  std::to_string(o_.connections) + " clients connected");
      return r;
    }
    // Start sending on every loop.
    h_.postToEachLoop([this](size_t l) { startSending(l); });
    std::optional<std::string> m0, m1;  // the server's /metrics at the window's edges
    auto scrape = [&t] { return httpGet(t.serverHost, t.serverPort, "/metrics"); };
    auto w = h_.measure(
        "echo", "sent", "echoed", {}, -1, [&] { m0 = scrape(); }, [&] { m1 = scrape(); });
    h_.loops.stop();
    addRoundTripFigures(r, h_, w, "events_per_sec", "events/s (echoed)", "echo event",
                        [&] { addStageFigures(r, m0, m1); });
    return r;
  }

  void onOpen(WsClient&) override { open_.opened.fetch_add(1); }

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
    open_.closed(h_, c.tag);
    reportError("echo client: " + std::string(why));
  }

 private:
  struct PerLoop : LoopConns<WsClient> {
    std::string scratch;
  };

  void startSending(size_t l) {
    perLoop_[l].startSending(h_, l, Pick::kNextOpen,
                             [this, l](WsClient& c, uint64_t ns) { sendOne(l, c, ns); });
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
  OpenCount open_;
};

// ---- baseline ------------------------------------------------------------------------------

class Baseline : public HttpListener {
 public:
  Baseline(const Options& o, Environment& env) : o_(o), env_(env), h_(o, env.target()) {}
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
    h_.forEachConnection(o_.connections, [&](size_t l, int64_t) {
      auto& L = perLoop_[l];
      auto c = std::make_unique<HttpConn>(h_.loops.at(l), *this);
      c->tag = makeTag(l, L.conns.size());
      c->start(t.upstreamEndpoint());
      L.conns.push_back(std::move(c));
    });
    if (!open_.waitAll(o_.connections, 30)) {
      r.setFailed("only " + std::to_string(open_.opened.load()) + " of " +
                  std::to_string(o_.connections) + " connections to the upstream opened");
      return r;
    }
    h_.postToEachLoop([this](size_t l) { startSending(l); });
    auto w = h_.measure("baseline", "sent", "answered");
    h_.loops.stop();
    addRoundTripFigures(r, h_, w, "requests_per_sec", "requests/s", "request", [&] {
      r.add("request_head_bytes", static_cast<double>(head_.size()), "request head bytes");
    });
    return r;
  }

  void onOpen(HttpConn&) override { open_.opened.fetch_add(1); }

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
    open_.closed(h_, c.tag);
    reportError("baseline connection: " + std::string(why));
  }

 private:
  using PerLoop = LoopConns<HttpConn>;

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
    // Prefer a connection with nothing in flight; pipeline only when all are busy.
    perLoop_[l].startSending(h_, l, Pick::kLeastBusy,
                             [this, l](HttpConn& c, uint64_t ns) { sendOne(l, c, ns); });
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
  OpenCount open_;
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
