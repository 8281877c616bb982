// The hand-written service→client encoders (service_messages.cc, frames.cc), checked by parsing
// their output: protobuf with the generated DownstreamMessage (client-protocols.md §8.1), JSON
// with Boost.JSON (§6.2).
#include <gtest/gtest.h>

#include <google/protobuf/any.pb.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/reflection.h>
#include <google/protobuf/unknown_field_set.h>
#include <boost/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "common/base64.h"
#include "protocol/frame_payload.h"
#include "protocol/frames.h"
#include "protocol/service_messages.h"
#include "protocol/webpubsub.pb.h"

namespace wps::protocol {
namespace {

namespace pb = ::azure::webpubsub;
using Downstream = pb::DownstreamMessage;
using testing::framePayload;

// Every field the encoder wrote must be one the proto knows (a wrong field number would land
// in the unknown-field set and leave the expected field empty).
void expectNoUnknownFields(const google::protobuf::Message& m, const std::string& path = "") {
  const auto* refl = m.GetReflection();
  EXPECT_TRUE(refl->GetUnknownFields(m).empty()) << "unknown fields in " << path << m.GetTypeName();
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  refl->ListFields(m, &fields);
  for (const auto* f : fields) {
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    if (f->is_repeated()) {
      for (int i = 0; i < refl->FieldSize(m, f); ++i) {
        expectNoUnknownFields(refl->GetRepeatedMessage(m, f, i), path + f->name() + ".");
      }
    } else if (f->message_type()->full_name() != "google.protobuf.Any") {
      expectNoUnknownFields(refl->GetMessage(m, f), path + f->name() + ".");
    }
  }
}

Downstream parseDownstream(const std::string& bytes) {
  Downstream m;
  EXPECT_TRUE(m.ParseFromString(bytes)) << "not a DownstreamMessage";
  expectNoUnknownFields(m);
  return m;
}

// The DownstreamMessage inside a protobuf data frame.
Downstream parseDataFrame(const OutFrame& frame) {
  auto p = framePayload(frame);
  EXPECT_TRUE(p.fin);
  EXPECT_EQ(p.opcode, 2) << "protobuf messages travel in binary frames";
  return parseDownstream(p.payload);
}

boost::json::object parseJson(const std::string& text) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  EXPECT_FALSE(ec) << "invalid JSON: " << text;
  EXPECT_TRUE(v.is_object()) << text;
  if (ec || !v.is_object()) return {};
  return v.as_object();
}

boost::json::object parseJsonFrame(const OutFrame& frame) {
  auto p = framePayload(frame);
  EXPECT_TRUE(p.fin);
  EXPECT_EQ(p.opcode, 1) << "JSON messages travel in text frames";
  return parseJson(p.payload);
}

std::string str(const boost::json::value& v) {
  EXPECT_TRUE(v.is_string());
  if (!v.is_string()) return {};
  return std::string(v.get_string().data(), v.get_string().size());
}

std::string str(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  EXPECT_NE(it, o.end()) << "missing " << key;
  if (it == o.end()) return {};
  return str(it->value());
}

SharedBytes shared(std::string s) {
  return std::make_shared<const std::string>(std::move(s));
}

DataMessage groupMessage(DataType type, std::string data) {
  DataMessage m;
  m.from = MessageSource::kGroup;
  m.group = "grp \"1\"";
  m.fromUserId = "user-1";
  m.payload = {type, std::move(data)};
  return m;
}

DataMessage serverMessage(DataType type, std::string data) {
  DataMessage m;
  m.from = MessageSource::kServer;
  m.payload = {type, std::move(data)};
  return m;
}

const std::vector<std::pair<DataType, std::string>>& samplePayloads() {
  static const std::vector<std::pair<DataType, std::string>> kSamples = {
      {DataType::kText, "h\xC3\xA9llo \"quoted\"\n\x01"},
      {DataType::kJson, R"({"a":[1,2.5,"x"],"b":null})"},
      {DataType::kBinary, std::string("\x00\xff\x10\x80", 4)},
      {DataType::kProtobuf, std::string("\x0a\x03xyz\x12\x02\x08\x01", 9)},
  };
  return kSamples;
}

// --- protobuf: ack, system, pong ------------------------------------------------------------

TEST(ProtobufEncoders, AckSuccess) {
  Downstream m = parseDownstream(encodeProtobufAck(17, std::nullopt));
  ASSERT_EQ(m.message_case(), Downstream::kAckMessage);
  EXPECT_EQ(m.ack_message().ack_id(), 17u);
  EXPECT_TRUE(m.ack_message().success());
  EXPECT_FALSE(m.ack_message().has_error());

  Downstream big = parseDownstream(encodeProtobufAck(UINT64_MAX, std::nullopt));
  EXPECT_EQ(big.ack_message().ack_id(), UINT64_MAX);
  Downstream zero = parseDownstream(encodeProtobufAck(0, std::nullopt));
  ASSERT_EQ(zero.message_case(), Downstream::kAckMessage);
  EXPECT_EQ(zero.ack_message().ack_id(), 0u);
  EXPECT_TRUE(zero.ack_message().success());
}

// Group streaming (client-protocols-1.1.md §3.2), parsed with the generated classes.
TEST(ProtobufEncoders, StreamAckNackClosed) {
  Downstream ack = parseDownstream(encodeProtobufStreamAck("s-1", 17));
  ASSERT_EQ(ack.message_case(), Downstream::kStreamAckMessage);
  EXPECT_EQ(ack.stream_ack_message().stream_id(), "s-1");
  EXPECT_EQ(ack.stream_ack_message().expected_sequence_id(), 17u);

  Downstream nack = parseDownstream(
      encodeProtobufStreamNack("s-2", 2, AckError{"InvalidSequenceId", "Expected 2."}));
  ASSERT_EQ(nack.message_case(), Downstream::kStreamNackMessage);
  EXPECT_EQ(nack.stream_nack_message().stream_id(), "s-2");
  EXPECT_EQ(nack.stream_nack_message().expected_sequence_id(), 2u);
  EXPECT_EQ(nack.stream_nack_message().name(), "InvalidSequenceId");
  EXPECT_EQ(nack.stream_nack_message().message(), "Expected 2.");

  Downstream done = parseDownstream(encodeProtobufStreamClosed("s-3", std::nullopt));
  ASSERT_EQ(done.message_case(), Downstream::kStreamClosedMessage);
  EXPECT_EQ(done.stream_closed_message().stream_id(), "s-3");
  EXPECT_FALSE(done.stream_closed_message().has_error());

  Downstream failed = parseDownstream(
      encodeProtobufStreamClosed("s-4", AckError{"IdleTimeout", "No stream activity."}));
  ASSERT_EQ(failed.message_case(), Downstream::kStreamClosedMessage);
  ASSERT_TRUE(failed.stream_closed_message().has_error());
  EXPECT_EQ(failed.stream_closed_message().error().name(), "IdleTimeout");
  EXPECT_EQ(failed.stream_closed_message().error().message(), "No stream activity.");
}

TEST(ProtobufEncoders, DataMessageStreamInfo) {
  DataMessage msg;
  msg.from = MessageSource::kGroup;
  msg.group = "g";
  msg.payload = Payload{DataType::kText, "hel"};
  msg.stream = StreamInfo{"s1", 1, false, std::nullopt};
  Downstream m = parseDataFrame(makeProtobufDataFrame(shared(encodeProtobufDataBody(msg)), 5));
  ASSERT_TRUE(m.data_message().has_stream());
  EXPECT_EQ(m.data_message().stream().stream_id(), "s1");
  EXPECT_EQ(m.data_message().stream().stream_sequence_id(), 1u);
  EXPECT_FALSE(m.data_message().stream().end_of_stream());
  EXPECT_FALSE(m.data_message().stream().has_error());
  EXPECT_EQ(m.data_message().sequence_id(), 5u);

  msg.payload = Payload{DataType::kText, ""};
  msg.stream = StreamInfo{"s1", 3, true, StreamErrorInfo{"UserError", "db failed", "E42"}};
  Downstream end = parseDataFrame(makeProtobufDataFrame(shared(encodeProtobufDataBody(msg)), 6));
  const auto& info = end.data_message().stream();
  EXPECT_EQ(info.stream_sequence_id(), 3u);
  EXPECT_TRUE(info.has_end_of_stream() && info.end_of_stream());
  EXPECT_EQ(info.error().name(), "UserError");
  EXPECT_EQ(info.error().message(), "db failed");
  EXPECT_EQ(info.error().user_error_code(), "E42");
  EXPECT_TRUE(end.data_message().data().has_text_data());  // text_data = "" (§3.6)
}

TEST(ProtobufEncoders, AckError) {
  Downstream m = parseDownstream(
      encodeProtobufAck(300, AckError{"Duplicate", "Message with ack-id: 300 has been processed"}));
  ASSERT_EQ(m.message_case(), Downstream::kAckMessage);
  EXPECT_EQ(m.ack_message().ack_id(), 300u);
  EXPECT_FALSE(m.ack_message().success());
  ASSERT_TRUE(m.ack_message().has_error());
  EXPECT_EQ(m.ack_message().error().name(), "Duplicate");
  EXPECT_EQ(m.ack_message().error().message(), "Message with ack-id: 300 has been processed");
}

TEST(ProtobufEncoders, ConnectedWithUserAndToken) {
  Downstream m = parseDownstream(encodeProtobufConnected("conn-1", "alice", "tok-xyz"));
  ASSERT_EQ(m.message_case(), Downstream::kSystemMessage);
  ASSERT_EQ(m.system_message().message_case(), Downstream::SystemMessage::kConnectedMessage);
  const auto& c = m.system_message().connected_message();
  EXPECT_EQ(c.connection_id(), "conn-1");
  EXPECT_EQ(c.user_id(), "alice");
  ASSERT_TRUE(c.has_reconnection_token());
  EXPECT_EQ(c.reconnection_token(), "tok-xyz");
}

TEST(ProtobufEncoders, ConnectedWithoutUserOrToken) {
  Downstream m = parseDownstream(encodeProtobufConnected("conn-2", std::nullopt, std::nullopt));
  ASSERT_EQ(m.system_message().message_case(), Downstream::SystemMessage::kConnectedMessage);
  const auto& c = m.system_message().connected_message();
  EXPECT_EQ(c.connection_id(), "conn-2");
  EXPECT_EQ(c.user_id(), "");  // §8.2: empty string when there is no user id
  EXPECT_FALSE(c.has_reconnection_token());

  Downstream userOnly = parseDownstream(encodeProtobufConnected("c", "bob", std::nullopt));
  EXPECT_EQ(userOnly.system_message().connected_message().user_id(), "bob");
  EXPECT_FALSE(userOnly.system_message().connected_message().has_reconnection_token());
  Downstream tokenOnly = parseDownstream(encodeProtobufConnected("c", std::nullopt, "t"));
  EXPECT_EQ(tokenOnly.system_message().connected_message().user_id(), "");
  EXPECT_EQ(tokenOnly.system_message().connected_message().reconnection_token(), "t");
}

TEST(ProtobufEncoders, DisconnectedReasonIsField2) {
  std::string bytes = encodeProtobufDisconnected("Application server closed the connection.");
  Downstream m = parseDownstream(bytes);
  ASSERT_EQ(m.message_case(), Downstream::kSystemMessage);
  ASSERT_EQ(m.system_message().message_case(), Downstream::SystemMessage::kDisconnectedMessage);
  EXPECT_EQ(m.system_message().disconnected_message().reason(),
            "Application server closed the connection.");
  // On the wire: system_message(3) { disconnected_message(2) { reason(2) ... } }.
  ASSERT_GE(bytes.size(), 6u);
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), 0x1a);
  EXPECT_EQ(static_cast<uint8_t>(bytes[2]), 0x12);
  EXPECT_EQ(static_cast<uint8_t>(bytes[4]), 0x12);

  Downstream empty = parseDownstream(encodeProtobufDisconnected(""));
  EXPECT_EQ(empty.system_message().message_case(), Downstream::SystemMessage::kDisconnectedMessage);
}

