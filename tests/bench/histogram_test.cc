#include "bench/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace wps::bench {
namespace {

TEST(LatencyHistogram, EmptyReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
  EXPECT_EQ(h.percentile(50), 0u);
  EXPECT_EQ(h.percentile(100), 0u);
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (uint64_t v = 0; v < 256; ++v)
    h.record(v);
  EXPECT_EQ(h.count(), 256u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 255u);
  EXPECT_EQ(h.percentile(50), 127u);  // rank 128 of 0..255
  EXPECT_EQ(h.percentile(100), 255u);
  EXPECT_DOUBLE_EQ(h.mean(), 127.5);
}

TEST(LatencyHistogram, BucketLayoutIsContiguousAndMonotonic) {
  EXPECT_EQ(LatencyHistogram::bucketIndex(0), 0u);
  EXPECT_EQ(LatencyHistogram::bucketIndex(255), 255u);
  EXPECT_EQ(LatencyHistogram::bucketIndex(256), 256u);
  EXPECT_EQ(LatencyHistogram::bucketIndex(UINT64_MAX), LatencyHistogram::kBucketCount - 1);
  for (size_t i = 0; i + 1 < LatencyHistogram::kBucketCount; ++i) {
    ASSERT_EQ(LatencyHistogram::bucketHighest(i) + 1, LatencyHistogram::bucketLowest(i + 1)) << i;
    ASSERT_EQ(LatencyHistogram::bucketIndex(LatencyHistogram::bucketLowest(i)), i);
    ASSERT_EQ(LatencyHistogram::bucketIndex(LatencyHistogram::bucketHighest(i)), i);
  }
}

TEST(LatencyHistogram, RelativeErrorBelowOnePercent) {
  for (uint64_t v : {300ull, 1000ull, 12345ull, 999999ull, 123456789ull, 1ull << 40}) {
    const size_t i = LatencyHistogram::bucketIndex(v);
    const uint64_t hi = LatencyHistogram::bucketHighest(i);
    EXPECT_GE(hi, v);
    EXPECT_LE(static_cast<double>(hi - v) / static_cast<double>(v), 1.0 / 128) << v;
  }
}

TEST(LatencyHistogram, PercentilesOfAUniformDistribution) {
  LatencyHistogram h;
  for (uint64_t v = 1; v <= 100000; ++v)
    h.record(v);
  auto near = [](uint64_t got, double want) {
    return std::abs(static_cast<double>(got) - want) / want < 0.01;
  };
  EXPECT_TRUE(near(h.percentile(50), 50000)) << h.percentile(50);
  EXPECT_TRUE(near(h.percentile(99), 99000)) << h.percentile(99);
  EXPECT_TRUE(near(h.percentile(99.9), 99900)) << h.percentile(99.9);
  EXPECT_EQ(h.percentile(100), 100000u);
  EXPECT_EQ(h.percentile(0), 1u);
  EXPECT_EQ(h.min(), 1u);
}

TEST(LatencyHistogram, MatchesExactPercentilesOfRandomData) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(7.0, 1.5);  // microseconds, heavy tail
  std::vector<uint64_t> values;
  LatencyHistogram h;
  for (int i = 0; i < 200000; ++i) {
    const auto v = static_cast<uint64_t>(dist(rng));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double p : {50.0, 90.0, 99.0, 99.9}) {
    const auto rank = static_cast<size_t>(std::ceil(p / 100 * values.size()));
    const uint64_t exact = values[rank - 1];
    const uint64_t got = h.percentile(p);
    EXPECT_GE(got, exact) << p;
    EXPECT_LE(static_cast<double>(got - exact), static_cast<double>(exact) / 128 + 1) << p;
  }
}

TEST(LatencyHistogram, OutliersAndMaxAreKept) {
  LatencyHistogram h;
  for (int i = 0; i < 999; ++i)
    h.record(100);
  h.record(5000000);
  EXPECT_EQ(h.percentile(99), 100u);
  EXPECT_EQ(h.percentile(99.95), 5000000u);  // clamped to the true max, not the bucket top
  EXPECT_EQ(h.max(), 5000000u);
}

TEST(LatencyHistogram, RecordNAndMergeAreExact) {
  LatencyHistogram a, b, all;
  for (uint64_t v = 0; v < 5000; v += 7) {
    a.record(v);
    all.record(v);
  }
  b.recordN(123456, 10);
  for (int i = 0; i < 10; ++i)
    all.record(123456);
  b.record(3);
  all.record(3);
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_DOUBLE_EQ(a.mean(), all.mean());
  for (double p : {1.0, 25.0, 50.0, 75.0, 99.0, 99.9})
    EXPECT_EQ(a.percentile(p), all.percentile(p)) << p;
  a.merge(LatencyHistogram());  // merging an empty one changes nothing
  EXPECT_EQ(a.count(), all.count());
}

TEST(LatencyHistogram, ResetEmpties) {
  LatencyHistogram h;
  h.record(77);
  h.reset();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(99), 0u);
  h.record(5);
  EXPECT_EQ(h.min(), 5u);
  EXPECT_EQ(h.max(), 5u);
}

}  // namespace
}  // namespace wps::bench
