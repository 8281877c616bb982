#include "metrics/hub_labels.h"

namespace wps::metrics {

size_t HubLabels::add(std::string_view hubKey) {
  if (names_.size() >= kOtherHubSlot) return kOtherHubSlot;
  size_t slot = names_.size();
  names_.emplace_back(hubKey);
  slots_.emplace(std::string(hubKey), slot);
  return slot;
}

void HubLabels::configure(const std::vector<std::string>& hubKeys) {
  MutexLock lock(mu_);
  for (const auto& key : hubKeys) {
    if (key == "_default" || slots_.count(key)) continue;
    add(key);
  }
}

size_t HubLabels::slotOf(std::string_view hubKey) {
  MutexLock lock(mu_);
  auto it = slots_.find(std::string(hubKey));
  if (it != slots_.end()) return it->second;
  if (dynamic_ >= kMaxDynamicHubs) return kOtherHubSlot;
  size_t slot = add(hubKey);
  if (slot != kOtherHubSlot) ++dynamic_;
  return slot;
}

std::vector<std::string> HubLabels::names() const {
  MutexLock lock(mu_);
  return names_;
}

}  // namespace wps::metrics
