// soak: a long run at a steady, moderate load that shows whether the server leaks (bench/soak
// runs it and judges the samples). --connections clients (every second one a
// json.webpubsub.azure.v1 client, the others simple clients) stay connected, each in one of
// --groups groups (group k holds clients 2k and 2k+1 modulo 2 × --groups, so every group has
// both kinds). --rate group messages per second, half as JSON clients' sendToGroup to their own
// group, half as REST POST /api/hubs/bench/groups/{g}/:send (keep-alive, --senders connections,
// a fresh JWT per call), plus --event-rate upstream events per second: simple clients send a
// message that bench-upstream echoes back. Every payload carries its send time, so every
// delivery gives a latency. Every --sample-seconds it prints one line to stdout:
//   SAMPLE <seconds> <server RSS kB> <server open fds> <p50 ms> <p99 ms> <sent> <delivered>
//          <errors> <open clients> <server CPU % of one core> <1-minute load average>
// (latency and CPU over that interval, counters cumulative; the load average tells a
// latency spike caused by other work on the machine from one of the server's). At the end it stops
// sending, waits for what is in flight, and counts every delivery that never came as an error, like
// every client that was closed, every failed handshake and every REST answer other than 202.
#include <dirent.h>
#include <unistd.h>

#include <boost/asio/post.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "bench/http_client.h"
#include "bench/scenarios.h"
#include "bench/ws_client.h"

