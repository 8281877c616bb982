#include "common/log_fields.h"

#include <cmath>

#include "common/log.h"
#include "common/log_format.h"

namespace wps {
namespace {

bool needsQuotes(std::string_view v) {
  if (v.empty()) return true;
  for (unsigned char c : v) {
    if (c <= ' ' || c == '"' || c == '=' || c == 0x7f) return true;
  }
  return false;
}

void appendTextValue(std::string& out, std::string_view v) {
  if (!needsQuotes(v)) {
    out.append(v);
    return;
  }
  out.push_back('"');
  for (char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (static_cast<unsigned char>(c) < ' ') {
      out.append("\\x");
      static const char kHex[] = "0123456789abcdef";
      out.push_back(kHex[(c >> 4) & 0xf]);
      out.push_back(kHex[c & 0xf]);
      continue;
    }
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace

LogFields& LogFields::add(std::string_view key, std::string_view value) {
  text_.push_back(' ');
  text_.append(key);
  text_.push_back('=');
  appendTextValue(text_, value);
  json_.append(",\"");
  json_.append(key);
  json_.append("\":");
  appendJsonLogString(json_, value);
  return *this;
}

LogFields& LogFields::add(std::string_view key, int64_t value) {
  std::string v = std::to_string(value);
  text_.append(" ").append(key).append("=").append(v);
  json_.append(",\"").append(key).append("\":").append(v);
  return *this;
}

LogFields& LogFields::add(std::string_view key, double value) {
  std::string v = std::isfinite(value) ? fmt::format("{:.3f}", value) : std::string("null");
  text_.append(" ").append(key).append("=").append(v);
  json_.append(",\"").append(key).append("\":").append(v);
  return *this;
}

void logFields(spdlog::level::level_enum level, std::string_view message, const LogFields& fields) {
  if (!spdlog::should_log(level)) return;
  if (logFormat() == LogFormat::kJson) {
    ScopedJsonFields scope(fields.json());
    spdlog::log(level, "{}", message);
    return;
  }
  spdlog::log(level, "{}{}", message, fields.text());
}

}  // namespace wps
