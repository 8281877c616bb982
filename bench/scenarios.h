// The scenarios of webpubsub-bench (bench/README.md). Each runs against the environment
// (server and/or upstream already started) and returns its result table.
#pragma once

#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "bench/common.h"
#include "bench/cpu.h"
#include "bench/rate.h"
#include "bench/ws_client.h"

namespace wps::bench {

Result runEcho(const Options& o, Environment& env);
Result runBaseline(const Options& o, Environment& env);
Result runConnect(const Options& o, Environment& env);
Result runIdle(const Options& o, Environment& env);
Result runFanout(const Options& o, Environment& env);
Result runRest(const Options& o, Environment& env);
Result runSoak(const Options& o, Environment& env);

// Loops, meters and the warmup/measure sequence shared by the throughput scenarios. Owned by
// the scenario's main thread (the loops run their own threads).
class Harness {
 public:
  // `under` names the processes whose CPU time every measured window reports (its server
  // nodes and upstream, as far as their PIDs are known).
  Harness(const Options& o, const Target& under);
  ~Harness() { loops.stop(); }

  struct Window {
    double seconds = 0;
    Counts delta;
    CpuUse cpu;  // of the server nodes and the upstream over exactly this window
  };
  // Runs the warmup (o.warmup seconds) then the measured phase (`seconds`, default
  // o.duration) with progress lines; returns the measured window. Leaves the phase at kStop.
  // atStart/atEnd run on the calling thread right at the window's edges (just outside the
  // CPU samples, which are taken next to the counters).
  Window measure(const std::string& name, const char* sentLabel, const char* receivedLabel,
                 const std::function<std::string()>& extra = {}, double seconds = -1,
                 const std::function<void()>& atStart = {},
                 const std::function<void()>& atEnd = {});

  // Calls make(l, i) on loop l for every connection i (0 <= i < count) that loop l owns
  // (i % loops == l), one loop after the other, waiting for each.
  void forEachConnection(int64_t count, const std::function<void(size_t l, int64_t i)>& make);
  // Posts f(l) to every loop l; returns at once.
  void postToEachLoop(const std::function<void(size_t l)>& f);

  // CPU use of the processes under test, sampled now and at stop() (for windows measured
  // without measure(), e.g. idle's).
  CpuWatch cpuWatch() const { return cpu_; }

  const Options& options;
  LoopGroup loops;
  std::vector<std::unique_ptr<Meter>> meters;

 private:
  CpuWatch cpu_;  // not started: a template for the windows
};

// The CPU figures of a window of `seconds` in which `ops` operations were made (`what` names
// one in the labels, e.g. "echo event"): PREFIXserver_cpu_us_per_op (µs of user + system CPU
// per operation, summed over the nodes), PREFIXserver_cpu_cores (cores busy on average) and,
// with `upstream`, the same two figures for bench-upstream. A process whose CPU is unknown
// adds nothing; with no operation the per-operation figure is left out.
void addCpuFigures(Result& r, const CpuUse& cpu, double seconds, double ops,
                   const std::string& prefix, const std::string& what, bool upstream);

// Fixed-rate driver of one loop: calls send(intendedNs) for every due send, on a timer armed
// for the next due time (at least 50 µs apart; several sends per wake-up at high rates). With
// catchUp, a loop that fell behind (more due than one wake-up sends) wakes up again at once
// rather than after 50 µs.
class RateDriver {
 public:
  RateDriver(asio::io_context& io, double perSecond, std::function<void(uint64_t)> send,
             bool catchUp = true);
  void start() { tick(); }

 private:
  void tick();
  asio::steady_timer timer_;
  FixedRateScheduler scheduler_;
  std::function<void(uint64_t)> send_;
  bool catchUp_;
};

// Which connection a fixed-rate send goes on (LoopConns).
enum class Pick {
  kNextOpen,   // the next open one in turn
  kLeastBusy,  // the next open one with nothing in flight, else the least busy (pipelining)
};

// One loop's connections in a load scenario (echo, baseline, rest) and, with --rate, the driver
// sending on them. Conn is WsClient or HttpConn (isOpen(), outstanding).
template <class Conn>
struct LoopConns {
  std::vector<std::unique_ptr<Conn>> conns;
  std::unique_ptr<RateDriver> driver;
  size_t next = 0;  // where the search for a connection starts (round robin)

