#include "metrics/metrics.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace wps::metrics {
namespace {

// The value on the sample line of `name` in a /metrics text ("name value\n").
int64_t sample(const std::string& text, const std::string& name) {
  size_t at = text.find("\n" + name + " ");
  EXPECT_NE(at, std::string::npos) << name;
  if (at == std::string::npos) return -1;
  return std::stoll(text.substr(at + name.size() + 2));
}

TEST(Metrics, BlocksAreCacheLineAlignedAndSized) {
  EXPECT_EQ(alignof(CounterBlock), kCacheLineSize);
  EXPECT_EQ(sizeof(CounterBlock) % kCacheLineSize, 0u);
  Metrics metrics;
  auto a = std::make_unique<CounterBlock>(metrics);
  auto b = std::make_unique<CounterBlock>(metrics);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a.get()) % kCacheLineSize, 0u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(b.get()) % kCacheLineSize, 0u);
}

TEST(Metrics, ScrapeSumsEveryBlock) {
  Metrics metrics;
  CounterBlock worker0(metrics), worker1(metrics), cluster(metrics);
  Metrics::add(worker0.connections, 3);
  Metrics::add(worker1.connections, 2);
  Metrics::add(worker1.connections, -1);
  Metrics::inc(worker0.messagesDelivered, 10);
  Metrics::inc(worker1.messagesDelivered);
  Metrics::inc(worker1.restErrors);
  Metrics::inc(worker0.upstreamOverflows, 2);
  Metrics::inc(cluster.busPublished, 4);
  Metrics::inc(cluster.busDropped);
  Metrics::inc(worker0.acceptErrors, 2);

  Totals t = metrics.totals();
  EXPECT_EQ(t.connections, 4);
  EXPECT_EQ(t.messagesDelivered, 11u);
  EXPECT_EQ(t.restErrors, 1u);
  EXPECT_EQ(t.busPublished, 4u);
  EXPECT_EQ(t.busDropped, 1u);
  EXPECT_EQ(t.acceptErrors, 2u);
  EXPECT_EQ(t.connectionsOpened, 0u);

  std::string text = metrics.render();
  EXPECT_EQ(sample(text, "webpubsubd_connections"), 4);
  EXPECT_EQ(sample(text, "webpubsubd_messages_delivered_total"), 11);
  EXPECT_EQ(sample(text, "webpubsubd_rest_errors_total"), 1);
  EXPECT_EQ(sample(text, "webpubsubd_upstream_overflows_total"), 2);
  EXPECT_EQ(sample(text, "webpubsubd_bus_published_total"), 4);
  EXPECT_EQ(sample(text, "webpubsubd_bus_dropped_total"), 1);
  EXPECT_EQ(sample(text, "webpubsubd_accept_errors_total"), 2);
}

TEST(Metrics, CountsOfADestroyedBlockAreKept) {
  Metrics metrics;
  CounterBlock kept(metrics);
  Metrics::inc(kept.connectionsOpened, 2);
  {
    CounterBlock gone(metrics);
    Metrics::inc(gone.connectionsOpened, 5);
    Metrics::add(gone.connections, 1);
  }
  Totals t = metrics.totals();
  EXPECT_EQ(t.connectionsOpened, 7u);
  EXPECT_EQ(t.connections, 1);
  CounterBlock later(metrics);
  Metrics::inc(later.connectionsOpened);
  EXPECT_EQ(metrics.totals().connectionsOpened, 8u);
}

TEST(Metrics, ClusterStateIsExportedAsItsNumber) {
  EXPECT_EQ(static_cast<int64_t>(ClusterState::kSingleNode), 0);
  EXPECT_EQ(static_cast<int64_t>(ClusterState::kConnected), 1);
  EXPECT_EQ(static_cast<int64_t>(ClusterState::kDegraded), 2);
  Metrics metrics;
  EXPECT_EQ(sample(metrics.render(), "webpubsubd_cluster_state"), 0);
  metrics.clusterState.store(ClusterState::kConnected);
  EXPECT_EQ(sample(metrics.render(), "webpubsubd_cluster_state"), 1);
  metrics.clusterState.store(ClusterState::kDegraded);
  EXPECT_EQ(sample(metrics.render(), "webpubsubd_cluster_state"), 2);
}

