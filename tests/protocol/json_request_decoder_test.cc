// decodeJsonRequest: client-protocols.md §6.1, §9, §13.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>
#include <variant>

#include "protocol/request_decoder.h"
#include "protocol/service_messages.h"

namespace wps::protocol {
namespace {

ClientRequest ok(std::string_view text) {
  auto r = decodeJsonRequest(text);
  EXPECT_TRUE(r.isOk()) << text << " -> " << r.status().toString();
  if (!r) return ClientRequest(PingRequest{});
  return *r;
}

bool invalid(std::string_view text) {
  auto r = decodeJsonRequest(text);
  return !r.isOk() && r.status().code() == StatusCode::kInvalidArgument;
}

template <class T>
T as(std::string_view text) {
  ClientRequest r = ok(text);
  EXPECT_TRUE(std::holds_alternative<T>(r)) << text << " decoded as index " << r.index();
  if (auto* p = std::get_if<T>(&r)) return *p;
  return T{};
}

// sendToGroup with `extra` fields appended after the group.
std::string send(std::string_view extra) {
  return std::string(R"({"type":"sendToGroup","group":"g")") + std::string(extra) + "}";
}
std::string event(std::string_view extra) {
  return std::string(R"({"type":"event","event":"ev")") + std::string(extra) + "}";
}

// --- joinGroup / leaveGroup -----------------------------------------------------------------

TEST(JsonRequestDecoder, JoinGroup) {
  auto r = as<JoinGroupRequest>(R"({"type":"joinGroup","group":"room 1","ackId":5})");
  EXPECT_EQ(r.group, "room 1");
  ASSERT_TRUE(r.ackId);
  EXPECT_EQ(*r.ackId, 5u);
  EXPECT_FALSE(as<JoinGroupRequest>(R"({"type":"joinGroup","group":"g"})").ackId);
  EXPECT_FALSE(as<JoinGroupRequest>(R"({"type":"joinGroup","group":"g","ackId":null})").ackId);
}

TEST(JsonRequestDecoder, LeaveGroup) {
  auto r = as<LeaveGroupRequest>(R"({"type":"leaveGroup","group":"g2","ackId":0})");
  EXPECT_EQ(r.group, "g2");
  ASSERT_TRUE(r.ackId);
  EXPECT_EQ(*r.ackId, 0u);
}

TEST(JsonRequestDecoder, TypeIsCaseInsensitive) {
  as<JoinGroupRequest>(R"({"type":"JOINGROUP","group":"g"})");
  as<JoinGroupRequest>(R"({"type":"joingroup","group":"g"})");
  as<LeaveGroupRequest>(R"({"type":"LeaveGroup","group":"g"})");
  as<SendToGroupRequest>(R"({"type":"SENDTOGROUP","group":"g","data":1})");
  as<EventRequest>(R"({"type":"Event","event":"e","data":1})");
  as<PingRequest>(R"({"type":"PING"})");
  as<SequenceAckRequest>(R"({"type":"SequenceACK","sequenceId":1})");
}

TEST(JsonRequestDecoder, UnknownPropertiesAreIgnored) {
  auto r = as<JoinGroupRequest>(R"({"type":"joinGroup","x":{"y":[1,2]},"group":"g","z":null})");
  EXPECT_EQ(r.group, "g");
}

// --- ackId ----------------------------------------------------------------------------------

TEST(JsonRequestDecoder, AckIdRules) {
  EXPECT_EQ(*as<JoinGroupRequest>(R"({"type":"joinGroup","group":"g","ackId":0})").ackId, 0u);
  EXPECT_EQ(
      *as<JoinGroupRequest>(R"({"type":"joinGroup","group":"g","ackId":18446744073709551615})")
           .ackId,
      UINT64_MAX);
  EXPECT_TRUE(invalid(R"({"type":"joinGroup","group":"g","ackId":"1"})"));
  EXPECT_TRUE(invalid(R"({"type":"joinGroup","group":"g","ackId":-1})"));
  EXPECT_TRUE(invalid(R"({"type":"joinGroup","group":"g","ackId":18446744073709551616})"));
  EXPECT_TRUE(invalid(R"({"type":"joinGroup","group":"g","ackId":1e30})"));
  EXPECT_TRUE(invalid(R"({"type":"joinGroup","group":"g","ackId":1.5})"));
  EXPECT_TRUE(invalid(R"({"type":"joinGroup","group":"g","ackId":true})"));
  EXPECT_TRUE(invalid(R"({"type":"joinGroup","group":"g","ackId":[1]})"));
  EXPECT_TRUE(invalid(send(R"(,"ackId":"7","data":1)")));
  EXPECT_TRUE(invalid(event(R"(,"ackId":-3,"data":1)")));
  EXPECT_EQ(*as<SendToGroupRequest>(send(R"(,"ackId":9,"data":1)")).ackId, 9u);
  EXPECT_EQ(*as<EventRequest>(event(R"(,"ackId":10,"data":1)")).ackId, 10u);
}

// --- group names ----------------------------------------------------------------------------

TEST(JsonRequestDecoder, GroupRules) {
  EXPECT_TRUE(invalid(R"({"type":"joinGroup"})"));
  EXPECT_TRUE(invalid(R"({"type":"joinGroup","group":null})"));
  EXPECT_TRUE(invalid(R"({"type":"joinGroup","group":5})"));
  EXPECT_TRUE(invalid(R"({"type":"joinGroup","group":""})"));
  EXPECT_TRUE(invalid(R"({"type":"joinGroup","group":"   "})"));
  EXPECT_TRUE(invalid(R"({"type":"leaveGroup","group":" \t\r\n"})"));
  EXPECT_TRUE(invalid(R"({"type":"sendToGroup","group":"","data":1})"));
  EXPECT_TRUE(invalid(R"({"type":"sendToGroup","data":1})"));

  std::string g1024(1024, 'a');
  std::string g1025(1025, 'a');
  EXPECT_EQ(as<JoinGroupRequest>(R"({"type":"joinGroup","group":")" + g1024 + "\"}").group, g1024);
  EXPECT_TRUE(invalid(R"({"type":"joinGroup","group":")" + g1025 + "\"}"));
  EXPECT_TRUE(invalid(R"({"type":"leaveGroup","group":")" + g1025 + "\"}"));
  EXPECT_TRUE(invalid(R"({"type":"sendToGroup","group":")" + g1025 + "\",\"data\":1}"));

  // Counted in UTF-16 code units: 1024 'é' (2048 bytes) is fine, 513 emoji (1026 units) is not.
  std::string accents;
  for (int i = 0; i < 1024; ++i) {
    accents += "\xC3\xA9";
  }
  as<JoinGroupRequest>(R"({"type":"joinGroup","group":")" + accents + "\"}");
  std::string emoji;
  for (int i = 0; i < 513; ++i) {
    emoji += "\xF0\x9F\x98\x80";
  }
  EXPECT_TRUE(invalid(R"({"type":"joinGroup","group":")" + emoji + "\"}"));
  // Escapes are decoded before the check.
  EXPECT_EQ(as<JoinGroupRequest>(R"({"type":"joinGroup","group":"a\u0062"})").group, "ab");
}