TEST(ProtobufEncoders, Pong) {
  Downstream m = parseDownstream(encodeProtobufPong());
  EXPECT_EQ(m.message_case(), Downstream::kPongMessage);
}

// --- protobuf: data messages ----------------------------------------------------------------

void expectPbData(const pb::MessageData& d, DataType type, const std::string& data,
                  bool jsonAsText = false) {
  switch (type) {
    case DataType::kText:
      ASSERT_EQ(d.data_case(), pb::MessageData::kTextData);
      EXPECT_EQ(d.text_data(), data);
      break;
    case DataType::kJson:
      if (jsonAsText) {
        ASSERT_EQ(d.data_case(), pb::MessageData::kTextData);
        EXPECT_EQ(d.text_data(), data);
      } else {
        ASSERT_EQ(d.data_case(), pb::MessageData::kJsonData);
        EXPECT_EQ(d.json_data(), data);
      }
      break;
    case DataType::kBinary:
      ASSERT_EQ(d.data_case(), pb::MessageData::kBinaryData);
      EXPECT_EQ(d.binary_data(), data);
      break;
    case DataType::kProtobuf:
      ASSERT_EQ(d.data_case(), pb::MessageData::kProtobufData);
      EXPECT_EQ(d.protobuf_data().SerializeAsString(), data);
      break;
  }
}