// The exposition format is an interface (dashboards, alerts): names, order, HELP and TYPE.
TEST(Metrics, RenderFormatIsStable) {
  Metrics metrics;
  CounterBlock block(metrics);
  Metrics::add(block.connections, 1);
  Metrics::inc(block.connectionsOpened, 2);
  Metrics::inc(block.busReceived, 3);
  Metrics::set(block.deliveryPendingEvents, 7);
  Metrics::set(block.deliveryPendingEvents, 4);  // a level: set, not added
  Metrics::inc(block.deliveryAttemptsRetry, 5);
  Metrics::inc(block.deliveryDroppedGone);
  Metrics::inc(block.messagesExpired, 3);
  const std::string expected =
      "# HELP webpubsubd_connections Open logical client connections.\n"
      "# TYPE webpubsubd_connections gauge\n"
      "webpubsubd_connections 1\n"
      "# HELP webpubsubd_connections_opened_total Client connections accepted.\n"
      "# TYPE webpubsubd_connections_opened_total counter\n"
      "webpubsubd_connections_opened_total 2\n"
      "# HELP webpubsubd_messages_received_total Data messages from clients.\n"
      "# TYPE webpubsubd_messages_received_total counter\n"
      "webpubsubd_messages_received_total 0\n"
      "# HELP webpubsubd_messages_delivered_total Data frames queued to clients.\n"
      "# TYPE webpubsubd_messages_delivered_total counter\n"
      "webpubsubd_messages_delivered_total 0\n"
      "# HELP webpubsubd_slow_clients_closed_total Clients closed because their outbound queue "
      "overflowed.\n"
      "# TYPE webpubsubd_slow_clients_closed_total counter\n"
      "webpubsubd_slow_clients_closed_total 0\n"
      "# HELP webpubsubd_messages_expired_total Data messages dropped for a receiver because their "
      "TTL passed before they were written.\n"
      "# TYPE webpubsubd_messages_expired_total counter\n"
      "webpubsubd_messages_expired_total 3\n"
      "# HELP webpubsubd_rate_limited_clients_total Clients closed for sending messages faster "
      "than limits.max_messages_per_second.\n"
      "# TYPE webpubsubd_rate_limited_clients_total counter\n"
      "webpubsubd_rate_limited_clients_total 0\n"
      "# HELP webpubsubd_upstream_requests_total Events sent to event handlers.\n"
      "# TYPE webpubsubd_upstream_requests_total counter\n"
      "webpubsubd_upstream_requests_total 0\n"
      "# HELP webpubsubd_upstream_failures_total Events that failed.\n"
      "# TYPE webpubsubd_upstream_failures_total counter\n"
      "webpubsubd_upstream_failures_total 0\n"
      "# HELP webpubsubd_upstream_overflows_total Events failed at once because "
      "max_pending_requests_per_origin were waiting.\n"
      "# TYPE webpubsubd_upstream_overflows_total counter\n"
      "webpubsubd_upstream_overflows_total 0\n"
      "# HELP webpubsubd_rest_requests_total REST API requests.\n"
      "# TYPE webpubsubd_rest_requests_total counter\n"
      "webpubsubd_rest_requests_total 0\n"
      "# HELP webpubsubd_rest_errors_total REST API requests answered with an error.\n"
      "# TYPE webpubsubd_rest_errors_total counter\n"
      "webpubsubd_rest_errors_total 0\n"
      "# HELP webpubsubd_cluster_state 0 single node, 1 connected to the cluster bus, 2 degraded "
      "(bus unavailable).\n"
      "# TYPE webpubsubd_cluster_state gauge\n"
      "webpubsubd_cluster_state 0\n"
      "# HELP webpubsubd_bus_published_total Operations sent to other nodes.\n"
      "# TYPE webpubsubd_bus_published_total counter\n"
      "webpubsubd_bus_published_total 0\n"
      "# HELP webpubsubd_bus_received_total Operations received from other nodes.\n"
      "# TYPE webpubsubd_bus_received_total counter\n"
      "webpubsubd_bus_received_total 3\n"
      "# HELP webpubsubd_bus_dropped_total Operations that could not be sent to other nodes.\n"
      "# TYPE webpubsubd_bus_dropped_total counter\n"
      "webpubsubd_bus_dropped_total 0\n"
      "# HELP webpubsubd_accept_errors_total Failed accepts of new TCP connections (e.g. out of "
      "file descriptors).\n"
      "# TYPE webpubsubd_accept_errors_total counter\n"
      "webpubsubd_accept_errors_total 0\n"
      "# HELP webpubsubd_delivery_pending_events Unblocking events accepted and neither "
      "delivered nor dropped yet.\n"
      "# TYPE webpubsubd_delivery_pending_events gauge\n"
      "webpubsubd_delivery_pending_events 4\n"
      "# HELP webpubsubd_delivery_pending_bytes Bytes of the pending events.\n"
      "# TYPE webpubsubd_delivery_pending_bytes gauge\n"
      "webpubsubd_delivery_pending_bytes 0\n"
      "# HELP webpubsubd_delivery_oldest_pending_seconds Age of the oldest pending event (0 when "
      "none is pending).\n"
      "# TYPE webpubsubd_delivery_oldest_pending_seconds gauge\n"
      "webpubsubd_delivery_oldest_pending_seconds 0\n"
      "# HELP webpubsubd_delivery_attempts_total Delivery attempts of pending events, by what "
      "became of the event.\n"
      "# TYPE webpubsubd_delivery_attempts_total counter\n"
      "webpubsubd_delivery_attempts_total{result=\"ok\"} 0\n"
      "webpubsubd_delivery_attempts_total{result=\"retry\"} 5\n"
      "webpubsubd_delivery_attempts_total{result=\"dropped\"} 0\n"
      "# HELP webpubsubd_delivery_dropped_total Pending events dropped, by reason.\n"
      "# TYPE webpubsubd_delivery_dropped_total counter\n"
      "webpubsubd_delivery_dropped_total{reason=\"expired\"} 0\n"
      "webpubsubd_delivery_dropped_total{reason=\"gone\"} 1\n"
      "webpubsubd_delivery_dropped_total{reason=\"rejected\"} 0\n"
      "webpubsubd_delivery_dropped_total{reason=\"overflow\"} 0\n";
  // The latency histograms follow (LatencyHistograms* below).
  std::string rendered = metrics.render();
  EXPECT_EQ(rendered.substr(0, expected.size()), expected);
  EXPECT_TRUE(rendered.substr(expected.size())
                  .starts_with("# HELP webpubsubd_upstream_request_duration_seconds "));
}

