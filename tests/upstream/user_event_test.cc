// User event requests and answers (upstream-cloudevents.md §9.4, §9.5, §11).
#include "upstream/user_event.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace wps::upstream {
namespace {

using protocol::DataType;

http::HttpResponse answer(int status, std::optional<std::string> contentType, std::string body) {
  http::HttpResponse r;
  r.status = status;
  if (contentType) r.headers.push_back({"Content-Type", *contentType});
  r.body = std::move(body);
  return r;
}

protocol::Payload payload(const http::HttpResponse& r, bool simple) {
  auto p = interpretUserEventAnswer(r, simple);
  EXPECT_TRUE(p.isOk()) << p.status().toString();
  if (!p) return {};
  EXPECT_TRUE(p->has_value());
  return p->value_or(protocol::Payload{});
}

void expectNothing(const http::HttpResponse& r, bool simple) {
  auto p = interpretUserEventAnswer(r, simple);
  ASSERT_TRUE(p.isOk()) << p.status().toString();
  EXPECT_FALSE(p->has_value());
}

void expectError(const http::HttpResponse& r, bool simple) {
  auto p = interpretUserEventAnswer(r, simple);
  EXPECT_FALSE(p.isOk());
  if (!p) {
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(ContentTypeForTest, RequestContentTypes) {
  EXPECT_EQ(contentTypeFor(DataType::kText), "text/plain");
  EXPECT_EQ(contentTypeFor(DataType::kJson), "application/json");
  EXPECT_EQ(contentTypeFor(DataType::kBinary), "application/octet-stream");
  EXPECT_EQ(contentTypeFor(DataType::kProtobuf), "application/x-protobuf");
}

// --- simple clients --------------------------------------------------------------------------

TEST(SimpleClientAnswerTest, TextPlainIsAText) {
  auto p = payload(answer(200, "text/plain", "hello"), true);
  EXPECT_EQ(p.type, DataType::kText);
  EXPECT_EQ(p.data, "hello");
  EXPECT_TRUE(protocol::isTextFrameFor(p.type));
  EXPECT_EQ(payload(answer(200, "Text/Plain; charset=utf-8", "x"), true).type, DataType::kText);
}

TEST(SimpleClientAnswerTest, JsonIsSentAsTextUnchanged) {
  auto p = payload(answer(200, "application/json; charset=utf-8", R"({ "a" : 1 })"), true);
  EXPECT_TRUE(protocol::isTextFrameFor(p.type));
  EXPECT_EQ(p.data, R"({ "a" : 1 })");
}

TEST(SimpleClientAnswerTest, OctetStreamOrNoTypeIsBinary) {
  std::string bytes("\x00\xff\x01", 3);
  auto p = payload(answer(200, "application/octet-stream", bytes), true);
  EXPECT_EQ(p.type, DataType::kBinary);
  EXPECT_EQ(p.data, bytes);
  EXPECT_FALSE(protocol::isTextFrameFor(p.type));
  auto none = payload(answer(200, std::nullopt, "abc"), true);
  EXPECT_EQ(none.type, DataType::kBinary);
  EXPECT_EQ(none.data, "abc");
}

TEST(SimpleClientAnswerTest, ProtobufAndOtherTypesAreErrors) {
  expectError(answer(200, "application/x-protobuf", "\x0a\x01"), true);
  expectError(answer(200, "text/html", "<p>"), true);
  expectError(answer(200, "image/png", "x"), true);
  expectError(answer(200, "application/xml", "<a/>"), true);
  expectError(answer(200, "text/plainx", "x"), true);
}

TEST(SimpleClientAnswerTest, EmptyBodiesAnd204SendNothing) {
  expectNothing(answer(204, std::nullopt, ""), true);
  expectNothing(answer(200, "application/octet-stream", ""), true);  // Express res.success()
  expectNothing(answer(200, "text/plain", ""), true);
  expectNothing(answer(200, std::nullopt, ""), true);
  expectNothing(answer(200, "image/png", ""), true);
  expectNothing(answer(202, "application/x-protobuf", ""), true);
}

// --- subprotocol clients ---------------------------------------------------------------------

TEST(SubprotocolClientAnswerTest, TextPlain) {
  auto p = payload(answer(200, "text/plain; charset=utf-8", "hi there"), false);
  EXPECT_EQ(p.type, DataType::kText);
  EXPECT_EQ(p.data, "hi there");
}

TEST(SubprotocolClientAnswerTest, JsonWithCharset) {
  auto p = payload(answer(200, "Application/JSON; charset=utf-8", R"({ "a" : [1, "x"] })"), false);
  EXPECT_EQ(p.type, DataType::kJson);
  EXPECT_EQ(boost::json::parse(p.data), boost::json::parse(R"({"a":[1,"x"]})"));
  auto scalar = payload(answer(200, "application/json", R"("hello")"), false);
  EXPECT_EQ(scalar.type, DataType::kJson);
  EXPECT_EQ(boost::json::parse(scalar.data), boost::json::value("hello"));
  EXPECT_EQ(boost::json::parse(payload(answer(200, "application/json", "42"), false).data),
            boost::json::value(42));
}

TEST(SubprotocolClientAnswerTest, InvalidJsonIsAnError) {
  expectError(answer(200, "application/json", "{"), false);
  expectError(answer(200, "application/json", "hello"), false);
  expectError(answer(200, "application/json; charset=utf-8", R"({"a":1} trailing)"), false);
}

TEST(SubprotocolClientAnswerTest, OctetStreamAndNoTypeAreBinary) {
  std::string bytes("\x00\x80\xff", 3);
  auto p = payload(answer(200, "application/octet-stream", bytes), false);
  EXPECT_EQ(p.type, DataType::kBinary);
  EXPECT_EQ(p.data, bytes);
  auto none = payload(answer(200, std::nullopt, "text-looking"), false);
  EXPECT_EQ(none.type, DataType::kBinary);
  EXPECT_EQ(none.data, "text-looking");
}

TEST(SubprotocolClientAnswerTest, Protobuf) {
  std::string any("\x0a\x03\x61\x62\x63", 5);
  auto p = payload(answer(200, "application/x-protobuf", any), false);
  EXPECT_EQ(p.type, DataType::kProtobuf);
  EXPECT_EQ(p.data, any);
}

TEST(SubprotocolClientAnswerTest, OtherTypesAreErrors) {
  expectError(answer(200, "text/html", "<p>"), false);
  expectError(answer(200, "application/xml", "<a/>"), false);
  expectError(answer(200, "multipart/form-data; boundary=x", "--x"), false);
}

TEST(SubprotocolClientAnswerTest, EmptyBodiesAnd204SendNothing) {
  expectNothing(answer(204, std::nullopt, ""), false);
  expectNothing(answer(200, "application/octet-stream", ""), false);
  expectNothing(answer(200, "application/json", ""), false);
  expectNothing(answer(200, "text/html", ""), false);
}

}  // namespace
}  // namespace wps::upstream
