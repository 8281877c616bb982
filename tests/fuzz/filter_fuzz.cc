// Fuzz target for wps::filter: any byte string must parse or fail cleanly (no crash, no
// hang, no stack overflow), and any filter that parses must evaluate against two fixed
// connections without failing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "filter/filter.h"

namespace {

using wps::filter::Filter;
using wps::filter::FilterSubject;

class FixedSubject : public FilterSubject {
 public:
  FixedSubject(std::string_view id, std::optional<std::string_view> user,
               std::vector<std::string_view> groups, std::optional<std::string_view> protocol)
      : id_(id), user_(user), groups_(std::move(groups)), protocol_(protocol) {}

  std::string_view connectionId() const override { return id_; }
  std::optional<std::string_view> userId() const override { return user_; }
  bool inGroup(std::string_view group) const override {
    for (std::string_view g : groups_) {
      if (g == group) return true;
    }
    return false;
  }
  size_t groupCount() const override { return groups_.size(); }
  std::optional<std::string_view> protocol() const override { return protocol_; }

 private:
  std::string_view id_;
  std::optional<std::string_view> user_;
  std::vector<std::string_view> groups_;
  std::optional<std::string_view> protocol_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  wps::StatusOr<Filter> filter = Filter::parse(text);
  if (!filter) {
    const std::string& message = filter.status().message();
    if (message.rfind("Invalid syntax for '", 0) != 0) std::abort();
    return 0;
  }
  static const FixedSubject anonymous("conn-1", std::nullopt, {}, std::nullopt);
  // Non-ASCII user (a supplementary character) so UTF-16 cuts through surrogate pairs happen.
  static const FixedSubject user("c\xC3\xA9-2", "User\xF0\x9F\x98\x80O'Brien", {"group1", "g2"},
                                 "json.webpubsub.azure.v1");
  const bool a = filter->matches(anonymous);
  const bool b = filter->matches(user);
  // Evaluation is deterministic.
  if (a != filter->matches(anonymous) || b != filter->matches(user)) std::abort();
  return 0;
}
