// The blocking-event stage histograms of webpubsubd's /metrics (docs/metrics.md, "Blocking
// event stages"): echo scrapes /metrics at both edges of its measured window and reports each
// stage's mean and percentiles over the window, computed from the bucket differences as
// Prometheus' histogram_quantile does. Parsing and arithmetic only (no I/O).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace wps::bench {

// The stages, in order: metric webpubsubd_blocking_stage_<name>_duration_seconds.
inline constexpr std::array<const char*, 3> kStageNames = {"request", "upstream", "reply"};

// One histogram series: upper bounds (seconds, +Inf last), cumulative counts, sum (seconds).
struct PromHistogram {
  std::vector<double> bounds;
  std::vector<uint64_t> cumulative;
  double sum = 0;
  uint64_t count = 0;
};

// The series of histogram family `name` with the single label kind="`kind`" in a Prometheus
// text exposition; nullopt when absent (a server without it) or malformed.
std::optional<PromHistogram> parsePromHistogram(std::string_view text, std::string_view name,
                                                std::string_view kind);

// after - before, bucket by bucket; nullopt when the buckets differ or a count went down.
std::optional<PromHistogram> histogramDelta(const PromHistogram& after,
                                            const PromHistogram& before);

// The q-quantile (0 < q < 1) in seconds as histogram_quantile computes it: linear within the
// bucket holding rank q * count (from 0 for the first bucket); a rank in the +Inf bucket gives
// the largest finite bound. 0 when the histogram is empty.
double histogramQuantile(const PromHistogram& h, double q);

}  // namespace wps::bench
