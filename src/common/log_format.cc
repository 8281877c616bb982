#include "common/log_format.h"

#include <spdlog/details/log_msg.h>

#include <atomic>
#include <chrono>
#include <ctime>

#include "common/strings.h"
#include "common/utf8.h"

namespace wps {
namespace {

std::atomic<LogFormat> gFormat{LogFormat::kText};
thread_local const std::string* tFields = nullptr;

// "2026-12-07T10:00:00.123Z" (UTC).
void appendUtcTime(std::string& out, spdlog::log_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  out.append(buf, n);
  out.append(fmt::format(".{:03}Z", ms % 1000));
}

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line = "{\"time\":\"";
    appendUtcTime(line, msg.time);
    line.append("\",\"level\":\"");
    auto level = spdlog::level::to_string_view(msg.level);
    line.append(level.data(), level.size());
    line.append("\",\"thread\":");
    line.append(std::to_string(msg.thread_id));
    line.append(",\"message\":");
    appendJsonLogString(line, std::string_view(msg.payload.data(), msg.payload.size()));
    if (tFields != nullptr) line.append(*tFields);
    line.append("}\n");
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

bool setLogFormat(std::string_view format) {
  if (format == "text") {
    gFormat = LogFormat::kText;
  } else if (format == "json") {
    gFormat = LogFormat::kJson;
  } else {
    return false;
  }
  return true;
}

LogFormat logFormat() {
  return gFormat.load(std::memory_order_relaxed);
}

void appendJsonLogString(std::string& out, std::string_view v) {
  if (isValidUtf8(v)) {
    appendJsonString(out, v);
    return;
  }
  std::string ascii(v);
  for (char& c : ascii) {
    if (static_cast<unsigned char>(c) >= 0x80) c = '?';
  }
  appendJsonString(out, ascii);
}

std::unique_ptr<spdlog::formatter> makeJsonFormatter() {
  return std::make_unique<JsonFormatter>();
}

ScopedJsonFields::ScopedJsonFields(const std::string& members) : previous_(tFields) {
  tFields = &members;
}

ScopedJsonFields::~ScopedJsonFields() {
  tFields = previous_;
}

}  // namespace wps