TEST(ProtobufEncoders, GroupDataMessagesOfEveryKind) {
  for (const auto& [type, data] : samplePayloads()) {
    for (bool withMetadata : {false, true}) {
      for (std::optional<uint64_t> seq : {std::optional<uint64_t>(), std::optional<uint64_t>(1),
                                          std::optional<uint64_t>(UINT64_MAX)}) {
        SCOPED_TRACE(std::string(dataTypeName(type)) + (withMetadata ? " +metadata" : "") +
                     (seq ? " seq " + std::to_string(*seq) : ""));
        DataMessage msg = groupMessage(type, data);
        if (withMetadata) msg.metadata = {{"k1", "v1"}, {"k2", ""}};
        OutFrame frame = makeProtobufDataFrame(shared(encodeProtobufDataBody(msg)), seq);
        EXPECT_EQ(frame.sequenceId, seq.value_or(0));
        Downstream m = parseDataFrame(frame);
        ASSERT_EQ(m.message_case(), Downstream::kDataMessage);
        const auto& d = m.data_message();
        EXPECT_EQ(d.from(), "group");
        ASSERT_TRUE(d.has_group());
        EXPECT_EQ(d.group(), "grp \"1\"");
        ASSERT_TRUE(d.has_data());
        expectPbData(d.data(), type, data);
        EXPECT_EQ(d.has_sequence_id(), seq.has_value());
        if (seq) {
          EXPECT_EQ(d.sequence_id(), *seq);
        }
        if (withMetadata) {
          ASSERT_EQ(d.metadata_size(), 2);
          EXPECT_EQ(d.metadata().at("k1"), "v1");
          EXPECT_EQ(d.metadata().at("k2"), "");
        } else {
          EXPECT_EQ(d.metadata_size(), 0);
        }
      }
    }
  }
}