// --- sendToGroup ----------------------------------------------------------------------------

TEST(JsonRequestDecoder, SendToGroupAllFields) {
  auto r = as<SendToGroupRequest>(
      R"({"type":"sendToGroup","group":"g","ackId":3,"noEcho":true,"dataType":"text",)"
      R"("data":"hi","ttlSeconds":60,"metadata":{"k1":"v1","k2":"v2"}})");
  EXPECT_EQ(r.group, "g");
  EXPECT_EQ(*r.ackId, 3u);
  EXPECT_TRUE(r.noEcho);
  EXPECT_EQ(r.payload.type, DataType::kText);
  EXPECT_EQ(r.payload.data, "hi");
  EXPECT_EQ(*r.ttlSeconds, 60u);
  Metadata expected{{"k1", "v1"}, {"k2", "v2"}};
  EXPECT_EQ(r.metadata, expected);
}

TEST(JsonRequestDecoder, NoEchoMustBeBoolean) {
  EXPECT_FALSE(as<SendToGroupRequest>(send(R"(,"data":1)")).noEcho);
  EXPECT_FALSE(as<SendToGroupRequest>(send(R"(,"noEcho":false,"data":1)")).noEcho);
  EXPECT_TRUE(as<SendToGroupRequest>(send(R"(,"noEcho":true,"data":1)")).noEcho);
  EXPECT_FALSE(as<SendToGroupRequest>(send(R"(,"noEcho":null,"data":1)")).noEcho);
  EXPECT_TRUE(invalid(send(R"(,"noEcho":"true","data":1)")));
  EXPECT_TRUE(invalid(send(R"(,"noEcho":1,"data":1)")));
}