  // An open connection as `how` says; nullptr if none is open.
  Conn* pick(Pick how) {
    Conn* best = nullptr;
    for (size_t tries = 0; tries < conns.size(); ++tries) {
      Conn& c = *conns[next++ % conns.size()];
      if (!c.isOpen()) continue;
      if (how == Pick::kNextOpen || c.outstanding == 0) return &c;
      if (!best || c.outstanding < best->outstanding) best = &c;
    }
    return best;
  }

  // Starts sending on loop l (call it there). Closed loop (--rate 0): send(conn, now) once on
  // every connection (the scenario sends again on each answer). Fixed rate: this loop's share
  // of --rate, each send(conn, intendedNs) on the connection pick(how) gives (none: skipped).
  template <class Send>
  void startSending(Harness& h, size_t l, Pick how, Send send, bool catchUp = true) {
    if (h.options.rate <= 0) {
      for (auto& c : conns)
        send(*c, nowNs());
      return;
    }
    const double share = h.options.rate / static_cast<double>(h.loops.size());
    driver = std::make_unique<RateDriver>(
        h.loops.at(l), share,
        [this, how, send](uint64_t ns) {
          if (Conn* c = pick(how)) send(*c, ns);
        },
        catchUp);
    driver->start();
  }
};

// Opens WebSocket clients with bounded concurrency (idle, fanout): every loop opens its share of
// a total, with at most --concurrency handshakes in flight over all loops. The scenario is the
// clients' listener and passes their onOpen/onClosed on to this one's.
class ClientOpener {
 public:
  // start(l, index, client) starts client `index` of loop l, which the opener made (seed
  // seedBase + index) and tagged (makeTag(l, index); outstanding = 1 while it opens). It is
  // called once per client, in index order.
  using Start = std::function<void(size_t l, size_t index, WsClient& client)>;
  ClientOpener(Harness& h, WsListener& listener, uint64_t seedBase, Start start);

  // Opens clients until `total` have been started over all loops and waits (at most `seconds`)
  // until that many opened or failed; false on the timeout.
  bool openUpTo(uint64_t total, double seconds);
  // The scenario's WsListener::onOpen.
  void onOpen(WsClient& c);
  // The scenario's WsListener::onClosed: true if the client had been open (dropped), false if
  // it failed while opening.
  bool onClosed(WsClient& c);
  // Destroys the clients (after the loops stopped).
  void clear();

  std::atomic<uint64_t> opened{0}, failed{0}, dropped{0};

 private:
  struct Loop {
    std::vector<std::unique_ptr<WsClient>> clients;
    uint64_t target = 0;
    uint64_t inFlight = 0;
  };
  // Starts clients on loop l until its target is reached, keeping the handshakes in flight
  // under its share of --concurrency.
  void pump(size_t l);

  Harness& h_;
  WsListener& listener_;
  uint64_t seedBase_;
  Start start_;
  std::vector<Loop> loops_;
};

// Where clients of the target's server connect.
inline WsTarget wsTarget(const Target& t) {
  return WsTarget{t.serverEndpoint(), t.serverHostHeader(), t.tls.get(), t.serverHost};
}

// What connect and idle send in every handshake: one token (for `user`) for all their clients
// (the server still verifies it every time) and the --protocol subprotocol ("" = simple).
struct Handshake {
  Handshake() = default;
  Handshake(const Target& t, const Options& o, const std::string& user);
  // "simple" or the subprotocol, for titles.
  std::string clientKind() const {
    return subprotocol.empty() ? std::string("simple") : subprotocol;
  }

  WsTarget target;
  std::string path, subprotocol;
};

// Loop index and slot packed into WsClient/HttpConn tags.
inline uint64_t makeTag(size_t loop, size_t index) {
  return (static_cast<uint64_t>(loop) << 40) | index;
}
inline size_t tagLoop(uint64_t tag) {
  return static_cast<size_t>(tag >> 40);
}
inline size_t tagIndex(uint64_t tag) {
  return static_cast<size_t>(tag & ((1ull << 40) - 1));
}

// Prints the first few errors of a run to stderr (thread-safe).
void reportError(const std::string& what);

}  // namespace wps::bench
