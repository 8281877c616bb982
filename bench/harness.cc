#include "bench/scenarios.h"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <mutex>

namespace wps::bench {

namespace {
std::vector<pid_t> serverPids(const Target& t) {
  std::vector<pid_t> pids;
  for (const auto& n : t.nodes)
    pids.push_back(n.pid);
  if (pids.empty()) pids.push_back(t.serverPid);
  return pids;
}
}  // namespace

Harness::Harness(const Options& o, const Target& under)
    : options(o),
      loops(static_cast<size_t>(o.threads)),
      cpu_(serverPids(under), under.upstreamPid) {
  for (size_t i = 0; i < loops.size(); ++i)
    meters.push_back(std::make_unique<Meter>());
}

Harness::Window Harness::measure(const std::string& name, const char* sentLabel,
                                 const char* receivedLabel,
                                 const std::function<std::string()>& extra, double seconds,
                                 const std::function<void()>& atStart,
                                 const std::function<void()>& atEnd) {
  if (seconds < 0) seconds = options.duration;
  Progress progress(name, loops, meters);
  setPhase(Phase::kWarmup);
  if (options.warmup > 0) progress.run(options.warmup, sentLabel, receivedLabel, extra);
  // Histograms record only while measuring; the interval ones are for progress lines.
  if (atStart) atStart();
  CpuWatch cpu = cpu_;
  cpu.start();
  const Counts before = sumCounts(meters);
  const auto t0 = Clock::now();
  setPhase(Phase::kMeasure);
  progress.run(seconds, sentLabel, receivedLabel, extra);
  const Counts after = sumCounts(meters);
  const auto t1 = Clock::now();
  Window w;
  w.cpu = cpu.stop();
  setPhase(Phase::kStop);
  if (atEnd) atEnd();
  w.seconds = std::chrono::duration<double>(t1 - t0).count();
  w.delta.sent = after.sent - before.sent;
  w.delta.received = after.received - before.received;
  w.delta.errors = after.errors - before.errors;
  w.delta.extra = after.extra - before.extra;
  return w;
}

void addCpuFigures(Result& r, const CpuUse& cpu, double seconds, double ops,
                   const std::string& prefix, const std::string& what, bool upstream) {
  auto add = [&](const std::optional<double>& used, const std::string& who,
                 const std::string& label) {
    if (!used) return;
    if (ops > 0) {
      r.add(prefix + who + "_cpu_us_per_op", *used * 1e6 / ops,
            label + " CPU µs per " + what + " (user + system)", 2);
    }
    if (seconds > 0) r.add(prefix + who + "_cpu_cores", *used / seconds, label + " cores busy", 2);
  };
  const std::string phase = prefix.empty() ? "" : prefix.substr(0, prefix.size() - 1) + ": ";
  add(cpu.server, "server", phase + "server");
  if (upstream) add(cpu.upstream, "upstream", phase + "upstream");
}

void Harness::forEachConnection(int64_t count,
                                const std::function<void(size_t l, int64_t i)>& make) {
  for (size_t l = 0; l < loops.size(); ++l) {
    loops.runAndWait(l, [&, l] {
      for (int64_t i = static_cast<int64_t>(l); i < count; i += static_cast<int64_t>(loops.size()))
        make(l, i);
    });
  }
}

void Harness::postToEachLoop(const std::function<void(size_t l)>& f) {
  for (size_t l = 0; l < loops.size(); ++l)
    asio::post(loops.at(l), [f, l] { f(l); });
}

RateDriver::RateDriver(asio::io_context& io, double perSecond, std::function<void(uint64_t)> send,
                       bool catchUp)
    : timer_(io),
      scheduler_(perSecond, Clock::now(), std::max<uint64_t>(16, uint64_t(perSecond / 200))),
      send_(std::move(send)),
      catchUp_(catchUp) {}

void RateDriver::tick() {
  if (phase() == Phase::kStop) return;
  const auto now = Clock::now();
  const uint64_t first = scheduler_.issued();
  const uint64_t n = scheduler_.take(now);
  for (uint64_t k = 0; k < n; ++k)
    send_(toNs(scheduler_.intendedTime(first + k)));
  auto next = std::max(scheduler_.nextDue(), now + std::chrono::microseconds(50));
  if (catchUp_ && scheduler_.backlog(now) > 0) next = now;  // catching up after a stall
  timer_.expires_at(next);
  timer_.async_wait([this](const error_code& ec) {
    if (!ec) tick();
  });
}

ClientOpener::ClientOpener(Harness& h, WsListener& listener, uint64_t seedBase, Start start)
    : h_(h),
      listener_(listener),
      seedBase_(seedBase),
      start_(std::move(start)),
      loops_(h.loops.size()) {}

bool ClientOpener::openUpTo(uint64_t total, double seconds) {
  const size_t n = h_.loops.size();
  for (size_t l = 0; l < n; ++l) {
    const uint64_t share = total / n + (l < total % n ? 1 : 0);
    asio::post(h_.loops.at(l), [this, l, share] {
      loops_[l].target = share;
      pump(l);
    });
  }
  return waitUntil([&] { return opened.load() + failed.load() >= total; }, seconds);
}

void ClientOpener::onOpen(WsClient& c) {
  const size_t l = tagLoop(c.tag);
  c.outstanding = 0;
  opened.fetch_add(1);
  --loops_[l].inFlight;
  pump(l);
}

bool ClientOpener::onClosed(WsClient& c) {
  const size_t l = tagLoop(c.tag);
  if (c.outstanding == 1) {  // was still opening
    failed.fetch_add(1);
    --loops_[l].inFlight;
    pump(l);
    return false;
  }
  dropped.fetch_add(1);
  return true;
}

void ClientOpener::clear() {
  for (auto& L : loops_)
    L.clients.clear();
}

void ClientOpener::pump(size_t l) {
  auto& L = loops_[l];
  const uint64_t limit =
      std::max<uint64_t>(1, static_cast<uint64_t>(h_.options.concurrency) / h_.loops.size());
  while (L.clients.size() < L.target && L.inFlight < limit) {
    const size_t index = L.clients.size();
    auto c = std::make_unique<WsClient>(h_.loops.at(l), listener_, seedBase_ + index);
    c->tag = makeTag(l, index);
    c->outstanding = 1;  // opening
    WsClient* raw = c.get();
    L.clients.push_back(std::move(c));
    ++L.inFlight;
    start_(l, index, *raw);
  }
}

Handshake::Handshake(const Target& t, const Options& o, const std::string& user)
    : target(wsTarget(t)),
      path(clientPath(clientToken(t, user, {}, {}))),
      subprotocol(o.protocol == "json" ? kJsonSubprotocol : "") {}

void reportError(const std::string& what) {
  static std::mutex mu;
  static int shown = 0;
  std::lock_guard<std::mutex> lock(mu);
  if (shown < 5) {
    std::fprintf(stderr, "webpubsub-bench: %s\n", what.c_str());
  } else if (shown == 5) {
    std::fprintf(stderr, "webpubsub-bench: (further errors are only counted)\n");
  }
  ++shown;
}

}  // namespace wps::bench