TEST(ProtobufEncoders, ServerDataMessagesOfEveryKind) {
  for (const auto& [type, data] : samplePayloads()) {
    SCOPED_TRACE(std::string(dataTypeName(type)));
    DataMessage msg = serverMessage(type, data);
    Downstream m = parseDataFrame(makeProtobufDataFrame(shared(encodeProtobufDataBody(msg)), 5));
    ASSERT_EQ(m.message_case(), Downstream::kDataMessage);
    EXPECT_EQ(m.data_message().from(), "server");
    EXPECT_FALSE(m.data_message().has_group());
    EXPECT_EQ(m.data_message().sequence_id(), 5u);
    expectPbData(m.data_message().data(), type, data);

    Downstream noSeq =
        parseDataFrame(makeProtobufDataFrame(shared(encodeProtobufDataBody(msg)), std::nullopt));
    EXPECT_FALSE(noSeq.data_message().has_sequence_id());
    expectPbData(noSeq.data_message().data(), type, data);
  }
}

TEST(ProtobufEncoders, JsonAsTextOption) {
  std::string json = R"({"x":1})";
  DataMessage msg = groupMessage(DataType::kJson, json);
  Downstream m =
      parseDataFrame(makeProtobufDataFrame(shared(encodeProtobufDataBody(msg, true)), 3));
  expectPbData(m.data_message().data(), DataType::kJson, json, /*jsonAsText=*/true);
  // Other kinds are unaffected by the option.
  DataMessage bin = groupMessage(DataType::kBinary, "\x01\x02");
  Downstream b =
      parseDataFrame(makeProtobufDataFrame(shared(encodeProtobufDataBody(bin, true)), 3));
  expectPbData(b.data_message().data(), DataType::kBinary, "\x01\x02");
}

