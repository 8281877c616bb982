// Structured log lines: a message plus named fields (hub, connection id, status, ...). In the
// text format (log_format = "text") the fields follow the message as ` key=value`; in the JSON
// format each is a member of the line's object (docs/configuration.md, "Logs"). Never put a
// secret in a field (tokens, keys, signatures, URLs with their query unredacted).
// Thread-safe: a LogFields is a value owned by its builder; logFields() may run on any thread.
#pragma once

#include <spdlog/spdlog.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace wps {

class LogFields {
 public:
  // Appends a field; `key` is a plain identifier (letters, digits, '_').
  LogFields& add(std::string_view key, std::string_view value);
  LogFields& add(std::string_view key, const char* value) {
    return add(key, std::string_view(value));
  }
  LogFields& add(std::string_view key, int64_t value);
  LogFields& add(std::string_view key, double value);
  // Appends the fields of `other` after these.
  LogFields& append(const LogFields& other) {
    text_.append(other.text_);
    json_.append(other.json_);
    return *this;
  }

  // ` key=value` pairs; values quoted (with \" and \\ escaped) when empty or holding a space, a
  // quote, '=' or a control character.
  const std::string& text() const { return text_; }
  // `,"key":value` members, ready to close a JSON object.
  const std::string& json() const { return json_; }

 private:
  std::string text_;
  std::string json_;
};

// Logs `message` with `fields` at `level`, in the configured format.
void logFields(spdlog::level::level_enum level, std::string_view message, const LogFields& fields);

}  // namespace wps
