// Shared pieces of the scenarios: the environment under test (server and upstream, started by
// us or given), per-thread meters, progress lines, result tables/JSON, tokens and payload
// timestamps.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/histogram.h"
#include "bench/net.h"
#include "bench/options.h"
#include "bench/process.h"

namespace wps::bench {

inline constexpr const char* kHub = "bench";
inline constexpr const char* kJsonSubprotocol = "json.webpubsub.azure.v1";
using Clock = std::chrono::steady_clock;

// ---- environment -------------------------------------------------------------------------

struct Target {
  std::string serverHost;  // empty when the scenario does not use the server
  uint16_t serverPort = 0;
  std::string accessKey;
  pid_t serverPid = 0;  // 0 = unknown
  std::string upstreamHost;
  uint16_t upstreamPort = 0;
  pid_t upstreamPid = 0;

  // Every server node (--nodes; one entry, the server above, otherwise). Node 0 is the server
  // above; the nodes share the access key and the cluster bus.
  struct Node {
    std::string host;
    uint16_t port = 0;
    pid_t pid = 0;
  };
  std::vector<Node> nodes;
  // --tls: the client context verifying the server (shared by every connection); null = plain.
  std::shared_ptr<asio::ssl::context> tls;

  std::string serverOrigin() const {
    return (tls ? "https://" : "http://") + serverHost + ":" + std::to_string(serverPort);
  }
  std::string serverHostHeader() const { return serverHost + ":" + std::to_string(serverPort); }
  tcp::endpoint serverEndpoint() const;
  tcp::endpoint upstreamEndpoint() const;

  size_t nodeCount() const { return nodes.empty() ? 1 : nodes.size(); }
  // This target with node `i % nodeCount()` as the server (its origin, host header, endpoint
  // and PID), so tokens and requests made from it address that node.
  Target forNode(size_t i) const;
};

// Starts bench-upstream and webpubsubd (hub `bench` routed to the upstream) unless the options
// name running ones, and stops what it started. With --nodes N > 1 it starts redis-server on a
// unix socket in its directory and N webpubsubd nodes using it as their cluster bus.
class Environment {
 public:
  ~Environment() { stop(); }
  bool start(const Options& options, bool needServer, std::string* error);
  // Stops what it started. Returns "" when both exited cleanly (status 0), otherwise what went
  // wrong (with their log tails; a sanitizer report in a child shows up here).
  std::string stop();
  const Target& target() const { return target_; }
  const std::string& directory() const { return dir_; }
  // Upstream event counters (bench-upstream's GET /stats); nullopt if unavailable.
  std::optional<std::string> upstreamStats() const;
  // Log tails of the started processes, for error reports.
  std::string logs() const;
  void keepFiles() { keep_ = true; }

 private:
  bool startRedis(const Options& o, std::string* error);
  bool startNodes(const Options& o, std::string* error);
  // --tls: the client context from --ca or the CA the started server printed.
  bool setUpTls(const Options& o, std::string* error);

  Target target_;
  // One per node (node 0 logs to server.log, the others to server-N.log).
  std::vector<std::unique_ptr<ChildProcess>> servers_;
  size_t nodeCount_ = 1;  // server nodes to start (--nodes)
  ChildProcess upstream_;
  ChildProcess redis_;
  std::string redisUrl_;  // unix://DIR/redis.sock with --nodes > 1
  std::string dir_;
  std::string serverCa_;      // --tls: the CA file a started --tls-self-signed server printed
  std::string serverTlsDir_;  // ... and its directory (removed by stop())
  bool keep_ = false;
};

// Extracts a numeric field from a flat JSON object ({"a":1,"b":2}); nullopt if absent.
std::optional<double> jsonNumber(std::string_view json, std::string_view key);

// ---- measurement ---------------------------------------------------------------------------

enum class Phase : int { kSetup = 0, kWarmup = 1, kMeasure = 2, kStop = 3 };

// Counters and histograms of one loop thread. Counters are written only by that thread
// (relaxed atomics, read by the progress reporter); histograms are touched by that thread only
// (the main thread reads them through LoopGroup::runAndWait or after the loops stopped).
struct alignas(64) Meter {
  std::atomic<uint64_t> sent{0};
  std::atomic<uint64_t> received{0};
  std::atomic<uint64_t> errors{0};
  std::atomic<uint64_t> extra{0};  // scenario-specific (e.g. second kind of call)
  LatencyHistogram total;          // microseconds, recorded while measuring
  LatencyHistogram interval;       // microseconds, since the last progress line

