// Latency histogram of the load generator: HDR-style log-linear buckets over unsigned integer
// values (the bench records microseconds). Values below 256 are counted exactly; above, each
// power of two is split into 128 equal sub-buckets, so a reported value is at most 1/128
// (0.78%) above the true one. Fixed memory (about 30 KB), O(1) record, no allocation after
// construction. Not thread-safe: one histogram per thread, merged at the end.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace wps::bench {

class LatencyHistogram {
 public:
  // Values 0..kExactLimit-1 have a bucket each.
  static constexpr uint64_t kExactLimit = 256;
  static constexpr size_t kSubBuckets = 128;  // per power of two above kExactLimit
  static constexpr size_t kBucketCount = kExactLimit + (64 - 8) * kSubBuckets;

  LatencyHistogram() { reset(); }

  void record(uint64_t value) { recordN(value, 1); }
  void recordN(uint64_t value, uint64_t n);
  // Adds every value of `other` (same bucket layout, so merging is exact).
  void merge(const LatencyHistogram& other);
  void reset();

  uint64_t count() const { return count_; }
  // 0 when empty.
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  // Exact mean of the recorded values (the sum is kept exactly); 0 when empty.
  double mean() const;
  // The smallest bucket value v such that at least `percentile`% of the recorded values are
  // <= v, reported as the highest value of that bucket clamped to [min(), max()]. percentile is
  // clamped to [0, 100]; 0 returns min(), 100 returns max(). 0 when empty.
  uint64_t percentile(double percentile) const;

  // Bucket layout, public for tests.
  static size_t bucketIndex(uint64_t value);
  static uint64_t bucketLowest(size_t index);
  static uint64_t bucketHighest(size_t index);

 private:
  std::array<uint64_t, kBucketCount> counts_;
  uint64_t count_ = 0;
  uint64_t min_ = 0;
  uint64_t max_ = 0;
  unsigned __int128 sum_ = 0;
};

}  // namespace wps::bench
