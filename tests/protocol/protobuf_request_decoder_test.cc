// decodeProtobufRequest: client-protocols.md §8, with the validation rules of §6.1.
#include <gtest/gtest.h>

#include <google/protobuf/any.pb.h>

#include <string>
#include <variant>

#include "protocol/request_decoder.h"
#include "protocol/webpubsub.pb.h"

namespace wps::protocol {
namespace {

namespace pb = ::azure::webpubsub;
using Upstream = pb::UpstreamMessage;

std::string bytesOf(const Upstream& m) {
  std::string out;
  EXPECT_TRUE(m.SerializeToString(&out));
  return out;
}

template <class T>
T as(std::string_view bytes) {
  auto r = decodeProtobufRequest(bytes);
  EXPECT_TRUE(r.isOk()) << r.status().toString();
  if (!r) return T{};
  EXPECT_TRUE(std::holds_alternative<T>(*r)) << "decoded as index " << r->index();
  if (auto* p = std::get_if<T>(&*r)) return *p;
  return T{};
}
template <class T>
T as(const Upstream& m) {
  return as<T>(bytesOf(m));
}

bool invalid(std::string_view bytes) {
  auto r = decodeProtobufRequest(bytes);
  return !r.isOk() && r.status().code() == StatusCode::kInvalidArgument;
}
bool invalid(const Upstream& m) {
  return invalid(bytesOf(m));
}

Upstream sendToGroup(const std::string& group) {
  Upstream m;
  m.mutable_send_to_group_message()->set_group(group);
  return m;
}

Upstream textSend(const std::string& group, const std::string& text) {
  Upstream m = sendToGroup(group);
  m.mutable_send_to_group_message()->mutable_data()->set_text_data(text);
  return m;
}

Upstream eventMsg(const std::string& name) {
  Upstream m;
  m.mutable_event_message()->set_event(name);
  return m;
}

google::protobuf::Any sampleAny() {
  google::protobuf::Any any;
  any.set_type_url("type.googleapis.com/azure.webpubsub.TestMessage");
  any.set_value(std::string("\x08\x01", 2));
  return any;
}

// --- join / leave ---------------------------------------------------------------------------

TEST(ProtobufRequestDecoder, JoinGroup) {
  Upstream m;
  m.mutable_join_group_message()->set_group("room");
  m.mutable_join_group_message()->set_ack_id(12);
  auto r = as<JoinGroupRequest>(m);
  EXPECT_EQ(r.group, "room");
  ASSERT_TRUE(r.ackId);
  EXPECT_EQ(*r.ackId, 12u);

  m.mutable_join_group_message()->clear_ack_id();
  EXPECT_FALSE(as<JoinGroupRequest>(m).ackId);
  // An explicitly present 0 is an ack id (proto3 `optional` keeps presence).
  m.mutable_join_group_message()->set_ack_id(0);
  auto zero = as<JoinGroupRequest>(m);
  ASSERT_TRUE(zero.ackId);
  EXPECT_EQ(*zero.ackId, 0u);
  m.mutable_join_group_message()->set_ack_id(UINT64_MAX);
  EXPECT_EQ(*as<JoinGroupRequest>(m).ackId, UINT64_MAX);
}

TEST(ProtobufRequestDecoder, LeaveGroup) {
  Upstream m;
  m.mutable_leave_group_message()->set_group("room2");
  m.mutable_leave_group_message()->set_ack_id(7);
  auto r = as<LeaveGroupRequest>(m);
  EXPECT_EQ(r.group, "room2");
  EXPECT_EQ(*r.ackId, 7u);
}

TEST(ProtobufRequestDecoder, GroupRules) {
  for (const std::string& g :
       {std::string(), std::string("   "), std::string(" \t\n"), std::string(1025, 'g')}) {
    Upstream join;
    join.mutable_join_group_message()->set_group(g);
    EXPECT_TRUE(invalid(join)) << g.size();
    Upstream leave;
    leave.mutable_leave_group_message()->set_group(g);
    EXPECT_TRUE(invalid(leave)) << g.size();
    EXPECT_TRUE(invalid(textSend(g, "x"))) << g.size();
  }
  Upstream ok;
  ok.mutable_join_group_message()->set_group(std::string(1024, 'g'));
  EXPECT_EQ(as<JoinGroupRequest>(ok).group.size(), 1024u);
  // No group at all (proto3 default "").
  Upstream none;
  none.mutable_join_group_message();
  EXPECT_TRUE(invalid(none));
}

// --- sendToGroup ----------------------------------------------------------------------------

TEST(ProtobufRequestDecoder, SendToGroupAllFields) {
  Upstream m = textSend("g", "hello");
  auto* s = m.mutable_send_to_group_message();
  s->set_ack_id(99);
  s->set_no_echo(true);
  s->set_ttl_seconds(120);
  (*s->mutable_metadata())["b"] = "2";
  (*s->mutable_metadata())["a"] = "1";
  auto r = as<SendToGroupRequest>(m);
  EXPECT_EQ(r.group, "g");
  EXPECT_EQ(*r.ackId, 99u);
  EXPECT_TRUE(r.noEcho);
  EXPECT_EQ(*r.ttlSeconds, 120u);
  EXPECT_EQ(r.payload.type, DataType::kText);
  EXPECT_EQ(r.payload.data, "hello");
  EXPECT_EQ(r.metadata, (Metadata{{"a", "1"}, {"b", "2"}}));  // sorted by key
}

TEST(ProtobufRequestDecoder, SendToGroupDefaults) {
  auto r = as<SendToGroupRequest>(textSend("g", ""));
  EXPECT_FALSE(r.ackId);
  EXPECT_FALSE(r.noEcho);
  EXPECT_FALSE(r.ttlSeconds);
  EXPECT_TRUE(r.metadata.empty());
  EXPECT_EQ(r.payload.type, DataType::kText);  // an empty text_data is still text
  EXPECT_EQ(r.payload.data, "");
  Upstream m = textSend("g", "x");
  m.mutable_send_to_group_message()->set_no_echo(false);
  EXPECT_FALSE(as<SendToGroupRequest>(m).noEcho);
}

TEST(ProtobufRequestDecoder, TtlSecondsRange) {
  Upstream m = textSend("g", "x");
  m.mutable_send_to_group_message()->set_ttl_seconds(0);
  ASSERT_TRUE(as<SendToGroupRequest>(m).ttlSeconds);
  EXPECT_EQ(*as<SendToGroupRequest>(m).ttlSeconds, 0u);
  m.mutable_send_to_group_message()->set_ttl_seconds(300);
  EXPECT_EQ(*as<SendToGroupRequest>(m).ttlSeconds, 300u);
  m.mutable_send_to_group_message()->set_ttl_seconds(301);
  EXPECT_TRUE(invalid(m));
  m.mutable_send_to_group_message()->set_ttl_seconds(UINT32_MAX);
  EXPECT_TRUE(invalid(m));
}

TEST(ProtobufRequestDecoder, EveryDataKind) {
  Upstream m = sendToGroup("g");
  auto* data = m.mutable_send_to_group_message()->mutable_data();

  data->set_text_data("h\xC3\xA9");
  auto text = as<SendToGroupRequest>(m).payload;
  EXPECT_EQ(text.type, DataType::kText);
  EXPECT_EQ(text.data, "h\xC3\xA9");

  data->set_binary_data(std::string("\x00\xff\x80", 3));
  auto binary = as<SendToGroupRequest>(m).payload;
  EXPECT_EQ(binary.type, DataType::kBinary);
  EXPECT_EQ(binary.data, std::string("\x00\xff\x80", 3));

  *data->mutable_protobuf_data() = sampleAny();
  auto proto = as<SendToGroupRequest>(m).payload;
  EXPECT_EQ(proto.type, DataType::kProtobuf);
  EXPECT_EQ(proto.data, sampleAny().SerializeAsString());  // the serialized Any itself
  google::protobuf::Any back;
  ASSERT_TRUE(back.ParseFromString(proto.data));
  EXPECT_EQ(back.type_url(), "type.googleapis.com/azure.webpubsub.TestMessage");
  EXPECT_EQ(back.value(), std::string("\x08\x01", 2));

  data->set_json_data(" { \"a\" : [ 1.5 , true, null ], \"b\":\"x\" } ");
  auto json = as<SendToGroupRequest>(m).payload;
  EXPECT_EQ(json.type, DataType::kJson);
  EXPECT_EQ(json.data, R"({"a":[1.5,true,null],"b":"x"})");  // compact

  data->set_json_data("42");
  EXPECT_EQ(as<SendToGroupRequest>(m).payload.data, "42");
  data->set_json_data("\"s\"");
  EXPECT_EQ(as<SendToGroupRequest>(m).payload.data, "\"s\"");
}

TEST(ProtobufRequestDecoder, JsonDataMustBeValidJson) {
  Upstream m = sendToGroup("g");
  auto* data = m.mutable_send_to_group_message()->mutable_data();
  for (const char* bad : {"", "{", "{'a':1}", "[1,]", "1 2", "null", "nul", "{\"a\":1}}"}) {
    data->set_json_data(bad);
    EXPECT_TRUE(invalid(m)) << bad;
  }
  Upstream e = eventMsg("ev");
  e.mutable_event_message()->mutable_data()->set_json_data("{");
  EXPECT_TRUE(invalid(e));
}

// json_data with a number beyond the range of a double keeps the number's text (see the JSON
// decoder's test): ±infinity has no JSON form.
TEST(ProtobufRequestDecoder, JsonNumbersOutOfDoubleRangeKeepTheirText) {
  Upstream m = sendToGroup("g");
  auto* data = m.mutable_send_to_group_message()->mutable_data();
  const std::string huge = std::string(400, '9');
  for (const std::string& number : {std::string("-8888888851133.003218218E8859"),
                                    std::string("-1e400"), std::string("1e999"), huge}) {
    data->set_json_data(" " + number + " ");
    EXPECT_EQ(as<SendToGroupRequest>(m).payload.data, number);
  }
  data->set_json_data(R"( { "a" : [ 1e999 , 1.50 ], "b" : null } )");
  EXPECT_EQ(as<SendToGroupRequest>(m).payload.data, R"({"a":[1e999,1.5],"b":null})");
  Upstream e = eventMsg("ev");
  e.mutable_event_message()->mutable_data()->set_json_data("[-1e400]");
  EXPECT_EQ(as<EventRequest>(e).payload.data, "[-1e400]");
}

TEST(ProtobufRequestDecoder, MissingDataNeedsMetadata) {
  EXPECT_TRUE(invalid(sendToGroup("g")));
  EXPECT_TRUE(invalid(eventMsg("ev")));

  Upstream s = sendToGroup("g");
  (*s.mutable_send_to_group_message()->mutable_metadata())["k"] = "v";
  auto sr = as<SendToGroupRequest>(s);
  EXPECT_EQ(sr.payload.type, DataType::kText);
  EXPECT_EQ(sr.payload.data, "");
  EXPECT_EQ(sr.metadata, (Metadata{{"k", "v"}}));

  Upstream e = eventMsg("ev");
  (*e.mutable_event_message()->mutable_metadata())["k"] = "v";
  auto er = as<EventRequest>(e);
  EXPECT_FALSE(er.hasData);
  EXPECT_EQ(er.payload.type, DataType::kText);
  EXPECT_EQ(er.payload.data, "");

  // A MessageData with no case set is not "absent": it carries no usable data.
  Upstream empty = sendToGroup("g");
  empty.mutable_send_to_group_message()->mutable_data();
  EXPECT_TRUE(invalid(empty));
  (*empty.mutable_send_to_group_message()->mutable_metadata())["k"] = "v";
  EXPECT_TRUE(invalid(empty));
}

TEST(ProtobufRequestDecoder, MetadataRules) {
  auto withMeta = [](const std::string& k, const std::string& v) {
    Upstream m = textSend("g", "x");
    (*m.mutable_send_to_group_message()->mutable_metadata())[k] = v;
    return m;
  };
  EXPECT_EQ(as<SendToGroupRequest>(withMeta(std::string(256, 'k'), "v")).metadata.size(), 1u);
  EXPECT_TRUE(invalid(withMeta(std::string(257, 'k'), "v")));
  EXPECT_EQ(as<SendToGroupRequest>(withMeta("k", std::string(1024, 'v'))).metadata.size(), 1u);
  EXPECT_TRUE(invalid(withMeta("k", std::string(1025, 'v'))));
  EXPECT_TRUE(invalid(withMeta("", "v")));
  EXPECT_TRUE(invalid(withMeta("a b", "v")));
  EXPECT_TRUE(invalid(withMeta("k", "\xC3\xA9")));
  EXPECT_TRUE(invalid(withMeta("k", "a\r\nb")));

  Upstream big = textSend("g", "x");
  for (int i = 0; i < 8; ++i) {
    (*big.mutable_send_to_group_message()->mutable_metadata())["k" + std::to_string(i)] =
        std::string(1022, 'v');
  }
  EXPECT_EQ(as<SendToGroupRequest>(big).metadata.size(), 8u);  // exactly 8192 bytes
  (*big.mutable_send_to_group_message()->mutable_metadata())["k7"] += "v";
  EXPECT_TRUE(invalid(big));

  Upstream e = eventMsg("ev");
  e.mutable_event_message()->mutable_data()->set_text_data("x");
  (*e.mutable_event_message()->mutable_metadata())["bad key"] = "v";
  EXPECT_TRUE(invalid(e));
}

// --- event ----------------------------------------------------------------------------------

TEST(ProtobufRequestDecoder, Event) {
  Upstream m = eventMsg("chat.msg-1_a");
  auto* e = m.mutable_event_message();
  e->set_ack_id(5);
  e->mutable_data()->set_binary_data("\x01\x02");
  (*e->mutable_metadata())["trace"] = "abc";
  auto r = as<EventRequest>(m);
  EXPECT_EQ(r.event, "chat.msg-1_a");
  EXPECT_EQ(*r.ackId, 5u);
  EXPECT_TRUE(r.hasData);
  EXPECT_EQ(r.payload.type, DataType::kBinary);
  EXPECT_EQ(r.payload.data, "\x01\x02");
  EXPECT_EQ(r.metadata, (Metadata{{"trace", "abc"}}));

  m.mutable_event_message()->clear_ack_id();
  EXPECT_FALSE(as<EventRequest>(m).ackId);
}

TEST(ProtobufRequestDecoder, EventNameRegex) {
  auto named = [](const std::string& name) {
    Upstream m = eventMsg(name);
    m.mutable_event_message()->mutable_data()->set_text_data("x");
    return m;
  };
  EXPECT_EQ(as<EventRequest>(named("a" + std::string(127, 'b'))).event.size(), 128u);
  for (const std::string& bad : {std::string(), std::string("1a"), std::string("-a"),
                                 std::string("a b"), std::string("a" + std::string(128, 'b'))}) {
    EXPECT_TRUE(invalid(named(bad))) << bad;
  }
}

// --- stream starts, sequenceAck, ping -------------------------------------------------------

TEST(ProtobufRequestDecoder, StreamStart) {
  Upstream s = sendToGroup("g");
  s.mutable_send_to_group_message()->set_no_echo(true);
  s.mutable_send_to_group_message()->mutable_stream()->set_stream_id("st-1");
  s.mutable_send_to_group_message()->mutable_stream()->set_idle_timeout_ms(1000);
  auto start = as<StreamRequest>(s);
  EXPECT_EQ(start.kind, StreamRequest::Kind::kStart);
  EXPECT_EQ(start.streamId, "st-1");
  EXPECT_EQ(start.group, "g");
  EXPECT_TRUE(start.noEcho);
  EXPECT_EQ(*start.idleTimeoutMs, 1000u);
  EXPECT_FALSE(start.problem);

  Upstream plain = sendToGroup("g");
  plain.mutable_send_to_group_message()->mutable_stream()->set_stream_id("st-2");
  auto p = as<StreamRequest>(plain);
  EXPECT_FALSE(p.idleTimeoutMs);
  EXPECT_FALSE(p.noEcho);
  EXPECT_FALSE(p.problem);
}

// As for JSON (spec 1.1 §3.3 rule 1): a bad start is answered streamClosed BadRequest, so it is
// decoded with a problem instead of being an invalid message.
TEST(ProtobufRequestDecoder, StreamStartProblems) {
  auto withStream = [](Upstream m, const std::string& id) {
    m.mutable_send_to_group_message()->mutable_stream()->set_stream_id(id);
    return m;
  };
  Upstream badGroup = withStream(sendToGroup(""), "s");
  Upstream emptyId = withStream(sendToGroup("g"), "");
  Upstream withData = withStream(textSend("g", "x"), "s");
  Upstream withAck = withStream(sendToGroup("g"), "s");
  withAck.mutable_send_to_group_message()->set_ack_id(1);
  Upstream zeroIdle = withStream(sendToGroup("g"), "s");
  zeroIdle.mutable_send_to_group_message()->mutable_stream()->set_idle_timeout_ms(0);
  for (const Upstream* m : {&badGroup, &emptyId, &withData, &withAck, &zeroIdle}) {
    auto r = as<StreamRequest>(*m);
    EXPECT_EQ(r.kind, StreamRequest::Kind::kStart);
    EXPECT_TRUE(r.problem) << m->ShortDebugString();
  }
  EXPECT_EQ(as<StreamRequest>(zeroIdle).streamId, "s");
}

TEST(ProtobufRequestDecoder, StreamDataFragmentsAndKeepAlives) {
  Upstream m;
  auto* d = m.mutable_stream_data_message();
  d->set_stream_id("s");
  d->set_stream_sequence_id(7);
  d->mutable_data()->set_json_data(" {\"a\": 1} ");
  auto fragment = as<StreamRequest>(m);
  EXPECT_EQ(fragment.kind, StreamRequest::Kind::kData);
  EXPECT_EQ(fragment.streamId, "s");
  EXPECT_EQ(*fragment.sequenceId, 7u);
  ASSERT_TRUE(fragment.payload);
  EXPECT_EQ(fragment.payload->type, DataType::kJson);
  EXPECT_EQ(fragment.payload->data, R"({"a":1})");
  EXPECT_FALSE(fragment.problem);

  Upstream keepAlive;
  keepAlive.mutable_stream_data_message()->set_stream_id("s");
  auto k = as<StreamRequest>(keepAlive);
  EXPECT_FALSE(k.sequenceId);
  EXPECT_FALSE(k.payload);
  EXPECT_FALSE(k.problem);

  Upstream idOnly = keepAlive;
  idOnly.mutable_stream_data_message()->set_stream_sequence_id(1);
  Upstream dataOnly = keepAlive;
  dataOnly.mutable_stream_data_message()->mutable_data()->set_text_data("x");
  Upstream emptyData = idOnly;
  emptyData.mutable_stream_data_message()->mutable_data();  // MessageData without data
  Upstream badJson = idOnly;
  badJson.mutable_stream_data_message()->mutable_data()->set_json_data("{");
  for (const Upstream* bad : {&idOnly, &dataOnly, &emptyData, &badJson}) {
    auto r = as<StreamRequest>(*bad);
    EXPECT_EQ(r.kind, StreamRequest::Kind::kData);
    EXPECT_EQ(r.streamId, "s");
    EXPECT_TRUE(r.problem) << bad->ShortDebugString();
  }
}

TEST(ProtobufRequestDecoder, StreamEnd) {
  Upstream m;
  m.mutable_stream_end_message()->set_stream_id("s");
  auto end = as<StreamRequest>(m);
  EXPECT_EQ(end.kind, StreamRequest::Kind::kEnd);
  EXPECT_EQ(end.streamId, "s");
  EXPECT_FALSE(end.error);

  m.mutable_stream_end_message()->mutable_error();  // abort({})
  auto empty = as<StreamRequest>(m);
  ASSERT_TRUE(empty.error);
  EXPECT_FALSE(empty.error->message);
  EXPECT_FALSE(empty.error->userErrorCode);

  m.mutable_stream_end_message()->mutable_error()->set_message("db failed");
  m.mutable_stream_end_message()->mutable_error()->set_user_error_code("E42");
  auto abort = as<StreamRequest>(m);
  ASSERT_TRUE(abort.error);
  EXPECT_EQ(*abort.error->message, "db failed");
  EXPECT_EQ(*abort.error->userErrorCode, "E42");
  EXPECT_FALSE(abort.problem);
}

// EventMessage.stream = 5 (an upstream event stream) has no defined semantics (spec 1.1 §7
// question 4): it stays an invalid message (close 1007).
TEST(ProtobufRequestDecoder, EventStreamIsInvalid) {
  Upstream e = eventMsg("ev");
  e.mutable_event_message()->mutable_stream()->set_stream_id("st-2");
  EXPECT_TRUE(invalid(bytesOf(e)));
}

TEST(ProtobufRequestDecoder, SequenceAck) {
  Upstream m;
  m.mutable_sequence_ack_message()->set_sequence_id(1234567890123ULL);
  EXPECT_EQ(as<SequenceAckRequest>(m).sequenceId, 1234567890123ULL);
  m.mutable_sequence_ack_message()->set_sequence_id(0);
  EXPECT_EQ(as<SequenceAckRequest>(m).sequenceId, 0u);
}

TEST(ProtobufRequestDecoder, Ping) {
  Upstream m;
  m.mutable_ping_message();
  as<PingRequest>(m);
}

// --- hand-encoded bytes: the field numbers of §8.1 ------------------------------------------

TEST(ProtobufRequestDecoder, FieldNumbersMatchTheSpec) {
  using namespace std::string_literals;
  // join_group_message = 6 {group = 1 "g", ack_id = 2 5}
  auto join = as<JoinGroupRequest>("\x32\x05\x0a\x01g\x10\x05"s);
  EXPECT_EQ(join.group, "g");
  EXPECT_EQ(*join.ackId, 5u);
  // leave_group_message = 7 {group = 1 "h"}
  EXPECT_EQ(as<LeaveGroupRequest>("\x3a\x03\x0a\x01h"s).group, "h");
  // send_to_group_message = 1 {group "g", ack_id = 2 1, data = 3 {json_data = 4 "1"},
  //                            no_echo = 4 true, ttl_seconds = 5 9, metadata = 6 {"k": "v"}}
  auto send = as<SendToGroupRequest>(
      "\x0a\x16\x0a\x01g\x10\x01\x1a\x03\x22\x01"
      "1\x20\x01\x28\x09\x32\x06\x0a\x01k\x12\x01v"s);
  EXPECT_EQ(send.group, "g");
  EXPECT_EQ(*send.ackId, 1u);
  EXPECT_EQ(send.payload.type, DataType::kJson);
  EXPECT_EQ(send.payload.data, "1");
  EXPECT_TRUE(send.noEcho);
  EXPECT_EQ(*send.ttlSeconds, 9u);
  EXPECT_EQ(send.metadata, (Metadata{{"k", "v"}}));
  // event_message = 5 {event = 1 "e", data = 2 {binary_data = 2 "\x00"}, ack_id = 3 2,
  //                    metadata = 4 {"k": "v"}}
  auto ev = as<EventRequest>(
      "\x2a\x12\x0a\x01"
      "e\x12\x03\x12\x01\x00\x18\x02\x22\x06\x0a\x01k\x12\x01v"s);
  EXPECT_EQ(ev.event, "e");
  EXPECT_EQ(ev.payload.type, DataType::kBinary);
  EXPECT_EQ(ev.payload.data, "\x00"s);
  EXPECT_EQ(*ev.ackId, 2u);
  EXPECT_EQ(ev.metadata, (Metadata{{"k", "v"}}));
  // send_to_group_message {group "g", stream = 7 {stream_id = 1 "s"}}
  EXPECT_EQ(as<StreamRequest>("\x0a\x08\x0a\x01g\x3a\x03\x0a\x01s"s).streamId, "s");
  // event_message {event "e", stream = 5 {stream_id "s"}}: refused
  EXPECT_TRUE(
      invalid("\x2a\x08\x0a\x01"
              "e\x2a\x03\x0a\x01s"s));
  // stream_data_message = 13 {stream_id = 1 "s", stream_sequence_id = 2 1,
  //                           data = 3 {text_data "hi"}}
  auto data = as<StreamRequest>("\x6a\x0b\x0a\x01s\x10\x01\x1a\x04\x0a\x02hi"s);
  EXPECT_EQ(data.kind, StreamRequest::Kind::kData);
  EXPECT_EQ(*data.sequenceId, 1u);
  EXPECT_EQ(data.payload->data, "hi");
  // stream_end_message = 14 {stream_id = 1 "s", error = 2 {message = 1 "db",
  //                                                        user_error_code = 2 "E42"}}
  auto end = as<StreamRequest>(
      "\x72\x0e\x0a\x01s\x12\x09\x0a\x02"
      "db\x12\x03"
      "E42"s);
  EXPECT_EQ(end.kind, StreamRequest::Kind::kEnd);
  EXPECT_EQ(*end.error->userErrorCode, "E42");
  // send_to_group_message {group "g", stream = 7 {stream_id "s", idle_timeout_ms = 2 1000}}
  EXPECT_EQ(*as<StreamRequest>("\x0a\x0b\x0a\x01g\x3a\x06\x0a\x01s\x10\xe8\x07"s).idleTimeoutMs,
            1000u);
  // sequence_ack_message = 8 {sequence_id = 1 300}
  EXPECT_EQ(as<SequenceAckRequest>("\x42\x03\x08\xac\x02"s).sequenceId, 300u);
  // ping_message = 9 {}
  as<PingRequest>("\x4a\x00"s);
  // text_data = 1, protobuf_data = 3
  EXPECT_EQ(as<SendToGroupRequest>("\x0a\x08\x0a\x01g\x1a\x03\x0a\x01t"s).payload.type,
            DataType::kText);
  auto p = as<SendToGroupRequest>("\x0a\x0a\x0a\x01g\x1a\x05\x1a\x03\x0a\x01u"s).payload;
  EXPECT_EQ(p.type, DataType::kProtobuf);
  EXPECT_EQ(p.data, "\x0a\x01u");
}

// --- invalid input --------------------------------------------------------------------------

TEST(ProtobufRequestDecoder, NoCaseOrUnknownCaseIsInvalid) {
  using namespace std::string_literals;
  EXPECT_TRUE(invalid(""));
  EXPECT_TRUE(invalid(Upstream()));
  EXPECT_TRUE(invalid("\x12\x00"s));  // field 2: not an upstream case
  EXPECT_TRUE(invalid("\x1a\x00"s));  // field 3
  EXPECT_TRUE(invalid("\x22\x00"s));  // field 4
  EXPECT_TRUE(invalid("\x52\x00"s));  // field 10
  EXPECT_TRUE(invalid("\x08\x01"s));  // field 1 as a varint
}

TEST(ProtobufRequestDecoder, UnparsableBytesAreInvalid) {
  using namespace std::string_literals;
  EXPECT_TRUE(invalid("\xff"s));
  EXPECT_TRUE(invalid("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"s));
  EXPECT_TRUE(invalid("\x32\x05\x0a\x01g"s));              // truncated submessage
  EXPECT_TRUE(invalid("\x32\x7f\x0a\x01g"s));              // length beyond the end
  EXPECT_TRUE(invalid("\x32\x03\x0a\x01\xff"s));           // group is not UTF-8
  EXPECT_TRUE(invalid("{\"type\":\"ping\"}"));             // JSON on a protobuf connection
  EXPECT_TRUE(invalid("\x07"s));                           // wire type 7
  EXPECT_TRUE(invalid("\x0a\x06\x0a\x01g\x1a\x01\x0a"s));  // MessageData cut in a tag
}

TEST(ProtobufRequestDecoder, LastCaseWins) {
  // Two oneof members on the wire: protobuf keeps the last one.
  using namespace std::string_literals;
  auto r = as<LeaveGroupRequest>("\x32\x03\x0a\x01g\x3a\x03\x0a\x01h"s);
  EXPECT_EQ(r.group, "h");
}

}  // namespace
}  // namespace wps::protocol
