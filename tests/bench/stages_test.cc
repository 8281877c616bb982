#include "bench/stages.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace wps::bench {
namespace {

const char* kName = "webpubsubd_blocking_stage_reply_duration_seconds";

// A scrape with `counts` in the buckets le=0.0001, le=0.001, +Inf of kind="event" (a
// decoy family and kind="invoke" around it).
std::string scrape(uint64_t a, uint64_t b, uint64_t inf, double sum) {
  std::string n = kName;
  std::string out = "# TYPE " + n + " histogram\n";
  out += "webpubsubd_blocking_event_duration_seconds_count{kind=\"event\"} 99\n";
  out += n + "_bucket{kind=\"event\",le=\"0.0001\"} " + std::to_string(a) + "\n";
  out += n + "_bucket{kind=\"event\",le=\"0.001\"} " + std::to_string(a + b) + "\n";
  out += n + "_bucket{kind=\"event\",le=\"+Inf\"} " + std::to_string(a + b + inf) + "\n";
  out += n + "_sum{kind=\"event\"} " + std::to_string(sum) + "\n";
  out += n + "_count{kind=\"event\"} " + std::to_string(a + b + inf) + "\n";
  out += n + "_bucket{kind=\"invoke\",le=\"0.0001\"} 7\n";
  out += n + "_bucket{kind=\"invoke\",le=\"+Inf\"} 7\n";
  out += n + "_sum{kind=\"invoke\"} 1\n";
  out += n + "_count{kind=\"invoke\"} 7\n";
  return out;
}

TEST(PromHistogram, ParsesOneSeries) {
  auto h = parsePromHistogram(scrape(2, 3, 1, 0.5), kName, "event");
  ASSERT_TRUE(h);
  ASSERT_EQ(h->bounds.size(), 3u);
  EXPECT_DOUBLE_EQ(h->bounds[0], 0.0001);
  EXPECT_TRUE(std::isinf(h->bounds[2]));
  EXPECT_EQ(h->cumulative, (std::vector<uint64_t>{2, 5, 6}));
  EXPECT_DOUBLE_EQ(h->sum, 0.5);
  EXPECT_EQ(h->count, 6u);
  auto invoke = parsePromHistogram(scrape(2, 3, 1, 0.5), kName, "invoke");
  ASSERT_TRUE(invoke);
  EXPECT_EQ(invoke->count, 7u);
  EXPECT_FALSE(parsePromHistogram(scrape(2, 3, 1, 0.5), "webpubsubd_absent", "event"));
  EXPECT_FALSE(parsePromHistogram("", kName, "event"));
}

TEST(PromHistogram, DeltaAndQuantilesAsHistogramQuantile) {
  auto before = parsePromHistogram(scrape(2, 3, 1, 0.5), kName, "event");
  auto after = parsePromHistogram(scrape(12, 83, 5, 1.5), kName, "event");
  ASSERT_TRUE(before && after);
  auto d = histogramDelta(*after, *before);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->cumulative, (std::vector<uint64_t>{10, 90, 94}));
  EXPECT_EQ(d->count, 94u);
  EXPECT_DOUBLE_EQ(d->sum, 1.0);
  // Rank 47 of 94 lies in the second bucket (10 below it, 80 in it): 0.0001 + 0.0009 * 37 / 80.
  EXPECT_NEAR(histogramQuantile(*d, 0.5), 0.0001 + 0.0009 * 37.0 / 80.0, 1e-12);
  // Rank 4.7 lies in the first: from 0.
  EXPECT_NEAR(histogramQuantile(*d, 0.05), 0.0001 * 4.7 / 10.0, 1e-12);
  // Rank 93.06 lies in +Inf: the largest finite bound.
  EXPECT_DOUBLE_EQ(histogramQuantile(*d, 0.99), 0.001);
  EXPECT_FALSE(histogramDelta(*before, *after));  // counts went down (a restart)
  EXPECT_EQ(histogramQuantile(PromHistogram{}, 0.5), 0);
}

}  // namespace
}  // namespace wps::bench
