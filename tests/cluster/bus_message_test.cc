#include "cluster/bus_message.h"

#include <gtest/gtest.h>

#include "cluster/redis_link.h"

namespace wps::cluster {
namespace {

BusMessage roundTrip(const BusMessage& m) {
  auto d = decodeBusMessage(encodeBusMessage(m));
  EXPECT_TRUE(d) << d.status().toString();
  return d ? d.value() : BusMessage{};
}

TEST(BusMessage, PublishRoundTripKeepsTargetFilterAndPayload) {
  BusMessage m;
  m.type = BusMessage::Type::kPublish;
  m.origin = "node-a";
  m.hubKey = "chat";
  m.target = core::Target::group("room 1/ä");
  m.target.excluded = {"c1", "c,2"};
  m.target.filter = std::make_shared<const filter::Filter>(
      *filter::Filter::parse("userId ne 'x' and 'g' in groups"));
  m.message.from = protocol::MessageSource::kGroup;
  m.message.group = "room 1/ä";
  m.message.fromUserId = "alice";
  m.message.payload = {protocol::DataType::kBinary, std::string("\x00\xff\x01", 3)};
  m.message.metadata = {{"k", "v"}};
  BusMessage d = roundTrip(m);
  EXPECT_EQ(d.type, BusMessage::Type::kPublish);
  EXPECT_EQ(d.origin, "node-a");
  EXPECT_EQ(d.requestId, 0u);
  EXPECT_EQ(d.target.kind, core::Target::Kind::kGroup);
  EXPECT_EQ(d.target.name, "room 1/ä");
  EXPECT_EQ(d.target.excluded, m.target.excluded);
  ASSERT_TRUE(d.target.filter);
  EXPECT_EQ(d.target.filter->text(), "userId ne 'x' and 'g' in groups");
  EXPECT_EQ(d.message.fromUserId, "alice");
  EXPECT_EQ(d.message.payload.type, protocol::DataType::kBinary);
  EXPECT_EQ(d.message.payload.data, std::string("\x00\xff\x01", 3));
  EXPECT_EQ(d.message.metadata, m.message.metadata);
}

TEST(BusMessage, RequestsAndRepliesRoundTrip) {
  BusMessage req;
  req.type = BusMessage::Type::kPermission;
  req.origin = "n1";
  req.requestId = 42;
  req.replyTo = "n1";
  req.hubKey = "h";
  req.connectionId = "conn";
  req.group = "g";
  req.permissionOp = core::PermissionOp::kGrant;
  req.permission = auth::Permission::kJoinLeaveGroup;
  BusMessage d = roundTrip(req);
  EXPECT_EQ(d.requestId, 42u);
  EXPECT_EQ(d.replyTo, "n1");
  EXPECT_EQ(d.permissionOp, core::PermissionOp::kGrant);
  EXPECT_EQ(d.permission, auth::Permission::kJoinLeaveGroup);
  EXPECT_EQ(d.connectionId, "conn");

  BusMessage reply;
  reply.type = BusMessage::Type::kReply;
  reply.origin = "n2";
  reply.requestId = 42;
  reply.count = 7;
  reply.result = core::PermissionResult::kDenied;
  reply.members = {{"c1", "u1"}, {"c2", std::nullopt}};
  d = roundTrip(reply);
  EXPECT_EQ(d.count, 7u);
  EXPECT_EQ(d.result, core::PermissionResult::kDenied);
  ASSERT_EQ(d.members.size(), 2u);
  EXPECT_EQ(d.members[0].userId, "u1");
  EXPECT_FALSE(d.members[1].userId);
  EXPECT_EQ(d.atLimit, 0u);
}

TEST(BusMessage, AddToGroupsRepliesCarryTheConnectionsAtTheLimit) {
  BusMessage reply;
  reply.type = BusMessage::Type::kReply;
  reply.origin = "n2";
  reply.requestId = 7;
  reply.count = 3;
  std::string without = encodeBusMessage(reply);
  reply.atLimit = 2;
  std::string with = encodeBusMessage(reply);
  EXPECT_GT(with.size(), without.size()) << "the field is sent only when it is not 0";
  auto d = decodeBusMessage(with);
  ASSERT_TRUE(d) << d.status().toString();
  EXPECT_EQ(d->count, 3u);
  EXPECT_EQ(d->atLimit, 2u);
  auto old = decodeBusMessage(without);
  ASSERT_TRUE(old) << old.status().toString();
  EXPECT_EQ(old->atLimit, 0u);
  EXPECT_FALSE(decodeBusMessage(with + "x")) << "still nothing may follow";
}

TEST(BusMessage, PublishCarriesTheRemainingTtlOnlyWhenTheMessageHasOne) {
  BusMessage m;
  m.type = BusMessage::Type::kPublish;
  m.hubKey = "chat";
  m.target = core::Target::all();
  m.message.payload = {protocol::DataType::kText, "hi"};
  std::string without = encodeBusMessage(m);
  m.ttlRemainingMs = 1500;
  std::string with = encodeBusMessage(m);
  EXPECT_GT(with.size(), without.size());
  auto d = decodeBusMessage(with);
  ASSERT_TRUE(d) << d.status().toString();
  EXPECT_EQ(d->ttlRemainingMs, 1500u);
  EXPECT_EQ(d->message.payload.data, "hi");
  auto none = decodeBusMessage(without);
  ASSERT_TRUE(none) << none.status().toString();
  EXPECT_FALSE(none->ttlRemainingMs) << "no TTL: never expires";
  EXPECT_FALSE(decodeBusMessage(with + "x")) << "still nothing may follow";
}

TEST(BusMessage, PublishCarriesAStreamsInfo) {
  BusMessage m;
  m.type = BusMessage::Type::kPublish;
  m.hubKey = "chat";
  m.target = core::Target::group("g");
  m.message.from = protocol::MessageSource::kGroup;
  m.message.payload = {protocol::DataType::kText, "frag"};
  m.message.stream = protocol::StreamInfo{"s1", 7, false, std::nullopt};
  auto d = decodeBusMessage(encodeBusMessage(m));
  ASSERT_TRUE(d) << d.status().toString();
  ASSERT_TRUE(d->message.stream);
  EXPECT_EQ(d->message.stream->streamId, "s1");
  EXPECT_EQ(d->message.stream->sequenceId, 7u);
  EXPECT_FALSE(d->message.stream->endOfStream);
  EXPECT_FALSE(d->ttlRemainingMs);
  m.message.stream = protocol::StreamInfo{
      "s1", 8, true, protocol::StreamErrorInfo{"UserError", std::nullopt, "E"}};
  m.ttlRemainingMs = 9;
  d = decodeBusMessage(encodeBusMessage(m));
  ASSERT_TRUE(d) << d.status().toString();
  EXPECT_EQ(d->ttlRemainingMs, 9u);
  ASSERT_TRUE(d->message.stream && d->message.stream->error);
  EXPECT_TRUE(d->message.stream->endOfStream);
  EXPECT_EQ(d->message.stream->error->name, "UserError");
  EXPECT_FALSE(d->message.stream->error->message);
  EXPECT_EQ(d->message.stream->error->userErrorCode, "E");
}

TEST(BusMessage, MalformedInputIsRejected) {
  BusMessage m;
  m.type = BusMessage::Type::kAddToGroups;
  m.hubKey = "h";
  m.groups = {"a", "b"};
  std::string bytes = encodeBusMessage(m);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(decodeBusMessage(std::string_view(bytes).substr(0, cut))) << cut;
  }
  EXPECT_FALSE(decodeBusMessage(bytes + "x"));  // trailing bytes
  std::string badVersion = bytes;
  badVersion[0] = 9;
  EXPECT_FALSE(decodeBusMessage(badVersion));
}

TEST(RedisAddress, Forms) {
  auto tcp = parseRedisAddress("redis://10.0.0.5:6380/2");
  ASSERT_TRUE(tcp);
  EXPECT_FALSE(tcp->unix);
  EXPECT_EQ(tcp->host, "10.0.0.5");
  EXPECT_EQ(tcp->port, 6380);
  EXPECT_EQ(tcp->db, 2);
  auto def = parseRedisAddress("redis://localhost");
  ASSERT_TRUE(def);
  EXPECT_EQ(def->port, 6379);
  auto unix = parseRedisAddress("unix:///run/redis.sock");
  ASSERT_TRUE(unix);
  EXPECT_TRUE(unix->unix);
  EXPECT_EQ(unix->host, "/run/redis.sock");
  EXPECT_FALSE(parseRedisAddress("http://x"));
  EXPECT_FALSE(parseRedisAddress("redis://:80"));
  EXPECT_FALSE(parseRedisAddress("redis://h:99999"));
  EXPECT_FALSE(parseRedisAddress("unix://relative"));
}

}  // namespace
}  // namespace wps::cluster