TEST(ProtobufEncoders, LargePayloadsUseExtendedFrameLengths) {
  // 200 bytes: 16-bit length; 70000 bytes: 64-bit length; both with a multi-byte inner length.
  for (size_t size : {size_t(100), size_t(200), size_t(70000)}) {
    std::string data(size, '\x5a');
    DataMessage msg = groupMessage(DataType::kBinary, data);
    msg.metadata = {{"k", "v"}};
    Downstream m = parseDataFrame(
        makeProtobufDataFrame(shared(encodeProtobufDataBody(msg)), uint64_t{1} << 40));
    EXPECT_EQ(m.data_message().data().binary_data(), data);
    EXPECT_EQ(m.data_message().sequence_id(), uint64_t{1} << 40);
    EXPECT_EQ(m.data_message().metadata().at("k"), "v");
  }
}

TEST(ProtobufEncoders, SharedBodyServesManyReceivers) {
  SharedBytes body = shared(encodeProtobufDataBody(groupMessage(DataType::kText, "t")));
  Downstream a = parseDataFrame(makeProtobufDataFrame(body, 1));
  Downstream b = parseDataFrame(makeProtobufDataFrame(body, 1000));
  Downstream c = parseDataFrame(makeProtobufDataFrame(body, std::nullopt));
  EXPECT_EQ(a.data_message().sequence_id(), 1u);
  EXPECT_EQ(b.data_message().sequence_id(), 1000u);
  EXPECT_FALSE(c.data_message().has_sequence_id());
  EXPECT_EQ(c.data_message().data().text_data(), "t");
}

// --- JSON: ack, system, pong ----------------------------------------------------------------

TEST(JsonEncoders, AckSuccess) {
  auto o = parseJson(encodeJsonAck(17, std::nullopt));
  EXPECT_EQ(str(o, "type"), "ack");
  EXPECT_EQ(o.at("ackId").to_number<uint64_t>(), 17u);
  EXPECT_EQ(o.at("success"), true);
  EXPECT_FALSE(o.contains("error"));
  EXPECT_FALSE(o.contains("sequenceId"));
  EXPECT_EQ(o.size(), 3u);
  auto big = parseJson(encodeJsonAck(UINT64_MAX, std::nullopt));
  ASSERT_TRUE(big.at("ackId").is_uint64());
  EXPECT_EQ(big.at("ackId").get_uint64(), UINT64_MAX);
}

TEST(JsonEncoders, AckError) {
  auto o = parseJson(encodeJsonAck(5, AckError{"Forbidden", "No \"permission\"\n"}));
  EXPECT_EQ(str(o, "type"), "ack");
  EXPECT_EQ(o.at("ackId").to_number<uint64_t>(), 5u);
  EXPECT_EQ(o.at("success"), false);
  ASSERT_TRUE(o.at("error").is_object());
  const auto& e = o.at("error").get_object();
  EXPECT_EQ(str(e, "name"), "Forbidden");
  EXPECT_EQ(str(e, "message"), "No \"permission\"\n");
  EXPECT_EQ(e.size(), 2u);
}

TEST(JsonEncoders, ConnectedWithUserAndToken) {
  auto o = parseJson(encodeJsonConnected("conn-1", "al\"ice", "tok"));
  EXPECT_EQ(str(o, "type"), "system");
  EXPECT_EQ(str(o, "event"), "connected");
  EXPECT_EQ(str(o, "userId"), "al\"ice");
  EXPECT_EQ(str(o, "connectionId"), "conn-1");
  EXPECT_EQ(str(o, "reconnectionToken"), "tok");
  EXPECT_EQ(o.size(), 5u);
}

