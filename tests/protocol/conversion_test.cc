// Payload conversions between protocols (client-protocols.md §10): one published payload of each
// kind, encoded for JSON and protobuf receivers (and the simple-client frame kind).
#include <gtest/gtest.h>

#include <google/protobuf/any.pb.h>
#include <boost/json.hpp>

#include <memory>
#include <string>

#include "common/base64.h"
#include "protocol/frame_payload.h"
#include "protocol/frames.h"
#include "protocol/request_decoder.h"
#include "protocol/service_messages.h"
#include "protocol/webpubsub.pb.h"

namespace wps::protocol {
namespace {

namespace pb = ::azure::webpubsub;
using testing::framePayload;

struct Delivered {
  boost::json::object json;                  // what a JSON receiver gets
  pb::DownstreamMessage protobuf;            // what a protobuf receiver gets
  pb::DownstreamMessage protobufJsonAsText;  // ... with the text_data compatibility option
};

Delivered deliver(const Payload& payload) {
  DataMessage m;
  m.from = MessageSource::kGroup;
  m.group = "g";
  m.fromUserId = "u";
  m.payload = payload;
  Delivered d;
  auto jsonFrame = framePayload(
      makeJsonDataFrame(std::make_shared<const std::string>(encodeJsonDataBody(m)), std::nullopt));
  EXPECT_EQ(jsonFrame.opcode, 1);
  boost::system::error_code ec;
  auto v = boost::json::parse(jsonFrame.payload, ec);
  EXPECT_FALSE(ec) << jsonFrame.payload;
  if (!ec && v.is_object()) d.json = v.as_object();
  auto pbFrame = framePayload(makeProtobufDataFrame(
      std::make_shared<const std::string>(encodeProtobufDataBody(m)), std::nullopt));
  EXPECT_EQ(pbFrame.opcode, 2);
  EXPECT_TRUE(d.protobuf.ParseFromString(pbFrame.payload));
  auto pbTextFrame = framePayload(makeProtobufDataFrame(
      std::make_shared<const std::string>(encodeProtobufDataBody(m, true)), std::nullopt));
  EXPECT_TRUE(d.protobufJsonAsText.ParseFromString(pbTextFrame.payload));
  return d;
}

std::string jsonString(const boost::json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return "<missing>";
  return std::string(it->value().get_string().data(), it->value().get_string().size());
}

// Any(MyMessage{value=1}) from the spec's example.
google::protobuf::Any exampleAny() {
  google::protobuf::Any any;
  any.set_type_url("type.googleapis.com/azure.webpubsub.TestMessage");
  any.set_value(std::string("\x08\x01", 2));
  return any;
}

TEST(Conversions, JsonKind) {
  Payload p{DataType::kJson, R"({"a":1.5,"b":[true,null,"s"]})"};
  Delivered d = deliver(p);
  EXPECT_EQ(jsonString(d.json, "dataType"), "json");
  EXPECT_EQ(d.json.at("data"), boost::json::parse(p.data));  // the JSON value, not a string
  ASSERT_EQ(d.protobuf.data_message().data().data_case(), pb::MessageData::kJsonData);
  EXPECT_EQ(d.protobuf.data_message().data().json_data(), p.data);
  ASSERT_EQ(d.protobufJsonAsText.data_message().data().data_case(), pb::MessageData::kTextData);
  EXPECT_EQ(d.protobufJsonAsText.data_message().data().text_data(), p.data);
  EXPECT_TRUE(isTextFrameFor(p.type));
}

TEST(Conversions, TextKind) {
  Payload p{DataType::kText, "plain \"text\" \xE2\x9C\x93"};
  Delivered d = deliver(p);
  EXPECT_EQ(jsonString(d.json, "dataType"), "text");
  EXPECT_EQ(jsonString(d.json, "data"), p.data);
  ASSERT_EQ(d.protobuf.data_message().data().data_case(), pb::MessageData::kTextData);
  EXPECT_EQ(d.protobuf.data_message().data().text_data(), p.data);
  EXPECT_EQ(d.protobufJsonAsText.data_message().data().text_data(), p.data);
  EXPECT_TRUE(isTextFrameFor(p.type));
}

TEST(Conversions, BinaryKind) {
  Payload p{DataType::kBinary, std::string("\x00\x01\xfe\xff", 4)};
  Delivered d = deliver(p);
  EXPECT_EQ(jsonString(d.json, "dataType"), "binary");
  EXPECT_EQ(jsonString(d.json, "data"), "AAH+/w==");
  ASSERT_EQ(d.protobuf.data_message().data().data_case(), pb::MessageData::kBinaryData);
  EXPECT_EQ(d.protobuf.data_message().data().binary_data(), p.data);
  EXPECT_EQ(d.protobufJsonAsText.data_message().data().binary_data(), p.data);
  EXPECT_FALSE(isTextFrameFor(p.type));
}

TEST(Conversions, ProtobufKind) {
  Payload p{DataType::kProtobuf, exampleAny().SerializeAsString()};
  Delivered d = deliver(p);
  EXPECT_EQ(jsonString(d.json, "dataType"), "protobuf");
  // The example of §10: base64 of the serialized Any.
  EXPECT_EQ(jsonString(d.json, "data"),
            "Ci90eXBlLmdvb2dsZWFwaXMuY29tL2F6dXJlLndlYnB1YnN1Yi5UZXN0TWVzc2FnZRICCAE=");
  ASSERT_EQ(d.protobuf.data_message().data().data_case(), pb::MessageData::kProtobufData);
  EXPECT_EQ(d.protobuf.data_message().data().protobuf_data().type_url(),
            "type.googleapis.com/azure.webpubsub.TestMessage");
  EXPECT_EQ(d.protobuf.data_message().data().protobuf_data().value(), std::string("\x08\x01", 2));
  EXPECT_FALSE(isTextFrameFor(p.type));
}

// End to end: what one client publishes, as the other protocol's receivers see it.
TEST(Conversions, JsonPublisherToProtobufReceiver) {
  auto r = decodeJsonRequest(
      R"({"type":"sendToGroup","group":"g","dataType":"json","data":{"x": 1.50}})");
  ASSERT_TRUE(r.isOk());
  Delivered d = deliver(std::get<SendToGroupRequest>(*r).payload);
  EXPECT_EQ(d.protobuf.data_message().data().json_data(), R"({"x":1.5})");

  auto b = decodeJsonRequest(
      R"({"type":"sendToGroup","group":"g","dataType":"protobuf",)"
      R"("data":"Ci90eXBlLmdvb2dsZWFwaXMuY29tL2F6dXJlLndlYnB1YnN1Yi5UZXN0TWVzc2FnZRICCAE="})");
  ASSERT_TRUE(b.isOk());
  Delivered db = deliver(std::get<SendToGroupRequest>(*b).payload);
  ASSERT_EQ(db.protobuf.data_message().data().data_case(), pb::MessageData::kProtobufData);
  EXPECT_EQ(db.protobuf.data_message().data().protobuf_data().value(), std::string("\x08\x01", 2));
}

TEST(Conversions, ProtobufPublisherToJsonReceiver) {
  pb::UpstreamMessage up;
  auto* s = up.mutable_send_to_group_message();
  s->set_group("g");
  *s->mutable_data()->mutable_protobuf_data() = exampleAny();
  auto r = decodeProtobufRequest(up.SerializeAsString());
  ASSERT_TRUE(r.isOk());
  Delivered d = deliver(std::get<SendToGroupRequest>(*r).payload);
  EXPECT_EQ(jsonString(d.json, "dataType"), "protobuf");
  EXPECT_EQ(jsonString(d.json, "data"),
            "Ci90eXBlLmdvb2dsZWFwaXMuY29tL2F6dXJlLndlYnB1YnN1Yi5UZXN0TWVzc2FnZRICCAE=");

  s->mutable_data()->set_json_data("[ 1 , 2.25 ]");
  auto j = decodeProtobufRequest(up.SerializeAsString());
  ASSERT_TRUE(j.isOk());
  Delivered dj = deliver(std::get<SendToGroupRequest>(*j).payload);
  EXPECT_EQ(jsonString(dj.json, "dataType"), "json");
  EXPECT_EQ(dj.json.at("data"), boost::json::parse("[1,2.25]"));

  // The .NET client sends JSON as text_data: JSON receivers get it as text.
  s->mutable_data()->set_text_data("{\"a\":1}");
  auto t = decodeProtobufRequest(up.SerializeAsString());
  ASSERT_TRUE(t.isOk());
  Delivered dt = deliver(std::get<SendToGroupRequest>(*t).payload);
  EXPECT_EQ(jsonString(dt.json, "dataType"), "text");
  EXPECT_EQ(jsonString(dt.json, "data"), "{\"a\":1}");
}

}  // namespace
}  // namespace wps::protocol
