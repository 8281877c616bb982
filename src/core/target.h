// Who a routed operation applies to within one hub (REST targets, client group sends).
// Value type; the filter is immutable and shareable across threads.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "filter/filter.h"

namespace wps::core {

struct Target {
  enum class Kind { kAll, kGroup, kUser, kConnection };
  Kind kind = Kind::kAll;
  std::string name;                              // group, user id or connection id
  std::vector<std::string> excluded;             // connection ids never selected (exact match)
  std::shared_ptr<const filter::Filter> filter;  // null = no filter

  static Target all() { return {}; }
  static Target group(std::string g) { return {Kind::kGroup, std::move(g), {}, nullptr}; }
  static Target user(std::string u) { return {Kind::kUser, std::move(u), {}, nullptr}; }
  static Target connection(std::string c) { return {Kind::kConnection, std::move(c), {}, nullptr}; }
};

}  // namespace wps::core
