// The connect event body and answer (upstream-cloudevents.md §6, §9.1).
#include "upstream/connect_event.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace wps::upstream {
namespace {

namespace json = boost::json;

http::HttpResponse ok(std::string body, http::HttpHeaders headers = {}, int status = 200) {
  return http::HttpResponse{status, std::move(headers), std::move(body)};
}

ConnectDecision parseOk(const http::HttpResponse& r, size_t limit = 8192) {
  auto d = parseConnectAnswer(r, limit);
  EXPECT_TRUE(d.isOk()) << r.body << ": " << d.status().toString();
  return d ? std::move(d.value()) : ConnectDecision{};
}

void expectInvalid(const http::HttpResponse& r, size_t limit = 8192) {
  auto d = parseConnectAnswer(r, limit);
  EXPECT_FALSE(d.isOk()) << r.body;
  if (!d) {
    EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument) << r.body;
  }
}

void expectDefaults(const ConnectDecision& d) {
  EXPECT_FALSE(d.userId.has_value());
  EXPECT_FALSE(d.roles.has_value());
  EXPECT_TRUE(d.groups.empty());
  EXPECT_FALSE(d.subprotocol.has_value());
  EXPECT_FALSE(d.connectionState.has_value());
}

// --- buildConnectBody ----------------------------------------------------------------------

TEST(BuildConnectBodyTest, EmptyInputHasEveryField) {
  EXPECT_EQ(buildConnectBody({}),
            R"({"claims":{},"query":{},"headers":{},"subprotocols":[],"clientCertificates":[]})");
}

TEST(BuildConnectBodyTest, ExactShape) {
  ConnectBodyInput in;
  in.claims = {{"sub", {"ddd"}},
               {"role", {"webpubsub.joinLeaveGroup", "webpubsub.sendToGroup"}},
               {"exp", {"1714561200"}}};
  in.query = {{"access_token", {"tok"}}, {"foo", {"bar", "baz"}}};
  in.headers = {{"Host", {"pubsub.example.com"}}, {"Upgrade", {"websocket"}}};
  in.subprotocols = {"json.webpubsub.azure.v1", "custom"};
  EXPECT_EQ(buildConnectBody(in),
            R"({"claims":{"sub":["ddd"],"role":["webpubsub.joinLeaveGroup",)"
            R"("webpubsub.sendToGroup"],"exp":["1714561200"]},)"
            R"("query":{"access_token":["tok"],"foo":["bar","baz"]},)"
            R"("headers":{"Host":["pubsub.example.com"],"Upgrade":["websocket"]},)"
            R"("subprotocols":["json.webpubsub.azure.v1","custom"],"clientCertificates":[]})");
}

TEST(BuildConnectBodyTest, ValuesAreAlwaysStringArraysAndEscaped) {
  ConnectBodyInput in;
  in.claims = {{"na\"me", {"va\\l\"ue\n", "\xc3\xa9", std::string("a\x01", 2)}}, {"empty", {}}};
  in.query = {{"q", {""}}};
  in.headers = {{"Cookie", {"a=1; b=2"}}};
  in.subprotocols = {"p\"1"};
  std::string body = buildConnectBody(in);
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  ASSERT_FALSE(ec) << body;
  const auto& o = v.as_object();
  ASSERT_EQ(o.size(), 5u);
  const auto& claims = o.at("claims").as_object();
  const auto& values = claims.at("na\"me").as_array();
  ASSERT_EQ(values.size(), 3u);
  EXPECT_EQ(values[0].as_string(), "va\\l\"ue\n");
  EXPECT_EQ(values[1].as_string(), "\xc3\xa9");
  EXPECT_EQ(values[2].as_string(), std::string("a\x01", 2));
  EXPECT_TRUE(claims.at("empty").as_array().empty());
  EXPECT_EQ(o.at("query").as_object().at("q").as_array()[0].as_string(), "");
  EXPECT_EQ(o.at("headers").as_object().at("Cookie").as_array()[0].as_string(), "a=1; b=2");
  EXPECT_EQ(o.at("subprotocols").as_array()[0].as_string(), "p\"1");
  EXPECT_TRUE(o.at("clientCertificates").as_array().empty());
}

TEST(BuildConnectBodyTest, KeepsInsertionOrderOfNames) {
  ConnectBodyInput in;
  in.query = {{"z", {"1"}}, {"a", {"2"}}};
  std::string body = buildConnectBody(in);
  EXPECT_LT(body.find("\"z\""), body.find("\"a\""));
}

// --- parseConnectAnswer: empty answers -------------------------------------------------------

TEST(ParseConnectAnswerTest, EmptyBodyKeepsTheDefaults) {
  expectDefaults(parseOk(ok("")));
  expectDefaults(parseOk(ok("", {}, 204)));
  expectDefaults(parseOk(ok("", {{"Content-Type", "application/octet-stream"}})));
  expectDefaults(parseOk(ok(" \r\n\t")));
}

