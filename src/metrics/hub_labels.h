// The bounded `hub` label of per-hub metrics (webpubsubd_hub_connections): every hub name maps
// to one of at most kHubSlots slots. Hubs named in the configuration get theirs first; any other
// hub gets one of at most kMaxDynamicHubs slots, first come first served since the start; every
// further hub, and configured hubs beyond the capacity, share the last slot, `_other`. A slot,
// once given, is never reused, so a hub's series never changes its meaning while the process
// runs (docs/metrics.md).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/mutex.h"

namespace wps::metrics {

inline constexpr size_t kMaxDynamicHubs = 100;
inline constexpr size_t kHubSlots = 256;  // named slots plus `_other`
inline constexpr size_t kOtherHubSlot = kHubSlots - 1;
inline constexpr std::string_view kOtherHubLabel = "_other";

// Thread-safe (one mutex): slots are looked up once per connection, never per message.
class HubLabels {
 public:
  // Gives the hubs of the configuration (lower-cased keys; "_default" is skipped: it is not a
  // hub) their slots, in order. Call before any slotOf(); a later call only adds names.
  void configure(const std::vector<std::string>& hubKeys) EXCLUDES(mu_);
  // The slot of `hubKey` (lower-cased), giving it a dynamic slot if one is left.
  size_t slotOf(std::string_view hubKey) EXCLUDES(mu_);
  // The label of every slot given so far, by slot (kOtherHubSlot not included).
  std::vector<std::string> names() const EXCLUDES(mu_);

 private:
  size_t add(std::string_view hubKey) REQUIRES(mu_);

  mutable Mutex mu_;
  std::unordered_map<std::string, size_t> slots_ GUARDED_BY(mu_);
  std::vector<std::string> names_ GUARDED_BY(mu_);
  size_t dynamic_ GUARDED_BY(mu_) = 0;
};

}  // namespace wps::metrics