TEST(JsonEncoders, ConnectedWithoutUserOrToken) {
  auto o = parseJson(encodeJsonConnected("conn-2", std::nullopt, std::nullopt));
  EXPECT_EQ(str(o, "type"), "system");
  EXPECT_EQ(str(o, "event"), "connected");
  ASSERT_TRUE(o.contains("userId"));
  EXPECT_TRUE(o.at("userId").is_null());  // the emulator writes null
  EXPECT_EQ(str(o, "connectionId"), "conn-2");
  EXPECT_FALSE(o.contains("reconnectionToken"));
}

TEST(JsonEncoders, Disconnected) {
  auto o = parseJson(encodeJsonDisconnected("Bye \\ now"));
  EXPECT_EQ(str(o, "type"), "system");
  EXPECT_EQ(str(o, "event"), "disconnected");
  EXPECT_EQ(str(o, "message"), "Bye \\ now");
  EXPECT_EQ(o.size(), 3u);
}

TEST(JsonEncoders, Pong) {
  auto o = parseJson(encodeJsonPong());
  EXPECT_EQ(str(o, "type"), "pong");
  EXPECT_EQ(o.size(), 1u);
}

TEST(JsonEncoders, AckErrorExactBytes) {
  EXPECT_EQ(encodeJsonAck(7, AckError{"Duplicate", "Message with ack-id: 7 has been processed"}),
            R"({"type":"ack","ackId":7,"success":false,"error":{"name":"Duplicate",)"
            R"("message":"Message with ack-id: 7 has been processed"}})");
  EXPECT_EQ(encodeJsonAck(0, std::nullopt), R"({"type":"ack","ackId":0,"success":true})");
}

// A failed invocation, byte for byte as clients receive it.
TEST(JsonEncoders, InvokeResponseExactBytes) {
  EXPECT_EQ(encodeJsonInvokeResponse("inv-1",
                                     AckError{"Timeout", "The upstream did not answer in time."}),
            R"({"type":"invokeResponse","invocationId":"inv-1","success":false,)"
            R"("error":{"name":"Timeout","message":"The upstream did not answer in time."}})");
  // Ids and texts are JSON-escaped.
  std::string escaped = encodeJsonInvokeResponse("a\"b\\c\n", AckError{"N", "m\x01"});
  EXPECT_EQ(escaped, R"({"type":"invokeResponse","invocationId":"a\"b\\c\n","success":false,)"
                     R"("error":{"name":"N","message":"m\u0001"}})");
  auto o = parseJson(escaped);
  EXPECT_EQ(str(o, "invocationId"), "a\"b\\c\n");
  EXPECT_EQ(str(o.at("error").get_object(), "message"), "m\x01");
}

// A successful invokeResponse: no dataType/data without data, else encoded as in messages.
TEST(JsonEncoders, InvokeResultExactBytes) {
  EXPECT_EQ(encodeJsonInvokeResult("1", std::nullopt),
            R"({"type":"invokeResponse","invocationId":"1","success":true})");
  EXPECT_EQ(encodeJsonInvokeResult("1", Payload{DataType::kJson, R"({"ok":true})"}),
            R"({"type":"invokeResponse","invocationId":"1","success":true,)"
            R"("dataType":"json","data":{"ok":true}})");
  EXPECT_EQ(encodeJsonInvokeResult("1", Payload{DataType::kText, "a\"b"}),
            R"({"type":"invokeResponse","invocationId":"1","success":true,)"
            R"("dataType":"text","data":"a\"b"})");
  EXPECT_EQ(encodeJsonInvokeResult("1", Payload{DataType::kBinary, "\x01\xff"}),
            R"({"type":"invokeResponse","invocationId":"1","success":true,)"
            R"("dataType":"binary","data":"Af8="})");
  EXPECT_EQ(encodeJsonInvokeResult("1", Payload{DataType::kProtobuf, "pb"}),
            R"({"type":"invokeResponse","invocationId":"1","success":true,)"
            R"("dataType":"protobuf","data":"cGI="})");
}

// The answer to every stream start/data/end (the session's wording), byte for byte.
TEST(JsonEncoders, StreamClosedExactBytes) {
  EXPECT_EQ(encodeJsonStreamClosed(
                "s-1", AckError{"BadRequest", "Streaming is not supported by this server."}),
            R"({"type":"streamClosed","streamId":"s-1","error":{"name":"BadRequest",)"
            R"("message":"Streaming is not supported by this server."}})");
  // A stream start without a streamId echoes an empty one.
  std::string empty = encodeJsonStreamClosed("", AckError{"BadRequest", "x\"y"});
  EXPECT_EQ(
      empty,
      R"({"type":"streamClosed","streamId":"","error":{"name":"BadRequest","message":"x\"y"}})");
  auto o = parseJson(empty);
  EXPECT_EQ(o.size(), 3u);
  EXPECT_EQ(str(o.at("error").get_object(), "message"), "x\"y");
}

