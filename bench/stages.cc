#include "bench/stages.h"

#include <cmath>
#include <cstdlib>
#include <string>

namespace wps::bench {
namespace {

// The number from `start` to the end of its line; nullopt if there is none.
std::optional<double> numberAt(std::string_view text, size_t start) {
  size_t end = text.find('\n', start);
  if (end == std::string_view::npos) end = text.size();
  const std::string number(text.substr(start, end - start));
  char* stop = nullptr;
  const double v = std::strtod(number.c_str(), &stop);
  if (stop == number.c_str()) return std::nullopt;
  return v;
}

// The value of the sample line starting with `prefix` (name, labels and a space).
std::optional<double> sampleValue(std::string_view text, const std::string& prefix) {
  size_t pos = 0;
  if (!text.starts_with(prefix)) {
    pos = text.find("\n" + prefix);
    if (pos == std::string_view::npos) return std::nullopt;
    ++pos;  // past the newline
  }
  return numberAt(text, pos + prefix.size());
}

}  // namespace

std::optional<PromHistogram> parsePromHistogram(std::string_view text, std::string_view name,
                                                std::string_view kind) {
  const std::string labels = "kind=\"" + std::string(kind) + "\"";
  const std::string bucket = std::string(name) + "_bucket{" + labels + ",le=\"";
  PromHistogram h;
  size_t at = 0;
  for (;;) {
    const size_t pos = text.find(bucket, at);
    if (pos == std::string_view::npos) break;
    const size_t leStart = pos + bucket.size();
    const size_t close = text.find("\"} ", leStart);
    if (close == std::string_view::npos) return std::nullopt;
    const std::string le(text.substr(leStart, close - leStart));
    auto v = numberAt(text, close + 3);
    if (!v) return std::nullopt;
    h.bounds.push_back(le == "+Inf" ? INFINITY : std::strtod(le.c_str(), nullptr));
    h.cumulative.push_back(static_cast<uint64_t>(*v));
    at = close + 3;
  }
  auto sum = sampleValue(text, std::string(name) + "_sum{" + labels + "} ");
  auto count = sampleValue(text, std::string(name) + "_count{" + labels + "} ");
  if (h.bounds.empty() || !sum || !count || !std::isinf(h.bounds.back())) return std::nullopt;
  h.sum = *sum;
  h.count = static_cast<uint64_t>(*count);
  return h;
}

std::optional<PromHistogram> histogramDelta(const PromHistogram& after,
                                            const PromHistogram& before) {
  if (after.bounds != before.bounds || after.count < before.count) return std::nullopt;
  PromHistogram d = after;
  for (size_t i = 0; i < d.cumulative.size(); ++i) {
    if (after.cumulative[i] < before.cumulative[i]) return std::nullopt;
    d.cumulative[i] = after.cumulative[i] - before.cumulative[i];
  }
  d.sum = after.sum - before.sum;
  d.count = after.count - before.count;
  return d;
}

double histogramQuantile(const PromHistogram& h, double q) {
  if (h.count == 0 || h.bounds.empty()) return 0;
  const double rank = q * static_cast<double>(h.count);
  for (size_t i = 0; i < h.bounds.size(); ++i) {
    if (static_cast<double>(h.cumulative[i]) < rank) continue;
    if (std::isinf(h.bounds[i])) return i > 0 ? h.bounds[i - 1] : 0;
    const double lower = i > 0 ? h.bounds[i - 1] : 0;
    const double below = i > 0 ? static_cast<double>(h.cumulative[i - 1]) : 0;
    const double in = static_cast<double>(h.cumulative[i]) - below;
    return in > 0 ? lower + (h.bounds[i] - lower) * (rank - below) / in : h.bounds[i];
  }
  return h.bounds.size() > 1 ? h.bounds[h.bounds.size() - 2] : 0;
}

}  // namespace wps::bench
