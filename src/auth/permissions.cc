#include "auth/permissions.h"

#include <algorithm>

#include "common/strings.h"
#include "common/utf8.h"

namespace wps::auth {
namespace {

constexpr std::string_view kSendRole = "webpubsub.sendToGroup";
constexpr std::string_view kJoinLeaveRole = "webpubsub.joinLeaveGroup";
constexpr std::string_view kSendPatternPrefix = "webpubsub.sendToGroups.";
constexpr std::string_view kJoinLeavePatternPrefix = "webpubsub.joinLeaveGroups.";

bool isValidGroupName(std::string_view group) {
  return !group.empty() && !isBlank(group) &&
         utf16Length(group) <= PermissionSet::kMaxGroupNameLength;
}

void report(std::vector<std::string>* skipped, std::string_view role, std::string_view reason) {
  if (skipped == nullptr) return;
  std::string line(role);
  line += ": ";
  line += reason;
  skipped->push_back(std::move(line));
}

// What one role string grants, before patterns are compiled.
struct ParsedRole {
  enum class Kind : uint8_t { kNothing, kAllGroups, kLiteral, kPattern };
  Kind kind = Kind::kNothing;
  Permission permission = Permission::kSendToGroup;
  std::string_view rest;  // kLiteral: the group; kPattern: the pattern source
};

// Classifies `role` by the rules of PermissionSet::fromRoles(): patterns first, then the "all
// groups" roles, then literal groups. `rest` is a view into `role`.
ParsedRole parseRole(const std::string& role) {
  ParsedRole parsed;
  if (startsWith(role, kJoinLeavePatternPrefix)) {
    parsed = {ParsedRole::Kind::kPattern, Permission::kJoinLeaveGroup,
              std::string_view(role).substr(kJoinLeavePatternPrefix.size())};
  } else if (startsWith(role, kSendPatternPrefix)) {
    parsed = {ParsedRole::Kind::kPattern, Permission::kSendToGroup,
              std::string_view(role).substr(kSendPatternPrefix.size())};
  } else if (role == kJoinLeaveRole) {
    parsed = {ParsedRole::Kind::kAllGroups, Permission::kJoinLeaveGroup, {}};
  } else if (role == kSendRole) {
    parsed = {ParsedRole::Kind::kAllGroups, Permission::kSendToGroup, {}};
  } else if (startsWith(role, kJoinLeaveRole) && role[kJoinLeaveRole.size()] == '.') {
    parsed = {ParsedRole::Kind::kLiteral, Permission::kJoinLeaveGroup,
              std::string_view(role).substr(kJoinLeaveRole.size() + 1)};
  } else if (startsWith(role, kSendRole) && role[kSendRole.size()] == '.') {
    parsed = {ParsedRole::Kind::kLiteral, Permission::kSendToGroup,
              std::string_view(role).substr(kSendRole.size() + 1)};
  }
  // Anything else (an unknown role, webpubsub.sendToGroupX) grants nothing.
  return parsed;
}

}  // namespace

struct PermissionSet::PendingLiteral {
  Permission permission;
  std::string group;
  std::string_view role;
};

PermissionSet::PermissionSet(const PermissionSet& other)
    : allGroups_(other.allGroups_),
      detail_(other.detail_ ? std::make_unique<Detail>(*other.detail_) : nullptr) {}

PermissionSet& PermissionSet::operator=(const PermissionSet& other) {
  if (this != &other) {
    allGroups_ = other.allGroups_;
    detail_ = other.detail_ ? std::make_unique<Detail>(*other.detail_) : nullptr;
  }
  return *this;
}

PermissionSet::~PermissionSet() = default;

PermissionSet::Rules& PermissionSet::mutableRules(Permission p) {
  if (!detail_) detail_ = std::make_unique<Detail>();
  return detail_->rules[index(p)];
}

bool PermissionSet::ruleAllows(Permission p, std::string_view group) const {
  if (allGroups_ & (1u << index(p))) return true;
  if (!detail_) return false;
  for (const GroupPattern& pattern : detail_->rules[index(p)].patterns) {
    if (pattern.matches(group)) return true;
  }
  return false;
}

PermissionSet PermissionSet::fromRoles(const std::vector<std::string>& roles,
                                       std::vector<std::string>* skipped) {
  PermissionSet set;
  std::vector<PendingLiteral> pending;

  // Pass 1: "all" roles and patterns; literal roles are collected for pass 2 so that the
  // literal limit does not depend on role order.
  for (const std::string& role : roles) {
    const ParsedRole parsed = parseRole(role);
    switch (parsed.kind) {
      case ParsedRole::Kind::kNothing:
        break;
      case ParsedRole::Kind::kAllGroups:
        set.allGroups_ |= 1u << index(parsed.permission);
        break;
      case ParsedRole::Kind::kLiteral:
        pending.push_back({parsed.permission, std::string(parsed.rest), role});
        break;
      case ParsedRole::Kind::kPattern:
        set.addPatternRole(parsed.permission, parsed.rest, role, pending, skipped);
        break;
    }
  }

  // Pass 2: literal groups not already covered by an "all" role or a pattern.
  for (PendingLiteral& item : pending)
    set.addLiteralRole(item, skipped);
  return set;
}

void PermissionSet::addPatternRole(Permission p, std::string_view rest, std::string_view role,
                                   std::vector<PendingLiteral>& pending,
                                   std::vector<std::string>* skipped) {
  auto pattern = GroupPattern::compile(rest);
  if (!pattern.isOk()) {
    report(skipped, role, "invalid group name pattern: " + pattern.status().message());
    return;
  }
  if (pattern->isLiteral()) {
    pending.push_back({p, pattern->literal(), role});
    return;
  }
  if (pattern->matchesEverything()) {
    allGroups_ |= 1u << index(p);
    return;
  }
  Rules& rules = mutableRules(p);
  bool duplicate = std::any_of(rules.patterns.begin(), rules.patterns.end(),
                               [&](const GroupPattern& g) { return g.source() == rest; });
  if (duplicate) return;
  if (rules.patterns.size() >= kMaxPatterns) {
    report(skipped, role, "more than 9 group name patterns");
    return;
  }
  rules.patterns.push_back(std::move(pattern).value());
}

void PermissionSet::addLiteralRole(PendingLiteral& item, std::vector<std::string>* skipped) {
  if (!isValidGroupName(item.group)) {
    report(skipped, item.role, "invalid group name");
    return;
  }
  if (ruleAllows(item.permission, item.group)) return;
  std::vector<Literal>& literals = mutableRules(item.permission).literals;
  auto it = std::lower_bound(literals.begin(), literals.end(), item.group,
                             [](const Literal& l, const std::string& g) { return l.group < g; });
  if (it != literals.end() && it->group == item.group) return;
  if (literals.size() >= kMaxLiteralGroups) {
    report(skipped, item.role, "more than 1000 literal groups");
    return;
  }
  literals.insert(it, Literal{std::move(item.group), true});
}

bool PermissionSet::allows(Permission p, std::string_view group) const {
  if (detail_) {
    const std::vector<Literal>& literals = detail_->rules[index(p)].literals;
    auto it = std::lower_bound(
        literals.begin(), literals.end(), group,
        [](const Literal& l, std::string_view g) { return std::string_view(l.group) < g; });
    if (it != literals.end() && it->group == group) return it->allowed;
  }
  return ruleAllows(p, group);
}

bool PermissionSet::grant(Permission p, std::string_view group) {
  const bool byRule = ruleAllows(p, group);
  if (byRule && !detail_) return true;
  std::vector<Literal>& literals = mutableRules(p).literals;
  auto it = std::lower_bound(
      literals.begin(), literals.end(), group,
      [](const Literal& l, std::string_view g) { return std::string_view(l.group) < g; });
  if (it != literals.end() && it->group == group) {
    if (byRule) {
      literals.erase(it);  // the deny entry goes; the role grants it again
    } else {
      it->allowed = true;
    }
    return true;
  }
  if (byRule) return true;
  if (literals.size() >= kMaxLiteralGroups) return false;
  literals.insert(it, Literal{std::string(group), true});
  return true;
}

bool PermissionSet::revoke(Permission p, std::string_view group) {
  const bool byRule = ruleAllows(p, group);
  if (!byRule && !detail_) return true;
  std::vector<Literal>& literals = mutableRules(p).literals;
  auto it = std::lower_bound(
      literals.begin(), literals.end(), group,
      [](const Literal& l, std::string_view g) { return std::string_view(l.group) < g; });
  if (it != literals.end() && it->group == group) {
    if (byRule) {
      it->allowed = false;  // keep a deny entry: a role still grants it
    } else {
      literals.erase(it);
    }
    return true;
  }
  if (!byRule) return true;
  if (literals.size() >= kMaxLiteralGroups) return false;
  literals.insert(it, Literal{std::string(group), false});
  return true;
}

bool PermissionSet::grantLimitReached(Permission p) const {
  return literalCount(p) >= kMaxLiteralGroups;
}

size_t PermissionSet::literalCount(Permission p) const {
  return detail_ ? detail_->rules[index(p)].literals.size() : 0;
}

size_t PermissionSet::patternCount(Permission p) const {
  return detail_ ? detail_->rules[index(p)].patterns.size() : 0;
}

}  // namespace wps::auth