TEST(JsonRequestDecoder, TtlSecondsRange) {
  EXPECT_FALSE(as<SendToGroupRequest>(send(R"(,"data":1)")).ttlSeconds);
  EXPECT_EQ(*as<SendToGroupRequest>(send(R"(,"ttlSeconds":0,"data":1)")).ttlSeconds, 0u);
  EXPECT_EQ(*as<SendToGroupRequest>(send(R"(,"ttlSeconds":300,"data":1)")).ttlSeconds, 300u);
  EXPECT_TRUE(invalid(send(R"(,"ttlSeconds":301,"data":1)")));
  EXPECT_TRUE(invalid(send(R"(,"ttlSeconds":-1,"data":1)")));
  EXPECT_TRUE(invalid(send(R"(,"ttlSeconds":1.5,"data":1)")));
  EXPECT_TRUE(invalid(send(R"(,"ttlSeconds":"10","data":1)")));
  EXPECT_TRUE(invalid(send(R"(,"ttlSeconds":4294967296,"data":1)")));
}

// --- payloads -------------------------------------------------------------------------------

TEST(JsonRequestDecoder, DataTypeDefaultsToJson) {
  auto r = as<SendToGroupRequest>(send(R"(,"data":{"a" : [1, 2.5, "x"], "b" : null})"));
  EXPECT_EQ(r.payload.type, DataType::kJson);
  EXPECT_EQ(r.payload.data, R"({"a":[1,2.5,"x"],"b":null})");
  auto s = as<SendToGroupRequest>(send(R"(,"dataType":null,"data":"str")"));
  EXPECT_EQ(s.payload.type, DataType::kJson);
  EXPECT_EQ(s.payload.data, "\"str\"");
}

TEST(JsonRequestDecoder, DataTypeIsCaseInsensitive) {
  EXPECT_EQ(as<SendToGroupRequest>(send(R"(,"dataType":"JSON","data":true)")).payload.type,
            DataType::kJson);
  EXPECT_EQ(as<SendToGroupRequest>(send(R"(,"dataType":"Text","data":"t")")).payload.type,
            DataType::kText);
  EXPECT_EQ(as<SendToGroupRequest>(send(R"(,"dataType":"BINARY","data":"AA==")")).payload.type,
            DataType::kBinary);
  EXPECT_EQ(as<EventRequest>(event(R"(,"dataType":"ProtoBuf","data":"AA==")")).payload.type,
            DataType::kProtobuf);
  EXPECT_TRUE(invalid(send(R"(,"dataType":"xml","data":"t")")));
  EXPECT_TRUE(invalid(send(R"(,"dataType":"","data":"t")")));
  EXPECT_TRUE(invalid(send(R"(,"dataType":1,"data":"t")")));
}

