// Logging facade over spdlog. Thread-safe. Never pass secrets (access keys, tokens, signatures,
// full URLs with access_token) to these functions; use redactUrl() for URLs from clients.
#pragma once

#include <spdlog/spdlog.h>

#include <string>
#include <string_view>

namespace wps {

// Levels: "trace", "debug", "info", "warn", "error", "off". Unknown → false.
bool setLogLevel(std::string_view level);
// Sets the line format: "text" or "json" (common/log_format.h); false for anything else.
// Called once at start, after initLogging() and before other threads log.
bool configureLogFormat(std::string_view format);
// Writes logs to stderr (stdout is reserved for the connection string and command output).
void initLogging(std::string_view level);

// Replaces the values of sensitive query parameters (access_token, awps_reconnection_token,
// code, sig, signature, token) with "***".
std::string redactUrl(std::string_view url);

}  // namespace wps

#define WPS_LOG_TRACE(...) SPDLOG_TRACE(__VA_ARGS__)
#define WPS_LOG_DEBUG(...) ::spdlog::debug(__VA_ARGS__)
#define WPS_LOG_INFO(...) ::spdlog::info(__VA_ARGS__)
#define WPS_LOG_WARN(...) ::spdlog::warn(__VA_ARGS__)
#define WPS_LOG_ERROR(...) ::spdlog::error(__VA_ARGS__)