// The lines of `text` that start with `prefix`.
std::vector<std::string> linesStartingWith(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (l.starts_with(prefix)) out.push_back(l);
  }
  return out;
}

TEST(LatencyHistograms, BucketsAreCumulativeWithSumAndCount) {
  Metrics metrics;
  CounterBlock a(metrics);
  CounterBlock b(metrics);
  using namespace std::chrono;
  auto& h = Metrics::upstreamLatency(a, UpstreamEventClass::kConnect, UpstreamOutcome::k2xx);
  Metrics::observe(h, microseconds(500));
  Metrics::observe(h, milliseconds(3));
  Metrics::observe(Metrics::upstreamLatency(b, UpstreamEventClass::kConnect, UpstreamOutcome::k2xx),
                   seconds(20));
  const std::string series =
      "webpubsubd_upstream_request_duration_seconds_bucket{event=\"connect\",outcome=\"2xx\",";
  std::vector<std::string> buckets = linesStartingWith(metrics.render(), series);
  ASSERT_EQ(buckets.size(), 14u);
  EXPECT_EQ(buckets[0], series + "le=\"0.001\"} 1");
  EXPECT_EQ(buckets[1], series + "le=\"0.0025\"} 1");
  EXPECT_EQ(buckets[2], series + "le=\"0.005\"} 2");
  EXPECT_EQ(buckets[12], series + "le=\"10\"} 2");
  EXPECT_EQ(buckets[13], series + "le=\"+Inf\"} 3");
  std::string rendered = metrics.render();
  EXPECT_NE(rendered.find("webpubsubd_upstream_request_duration_seconds_sum{event=\"connect\","
                          "outcome=\"2xx\"} 20.0035\n"),
            std::string::npos);
  EXPECT_NE(rendered.find("webpubsubd_upstream_request_duration_seconds_count{event=\"connect\","
                          "outcome=\"2xx\"} 3\n"),
            std::string::npos);
}

