#include "bench/histogram.h"

#include <algorithm>
#include <cmath>

namespace wps::bench {

// Above kExactLimit (2^8) a value v with most significant bit m (m >= 8) falls in sub-bucket
// (v >> (m - 7)) - 128 of power m: 128 sub-buckets of width 2^(m-7) per power of two.
size_t LatencyHistogram::bucketIndex(uint64_t value) {
  if (value < kExactLimit) return static_cast<size_t>(value);
  const int msb = 63 - __builtin_clzll(value);
  const int shift = msb - 7;            // >= 1
  const uint64_t top = value >> shift;  // in [128, 255]
  return kExactLimit + static_cast<size_t>(shift - 1) * kSubBuckets +
         static_cast<size_t>(top - kSubBuckets);
}

uint64_t LatencyHistogram::bucketLowest(size_t index) {
  if (index < kExactLimit) return index;
  const size_t j = index - kExactLimit;
  const int shift = static_cast<int>(j / kSubBuckets) + 1;
  const uint64_t top = kSubBuckets + j % kSubBuckets;
  return top << shift;
}

uint64_t LatencyHistogram::bucketHighest(size_t index) {
  if (index < kExactLimit) return index;
  if (index + 1 >= kBucketCount) return UINT64_MAX;
  return bucketLowest(index + 1) - 1;
}

void LatencyHistogram::recordN(uint64_t value, uint64_t n) {
  if (n == 0) return;
  counts_[bucketIndex(value)] += n;
  if (count_ == 0 || value < min_) min_ = value;
  if (value > max_) max_ = value;
  count_ += n;
  sum_ += static_cast<unsigned __int128>(value) * n;
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (size_t i = 0; i < kBucketCount; ++i)
    counts_[i] += other.counts_[i];
  if (count_ == 0 || other.min_ < min_) min_ = other.min_;
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

void LatencyHistogram::reset() {
  counts_.fill(0);
  count_ = 0;
  min_ = 0;
  max_ = 0;
  sum_ = 0;
}

double LatencyHistogram::mean() const {
  if (count_ == 0) return 0.0;
  return static_cast<double>(sum_) / static_cast<double>(count_);
}

uint64_t LatencyHistogram::percentile(double percentile) const {
  if (count_ == 0) return 0;
  if (!(percentile > 0.0)) return min_;  // also catches NaN
  if (percentile >= 100.0) return max_;
  // The rank (1-based) of the value at this percentile.
  auto rank = static_cast<uint64_t>(std::ceil(percentile / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = bucketIndex(min_); i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(bucketHighest(i), min_, max_);
  }
  return max_;
}

}  // namespace wps::bench
