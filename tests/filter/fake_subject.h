// An in-memory FilterSubject for the filter tests.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "filter/subject.h"

namespace wps::filter::testing {

class FakeSubject : public FilterSubject {
 public:
  FakeSubject(std::string connectionId, std::optional<std::string> userId,
              std::vector<std::string> groups = {}, std::optional<std::string> protocol = {})
      : connectionId_(std::move(connectionId)),
        userId_(std::move(userId)),
        groups_(std::move(groups)),
        protocol_(std::move(protocol)) {}

  std::string_view connectionId() const override { return connectionId_; }
  std::optional<std::string_view> userId() const override {
    if (!userId_) return std::nullopt;
    return std::string_view(*userId_);
  }
  bool inGroup(std::string_view group) const override {
    return std::find(groups_.begin(), groups_.end(), group) != groups_.end();
  }
  size_t groupCount() const override { return groups_.size(); }
  std::optional<std::string_view> protocol() const override {
    if (!protocol_) return std::nullopt;
    return std::string_view(*protocol_);
  }

 private:
  std::string connectionId_;
  std::optional<std::string> userId_;
  std::vector<std::string> groups_;
  std::optional<std::string> protocol_;
};

}  // namespace wps::filter::testing
