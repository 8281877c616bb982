#include "config/group_presence_keys.h"

#include "common/strings.h"

namespace wps::config {
namespace {

// The table as written, checked once both keys were read.
struct PresenceKeys {
  std::vector<std::string> eventNames;
  std::vector<std::string> groupFilters;
};

const Section<PresenceKeys> kPresence = {{
    stringArrayKey("event_names", &PresenceKeys::eventNames),
    stringArrayKey("group_filters", &PresenceKeys::groupFilters),
}};

void applyEventNames(Reader& r, const std::string& key, const std::vector<std::string>& names,
                     GroupPresenceSettings& out) {
  for (size_t i = 0; i < names.size(); ++i) {
    std::string lower = toLowerAscii(trim(names[i]));
    if (lower == "joined") {
      out.joined = true;
    } else if (lower == "left") {
      out.left = true;
    } else {
      r.fail(key + "[" + std::to_string(i) + "]",
             "'" + names[i] + "' is not a group presence event (joined, left)");
      return;
    }
  }
}

void applyGroupFilters(Reader& r, const std::string& key, const std::vector<std::string>& filters,
                       GroupPresenceSettings& out) {
  for (size_t i = 0; i < filters.size(); ++i) {
    auto pattern = auth::GroupPattern::compile(filters[i]);
    if (!pattern) {
      r.fail(key + "[" + std::to_string(i) + "]", std::string(pattern.status().message()));
      return;
    }
    out.groupFilters.push_back(std::move(pattern.value()));
  }
}

}  // namespace

void readGroupPresence(Reader& r, const toml::node& n, const std::string& key,
                       EventHandlerSettings& h) {
  const toml::table* t = r.asTable(n, key);
  if (!t) return;
  PresenceKeys keys;
  readSection(r, *t, key, kPresence, keys);
  if (r.failed()) return;
  GroupPresenceSettings presence;
  applyEventNames(r, Reader::join(key, "event_names"), keys.eventNames, presence);
  applyGroupFilters(r, Reader::join(key, "group_filters"), keys.groupFilters, presence);
  h.groupPresence = std::move(presence);
}

}  // namespace wps::config
