// Per-connection group permissions: roles (client-protocols.md §4.1, §4.2, rest-api.md §8.5)
// plus runtime REST grants and revokes (rest-api.md §6.22-6.24).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/group_pattern.h"

namespace wps::auth {

enum class Permission : uint8_t { kSendToGroup, kJoinLeaveGroup };

// The effective permission for group G is: granted (by a role: all groups, the literal G, or a
// pattern matching G; or by a REST grant of G) and not revoked for G by REST.
//
// Layout: 16 bytes inline. A connection whose roles grant nothing or only "all groups" never
// allocates; literal groups and patterns live in one lazily allocated block.
//
// Not thread-safe: owned and used by the connection's worker thread only. Copyable (deep copy)
// and movable.
class PermissionSet {
 public:
  // Per permission: literal entries (role literals, REST grants and REST revokes together) and
  // patterns (client-protocols.md §4.1 "Parsing").
  static constexpr size_t kMaxLiteralGroups = 1000;
  static constexpr size_t kMaxPatterns = 9;
  static constexpr size_t kMaxGroupNameLength = 1024;  // UTF-16 code units, as .NET counts

  PermissionSet() = default;  // no permissions at all
  PermissionSet(const PermissionSet& other);
  PermissionSet& operator=(const PermissionSet& other);
  PermissionSet(PermissionSet&&) noexcept = default;
  PermissionSet& operator=(PermissionSet&&) noexcept = default;
  ~PermissionSet();

  // Builds the set from role strings (case-sensitive):
  //   webpubsub.joinLeaveGroups.<pattern> / webpubsub.sendToGroups.<pattern>  (checked first)
  //   webpubsub.joinLeaveGroup / webpubsub.sendToGroup                          (all groups)
  //   webpubsub.joinLeaveGroup.<group> / webpubsub.sendToGroup.<group>          (one group; the
  //       rest after the dot, which may contain dots)
  // Anything else (including webpubsub.sendToGroupX) grants nothing and is not reported.
  // A pattern without wildcards grants its unescaped text as a literal group; "**" grants all.
  // Skipped entries (invalid pattern, invalid group name: empty, whitespace-only or longer than
  // kMaxGroupNameLength; beyond kMaxPatterns or kMaxLiteralGroups) are appended to `skipped`,
  // when given, as log lines "<role>: <reason>"; the rest still applies. Literal groups already
  // covered by an "all" role or a pattern do not count against the literal limit. Never throws
  // except std::bad_alloc.
  static PermissionSet fromRoles(const std::vector<std::string>& roles,
                                 std::vector<std::string>* skipped = nullptr);

  // True when `p` is allowed for `group` (case-sensitive). O(log literals + patterns * |group|).
  bool allows(Permission p, std::string_view group) const;

  // REST grantPermission for one literal group (the caller has validated the name). Removes a
  // previous revoke of that group. Returns true on success (also when already granted); false,
  // changing nothing, when a new entry would exceed kMaxLiteralGroups (REST: 409).
  bool grant(Permission p, std::string_view group);

  // REST revokePermission for one literal group: stores a deny entry that overrides broader
  // role grants for exactly that group and removes an explicit grant. Returns true on success
  // (also when nothing granted it); false, changing nothing, when a deny entry is needed but
  // would exceed kMaxLiteralGroups (the permission then still applies).
  bool revoke(Permission p, std::string_view group);

  // True when `p` holds kMaxLiteralGroups literal entries: a grant or revoke that needs a new
  // entry will fail.
  bool grantLimitReached(Permission p) const;

  // Number of literal entries (grants and deny entries) and patterns stored for `p`.
  size_t literalCount(Permission p) const;
  size_t patternCount(Permission p) const;

 private:
  struct Literal {
    std::string group;
    bool allowed;  // false: a REST deny entry
  };
  struct Rules {
    std::vector<Literal> literals;  // sorted by group, unique
    std::vector<GroupPattern> patterns;
  };
  struct Detail {
    Rules rules[2];
  };

  // A literal role (or a pattern without wildcards) that fromRoles() applies in its second pass.
  struct PendingLiteral;

  static size_t index(Permission p) { return static_cast<size_t>(p); }
  // True when an "all groups" role or a pattern grants `p` for `group` (literals aside).
  bool ruleAllows(Permission p, std::string_view group) const;
  // The rules of `p`, allocating the detail block on first use.
  Rules& mutableRules(Permission p);
  // fromRoles(), pass 1, for the pattern role `role` whose pattern source is `rest`: grants all
  // groups ("**"), queues a wildcard-free pattern's literal in `pending`, or adds the pattern
  // (duplicates ignored; beyond kMaxPatterns or invalid: reported to `skipped`).
  void addPatternRole(Permission p, std::string_view rest, std::string_view role,
                      std::vector<PendingLiteral>& pending, std::vector<std::string>* skipped);
  // fromRoles(), pass 2, for one literal: adds it unless invalid (reported), already covered by
  // a rule or present, or beyond kMaxLiteralGroups (reported). Moves item.group.
  void addLiteralRole(PendingLiteral& item, std::vector<std::string>* skipped);

  uint8_t allGroups_ = 0;  // bit index(p): a role grants every group
  std::unique_ptr<Detail> detail_;
};

}  // namespace wps::auth
