// metrics-scrape-bench: the cost of one GET /metrics rendering (Metrics::render(): adding up
// every thread's CounterBlock and writing the text) with 10,000 connections' worth of state
// (issue 13: under 5 ms). The state is what 10,000 sessions leave in the blocks: per-hub and
// per-protocol connection gauges, groups, detached sessions, queued bytes, counters and latency
// observations, spread over `workers` blocks (plus the outbox's and the cluster's). The scrape
// reads gauges, never the sessions, so its cost depends on the number of series (hub labels),
// not on the number of connections; the `hubs` argument goes up to every hub label in use.
//
//   build/bin/metrics-scrape-bench --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "metrics/metrics.h"

namespace {

using namespace wps::metrics;

constexpr int kConnections = 10000;

// A registry with `workers` worker blocks (+2: outbox, cluster) holding the state of
// kConnections sessions spread over `hubs` hubs (`configured` of them configured, the rest
// dynamic).
struct State {
  Metrics metrics;
  std::vector<std::unique_ptr<CounterBlock>> blocks;

  State(int workers, int configured, int hubs) {
    std::vector<std::string> names;
    for (int h = 0; h < configured && h < hubs; ++h)
      names.push_back("hub" + std::to_string(h));
    metrics.hubLabels.configure(names);
    for (int w = 0; w < workers + 2; ++w)
      blocks.push_back(std::make_unique<CounterBlock>(metrics));
    for (int c = 0; c < kConnections; ++c)
      openConnection(*blocks[c % workers], c, hubs);
  }

  void openConnection(CounterBlock& b, int c, int hubs) {
    size_t slot = metrics.hubLabels.slotOf("hub" + std::to_string(c % hubs));
    Metrics::add(b.connections, 1);
    Metrics::inc(b.connectionsOpened);
    Metrics::add(Metrics::hubConnections(b, slot, static_cast<ClientProtocol>(c % 5)), 1);
    if (c % 10 == 0) Metrics::add(b.groups, 1);
    if (c % 100 == 0) Metrics::add(b.detachedSessions, 1);
    Metrics::add(b.outboundQueuedBytes, 100);
    Metrics::inc(b.messagesReceived, 50);
    Metrics::inc(b.messagesDelivered, 500);
    Metrics::observe(b.blockingLatency[0], std::chrono::microseconds(100 * (c % 300)));
    Metrics::observe(b.upstreamLatency[c % b.upstreamLatency.size()],
                     std::chrono::microseconds(50 * (c % 1000)));
  }
};

void BM_Scrape(benchmark::State& st) {
  State state(static_cast<int>(st.range(0)), static_cast<int>(st.range(1)),
              static_cast<int>(st.range(2)));
  size_t bytes = 0;
  for (auto _ : st) {
    std::string text = state.metrics.render();
    bytes = text.size();
    benchmark::DoNotOptimize(text);
  }
  st.counters["bytes"] = static_cast<double>(bytes);
}
// {workers, configured hubs, hubs}: 10 configured hubs alone; plus 100 dynamic ones (the cap);
// 1,000 hubs (the rest share `_other`); and every hub label in use (155 configured + 100
// dynamic + `_other`, the most series there can be), with 4 and 16 workers.
BENCHMARK(BM_Scrape)
    ->Args({4, 10, 10})
    ->Args({4, 10, 110})
    ->Args({4, 10, 1000})
    ->Args({4, 155, 1000})
    ->Args({16, 155, 1000})
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
