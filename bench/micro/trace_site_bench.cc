// trace-site-bench: what a live-trace event site costs (docs/operations.md, Live trace).
//
// Every place that may emit a trace event does `if (tracer.active()) { build; publish; }`.
// Without a viewer that is one relaxed atomic load and a predicted branch; this measures it
// against the same loop without the site, and, for scale, the cost with one attached viewer
// (building the event, copying the viewer list, pushing into its bounded queue).
//
//   build/bin/trace-site-bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "trace/tracer.h"

namespace {

// The work a site guards: an event as a session's sendToGroup builds it.
[[gnu::noinline]] void emit(wps::trace::Tracer& tracer, uint64_t i) {
  wps::trace::Event e;
  e.category = wps::trace::Category::kMessaging;
  e.what = "sendToGroup";
  e.hub = "chat";
  e.connectionId = "Kz4QxaTUZ0vji947aCdOOw";
  e.userId = "ann";
  e.add("to", "group").add("group", "room").add("bytes", std::to_string(i % 100));
  tracer.publish(std::move(e));
}

void BM_WithoutSite(benchmark::State& state) {
  uint64_t work = 0;
  for (auto _ : state) {
    ++work;
    benchmark::DoNotOptimize(work);
  }
}
BENCHMARK(BM_WithoutSite);

void BM_SiteNoViewer(benchmark::State& state) {
  wps::trace::Tracer tracer;
  uint64_t work = 0;
  for (auto _ : state) {
    ++work;
    if (tracer.active()) emit(tracer, work);
    benchmark::DoNotOptimize(work);
  }
}
BENCHMARK(BM_SiteNoViewer);

void BM_SiteOneViewer(benchmark::State& state) {
  wps::trace::Tracer tracer;
  auto viewer = tracer.attach(1000, [] {});
  uint64_t work = 0;
  for (auto _ : state) {
    ++work;
    if (tracer.active()) emit(tracer, work);
    if (work % 500 == 0) benchmark::DoNotOptimize(viewer->queue().take());
  }
}
BENCHMARK(BM_SiteOneViewer);

}  // namespace

BENCHMARK_MAIN();
