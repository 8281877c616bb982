#include "common/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include "common/log_format.h"
#include "common/strings.h"

namespace wps {
namespace {

constexpr const char* kTextPattern = "%Y-%m-%dT%H:%M:%S.%e %^%l%$ [%t] %v";

}  // namespace

bool setLogLevel(std::string_view level) {
  auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off") return false;
  spdlog::set_level(lvl);
  return true;
}

bool configureLogFormat(std::string_view format) {
  if (!setLogFormat(format)) return false;
  if (logFormat() == LogFormat::kJson) {
    spdlog::set_formatter(makeJsonFormatter());
  } else {
    spdlog::set_pattern(kTextPattern);
  }
  return true;
}

void initLogging(std::string_view level) {
  static bool initialized = false;
  if (!initialized) {
    auto logger = spdlog::stderr_color_mt("webpubsubd");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern(kTextPattern);
    initialized = true;
  }
  setLogLevel(level);
}

std::string redactUrl(std::string_view url) {
  size_t q = url.find('?');
  if (q == std::string_view::npos) return std::string(url);
  std::string out(url.substr(0, q + 1));
  auto params = split(url.substr(q + 1), '&');
  bool first = true;
  for (auto p : params) {
    if (!first) out.push_back('&');
    first = false;
    size_t eq = p.find('=');
    std::string_view name = p.substr(0, eq);
    static constexpr std::string_view kSensitive[] = {
        "access_token", "awps_reconnection_token", "code", "sig", "signature", "token"};
    bool sensitive = false;
    for (auto s : kSensitive)
      sensitive = sensitive || iequals(name, s);
    if (sensitive && eq != std::string_view::npos) {
      out.append(name);
      out.append("=***");
    } else {
      out.append(p);
    }
  }
  return out;
}

}  // namespace wps
