// toJsonText and compactJsonText (protocol/json_writer.h).
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <string>

#include "protocol/json_writer.h"

namespace wps::protocol {
namespace {

TEST(JsonWriter, CompactTextMatchesTheParsedValue) {
  for (const char* text :
       {"0", "-7", "1.5", "2E0", "-0.0", "18446744073709551615", "1e30", "\"a\\\"b\\n\\u00e9\"",
        " [ ] ", "{ }", R"({ "a" : [ 1.50 , true , null , { "b" : [ [ ] ] } ] , "c" : "x" })",
        "[0.1,-2.25,100,1e-999]"}) {
    boost::json::value v = boost::json::parse(text);
    auto fromValue = toJsonText(v);
    ASSERT_TRUE(fromValue.has_value()) << text;
    EXPECT_EQ(compactJsonText(text), *fromValue) << text;
  }
}

TEST(JsonWriter, InfiniteNumbersHaveNoTextFromTheValue) {
  EXPECT_FALSE(toJsonText(boost::json::parse("1e999")).has_value());
  EXPECT_FALSE(toJsonText(boost::json::parse(R"({"a":[1,-1e400]})")).has_value());
  EXPECT_EQ(toJsonText(boost::json::parse(R"({"a":[1,-1e300]})")), R"({"a":[1,-1e+300]})");
}

TEST(JsonWriter, CompactTextKeepsOutOfRangeNumbers) {
  EXPECT_EQ(compactJsonText("1e999"), "1e999");
  EXPECT_EQ(compactJsonText(" -8888888851133.003218218E8859 "), "-8888888851133.003218218E8859");
  const std::string huge(400, '9');
  EXPECT_EQ(compactJsonText("[" + huge + ", 1.0]"), "[" + huge + ",1]");
}

TEST(JsonWriter, CompactTextOfAMember) {
  const char* text = R"({"x":{"data":1},"data" : [ 1e999 , {"data":2} ],"y":3})";
  EXPECT_EQ(compactJsonText(text, "data"), R"([1e999,{"data":2}])");
  EXPECT_EQ(compactJsonText(text, "y"), "3");
  EXPECT_EQ(compactJsonText(text, "z"), std::nullopt);
  EXPECT_EQ(compactJsonText(R"({"data":1,"data":"s"})", "data"), "\"s\"");  // the last one
  EXPECT_EQ(compactJsonText(R"({"d\u0061ta":true})", "data"), "true");      // decoded names
  EXPECT_EQ(compactJsonText("[1]", "data"), std::nullopt);
}

TEST(JsonWriter, CompactTextOfInvalidJsonIsNothing) {
  for (const char* text : {"", "{", "[1,]", "1 2", "{\"a\":1}}", "nul", "[1e999"}) {
    EXPECT_EQ(compactJsonText(text), std::nullopt) << text;
  }
  std::string deep(65, '[');
  deep += std::string(65, ']');
  EXPECT_EQ(compactJsonText(deep), std::nullopt);
  EXPECT_TRUE(compactJsonText(deep.substr(1, 128)).has_value());
}

}  // namespace
}  // namespace wps::protocol