  static void inc(std::atomic<uint64_t>& c, uint64_t n = 1) {
    c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void recordLatency(uint64_t micros, bool measuring) {
    interval.record(micros);
    if (measuring) total.record(micros);
  }
};

struct Counts {
  uint64_t sent = 0, received = 0, errors = 0, extra = 0;
};
Counts sumCounts(const std::vector<std::unique_ptr<Meter>>& meters);

// Prints one progress line per second to stderr while a phase runs.
class Progress {
 public:
  Progress(std::string scenario, LoopGroup& loops, std::vector<std::unique_ptr<Meter>>& meters)
      : scenario_(std::move(scenario)), loops_(loops), meters_(meters) {}
  // Sleeps for `seconds`, printing a line every second: rates of the counters named by the
  // labels (empty label = not shown), interval p50/p99, and `extra()` text.
  void run(double seconds, const char* sentLabel, const char* receivedLabel,
           const std::function<std::string()>& extra = {});
  double elapsed() const;

 private:
  std::string scenario_;
  LoopGroup& loops_;
  std::vector<std::unique_ptr<Meter>>& meters_;
  Clock::time_point start_ = Clock::now();
};

// Merged `total` histograms of all meters (call after the loops stopped, or via runAndWait).
LatencyHistogram mergedLatency(const std::vector<std::unique_ptr<Meter>>& meters);

// ---- results -------------------------------------------------------------------------------

class Result {
 public:
  explicit Result(std::string scenario) : scenario_(std::move(scenario)) {}
  void add(const std::string& key, double value, const std::string& label, int decimals = 0);
  void addText(const std::string& key, const std::string& value, const std::string& label);
  void addBool(const std::string& key, bool value, const std::string& label);
  // Adds p50/p99/p999/max/mean in milliseconds under `prefix` ("" → p50_ms, ...).
  void addLatency(const LatencyHistogram& h, const std::string& prefix, const std::string& what);
  void setTitle(std::string title) { title_ = std::move(title); }
  void setFailed(std::string why) { failure_ = std::move(why); }
  bool failed() const { return !failure_.empty(); }
  void print(bool json) const;

 private:
  struct Item {
    std::string key, label, text;
    double value = 0;
    int decimals = 0;
    int kind = 0;  // 0 number, 1 text, 2 bool
  };
  std::string scenario_, title_, failure_;
  std::vector<Item> items_;
};

// Human number with thousands separators.
std::string formatNumber(double v, int decimals);

// ---- tokens and payloads -------------------------------------------------------------------

// A client access token for hub `bench` on the target server.
std::string clientToken(const Target& t, const std::string& user,
                        const std::vector<std::string>& roles,
                        const std::vector<std::string>& groups);
// "/client/hubs/bench?access_token=<token>"
std::string clientPath(const std::string& token);
// A REST bearer token for one request URL (audience = the URL), signed now.
std::string restToken(const std::string& accessKey, const std::string& url);

inline uint64_t nowNs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
          .count());
}
inline uint64_t toNs(Clock::time_point t) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}
// Microseconds from a send timestamp to now (0 if the clock went backwards).
inline uint64_t latencyMicros(uint64_t sentNs, uint64_t nowNanos) {
  return nowNanos > sentNs ? (nowNanos - sentNs) / 1000 : 0;
}
// 16 lower-case hex digits (for text payloads).
void putHexTimestamp(char* out, uint64_t ns);
std::optional<uint64_t> getHexTimestamp(std::string_view text);

// Text payload of `size` bytes (at least 16): the hex timestamp then 'x' filler.
void makeTextPayload(std::string& out, size_t size, uint64_t ns);

// Global phase of the running scenario, read by every loop.
extern std::atomic<int> gPhase;
inline Phase phase() {
  return static_cast<Phase>(gPhase.load(std::memory_order_relaxed));
}
inline bool measuring() {
  return phase() == Phase::kMeasure;
}
void setPhase(Phase p);

// Waits (sleeping) until pred() or the timeout; returns pred().
bool waitUntil(const std::function<bool()>& pred, double seconds);

}  // namespace wps::bench