TEST(ParseConnectAnswerTest, NullBodyIsLikeEmpty) {
  expectDefaults(parseOk(ok("null")));
  expectDefaults(parseOk(ok(" null \n", {{"Content-Type", "application/json"}})));
}

TEST(ParseConnectAnswerTest, EmptyObjectKeepsTheDefaults) {
  expectDefaults(parseOk(ok("{}")));
}

// --- parseConnectAnswer: fields --------------------------------------------------------------

TEST(ParseConnectAnswerTest, FullAnswer) {
  auto d = parseOk(ok(R"({"userId":"user1","groups":["g1","g2"],)"
                      R"("roles":["webpubsub.sendToGroup.g1"],)"
                      R"("subprotocol":"json.webpubsub.azure.v1"})",
                      {{"Content-Type", "application/json; charset=utf-8"}}));
  EXPECT_EQ(d.userId, "user1");
  ASSERT_TRUE(d.roles.has_value());
  EXPECT_EQ(*d.roles, std::vector<std::string>{"webpubsub.sendToGroup.g1"});
  EXPECT_EQ(d.groups, (std::vector<std::string>{"g1", "g2"}));
  EXPECT_EQ(d.subprotocol, "json.webpubsub.azure.v1");
}

TEST(ParseConnectAnswerTest, JsonWithoutContentTypeIsParsed) {
  // ASP.NET Core sends JSON without any Content-Type.
  auto d = parseOk(ok(R"({"userId":"u1","groups":null,"subprotocol":null,"roles":null})"));
  EXPECT_EQ(d.userId, "u1");
  EXPECT_FALSE(d.roles.has_value());
  EXPECT_TRUE(d.groups.empty());
  EXPECT_FALSE(d.subprotocol.has_value());
}

TEST(ParseConnectAnswerTest, JsonIsParsedWhateverTheContentType) {
  auto d = parseOk(ok(R"({"userId":"u2"})", {{"Content-Type", "text/plain"}}));
  EXPECT_EQ(d.userId, "u2");
}

TEST(ParseConnectAnswerTest, PropertyNamesAreCaseInsensitive) {
  auto d = parseOk(ok(R"({"USERID":"u","Roles":["r"],"GROUPS":["g"],)"
                      R"("subProtocol":"protobuf.webpubsub.azure.v1"})"));
  EXPECT_EQ(d.userId, "u");
  EXPECT_EQ(d.roles, std::vector<std::string>{"r"});
  EXPECT_EQ(d.groups, std::vector<std::string>{"g"});
  EXPECT_EQ(d.subprotocol, "protobuf.webpubsub.azure.v1");
}

TEST(ParseConnectAnswerTest, UserIdEmptyNullAbsent) {
  auto empty = parseOk(ok(R"({"userId":""})"));
  ASSERT_TRUE(empty.userId.has_value());  // "" = no user id, replacing sub
  EXPECT_EQ(*empty.userId, "");
  EXPECT_FALSE(parseOk(ok(R"({"userId":null})")).userId.has_value());
  EXPECT_FALSE(parseOk(ok(R"({"groups":["g"]})")).userId.has_value());
}

TEST(ParseConnectAnswerTest, RolesEmptyReplacesNullKeeps) {
  auto empty = parseOk(ok(R"({"roles":[]})"));
  ASSERT_TRUE(empty.roles.has_value());
  EXPECT_TRUE(empty.roles->empty());
  EXPECT_FALSE(parseOk(ok(R"({"roles":null})")).roles.has_value());
  EXPECT_FALSE(parseOk(ok(R"({"userId":"u"})")).roles.has_value());
  auto two = parseOk(ok(R"({"roles":["a","b"]})"));
  EXPECT_EQ(two.roles, (std::vector<std::string>{"a", "b"}));
}

TEST(ParseConnectAnswerTest, GroupsEmptyKeepsNonEmptyReplaces) {
  EXPECT_TRUE(parseOk(ok(R"({"groups":[]})")).groups.empty());
  EXPECT_TRUE(parseOk(ok(R"({"groups":null})")).groups.empty());
  EXPECT_EQ(parseOk(ok(R"({"groups":["room 1","\u00e9"]})")).groups,
            (std::vector<std::string>{"room 1", "\xc3\xa9"}));
}

TEST(ParseConnectAnswerTest, InvalidGroupNameIsAnError) {
  expectInvalid(ok(R"({"groups":[""]})"));
  expectInvalid(ok(R"({"groups":["ok","   "]})"));
  expectInvalid(ok(R"({"groups":["\t"]})"));
  expectInvalid(ok(R"({"groups":[")" + std::string(1025, 'g') + R"("]})"));
  EXPECT_EQ(parseOk(ok(R"({"groups":[")" + std::string(1024, 'g') + R"("]})")).groups.size(), 1u);
}