TEST(JsonRequestDecoder, JsonDataRules) {
  EXPECT_TRUE(invalid(send(R"(,"data":null)")));
  EXPECT_TRUE(invalid(send(R"(,"dataType":"json","data":null)")));
  EXPECT_TRUE(invalid(event(R"(,"data":null)")));
  EXPECT_EQ(as<SendToGroupRequest>(send(R"(,"data":false)")).payload.data, "false");
  EXPECT_EQ(as<SendToGroupRequest>(send(R"(,"data":0)")).payload.data, "0");
  EXPECT_EQ(as<SendToGroupRequest>(send(R"(,"data":[])")).payload.data, "[]");
  EXPECT_EQ(as<SendToGroupRequest>(send(R"(,"data":"a\"b\n")")).payload.data, R"("a\"b\n")");
}

TEST(JsonRequestDecoder, JsonNumbersKeepShortestForm) {
  EXPECT_EQ(as<SendToGroupRequest>(send(R"(,"data":1.5)")).payload.data, "1.5");
  EXPECT_EQ(as<SendToGroupRequest>(send(R"(,"data":[0.1,-2.25,100])")).payload.data,
            "[0.1,-2.25,100]");
  EXPECT_EQ(as<SendToGroupRequest>(send(R"(,"data":-7)")).payload.data, "-7");
  EXPECT_EQ(as<SendToGroupRequest>(send(R"(,"data":18446744073709551615)")).payload.data,
            "18446744073709551615");
  EXPECT_EQ(as<EventRequest>(event(R"(,"data":{"x":1.5})")).payload.data, R"({"x":1.5})");
}

// A number beyond the range of a double parses as ±infinity, which has no JSON form: the payload
// keeps its source text, so that JSON receivers get valid JSON (a fuzz find: the data became
// `null`, which is not a valid json payload).
TEST(JsonRequestDecoder, JsonNumbersOutOfDoubleRangeKeepTheirText) {
  const std::string huge = "-" + std::string(400, '9');
  for (const std::string& number :
       {std::string("-8888888851133.003218218E8859"), std::string("-1e400"), std::string("1e999"),
        huge, std::string("1E+309")}) {
    EXPECT_EQ(as<SendToGroupRequest>(send(",\"data\":" + number)).payload.data, number);
    EXPECT_EQ(as<EventRequest>(event(",\"dataType\":\"json\",\"data\":" + number)).payload.data,
              number);
  }
  // The rest of the value is compacted as usual; only the top-level `data` member is taken.
  EXPECT_EQ(
      as<SendToGroupRequest>(
          send(R"(,"x":{"data":1},"data" : { "a" : [ 1e999 , 1.50, 2E0 ], "data":"\u00e9" })"))
          .payload.data,
      "{\"a\":[1e999,1.5,2],\"data\":\"\xC3\xA9\"}");
  EXPECT_EQ(as<SendToGroupRequest>(send(R"(,"data":1,"data":[-1e400])")).payload.data,
            "[-1e400]");  // the last of repeated members, as with finite numbers
  EXPECT_EQ(as<SendToGroupRequest>(send(R"(,"data":[-1e400],"data":1)")).payload.data, "1");
  EXPECT_EQ(as<SendToGroupRequest>(send(R"(,"data":1e-999)")).payload.data, "0");  // underflow
}

// The fuzz reproducer (tests/fuzz/corpus/json_request_fuzz/crash-dece568c...): its data message
// for JSON receivers is one valid JSON object carrying the number as sent.
TEST(JsonRequestDecoder, OverflowingNumberReencodesAsValidJson) {
  auto r = as<SendToGroupRequest>(
      R"({"type":"sendToGroup","group":"p2","data":-8888888851133.003218218E8859,"metadata":{"k":"v"}})");
  EXPECT_EQ(r.payload.type, DataType::kJson);
  EXPECT_EQ(r.payload.data, "-8888888851133.003218218E8859");
  DataMessage m;
  m.from = MessageSource::kGroup;
  m.group = r.group;
  m.payload = r.payload;
  m.metadata = r.metadata;
  std::string json = encodeJsonDataBody(m) + "}";
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(json, ec);
  ASSERT_FALSE(ec) << json;
  ASSERT_TRUE(v.is_object());
  EXPECT_TRUE(v.at("data").is_double());
  EXPECT_NE(json.find(R"("data":-8888888851133.003218218E8859)"), std::string::npos) << json;
}

TEST(JsonRequestDecoder, TextDataMustBeString) {
  auto r = as<SendToGroupRequest>(send(R"(,"dataType":"text","data":"h\u00e9llo")"));
  EXPECT_EQ(r.payload.type, DataType::kText);
  EXPECT_EQ(r.payload.data, "h\xC3\xA9llo");
  EXPECT_EQ(as<SendToGroupRequest>(send(R"(,"dataType":"text","data":"")")).payload.data, "");
  EXPECT_TRUE(invalid(send(R"(,"dataType":"text","data":5)")));
  EXPECT_TRUE(invalid(send(R"(,"dataType":"text","data":{"a":1})")));
  EXPECT_TRUE(invalid(send(R"(,"dataType":"text","data":null)")));
  EXPECT_TRUE(invalid(event(R"(,"dataType":"text","data":true)")));
}

TEST(JsonRequestDecoder, BinaryAndProtobufDataAreBase64) {
  auto b = as<SendToGroupRequest>(send(R"(,"dataType":"binary","data":"AP8Q")"));
  EXPECT_EQ(b.payload.type, DataType::kBinary);
  EXPECT_EQ(b.payload.data, std::string("\x00\xff\x10", 3));
  auto p = as<EventRequest>(event(R"(,"dataType":"protobuf","data":"CgNhYmM=")"));
  EXPECT_EQ(p.payload.type, DataType::kProtobuf);
  EXPECT_EQ(p.payload.data,
            "\x0a\x03"
            "abc");
  EXPECT_EQ(as<SendToGroupRequest>(send(R"(,"dataType":"binary","data":"")")).payload.data, "");
  EXPECT_TRUE(invalid(send(R"(,"dataType":"binary","data":"AP8")")));    // no padding
  EXPECT_TRUE(invalid(send(R"(,"dataType":"binary","data":"A P8Q")")));  // whitespace
  EXPECT_TRUE(invalid(send(R"(,"dataType":"binary","data":"AP-_")")));   // URL alphabet
  EXPECT_TRUE(invalid(send(R"(,"dataType":"binary","data":[0,1])")));
  EXPECT_TRUE(invalid(send(R"(,"dataType":"protobuf","data":"!!!!")")));
  EXPECT_TRUE(invalid(event(R"(,"dataType":"protobuf","data":12)")));
}

TEST(JsonRequestDecoder, MissingDataNeedsMetadata) {
  EXPECT_TRUE(invalid(send("")));
  EXPECT_TRUE(invalid(send(R"(,"dataType":"text")")));
  EXPECT_TRUE(invalid(event("")));
  EXPECT_TRUE(invalid(event(R"(,"metadata":null)")));

  auto s = as<SendToGroupRequest>(send(R"(,"dataType":"binary","metadata":{"k":"v"})"));
  EXPECT_EQ(s.payload.type, DataType::kText);
  EXPECT_EQ(s.payload.data, "");
  EXPECT_EQ(s.metadata, (Metadata{{"k", "v"}}));

  auto e = as<EventRequest>(event(R"(,"metadata":{"k":"v"})"));
  EXPECT_FALSE(e.hasData);
  EXPECT_EQ(e.payload.type, DataType::kText);
  EXPECT_EQ(e.payload.data, "");
  EXPECT_TRUE(as<EventRequest>(event(R"(,"data":"x","metadata":{"k":"v"})")).hasData);
  EXPECT_TRUE(as<EventRequest>(event(R"(,"data":1)")).hasData);
}

// --- metadata -------------------------------------------------------------------------------

TEST(JsonRequestDecoder, MetadataShapes) {
  EXPECT_TRUE(as<SendToGroupRequest>(send(R"(,"data":1,"metadata":null)")).metadata.empty());
  EXPECT_TRUE(invalid(send(R"(,"data":1,"metadata":"k=v")")));
  EXPECT_TRUE(invalid(send(R"(,"data":1,"metadata":[["k","v"]])")));
  EXPECT_TRUE(invalid(send(R"(,"data":1,"metadata":{"k":1})")));
  EXPECT_TRUE(invalid(send(R"(,"data":1,"metadata":{"k":null})")));
  EXPECT_TRUE(invalid(event(R"(,"data":1,"metadata":{"k":{"a":"b"}})")));
  auto e = as<EventRequest>(event(R"(,"data":1,"metadata":{"b":"2","a":"1"})"));
  EXPECT_EQ(e.metadata, (Metadata{{"b", "2"}, {"a", "1"}}));  // source order
}

TEST(JsonRequestDecoder, MetadataLimits) {
  auto withMeta = [](const std::string& k, const std::string& v) {
    return send(R"(,"data":1,"metadata":{")" + k + R"(":")" + v + R"("})");
  };
  EXPECT_TRUE(ok(withMeta(std::string(256, 'k'), "v")).index() == 2);
  EXPECT_TRUE(invalid(withMeta(std::string(257, 'k'), "v")));
  EXPECT_TRUE(ok(withMeta("k", std::string(1024, 'v'))).index() == 2);
  EXPECT_TRUE(invalid(withMeta("k", std::string(1025, 'v'))));
  EXPECT_TRUE(invalid(withMeta("", "v")));
  EXPECT_TRUE(invalid(withMeta("a b", "v")));  // not a token character
  EXPECT_TRUE(invalid(withMeta("a:b", "v")));
  EXPECT_TRUE(invalid(withMeta("k\xC3\xA9", "v")));  // non-ASCII key
  EXPECT_TRUE(invalid(withMeta("k", "v\xC3\xA9")));  // non-ASCII value
  EXPECT_TRUE(invalid(withMeta("k", "a\\nb")));      // CR/LF in values
  EXPECT_TRUE(ok(withMeta("X-Custom_1.~!#$%&'*+^`|", "any printable: value")).index() == 2);

  // keys plus values at most 8 KB: 8 entries of 2 + 1022 bytes = 8192 pass, one more byte fails.
  std::string fits, over;
  for (int i = 0; i < 8; ++i) {
    std::string key = "k" + std::to_string(i);
    fits += (i ? "," : "") + ("\"" + key + "\":\"" + std::string(1022, 'v') + "\"");
    over += (i ? "," : "") + ("\"" + key + "\":\"" + std::string(i == 7 ? 1023 : 1022, 'v') + "\"");
  }
  EXPECT_EQ(as<SendToGroupRequest>(send(R"(,"data":1,"metadata":{)" + fits + "}")).metadata.size(),
            8u);
  EXPECT_TRUE(invalid(send(R"(,"data":1,"metadata":{)" + over + "}")));
}

TEST(JsonRequestDecoder, DuplicateMetadataKeysAreInvalid) {
  EXPECT_TRUE(invalid(send(R"(,"data":1,"metadata":{"k":"1","k":"2"})")));
  EXPECT_TRUE(invalid(event(R"(,"metadata":{"a":"1","b":"2","a":"3"})")));
  EXPECT_TRUE(
      invalid(event(R"(,"metadata":{"k":"1","\u006b":"2"})")));  // same key after unescaping
  // Keys are compared case-sensitively, and only within metadata.
  EXPECT_EQ(as<EventRequest>(event(R"(,"metadata":{"k":"1","K":"2"})")).metadata.size(), 2u);
  EXPECT_EQ(
      as<SendToGroupRequest>(send(R"(,"data":{"k":1,"k":2},"metadata":{"k":"1"})")).metadata.size(),
      1u);
}

// --- event ----------------------------------------------------------------------------------

TEST(JsonRequestDecoder, Event) {
  auto r = as<EventRequest>(
      R"({"type":"event","event":"chat.message-1_x","ackId":2,"dataType":"text","data":"d"})");
  EXPECT_EQ(r.event, "chat.message-1_x");
  EXPECT_EQ(*r.ackId, 2u);
  EXPECT_EQ(r.payload.type, DataType::kText);
  EXPECT_EQ(r.payload.data, "d");
  EXPECT_TRUE(r.hasData);
  EXPECT_TRUE(r.metadata.empty());
}

TEST(JsonRequestDecoder, EventNameRegex) {
  auto named = [](const std::string& name) {
    return R"({"type":"event","event":")" + name + R"(","data":1})";
  };
  as<EventRequest>(named("a"));
  as<EventRequest>(named("Z9"));
  as<EventRequest>(named("a" + std::string(127, 'b')));
  EXPECT_TRUE(invalid(named("a" + std::string(128, 'b'))));
  EXPECT_TRUE(invalid(named("")));
  EXPECT_TRUE(invalid(named("1abc")));
  EXPECT_TRUE(invalid(named("_abc")));
  EXPECT_TRUE(invalid(named("a b")));
  EXPECT_TRUE(invalid(named("a/b")));
  EXPECT_TRUE(invalid(named("\xC3\xA9")));
  EXPECT_TRUE(invalid(R"({"type":"event","data":1})"));
  EXPECT_TRUE(invalid(R"({"type":"event","event":7,"data":1})"));
}

// --- ping, sequenceAck ----------------------------------------------------------------------

TEST(JsonRequestDecoder, Ping) {
  as<PingRequest>(R"({"type":"ping"})");
  as<PingRequest>(R"({"type":"ping","ackId":"ignored"})");
}

TEST(JsonRequestDecoder, SequenceAck) {
  EXPECT_EQ(as<SequenceAckRequest>(R"({"type":"sequenceAck","sequenceId":42})").sequenceId, 42u);
  EXPECT_EQ(as<SequenceAckRequest>(R"({"type":"sequenceAck","sequenceId":0})").sequenceId, 0u);
  EXPECT_EQ(as<SequenceAckRequest>(R"({"type":"sequenceAck","sequenceId":18446744073709551615})")
                .sequenceId,
            UINT64_MAX);
  EXPECT_TRUE(invalid(R"({"type":"sequenceAck"})"));
  EXPECT_TRUE(invalid(R"({"type":"sequenceAck","sequenceId":"42"})"));
  EXPECT_TRUE(invalid(R"({"type":"sequenceAck","sequenceId":-1})"));
  EXPECT_TRUE(invalid(R"({"type":"sequenceAck","sequenceId":null})"));
}

// --- preview requests -----------------------------------------------------------------------

TEST(JsonRequestDecoder, InvokeAndCancel) {
  auto r = as<InvokeRequest>(
      R"({"type":"invoke","invocationId":"inv-1","target":"event","event":"e","data":1})");
  EXPECT_EQ(r.invocationId, "inv-1");
  EXPECT_EQ(r.event, "e");
  EXPECT_TRUE(r.hasData);
  EXPECT_EQ(r.payload.type, DataType::kJson);
  EXPECT_EQ(r.payload.data, "1");
  EXPECT_FALSE(r.problem);
  EXPECT_TRUE(invalid(R"({"type":"invoke","target":"event"})"));
  EXPECT_TRUE(invalid(R"({"type":"invoke","invocationId":1})"));
  EXPECT_EQ(as<CancelInvocationRequest>(R"({"type":"cancelInvocation","invocationId":"inv-2"})")
                .invocationId,
            "inv-2");
  EXPECT_TRUE(invalid(R"({"type":"cancelInvocation"})"));
}

// client-protocols-1.1.md §1.1: an invalid invocationId makes the message invalid (close 1007);
// every other problem is decoded and kept, to be answered BadRequest.
TEST(JsonRequestDecoder, InvokeValidation) {
  EXPECT_TRUE(invalid(R"({"type":"invoke","invocationId":"","event":"e"})"));
  EXPECT_TRUE(invalid(R"({"type":"invoke","invocationId":null,"event":"e"})"));
  std::string longest(256, 'i');
  EXPECT_EQ(as<InvokeRequest>(R"({"type":"invoke","event":"e","invocationId":")" + longest + "\"}")
                .invocationId,
            longest);
  EXPECT_TRUE(invalid(R"({"type":"invoke","event":"e","invocationId":")" + longest + "i\"}"));
  // 256 characters of two bytes each are still 256 characters.
  std::string wide;
  for (int i = 0; i < 256; ++i)
    wide += "\u00e9";
  EXPECT_EQ(as<InvokeRequest>(R"({"type":"invoke","event":"e","invocationId":")" + wide + "\"}")
                .invocationId.size(),
            512u);
  // No data (the SDK omits dataType and data for null/undefined): allowed.
  auto none = as<InvokeRequest>(R"({"type":"invoke","invocationId":"1","event":"e"})");
  EXPECT_FALSE(none.problem);
  EXPECT_FALSE(none.hasData);
  auto text =
      as<InvokeRequest>(R"({"type":"invoke","invocationId":"1","event":"e","dataType":"text",)"
                        R"("data":"","metadata":{"k":"v"}})");
  EXPECT_TRUE(text.hasData);
  EXPECT_EQ(text.payload.type, DataType::kText);
  ASSERT_EQ(text.metadata.size(), 1u);
  for (const char* bad : {
           R"({"type":"invoke","invocationId":"1","target":"group","event":"e"})",
           R"({"type":"invoke","invocationId":"1","target":5,"event":"e"})",
           R"({"type":"invoke","invocationId":"1"})",
           R"({"type":"invoke","invocationId":"1","event":"9bad"})",
           R"({"type":"invoke","invocationId":"1","event":"e","dataType":"text","data":5})",
           R"({"type":"invoke","invocationId":"1","event":"e","dataType":"binary","data":"@@"})",
           R"({"type":"invoke","invocationId":"1","event":"e","dataType":"xml","data":"x"})",
           R"({"type":"invoke","invocationId":"1","event":"e","data":"x","metadata":5})",
       }) {
    auto r = as<InvokeRequest>(bad);
    EXPECT_TRUE(r.problem) << bad;
    EXPECT_EQ(r.invocationId, "1") << bad;
  }
}

