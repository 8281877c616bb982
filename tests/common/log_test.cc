// Log line formats (common/log_format.h) and structured fields (common/log_fields.h).
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <memory>
#include <sstream>

#include "common/log.h"
#include "common/log_fields.h"
#include "common/log_format.h"

namespace wps {
namespace {

TEST(LogFieldsTest, TextQuotesOnlyWhatNeedsIt) {
  LogFields f;
  f.add("hub", "chat").add("path", "/a b").add("empty", "").add("q", "say \"hi\"\n");
  f.add("status", int64_t{101}).add("ms", 1.23456);
  EXPECT_EQ(f.text(),
            " hub=chat path=\"/a b\" empty=\"\" q=\"say \\\"hi\\\"\\x0a\" status=101 ms=1.235");
}

TEST(LogFieldsTest, JsonMembersAreEscapedAndTyped) {
  LogFields f;
  f.add("hub", "c\"h").add("status", int64_t{404}).add("ms", 0.5).add("bad", "\xff");
  EXPECT_EQ(f.json(), ",\"hub\":\"c\\\"h\",\"status\":404,\"ms\":0.500,\"bad\":\"?\"");
}

TEST(LogFieldsTest, AppendKeepsOrder) {
  LogFields a;
  a.add("a", "1");
  LogFields b;
  b.add("b", "2");
  a.append(b);
  EXPECT_EQ(a.text(), " a=1 b=2");
  EXPECT_EQ(a.json(), ",\"a\":\"1\",\"b\":\"2\"");
}

// A logger writing into a string with the formatter of `format`, as the default logger.
class LogCapture {
 public:
  explicit LogCapture(std::string_view format) : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    auto logger = std::make_shared<spdlog::logger>("capture", sink);
    logger->set_level(spdlog::level::info);
    spdlog::set_default_logger(logger);
    EXPECT_TRUE(configureLogFormat(format));
  }
  ~LogCapture() {
    configureLogFormat("text");
    spdlog::set_default_logger(previous_);
  }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
};

TEST(LogFormatTest, JsonLinesHoldTimeLevelThreadMessageAndFields) {
  LogCapture capture("json");
  LogFields f;
  f.add("hub", "chat").add("status", int64_t{101});
  logFields(spdlog::level::info, "websocket handshake", f);
  WPS_LOG_WARN("plain \"line\" {}", 7);
  std::string out = capture.text();
  std::istringstream lines(out);
  std::string first, second;
  std::getline(lines, first);
  std::getline(lines, second);
  EXPECT_TRUE(first.starts_with("{\"time\":\"")) << first;
  EXPECT_NE(first.find("Z\",\"level\":\"info\",\"thread\":"), std::string::npos) << first;
  EXPECT_TRUE(
      first.ends_with(",\"message\":\"websocket handshake\",\"hub\":\"chat\",\"status\":101}"))
      << first;
  EXPECT_TRUE(second.ends_with("\"message\":\"plain \\\"line\\\" 7\"}")) << second;
  EXPECT_NE(second.find("\"level\":\"warning\""), std::string::npos) << second;
}

TEST(LogFormatTest, TextLinesCarryFieldsAsKeyValuePairs) {
  LogCapture capture("text");
  LogFields f;
  f.add("hub", "chat").add("status", int64_t{401});
  logFields(spdlog::level::info, "http request", f);
  EXPECT_NE(capture.text().find(" info ["), std::string::npos) << capture.text();
  EXPECT_NE(capture.text().find("] http request hub=chat status=401\n"), std::string::npos)
      << capture.text();
}

TEST(LogFormatTest, BelowTheLevelNothingIsFormatted) {
  LogCapture capture("json");
  LogFields f;
  f.add("hub", "chat");
  logFields(spdlog::level::debug, "hidden", f);
  EXPECT_EQ(capture.text(), "");
}

TEST(LogFormatTest, UnknownFormatsAreRefused) {
  EXPECT_FALSE(setLogFormat("xml"));
  EXPECT_EQ(logFormat(), LogFormat::kText);
}

}  // namespace
}  // namespace wps
