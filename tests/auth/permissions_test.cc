#include "auth/permissions.h"

#include <gtest/gtest.h>

namespace wps::auth {
namespace {

constexpr Permission kSend = Permission::kSendToGroup;
constexpr Permission kJoin = Permission::kJoinLeaveGroup;

TEST(Permissions, NoRolesGrantNothing) {
  PermissionSet none;
  EXPECT_FALSE(none.allows(kSend, "g"));
  EXPECT_FALSE(none.allows(kJoin, "g"));
  PermissionSet fromEmpty = PermissionSet::fromRoles({});
  EXPECT_FALSE(fromEmpty.allows(kSend, "g"));
  EXPECT_LE(sizeof(PermissionSet), 16u);
}

TEST(Permissions, AllGroupRoles) {
  auto send = PermissionSet::fromRoles({"webpubsub.sendToGroup"});
  EXPECT_TRUE(send.allows(kSend, "any"));
  EXPECT_TRUE(send.allows(kSend, "a.b.c"));
  EXPECT_FALSE(send.allows(kJoin, "any"));

  auto join = PermissionSet::fromRoles({"webpubsub.joinLeaveGroup"});
  EXPECT_TRUE(join.allows(kJoin, "any"));
  EXPECT_FALSE(join.allows(kSend, "any"));
  EXPECT_EQ(join.literalCount(kJoin), 0u);
}

TEST(Permissions, LiteralGroupRoles) {
  auto set = PermissionSet::fromRoles(
      {"webpubsub.sendToGroup.g1", "webpubsub.joinLeaveGroup.room.with.dots"});
  EXPECT_TRUE(set.allows(kSend, "g1"));
  EXPECT_FALSE(set.allows(kSend, "g2"));
  EXPECT_FALSE(set.allows(kSend, "G1"));  // case-sensitive
  EXPECT_FALSE(set.allows(kJoin, "g1"));
  EXPECT_TRUE(set.allows(kJoin, "room.with.dots"));
  EXPECT_FALSE(set.allows(kJoin, "room"));
  EXPECT_FALSE(set.allows(kSend, "room.with.dots"));
}

TEST(Permissions, PatternRoles) {
  auto set = PermissionSet::fromRoles(
      {"webpubsub.sendToGroups.chat-*", "webpubsub.joinLeaveGroups.news.**"});
  EXPECT_TRUE(set.allows(kSend, "chat-1"));
  EXPECT_FALSE(set.allows(kSend, "chat-1.sub"));
  EXPECT_FALSE(set.allows(kSend, "xchat-1"));
  EXPECT_FALSE(set.allows(kJoin, "chat-1"));
  EXPECT_TRUE(set.allows(kJoin, "news.a.b"));
  EXPECT_FALSE(set.allows(kSend, "news.a.b"));
  EXPECT_EQ(set.patternCount(kSend), 1u);
  EXPECT_EQ(set.patternCount(kJoin), 1u);

  // "**" grants everything; a pattern without wildcards is a literal group.
  auto all =
      PermissionSet::fromRoles({"webpubsub.sendToGroups.**", R"(webpubsub.joinLeaveGroups.a\*b)"});
  EXPECT_TRUE(all.allows(kSend, "x.y"));
  EXPECT_TRUE(all.allows(kJoin, "a*b"));
  EXPECT_FALSE(all.allows(kJoin, "aXb"));
  EXPECT_EQ(all.patternCount(kJoin), 0u);
  EXPECT_EQ(all.literalCount(kJoin), 1u);
}

TEST(Permissions, PatternPrefixCheckedFirst) {
  // "webpubsub.sendToGroups.x" is a pattern role, not the literal group "s.x".
  auto set = PermissionSet::fromRoles({"webpubsub.sendToGroups.x"});
  EXPECT_TRUE(set.allows(kSend, "x"));
  EXPECT_FALSE(set.allows(kSend, "s.x"));
}

TEST(Permissions, SimilarRolesGrantNothing) {
  std::vector<std::string> skipped;
  auto set = PermissionSet::fromRoles(
      {"webpubsub.sendToGroupX", "webpubsub.sendToGroups", "Webpubsub.SendToGroup",
       "webpubsub.sendtogroup", "webpubsub.joinLeaveGroupsx", "custom.role", ""},
      &skipped);
  EXPECT_FALSE(set.allows(kSend, "X"));
  EXPECT_FALSE(set.allows(kSend, "g"));
  EXPECT_FALSE(set.allows(kJoin, "g"));
  EXPECT_FALSE(set.allows(kJoin, "x"));
  EXPECT_TRUE(skipped.empty());  // unknown roles are ignored, not reported
}

TEST(Permissions, InvalidEntriesSkippedAndReported) {
  std::vector<std::string> skipped;
  auto set = PermissionSet::fromRoles(
      {"webpubsub.sendToGroup.", "webpubsub.sendToGroup.   ", "webpubsub.sendToGroups.a\\b",
       "webpubsub.sendToGroups.******", "webpubsub.joinLeaveGroup." + std::string(1025, 'g'),
       "webpubsub.joinLeaveGroups.", "webpubsub.sendToGroup.ok"},
      &skipped);
  EXPECT_EQ(skipped.size(), 6u);
  EXPECT_TRUE(set.allows(kSend, "ok"));
  EXPECT_FALSE(set.allows(kSend, "   "));
  EXPECT_FALSE(set.allows(kJoin, std::string(1025, 'g')));
  ASSERT_FALSE(skipped.empty());
  EXPECT_EQ(skipped[0].rfind("webpubsub.sendToGroups.a\\b: invalid group name pattern", 0), 0u)
      << skipped[0];
  // Without a `skipped` vector it works the same.
  auto quiet = PermissionSet::fromRoles({"webpubsub.sendToGroup.", "webpubsub.sendToGroup.ok"});
  EXPECT_TRUE(quiet.allows(kSend, "ok"));
  // A 1024-character name is still valid.
  auto longest = PermissionSet::fromRoles({"webpubsub.joinLeaveGroup." + std::string(1024, 'g')});
  EXPECT_TRUE(longest.allows(kJoin, std::string(1024, 'g')));
}

TEST(Permissions, PatternLimitNinePerPermission) {
  std::vector<std::string> roles;
  for (int i = 0; i < 11; ++i)
    roles.push_back("webpubsub.sendToGroups.p" + std::to_string(i) + "-*");
  roles.push_back("webpubsub.joinLeaveGroups.j-*");
  roles.push_back("webpubsub.sendToGroups.p0-*");  // duplicate: ignored, not counted
  std::vector<std::string> skipped;
  auto set = PermissionSet::fromRoles(roles, &skipped);
  EXPECT_EQ(set.patternCount(kSend), 9u);
  EXPECT_EQ(set.patternCount(kJoin), 1u);
  EXPECT_EQ(skipped.size(), 2u);
  EXPECT_TRUE(set.allows(kSend, "p8-x"));
  EXPECT_FALSE(set.allows(kSend, "p9-x"));
  EXPECT_FALSE(set.allows(kSend, "p10-x"));
  EXPECT_TRUE(set.allows(kJoin, "j-1"));
}

TEST(Permissions, LiteralLimitThousandPerPermission) {
  std::vector<std::string> roles;
  for (int i = 0; i < 1002; ++i)
    roles.push_back("webpubsub.sendToGroup.g" + std::to_string(i));
  roles.push_back("webpubsub.sendToGroup.g0");  // duplicate: not counted
  roles.push_back("webpubsub.joinLeaveGroup.j");
  std::vector<std::string> skipped;
  auto set = PermissionSet::fromRoles(roles, &skipped);
  EXPECT_EQ(set.literalCount(kSend), 1000u);
  EXPECT_EQ(skipped.size(), 2u);
  EXPECT_TRUE(set.allows(kSend, "g999"));
  EXPECT_FALSE(set.allows(kSend, "g1000"));
  EXPECT_FALSE(set.allows(kSend, "g1001"));
  EXPECT_TRUE(set.allows(kJoin, "j"));
  EXPECT_TRUE(set.grantLimitReached(kSend));
  EXPECT_FALSE(set.grantLimitReached(kJoin));
  // A REST grant of a new group fails at the limit and changes nothing...
  EXPECT_FALSE(set.grant(kSend, "new"));
  EXPECT_FALSE(set.allows(kSend, "new"));
  // ...but re-granting an existing one is fine.
  EXPECT_TRUE(set.grant(kSend, "g1"));
}

TEST(Permissions, LiteralsCoveredByRulesDoNotCount) {
  std::vector<std::string> roles;
  for (int i = 0; i < 1500; ++i)
    roles.push_back("webpubsub.sendToGroup.chat-" + std::to_string(i));
  roles.push_back("webpubsub.sendToGroups.chat-*");  // order does not matter
  std::vector<std::string> skipped;
  auto set = PermissionSet::fromRoles(roles, &skipped);
  EXPECT_TRUE(skipped.empty());
  EXPECT_EQ(set.literalCount(kSend), 0u);
  EXPECT_TRUE(set.allows(kSend, "chat-1499"));
}

TEST(Permissions, RevokeOverridesBroadGrantForOneGroupOnly) {
  auto set = PermissionSet::fromRoles({"webpubsub.sendToGroup", "webpubsub.joinLeaveGroup"});
  EXPECT_TRUE(set.revoke(kSend, "g1"));
  EXPECT_FALSE(set.allows(kSend, "g1"));
  EXPECT_TRUE(set.allows(kSend, "g2"));
  EXPECT_TRUE(set.allows(kJoin, "g1"));  // the other permission is untouched
  // Revoking twice is idempotent.
  EXPECT_TRUE(set.revoke(kSend, "g1"));
  EXPECT_FALSE(set.allows(kSend, "g1"));
  EXPECT_EQ(set.literalCount(kSend), 1u);
}

TEST(Permissions, RevokeOverridesPatternAndLiteralRoles) {
  auto set = PermissionSet::fromRoles({"webpubsub.sendToGroups.chat-*", "webpubsub.sendToGroup.x"});
  set.revoke(kSend, "chat-1");
  set.revoke(kSend, "x");
  EXPECT_FALSE(set.allows(kSend, "chat-1"));
  EXPECT_TRUE(set.allows(kSend, "chat-2"));
  EXPECT_FALSE(set.allows(kSend, "x"));
}

TEST(Permissions, GrantAfterRevoke) {
  auto set = PermissionSet::fromRoles({"webpubsub.sendToGroup"});
  set.revoke(kSend, "g1");
  ASSERT_FALSE(set.allows(kSend, "g1"));
  EXPECT_TRUE(set.grant(kSend, "g1"));
  EXPECT_TRUE(set.allows(kSend, "g1"));

  auto literal = PermissionSet::fromRoles({"webpubsub.joinLeaveGroup.g"});
  literal.revoke(kJoin, "g");
  EXPECT_FALSE(literal.allows(kJoin, "g"));
  literal.grant(kJoin, "g");
  EXPECT_TRUE(literal.allows(kJoin, "g"));
}

TEST(Permissions, RestGrantAndRevokeWithoutRoles) {
  PermissionSet set;
  EXPECT_TRUE(set.grant(kJoin, "room"));
  EXPECT_TRUE(set.allows(kJoin, "room"));
  EXPECT_FALSE(set.allows(kJoin, "room2"));
  EXPECT_FALSE(set.allows(kSend, "room"));
  EXPECT_TRUE(set.revoke(kJoin, "room"));
  EXPECT_FALSE(set.allows(kJoin, "room"));
  EXPECT_EQ(set.literalCount(kJoin), 0u);  // nothing grants it any more: no deny entry needed
  // Revoking something never granted is a no-op that succeeds.
  EXPECT_TRUE(set.revoke(kSend, "other"));
  EXPECT_FALSE(set.allows(kSend, "other"));
}

TEST(Permissions, RestGrantLimit) {
  PermissionSet set;
  for (int i = 0; i < 1000; ++i)
    ASSERT_TRUE(set.grant(kSend, "g" + std::to_string(i)));
  EXPECT_TRUE(set.grantLimitReached(kSend));
  EXPECT_FALSE(set.grant(kSend, "one-too-many"));
  EXPECT_FALSE(set.allows(kSend, "one-too-many"));
  EXPECT_TRUE(set.grant(kJoin, "other-permission"));
  // Revoking frees an entry.
  EXPECT_TRUE(set.revoke(kSend, "g0"));
  EXPECT_FALSE(set.grantLimitReached(kSend));
  EXPECT_TRUE(set.grant(kSend, "one-too-many"));

  // A deny entry needs room too: at the limit it fails and the role keeps granting.
  auto broad = PermissionSet::fromRoles({"webpubsub.sendToGroup"});
  for (int i = 0; i < 1000; ++i)
    ASSERT_TRUE(broad.revoke(kSend, "g" + std::to_string(i)));
  EXPECT_FALSE(broad.revoke(kSend, "extra"));
  EXPECT_TRUE(broad.allows(kSend, "extra"));
  EXPECT_FALSE(broad.allows(kSend, "g999"));
}

TEST(Permissions, CopyIsDeep) {
  auto a = PermissionSet::fromRoles({"webpubsub.sendToGroup.g"});
  PermissionSet b = a;
  b.revoke(kSend, "g");
  EXPECT_TRUE(a.allows(kSend, "g"));
  EXPECT_FALSE(b.allows(kSend, "g"));
  PermissionSet c = std::move(b);
  EXPECT_FALSE(c.allows(kSend, "g"));
  c = a;
  EXPECT_TRUE(c.allows(kSend, "g"));
}

}  // namespace
}  // namespace wps::auth