TEST(JsonRequestDecoder, StreamRequests) {
  auto start = as<StreamRequest>(
      R"({"type":"sendToGroup","group":"g","noEcho":true,"stream":{"streamId":"s1","idleTimeoutMs":1000}})");
  EXPECT_EQ(start.kind, StreamRequest::Kind::kStart);
  EXPECT_EQ(start.streamId, "s1");
  EXPECT_EQ(start.group, "g");
  EXPECT_TRUE(start.noEcho);
  EXPECT_EQ(start.idleTimeoutMs, 1000u);
  EXPECT_FALSE(start.problem);
  auto data = as<StreamRequest>(
      R"({"type":"streamData","streamId":"s2","streamSequenceId":1,"dataType":"text","data":"x"})");
  EXPECT_EQ(data.kind, StreamRequest::Kind::kData);
  EXPECT_EQ(data.sequenceId, 1u);
  ASSERT_TRUE(data.payload);
  EXPECT_EQ(data.payload->data, "x");
  auto keepAlive = as<StreamRequest>(R"({"type":"streamData","streamId":"s2"})");
  EXPECT_FALSE(keepAlive.sequenceId);
  EXPECT_FALSE(keepAlive.problem);
  EXPECT_TRUE(
      as<StreamRequest>(R"({"type":"streamData","streamId":"s","streamSequenceId":2})").problem);
  auto end = as<StreamRequest>(
      R"({"type":"streamEnd","streamId":"s3","error":{"message":"m","userErrorCode":"E"}})");
  EXPECT_EQ(end.kind, StreamRequest::Kind::kEnd);
  ASSERT_TRUE(end.error);
  EXPECT_EQ(end.error->message, "m");
  EXPECT_EQ(end.error->userErrorCode, "E");
  EXPECT_FALSE(as<StreamRequest>(R"({"type":"streamEnd","streamId":"s3"})").error);
  EXPECT_TRUE(invalid(R"({"type":"streamData"})"));
  EXPECT_TRUE(invalid(R"({"type":"streamEnd","streamId":5})"));
  // Start problems are answered (streamClosed BadRequest), not an invalid message.
  for (const char* bad :
       {R"({"type":"sendToGroup","group":"","stream":{"streamId":"s"}})",
        R"({"type":"sendToGroup","group":"g","stream":{"streamId":""}})",
        R"({"type":"sendToGroup","group":"g","stream":{"streamId":"s","idleTimeoutMs":0}})",
        R"({"type":"sendToGroup","group":"g","stream":{"streamId":"s","idleTimeoutMs":-5}})",
        R"({"type":"sendToGroup","group":"g","ackId":1,"stream":{"streamId":"s"}})",
        R"({"type":"sendToGroup","group":"g","data":"x","stream":{"streamId":"s"}})"}) {
    EXPECT_TRUE(as<StreamRequest>(bad).problem) << bad;
  }
}