// Labels are closed sets: every (event, outcome) pair and every REST operation has one series,
// whatever the traffic, and nothing else appears.
TEST(LatencyHistograms, LabelsAreBounded) {
  Metrics metrics;
  CounterBlock block(metrics);
  Metrics::observe(block.restLatency[static_cast<size_t>(RestOperation::kSendToAll)],
                   std::chrono::milliseconds(2));
  std::string rendered = metrics.render();
  EXPECT_EQ(
      linesStartingWith(rendered, "webpubsubd_upstream_request_duration_seconds_count{").size(),
      kUpstreamEventClasses * kUpstreamOutcomes);
  EXPECT_EQ(linesStartingWith(rendered, "webpubsubd_rest_request_duration_seconds_count{").size(),
            kRestOperations);
  EXPECT_NE(
      rendered.find("webpubsubd_rest_request_duration_seconds_count{operation=\"SendToAll\"} 1"),
      std::string::npos);
}

TEST(LatencyHistograms, EventClassesAndOutcomes) {
  EXPECT_EQ(upstreamEventClassOf("azure.webpubsub.sys.connect"), UpstreamEventClass::kConnect);
  EXPECT_EQ(upstreamEventClassOf("azure.webpubsub.sys.disconnected"),
            UpstreamEventClass::kDisconnected);
  EXPECT_EQ(upstreamEventClassOf("azure.webpubsub.user.message"), UpstreamEventClass::kUser);
  EXPECT_EQ(upstreamEventClassOf("azure.webpubsub.gp.left"), UpstreamEventClass::kLeft);
  EXPECT_EQ(upstreamEventClassOf(""), UpstreamEventClass::kValidation);
  EXPECT_EQ(upstreamOutcomeOf(204), UpstreamOutcome::k2xx);
  EXPECT_EQ(upstreamOutcomeOf(404), UpstreamOutcome::k4xx);
  EXPECT_EQ(upstreamOutcomeOf(503), UpstreamOutcome::k5xx);
  EXPECT_EQ(upstreamOutcomeOf(0), UpstreamOutcome::kError);
  EXPECT_EQ(latencyBucket(std::chrono::milliseconds(1)), 0u);  // bounds are inclusive
  EXPECT_EQ(latencyBucket(std::chrono::seconds(11)), kLatencyBounds.size());
}

// promtool (Debian's prometheus package, scripts/bootstrap) accepts the whole exposition.
TEST(LatencyHistograms, PromtoolAcceptsTheExposition) {
  ASSERT_EQ(std::system("command -v promtool >/dev/null 2>&1"), 0) << "promtool is missing";
  Metrics metrics;
  CounterBlock block(metrics);
  Metrics::observe(
      Metrics::upstreamLatency(block, UpstreamEventClass::kUser, UpstreamOutcome::kTimeout),
      std::chrono::seconds(3));
  std::string path = ::testing::TempDir() + "metrics_promtool.txt";
  {
    std::ofstream out(path);
    out << metrics.render();
  }
  EXPECT_EQ(std::system(("promtool check metrics < " + path + " 2>&1").c_str()), 0);
}