TEST(JsonEncoders, StreamAckNackClosedAndStreamInfo) {
  EXPECT_EQ(encodeJsonStreamAck("s", 17),
            R"({"type":"streamAck","streamId":"s","expectedSequenceId":17})");
  EXPECT_EQ(encodeJsonStreamNack("s", 2, AckError{"InvalidSequenceId", "Expected 2."}),
            R"({"type":"streamNack","streamId":"s","expectedSequenceId":2,)"
            R"("name":"InvalidSequenceId","message":"Expected 2."})");
  EXPECT_EQ(encodeJsonStreamClosed("s"), R"({"type":"streamClosed","streamId":"s"})");
  DataMessage m;
  m.from = MessageSource::kGroup;
  m.group = "g";
  m.fromUserId = "u1";
  m.payload = Payload{DataType::kText, ""};
  m.stream = StreamInfo{"s1", 3, true, StreamErrorInfo{"UserError", "db failed", "E42"}};
  EXPECT_EQ(encodeJsonDataBody(m) + "}",
            R"({"type":"message","from":"group","group":"g","fromUserId":"u1","dataType":"text",)"
            R"("data":"","stream":{"streamId":"s1","streamSequenceId":3,"endOfStream":true,)"
            R"("error":{"name":"UserError","message":"db failed","userErrorCode":"E42"}}})");
  m.stream = StreamInfo{"s1", 1, false, std::nullopt};
  m.payload.data = "hel";
  auto o = parseJson(encodeJsonDataBody(m) + "}");
  EXPECT_EQ(o.at("stream").get_object().size(), 2u);
  EXPECT_EQ(o.at("stream").at("streamSequenceId").as_int64(), 1);
}

// --- JSON: data messages --------------------------------------------------------------------

void expectJsonData(const boost::json::object& o, DataType type, const std::string& data) {
  ASSERT_TRUE(o.contains("dataType")) << "dataType must always be present";
  EXPECT_EQ(str(o, "dataType"), dataTypeName(type));
  ASSERT_TRUE(o.contains("data"));
  const auto& v = o.at("data");
  switch (type) {
    case DataType::kText:
      EXPECT_EQ(str(v), data);
      break;
    case DataType::kJson:
      EXPECT_EQ(v, boost::json::parse(data));
      break;
    case DataType::kBinary:
    case DataType::kProtobuf: {
      auto decoded = base64Decode(str(v));
      ASSERT_TRUE(decoded) << "not base64: " << str(v);
      EXPECT_EQ(*decoded, data);
      break;
    }
  }
}

TEST(JsonEncoders, GroupDataMessagesOfEveryKind) {
  for (const auto& [type, data] : samplePayloads()) {
    for (bool withMetadata : {false, true}) {
      for (std::optional<uint64_t> seq : {std::optional<uint64_t>(), std::optional<uint64_t>(7),
                                          std::optional<uint64_t>(UINT64_MAX)}) {
        SCOPED_TRACE(std::string(dataTypeName(type)) + (withMetadata ? " +metadata" : "") +
                     (seq ? " seq " + std::to_string(*seq) : ""));
        DataMessage msg = groupMessage(type, data);
        if (withMetadata) msg.metadata = {{"k1", "v\"1"}, {"k2", ""}};
        OutFrame frame = makeJsonDataFrame(shared(encodeJsonDataBody(msg)), seq);
        EXPECT_EQ(frame.sequenceId, seq.value_or(0));
        auto o = parseJsonFrame(frame);
        EXPECT_EQ(str(o, "type"), "message");
        EXPECT_EQ(str(o, "from"), "group");
        EXPECT_EQ(str(o, "group"), "grp \"1\"");
        EXPECT_EQ(str(o, "fromUserId"), "user-1");
        expectJsonData(o, type, data);
        if (seq) {
          ASSERT_TRUE(o.contains("sequenceId"));
          ASSERT_TRUE(o.at("sequenceId").is_uint64() || o.at("sequenceId").is_int64());
          EXPECT_EQ(o.at("sequenceId").to_number<uint64_t>(), *seq);
        } else {
          EXPECT_FALSE(o.contains("sequenceId"));
        }
        if (withMetadata) {
          ASSERT_TRUE(o.contains("metadata"));
          const auto& md = o.at("metadata").as_object();
          EXPECT_EQ(md.size(), 2u);
          EXPECT_EQ(str(md, "k1"), "v\"1");
          EXPECT_EQ(str(md, "k2"), "");
        } else {
          EXPECT_FALSE(o.contains("metadata"));
        }
        EXPECT_EQ(o.size(), 6u + (seq ? 1 : 0) + (withMetadata ? 1 : 0));
      }
    }
  }
}