TEST(ParseConnectAnswerTest, SubprotocolEmptyCountsAsAbsent) {
  EXPECT_FALSE(parseOk(ok(R"({"subprotocol":""})")).subprotocol.has_value());
  EXPECT_FALSE(parseOk(ok(R"({"subprotocol":null})")).subprotocol.has_value());
  EXPECT_EQ(parseOk(ok(R"({"subprotocol":"custom"})")).subprotocol, "custom");
}

TEST(ParseConnectAnswerTest, UnknownPropertiesAreIgnored) {
  auto d = parseOk(ok(R"({"foo":1,"mqtt":{"userProperties":[]},"userId":"u","extra":[null]})"));
  EXPECT_EQ(d.userId, "u");
}

TEST(ParseConnectAnswerTest, WrongTypesAreErrors) {
  for (const char* body :
       {R"({"userId":5})", R"({"userId":true})", R"({"userId":["u"]})", R"({"userId":{}})",
        R"({"roles":"r"})", R"({"roles":[1]})", R"({"roles":[null]})", R"({"roles":{}})",
        R"({"groups":"g"})", R"({"groups":[1]})", R"({"groups":[null]})", R"({"groups":{"a":1}})",
        R"({"subprotocol":1})", R"({"subprotocol":["json.webpubsub.azure.v1"]})",
        R"({"UserId":false})"}) {
    expectInvalid(ok(body));
  }
}

TEST(ParseConnectAnswerTest, MalformedJsonIsAnError) {
  for (const char* body : {"{", "}", R"({"userId":})", "not json", R"({"userId":"u"} x)",
                           R"({'userId':'u'})", "nul", R"({"userId":"u",})"}) {
    expectInvalid(ok(body));
  }
}

TEST(ParseConnectAnswerTest, NonObjectJsonIsAnError) {
  for (const char* body : {"[]", R"("user")", "42", "true", "[{\"userId\":\"u\"}]"}) {
    expectInvalid(ok(body));
  }
}

// --- connection state --------------------------------------------------------------------------

TEST(ParseConnectAnswerTest, ConnectionStateFromTheAnswer) {
  auto d = parseOk(ok("", {{"ce-connectionState", "eyJrIjoidiJ9"}}));
  EXPECT_EQ(d.connectionState, "eyJrIjoidiJ9");
  auto withBody = parseOk(ok(R"({"userId":"u"})", {{"ce-connectionstate", "abc"}}));
  EXPECT_EQ(withBody.connectionState, "abc");
}

TEST(ParseConnectAnswerTest, InvalidConnectionStateFailsTheAnswer) {
  expectInvalid(ok("", {{"ce-connectionState", "caf\xc3\xa9"}}));
  expectInvalid(ok("", {{"ce-connectionState", std::string(11, 'a')}}), 10);
}

TEST(ConnectionStateUpdateTest, AbsentHeaderLeavesTheStateUnchanged) {
  auto u = connectionStateUpdate(ok("", {{"Content-Type", "text/plain"}}), 100);
  ASSERT_TRUE(u.isOk());
  EXPECT_FALSE(u->has_value());
}

TEST(ConnectionStateUpdateTest, EmptyValueClears) {
  auto u = connectionStateUpdate(ok("", {{"ce-connectionState", ""}}), 100);
  ASSERT_TRUE(u.isOk());
  ASSERT_TRUE(u->has_value());
  EXPECT_EQ(**u, "");
}

TEST(ConnectionStateUpdateTest, LastValueWinsAndIsKeptByteForByte) {
  auto u = connectionStateUpdate(
      ok("", {{"ce-connectionState", "first"}, {"Other", "x"}, {"CE-CONNECTIONSTATE", " e30= "}}),
      100);
  ASSERT_TRUE(u.isOk());
  ASSERT_TRUE(u->has_value());
  EXPECT_EQ(**u, " e30= ");
  auto emptyLast = connectionStateUpdate(
      ok("", {{"ce-connectionState", "first"}, {"ce-connectionState", ""}}), 100);
  ASSERT_TRUE(emptyLast.isOk());
  EXPECT_EQ(emptyLast->value_or("unset"), "");
}

TEST(ConnectionStateUpdateTest, NonAsciiIsAnError) {
  auto u = connectionStateUpdate(ok("", {{"ce-connectionState", "\xff"}}), 100);
  ASSERT_FALSE(u.isOk());
  EXPECT_EQ(u.status().code(), StatusCode::kInvalidArgument);
}

TEST(ConnectionStateUpdateTest, SizeLimit) {
  auto atLimit = connectionStateUpdate(ok("", {{"ce-connectionState", std::string(16, 'a')}}), 16);
  ASSERT_TRUE(atLimit.isOk());
  EXPECT_EQ(atLimit->value_or(""), std::string(16, 'a'));
  auto over = connectionStateUpdate(ok("", {{"ce-connectionState", std::string(17, 'a')}}), 16);
  ASSERT_FALSE(over.isOk());
  EXPECT_EQ(over.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace wps::upstream