// Each thread counts in its own block while another scrapes: every scrape sees counters that
// never go down, and the last one sees every increment. (scripts/test runs it under TSan too.)
TEST(Metrics, ConcurrentCountingAndScraping) {
  constexpr int kThreads = 4;
  constexpr uint64_t kIncrements = 100000;
  Metrics metrics;
  std::vector<std::unique_ptr<CounterBlock>> blocks;
  for (int i = 0; i < kThreads; ++i)
    blocks.push_back(std::make_unique<CounterBlock>(metrics));
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&block = *blocks[i]] {
      for (uint64_t n = 0; n < kIncrements; ++n) {
        Metrics::inc(block.messagesDelivered);
        Metrics::add(block.connections, n % 2 == 0 ? 1 : -1);
      }
    });
  }
  uint64_t last = 0;
  bool monotonic = true;
  for (int scrape = 0; scrape < 200; ++scrape) {
    uint64_t now = metrics.totals().messagesDelivered;
    monotonic = monotonic && now >= last;
    last = now;
  }
  for (auto& t : threads)
    t.join();
  EXPECT_TRUE(monotonic);
  EXPECT_EQ(metrics.totals().messagesDelivered, kThreads * kIncrements);
  EXPECT_EQ(metrics.totals().connections, 0);
}

// Group streams (docs/metrics.md): every reason of the closed set is exported from the start.
TEST(StreamMetrics, ActiveStartedEndedByReasonAndFragments) {
  Metrics metrics;
  CounterBlock block(metrics);
  Metrics::inc(block.streamsStarted, 3);
  Metrics::add(block.streamsActive, 3);
  Metrics::add(block.streamsActive, -1);
  Metrics::inc(block.streamsEnded[static_cast<size_t>(StreamEndReason::kIdleTimeout)]);
  Metrics::inc(block.streamFragments, 42);
  std::string rendered = metrics.render();
  const std::string expected =
      "# HELP webpubsubd_streams_active Group streams started and not ended yet.\n"
      "# TYPE webpubsubd_streams_active gauge\n"
      "webpubsubd_streams_active 2\n"
      "# HELP webpubsubd_streams_started_total Group streams started (acked 1).\n"
      "# TYPE webpubsubd_streams_started_total counter\n"
      "webpubsubd_streams_started_total 3\n"
      "# HELP webpubsubd_streams_ended_total Group streams ended, by reason.\n"
      "# TYPE webpubsubd_streams_ended_total counter\n"
      "webpubsubd_streams_ended_total{reason=\"completed\"} 0\n"
      "webpubsubd_streams_ended_total{reason=\"aborted\"} 0\n"
      "webpubsubd_streams_ended_total{reason=\"idle_timeout\"} 1\n"
      "webpubsubd_streams_ended_total{reason=\"forbidden\"} 0\n"
      "webpubsubd_streams_ended_total{reason=\"sequence_gap\"} 0\n"
      "webpubsubd_streams_ended_total{reason=\"conflict\"} 0\n"
      "webpubsubd_streams_ended_total{reason=\"invalid\"} 0\n"
      "webpubsubd_streams_ended_total{reason=\"session_end\"} 0\n"
      "# HELP webpubsubd_stream_fragments_total Group stream fragments published (in order, each "
      "once).\n"
      "# TYPE webpubsubd_stream_fragments_total counter\n"
      "webpubsubd_stream_fragments_total 42\n";
  EXPECT_NE(rendered.find(expected), std::string::npos) << rendered;
}

}  // namespace
}  // namespace wps::metrics
