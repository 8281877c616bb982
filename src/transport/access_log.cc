#include "transport/access_log.h"

#include "common/log.h"

namespace wps::transport {

AccessLogLine::AccessLogLine(const config::ServerSettings& settings, std::string_view kind,
                             std::string_view method, std::string_view target, std::string remote)
    : enabled_(enabled(settings)) {
  if (!enabled_) return;
  kind_ = std::string(kind);
  method_ = std::string(method);
  path_ = redactUrl(target);
  remote_ = std::move(remote);
  start_ = std::chrono::steady_clock::now();
}

AccessLogLine::~AccessLogLine() {
  if (!enabled_ || status_ == 0) return;
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
  LogFields fields;
  fields.add("method", method_)
      .add("path", path_)
      .add("status", static_cast<int64_t>(status_))
      .add("duration_ms", ms);
  if (!remote_.empty()) fields.add("remote", remote_);
  logFields(spdlog::level::info, kind_, fields.append(extra_));
}

}  // namespace wps::transport