TEST(JsonEncoders, FromUserIdIsNullWithoutPublisherUser) {
  DataMessage msg = groupMessage(DataType::kText, "t");
  msg.fromUserId.reset();
  auto o = parseJsonFrame(makeJsonDataFrame(shared(encodeJsonDataBody(msg)), std::nullopt));
  ASSERT_TRUE(o.contains("fromUserId"));
  EXPECT_TRUE(o.at("fromUserId").is_null());
  EXPECT_EQ(str(o, "group"), "grp \"1\"");
}

TEST(JsonEncoders, ServerDataMessagesOfEveryKind) {
  for (const auto& [type, data] : samplePayloads()) {
    SCOPED_TRACE(std::string(dataTypeName(type)));
    DataMessage msg = serverMessage(type, data);
    msg.metadata = {{"m", "n"}};
    auto o = parseJsonFrame(makeJsonDataFrame(shared(encodeJsonDataBody(msg)), std::nullopt));
    EXPECT_EQ(str(o, "type"), "message");
    EXPECT_EQ(str(o, "from"), "server");
    EXPECT_FALSE(o.contains("group"));
    EXPECT_FALSE(o.contains("fromUserId"));
    EXPECT_EQ(str(o.at("metadata").as_object(), "m"), "n");
    expectJsonData(o, type, data);
  }
}

TEST(JsonEncoders, SequenceIdSeven) {
  auto body = shared(encodeJsonDataBody(serverMessage(DataType::kJson, "[1]")));
  OutFrame frame = makeJsonDataFrame(body, 7);
  auto p = framePayload(frame);
  EXPECT_EQ(p.opcode, 1);
  EXPECT_EQ(p.payload.substr(p.payload.size() - 16), ",\"sequenceId\":7}");
  auto o = parseJson(p.payload);
  EXPECT_EQ(o.at("sequenceId").to_number<uint64_t>(), 7u);
  EXPECT_EQ(frame.sequenceId, 7u);
  // The same shared body without a sequence id is still one valid object.
  auto plain = parseJsonFrame(makeJsonDataFrame(body, std::nullopt));
  EXPECT_FALSE(plain.contains("sequenceId"));
  EXPECT_EQ(plain.at("data"), boost::json::parse("[1]"));
}

TEST(JsonEncoders, LargePayloadsUseExtendedFrameLengths) {
  for (size_t size : {size_t(100), size_t(200), size_t(70000)}) {
    std::string text(size, 'x');
    auto o = parseJsonFrame(
        makeJsonDataFrame(shared(encodeJsonDataBody(groupMessage(DataType::kText, text))), 9));
    EXPECT_EQ(str(o, "data"), text);
    EXPECT_EQ(o.at("sequenceId").to_number<uint64_t>(), 9u);
  }
}

TEST(JsonEncoders, OwnedFramesCarryTheText) {
  auto p = framePayload(makeTextFrame(encodeJsonPong()));
  EXPECT_EQ(p.opcode, 1);
  EXPECT_EQ(p.payload, R"({"type":"pong"})");
  auto b = framePayload(makeBinaryFrame(encodeProtobufPong()));
  EXPECT_EQ(b.opcode, 2);
  EXPECT_EQ(parseDownstream(b.payload).message_case(), Downstream::kPongMessage);
}

}  // namespace
}  // namespace wps::protocol
