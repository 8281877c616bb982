// The log line formats (log_format): "text" (the default: time, level, thread, message) and
// "json" (one object per line: time, level, thread, message and the fields of structured lines,
// log_fields.h). Thread-safe: the format is set once at start, before the workers run.
#pragma once

#include <spdlog/formatter.h>

#include <memory>
#include <string>
#include <string_view>

namespace wps {

enum class LogFormat { kText, kJson };

// "text" or "json"; false (nothing changed) for anything else.
bool setLogFormat(std::string_view format);
LogFormat logFormat();

// Appends `v` as a JSON string literal; when `v` is not valid UTF-8 every byte from 0x80 up
// becomes '?', so that each line stays valid JSON.
void appendJsonLogString(std::string& out, std::string_view v);

// The spdlog formatter of the JSON format.
std::unique_ptr<spdlog::formatter> makeJsonFormatter();

// While alive, the JSON formatter appends `members` (`,"key":value`...) to the lines the calling
// thread logs. Used by logFields(); loggers format on the calling thread (no async sink).
class ScopedJsonFields {
 public:
  explicit ScopedJsonFields(const std::string& members);
  ~ScopedJsonFields();
  ScopedJsonFields(const ScopedJsonFields&) = delete;
  ScopedJsonFields& operator=(const ScopedJsonFields&) = delete;

 private:
  const std::string* previous_;
};

}  // namespace wps
