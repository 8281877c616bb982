// Access-log lines (config `access_log`, default on, logged at info): one per HTTP request and
// one per WebSocket handshake, when the answer has been decided, with method, path (its query's
// tokens redacted), status, duration and the client's address, plus the hub, connection id and
// subprotocol of a handshake. Owned by the coroutine serving the request, on its worker thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/log_fields.h"
#include "config/settings.h"

namespace wps::transport {

class AccessLogLine {
 public:
  // `kind` names the line ("http request" or "websocket handshake"); `target` is the request
  // target as received (redacted here); `remote` the client's address ("" when unknown).
  AccessLogLine(const config::ServerSettings& settings, std::string_view kind,
                std::string_view method, std::string_view target, std::string remote);
  // Logs the line (nothing when access_log is off, the level is above info, or no status was
  // set: the peer went away before an answer).
  ~AccessLogLine();
  AccessLogLine(const AccessLogLine&) = delete;
  AccessLogLine& operator=(const AccessLogLine&) = delete;

  // Whether a line would be logged (callers skip gathering what it needs otherwise).
  static bool enabled(const config::ServerSettings& settings) {
    return settings.accessLog && spdlog::should_log(spdlog::level::info);
  }

  void setStatus(int status) { status_ = status; }
  // A field after the standard ones (hub, connection_id, subprotocol, ...).
  void add(std::string_view key, std::string_view value) {
    if (enabled_ && !value.empty()) extra_.add(key, value);
  }
  void setKind(std::string_view kind) { kind_ = std::string(kind); }

 private:
  bool enabled_;
  std::string kind_;
  std::string method_;
  std::string path_;
  std::string remote_;
  int status_ = 0;
  LogFields extra_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace wps::transport
