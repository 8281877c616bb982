// idle: opens --connections WebSocket connections (simple clients by default) from several
// loopback source addresses (127.0.0.2...; each address has its own ephemeral port range) and
// keeps them open doing nothing, then reports what they cost: the server's resident memory
// (VmRSS growth) and kernel TCP memory (/proc/net/sockstat "mem", pages) per connection.
// Loopback puts both ends of every connection in this kernel, so half of the kernel growth is
// attributed to the server. Idle sockets hold no buffer pages, so the kernel's real cost is
// in its slab caches (socket, inode, file, epoll objects): reported too, also halved, as the
// conservative figure (slab growth includes unrelated kernel activity). Costs are marginal:
// measured from a baseline taken after a warm-up batch of connections (the server's first
// connections also allocate per-worker structures). While holding, the server's CPU time per
// open connection and second shows what idle connections cost it in keep-alive work.
#include <algorithm>
#include <thread>

#include "bench/scenarios.h"
#include "bench/ws_client.h"

namespace wps::bench {
namespace {

struct Snapshot {
  uint64_t rss = 0, tcp = 0, slab = 0;
  bool haveRss = false;
};

class Idle : public WsListener {
 public:
  Idle(const Options& o, Environment& env)
      : o_(o),
        env_(env),
        h_(o, env.target()),
        opener_(h_, *this, 991, [this](size_t l, size_t index, WsClient& c) {
          c.setBuffered(false);  // idle: no receive buffer per connection
          const uint32_t source =
              loopbackSource(index * h_.loops.size() + l, static_cast<size_t>(o_.sourceAddresses));
          c.start(handshake_.target, handshake_.path, handshake_.subprotocol, source, true);
        }) {}
  ~Idle() override {
    h_.loops.stop();
    opener_.clear();
  }

  Snapshot snapshot() const {
    Snapshot s;
    if (env_.target().serverPid > 0) {
      auto rss = processRssBytes(env_.target().serverPid);
      s.haveRss = rss.has_value();
      s.rss = rss.value_or(0);
    }
    s.tcp = kernelTcpMemoryBytes().value_or(0);
    s.slab = kernelSlabBytes().value_or(0);
    return s;
  }

  Result run() {
    Result r("idle");
    const auto &opened = opener_.opened, &failed = opener_.failed, &dropped = opener_.dropped;
    handshake_ = Handshake(env_.target(), o_, "idle");
    const uint64_t n = static_cast<uint64_t>(o_.connections);
    r.setTitle(std::to_string(n) + " idle " + handshake_.clientKind() + " clients from " +
               std::to_string(o_.sourceAddresses) + " source addresses");
    h_.loops.start();
    setPhase(Phase::kWarmup);

    const uint64_t warm = std::min<uint64_t>(std::max<uint64_t>(1, n / 10), 500);
    if (!opener_.openUpTo(warm, 60) || failed.load() > 0) {
      r.setFailed("warm-up connections failed (" + std::to_string(failed.load()) + ")");
      return r;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const Snapshot before = snapshot();
    const uint64_t openedBefore = opened.load();
    const auto t0 = Clock::now();
    std::atomic<bool> done{false};
    std::thread reporter([&] {
      uint64_t last = opened.load();
      while (!done.load()) {
        for (int i = 0; i < 20 && !done.load(); ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        const uint64_t now = opened.load();
        std::fprintf(stderr, "[idle opening] open %llu/%llu (+%llu/s) failed %llu\n",
                     (unsigned long long)now, (unsigned long long)n,
                     (unsigned long long)(now - last), (unsigned long long)failed.load());
        last = now;
      }
    });
    const bool ok = opener_.openUpTo(n, 600);
    const double openSeconds = std::chrono::duration<double>(Clock::now() - t0).count();
    done = true;
    reporter.join();
    if (!ok || failed.load() > 0) {
      r.setFailed("opened " + std::to_string(opened.load()) + " of " + std::to_string(n) +
                  " connections (" + std::to_string(failed.load()) + " failed)");
    }
    // Let the server finish the connected events and settle.
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const Snapshot after = snapshot();
    const uint64_t open = opened.load() - dropped.load();
    const double added = static_cast<double>(opened.load() - openedBefore);

    // Hold them for --duration, watching that they stay open.
    setPhase(Phase::kMeasure);
    CpuWatch cpu = h_.cpuWatch();
    cpu.start();
    const auto holdStart = Clock::now();
    const auto holdEnd = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                            std::chrono::duration<double>(o_.duration));
    while (Clock::now() < holdEnd) {
      const Clock::duration left = holdEnd - Clock::now();
      std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::seconds(1), left));
      const Snapshot s = snapshot();
      std::fprintf(stderr, "[idle holding] open %llu, server RSS %.1f MB, kernel TCP %.1f MB\n",
                   (unsigned long long)(opened.load() - dropped.load()),
                   static_cast<double>(s.rss) / 1048576.0, static_cast<double>(s.tcp) / 1048576.0);
    }
    const CpuUse held = cpu.stop();
    const double holdSeconds = std::chrono::duration<double>(Clock::now() - holdStart).count();
    setPhase(Phase::kStop);
    const uint64_t stillOpen = opened.load() - dropped.load();