TEST(JsonRequestDecoder, GroupStateRequests) {
  EXPECT_EQ(
      *as<GroupStateRequest>(R"({"type":"setGroupState","group":"g","state":{"a":"b"},"ackId":4})")
           .ackId,
      4u);
  EXPECT_FALSE(as<GroupStateRequest>(R"({"type":"subscribeGroupState","group":"g"})").ackId);
  EXPECT_EQ(
      *as<GroupStateRequest>(R"({"type":"UnsubscribeGroupState","group":"g","ackId":0})").ackId,
      0u);
  EXPECT_TRUE(invalid(R"({"type":"setGroupState","group":"g","ackId":"x"})"));
}

// --- envelope errors ------------------------------------------------------------------------

TEST(JsonRequestDecoder, UnknownOrMissingType) {
  EXPECT_TRUE(invalid(R"({"type":"joinGroups","group":"g"})"));
  EXPECT_TRUE(invalid(R"({"type":"","group":"g"})"));
  EXPECT_TRUE(invalid(R"({"group":"g"})"));
  EXPECT_TRUE(invalid(R"({"type":null})"));
  EXPECT_TRUE(invalid(R"({"type":1})"));
  EXPECT_TRUE(invalid(R"({"type":["ping"]})"));
}

TEST(JsonRequestDecoder, NotAnObject) {
  EXPECT_TRUE(invalid(R"([{"type":"ping"}])"));
  EXPECT_TRUE(invalid(R"("ping")"));
  EXPECT_TRUE(invalid("1"));
  EXPECT_TRUE(invalid("null"));
}

TEST(JsonRequestDecoder, InvalidJson) {
  EXPECT_TRUE(invalid(""));
  EXPECT_TRUE(invalid("   "));
  EXPECT_TRUE(invalid(R"({"type":"ping")"));
  EXPECT_TRUE(invalid(R"({"type":"ping"} x)"));
  EXPECT_TRUE(invalid(R"({"type":"ping",})"));
  EXPECT_TRUE(invalid(R"({'type':'ping'})"));
  EXPECT_TRUE(invalid("{\"type\":\"ping\",\"x\":\"\xff\"}"));  // invalid UTF-8
  EXPECT_TRUE(invalid(std::string("{\"type\":\"ping\"}\0", 16)));
}

}  // namespace
}  // namespace wps::protocol