namespace wps::bench {
namespace {

// Entries of /proc/PID/fd; nullopt when unreadable.
std::optional<uint64_t> processOpenFds(pid_t pid) {
  DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (dir == nullptr) return std::nullopt;
  uint64_t n = 0;
  while (const dirent* e = ::readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(dir);
  return n;
}

// The 1-minute load average of the machine (0 when unreadable).
double loadAverage() {
  std::ifstream f("/proc/loadavg");
  double load = 0;
  f >> load;
  return load;
}

struct Sample {
  double seconds = 0;
  uint64_t rssKb = 0, fds = 0;
  double p50Ms = 0, p99Ms = 0;
  Counts counts;
  uint64_t open = 0;
  double serverCpu = 0;  // percent of one core over the interval
  double load = 0;       // the machine's 1-minute load average
};

class Soak : public WsListener, public HttpListener {
 public:
  Soak(const Options& o, Environment& env)
      : o_(o),
        env_(env),
        h_(o, env.target()),
        opener_(h_, *this, 4242, [this](size_t l, size_t index, WsClient& c) {
          const size_t k = index * h_.loops.size() + l;
          const bool json = k % 2 == 1;
          const uint32_t group = groupOf(k);
          PerLoop& L = perLoop_[l];
          L.clients.push_back(&c);
          L.json.push_back(json);
          (json ? L.jsonClients : L.simpleClients).push_back(index);
          L.group.push_back(group);
          const uint32_t source = loopbackSource(k, static_cast<size_t>(o_.sourceAddresses));
          c.start(wsTarget(env_.target()), paths_[group], json ? kJsonSubprotocol : "", source,
                  false);
        }) {}
  ~Soak() override {
    h_.loops.stop();
    perLoop_.clear();
    opener_.clear();
  }

  Result run();

  // ---- clients (WsListener, on their loop) ----

  void onOpen(WsClient& c) override { opener_.onOpen(c); }

  void onMessage(WsClient& c, bool, std::string_view payload) override {
    const size_t l = tagLoop(c.tag);
    PerLoop& L = perLoop_[l];
    std::string_view data = payload;
    if (L.json[tagIndex(c.tag)]) {
      // {"type":"message","from":"group","group":"soak-7",...,"data":"<payload>"}
      const size_t at = payload.find("\"data\":\"");
      if (at == std::string_view::npos) return;  // not a data message
      data = payload.substr(at + 8);
    }
    if (auto ts = getHexTimestamp(data)) L.window.record(latencyMicros(*ts, nowNs()));
    Meter::inc(h_.meters[l]->received);
  }

  void onClosed(WsClient& c, std::string_view why) override {
    opener_.onClosed(c);
    Meter::inc(h_.meters[tagLoop(c.tag)]->errors);
    reportError("soak client: " + std::string(why));
  }

  // ---- REST senders (HttpListener, on their loop) ----

  void onOpen(HttpConn&) override { restOpen_.fetch_add(1); }

  void onResponse(HttpConn& c, int status, std::string_view body) override {
    if (c.outstanding > 0) --c.outstanding;
    if (status == 202) return;
    Meter::inc(h_.meters[tagLoop(c.tag)]->errors);
    reportError("soak: REST send answered " + std::to_string(status) + " " + std::string(body));
  }

  void onClosed(HttpConn& c, std::string_view why) override {
    Meter::inc(h_.meters[tagLoop(c.tag)]->errors);
    reportError("soak REST sender: " + std::string(why));
  }

 private:
  // One loop's share: its clients (owned by opener_; indexes are the opener's per-loop index),
  // REST connections, rate drivers and the latency histogram of the current sample interval.
  struct PerLoop {
    std::vector<WsClient*> clients;
    std::vector<bool> json;
    std::vector<uint32_t> group;
    std::vector<size_t> jsonClients, simpleClients;
    std::vector<std::unique_ptr<HttpConn>> rest;
    std::unique_ptr<RateDriver> clientDriver, restDriver, eventDriver;
    size_t nextJson = 0, nextSimple = 0;
    uint64_t nextGroup = 0;
    LatencyHistogram window;
    std::string payload, frame;
  };

  uint32_t groupOf(size_t k) const {
    return static_cast<uint32_t>((k / 2) % static_cast<size_t>(o_.groups));
  }
  static std::string groupName(uint32_t g) { return "soak-" + std::to_string(g); }

  bool openClients(Result& r);
  void startSending(size_t l);
  void sendToGroupFromClient(size_t l, uint64_t ns);
  void sendToGroupByRest(size_t l, uint64_t ns);
  void sendEvent(size_t l, uint64_t ns);
  // The next open client among `which` of loop l (round robin); nullptr if none is open.
  WsClient* nextOpen(PerLoop& L, const std::vector<size_t>& which, size_t& next);
  void countSent(size_t l, uint64_t deliveries) {
    expected_.fetch_add(deliveries, std::memory_order_relaxed);
    Meter::inc(h_.meters[l]->sent);
  }
  Sample sample(double seconds);
  void finish(Result& r, const std::vector<Sample>& samples);

  const Options& o_;
  Environment& env_;
  Harness h_;
  std::vector<PerLoop> perLoop_;
  std::vector<std::string> paths_;     // client path (token with its group) per group
  std::vector<std::string> restUrls_;  // per group: REST target, audience URL
  std::vector<std::string> restTargets_;
  std::vector<uint64_t> members_;  // clients per group
  ClientOpener opener_;
  std::atomic<uint64_t> restOpen_{0}, expected_{0};
  // Main thread (sample()):
  uint64_t lastCpuTicks_ = 0;
  double lastSampleSeconds_ = 0;
};

bool Soak::openClients(Result& r) {
  const Target& t = env_.target();
  const auto groups = static_cast<uint32_t>(o_.groups);
  for (uint32_t g = 0; g < groups; ++g) {
    paths_.push_back(clientPath(clientToken(t, "soak-user-" + std::to_string(g),
                                            {"webpubsub.sendToGroup"}, {groupName(g)})));
    restTargets_.push_back(std::string("/api/hubs/") + kHub + "/groups/" + groupName(g) +
                           "/:send?api-version=2024-01-01");
    restUrls_.push_back(t.serverOrigin() + restTargets_.back());
  }
  members_.assign(groups, 0);
  const auto n = static_cast<uint64_t>(o_.connections);
  for (uint64_t k = 0; k < n; ++k)
    ++members_[groupOf(k)];
  perLoop_.resize(h_.loops.size());
  h_.loops.start();
  if (!opener_.openUpTo(n, 600) || opener_.failed.load() > 0) {
    r.setFailed("only " + std::to_string(opener_.opened.load()) + " of " + std::to_string(n) +
                " clients connected");
    return false;
  }
  if (o_.rate <= 0) return true;  // no REST sends: idle keep-alive connections would time out
  for (size_t l = 0; l < h_.loops.size(); ++l) {
    h_.loops.runAndWait(l, [this, l, &t] {
      const size_t share = static_cast<size_t>(o_.senders) / h_.loops.size() + 1;
      for (size_t i = 0; i < share; ++i) {
        auto c = std::make_unique<HttpConn>(h_.loops.at(l), *this);
        c->tag = makeTag(l, i);
        c->start(t.serverEndpoint());
        perLoop_[l].rest.push_back(std::move(c));
      }
    });
  }
  size_t wanted = 0;
  for (auto& L : perLoop_)
    wanted += L.rest.size();
  if (!waitUntil([&] { return restOpen_.load() >= wanted; }, 30)) {
    r.setFailed("the REST senders did not connect");
    return false;
  }
  return true;
}

void Soak::startSending(size_t l) {
  PerLoop& L = perLoop_[l];
  const double loops = static_cast<double>(h_.loops.size());
  const double groupRate = o_.rate / loops / 2;
  auto& io = h_.loops.at(l);
  if (groupRate > 0) {
    L.clientDriver = std::make_unique<RateDriver>(
        io, groupRate, [this, l](uint64_t ns) { sendToGroupFromClient(l, ns); });
    L.restDriver = std::make_unique<RateDriver>(
        io, groupRate, [this, l](uint64_t ns) { sendToGroupByRest(l, ns); });
    L.clientDriver->start();
    L.restDriver->start();
  }
  if (o_.eventRate > 0) {
    L.eventDriver = std::make_unique<RateDriver>(io, o_.eventRate / loops,
                                                 [this, l](uint64_t ns) { sendEvent(l, ns); });
    L.eventDriver->start();
  }
}

WsClient* Soak::nextOpen(PerLoop& L, const std::vector<size_t>& which, size_t& next) {
  for (size_t tries = 0; tries < which.size(); ++tries) {
    WsClient* c = L.clients[which[next++ % which.size()]];
    if (c->isOpen()) return c;
  }
  return nullptr;
}

void Soak::sendToGroupFromClient(size_t l, uint64_t ns) {
  PerLoop& L = perLoop_[l];
  WsClient* c = nextOpen(L, L.jsonClients, L.nextJson);
  if (c == nullptr) return;
  const uint32_t g = L.group[tagIndex(c->tag)];
  makeTextPayload(L.payload, static_cast<size_t>(o_.size), ns);
  L.frame = R"({"type":"sendToGroup","group":")" + groupName(g) +
            R"(","dataType":"text","data":")" + L.payload + "\"}";
  c->send(ws::Opcode::kText, L.frame);
  countSent(l, members_[g]);  // without noEcho the sender gets it too
}

void Soak::sendToGroupByRest(size_t l, uint64_t ns) {
  PerLoop& L = perLoop_[l];
  HttpConn* best = nullptr;
  for (auto& c : L.rest) {
    if (c->isOpen() && (!best || c->outstanding < best->outstanding)) best = c.get();
  }
  if (best == nullptr) return;
  const auto g = static_cast<uint32_t>((L.nextGroup++ * h_.loops.size() + l) %
                                       static_cast<uint64_t>(o_.groups));
  makeTextPayload(L.payload, static_cast<size_t>(o_.size), ns);
  std::string& out = best->out();
  out += "POST " + restTargets_[g] + " HTTP/1.1\r\nHost: " + env_.target().serverHostHeader();
  out += "\r\nAuthorization: Bearer " + restToken(env_.target().accessKey, restUrls_[g]);
  out += "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(L.payload.size());
  out += "\r\n\r\n" + L.payload;
  best->flush();
  ++best->outstanding;
  countSent(l, members_[g]);
}

void Soak::sendEvent(size_t l, uint64_t ns) {
  PerLoop& L = perLoop_[l];
  WsClient* c = nextOpen(L, L.simpleClients, L.nextSimple);
  if (c == nullptr) return;
  makeTextPayload(L.payload, static_cast<size_t>(o_.size), ns);
  c->send(ws::Opcode::kText, L.payload);  // bench-upstream echoes it to the sender
  countSent(l, 1);
}

Sample Soak::sample(double seconds) {
  Sample s;
  s.seconds = seconds;
  LatencyHistogram merged;
  for (size_t l = 0; l < h_.loops.size(); ++l) {
    h_.loops.runAndWait(l, [&, l] {
      merged.merge(perLoop_[l].window);
      perLoop_[l].window.reset();
    });
  }
  s.p50Ms = static_cast<double>(merged.percentile(50)) / 1000.0;
  s.p99Ms = static_cast<double>(merged.percentile(99)) / 1000.0;
  const pid_t pid = env_.target().serverPid;
  if (pid > 0) {
    s.rssKb = processRssBytes(pid).value_or(0) / 1024;
    s.fds = processOpenFds(pid).value_or(0);
    const uint64_t ticks = processCpuTicks(pid).value_or(0);
    const double dt = seconds - lastSampleSeconds_;
    if (dt > 0 && ticks >= lastCpuTicks_) {
      s.serverCpu = 100.0 * static_cast<double>(ticks - lastCpuTicks_) /
                    static_cast<double>(::sysconf(_SC_CLK_TCK)) / dt;
    }
    lastCpuTicks_ = ticks;
    lastSampleSeconds_ = seconds;
  }
  s.load = loadAverage();
  s.counts = sumCounts(h_.meters);
  s.open = opener_.opened.load() - opener_.dropped.load();
  std::printf("SAMPLE %.0f %llu %llu %.3f %.3f %llu %llu %llu %llu %.0f %.2f\n", s.seconds,
              static_cast<unsigned long long>(s.rssKb), static_cast<unsigned long long>(s.fds),
              s.p50Ms, s.p99Ms, static_cast<unsigned long long>(s.counts.sent),
              static_cast<unsigned long long>(s.counts.received),
              static_cast<unsigned long long>(s.counts.errors),
              static_cast<unsigned long long>(s.open), s.serverCpu, s.load);
  std::fflush(stdout);
  std::fprintf(stderr,
               "[soak %5.0f s] rss %.1f MB, fds %llu, p99 %.3f ms, errors %llu, server cpu %.0f "
               "%%, load %.2f\n",
               seconds, static_cast<double>(s.rssKb) / 1024, static_cast<unsigned long long>(s.fds),
               s.p99Ms, static_cast<unsigned long long>(s.counts.errors), s.serverCpu, s.load);
  return s;
}

Result Soak::run() {
  Result r("soak");
  r.setTitle(std::to_string(o_.connections) + " clients (half json) in " +
             std::to_string(o_.groups) + " groups, " + formatNumber(o_.rate, 0) +
             " group messages/s (client + REST) and " + formatNumber(o_.eventRate, 0) +
             " upstream events/s for " + formatNumber(o_.duration, 0) + " s");
  if (env_.target().serverPid <= 0) {
    r.setFailed("soak samples the server's RSS and fds: it needs its PID (--server-pid)");
    return r;
  }
  if (!openClients(r)) return r;
  setPhase(Phase::kMeasure);
  const auto t0 = Clock::now();
  for (size_t l = 0; l < h_.loops.size(); ++l)
    asio::post(h_.loops.at(l), [this, l] { startSending(l); });
  std::vector<Sample> samples;
  samples.push_back(sample(0));
  const auto interval = std::chrono::duration<double>(o_.sampleSeconds);
  for (int k = 1;; ++k) {
    const auto due = t0 + std::chrono::duration_cast<Clock::duration>(interval * k);
    if (due > t0 + std::chrono::duration<double>(o_.duration) + std::chrono::milliseconds(1)) {
      break;
    }
    std::this_thread::sleep_until(due);
    samples.push_back(sample(std::chrono::duration<double>(Clock::now() - t0).count()));
  }
  setPhase(Phase::kStop);  // the drivers stop; wait for what is in flight
  waitUntil([&] { return sumCounts(h_.meters).received >= expected_.load(); }, 30);
  finish(r, samples);
  return r;
}

void Soak::finish(Result& r, const std::vector<Sample>& samples) {
  const Counts c = sumCounts(h_.meters);
  const uint64_t expected = expected_.load();
  const uint64_t lost = expected > c.received ? expected - c.received : 0;
  if (lost > 0) reportError("soak: " + std::to_string(lost) + " deliveries never arrived");
  r.add("connections", static_cast<double>(o_.connections), "clients");
  r.add("messages_sent", static_cast<double>(c.sent), "messages sent (group + events)");
  r.add("deliveries", static_cast<double>(c.received), "deliveries received");
  r.add("lost_deliveries", static_cast<double>(lost), "deliveries that never arrived");
  r.add("errors", static_cast<double>(c.errors + lost), "errors");
  r.add("samples", static_cast<double>(samples.size()), "samples");
  if (!samples.empty()) {
    r.add("rss_start_kb", static_cast<double>(samples.front().rssKb), "server RSS at 0 s (kB)");
    r.add("rss_end_kb", static_cast<double>(samples.back().rssKb), "server RSS at the end (kB)");
    r.add("fds_start", static_cast<double>(samples.front().fds), "server fds at 0 s");
    r.add("fds_end", static_cast<double>(samples.back().fds), "server fds at the end");
  }
}

}  // namespace

Result runSoak(const Options& o, Environment& env) {
  Soak s(o, env);
  return s.run();
}

}  // namespace wps::bench