    auto delta = [](uint64_t a, uint64_t b) {
      return static_cast<double>(a) - static_cast<double>(b);
    };
    const double rssPer = added > 0 ? delta(after.rss, before.rss) / added : 0;
    // Idle sockets hold no buffer pages, so this is ~0 (noise can make it negative: clamped).
    const double tcpPer = added > 0 ? std::max(0.0, delta(after.tcp, before.tcp) / 2 / added) : 0;
    const double slabPer = added > 0 ? delta(after.slab, before.slab) / 2 / added : 0;
    r.add("connections", static_cast<double>(open), "connections open");
    r.add("connections_held", static_cast<double>(stillOpen), "still open after holding");
    r.add("open_per_sec", (added) / openSeconds, "opened/s (while filling)");
    if (after.haveRss) {
      r.add("bytes_per_connection", rssPer + tcpPer, "bytes/connection (RSS + kernel TCP)");
      r.add("rss_bytes_per_connection", rssPer, "server RSS bytes/connection");
    } else {
      r.add("bytes_per_connection", tcpPer, "bytes/connection (kernel TCP only, no server PID)");
    }
    r.add("kernel_tcp_bytes_per_connection", tcpPer, "kernel TCP bytes/connection (half)");
    r.add("kernel_slab_bytes_per_connection", slabPer, "kernel slab bytes/connection (half)");
    // The kernel's socket objects (tcp_sock, inode, file, epoll item) live in slab caches, which
    // sockstat "mem" does not count: RSS + half the slab growth is the conservative figure.
    if (after.haveRss) {
      r.add("bytes_per_connection_with_slab", rssPer + slabPer,
            "bytes/connection (RSS + kernel slab)");
    }
    r.add("server_rss_before_mb", static_cast<double>(before.rss) / 1048576.0,
          "server RSS before (MB)", 1);
    r.add("server_rss_after_mb", static_cast<double>(after.rss) / 1048576.0,
          "server RSS after (MB)", 1);
    r.add("kernel_tcp_mem_after_mb", static_cast<double>(after.tcp) / 1048576.0,
          "kernel TCP memory after (MB)", 1);
    r.add("measured_connections", added, "connections measured (after warm-up)");
    // While holding: the server's CPU per open connection and second (keep-alive work).
    addCpuFigures(r, held, holdSeconds, static_cast<double>(stillOpen) * holdSeconds, "",
                  "connection-second (idle)", false);
    r.add("errors", static_cast<double>(failed.load() + dropped.load()), "errors");
    return r;
  }

  void onOpen(WsClient& c) override { opener_.onOpen(c); }

  void onMessage(WsClient&, bool, std::string_view) override {}

  void onClosed(WsClient& c, std::string_view why) override {
    opener_.onClosed(c);
    reportError("idle: " + std::string(why));
  }

 private:
  const Options& o_;
  Environment& env_;
  Harness h_;
  Handshake handshake_;  // set before the first client starts
  ClientOpener opener_;
};

}  // namespace

Result runIdle(const Options& o, Environment& env) {
  Idle i(o, env);
  return i.run();
}

}  // namespace wps::bench
