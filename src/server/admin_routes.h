// The admin endpoint POST /api/admin/reload (docs/operations.md, Reload): re-reads the
// configuration like SIGHUP and answers what changed and what needs a restart. Authorised like
// the REST API: "Authorization: Bearer <JWT signed with an access key, audience the endpoint's
// URL>". Runs on the worker that received the request; the reload itself runs on the
// Reloader's thread and the answer comes back to that worker.
#pragma once

#include <string_view>

#include "config/reload_plan.h"
#include "core/engine.h"
#include "server/reloader.h"
#include "transport/http_handler.h"

namespace wps::server {

inline constexpr std::string_view kReloadPath = "/api/admin/reload";

// The JSON answer of a successful reload: {"changed":[keys],"restartRequired":[keys]}.
std::string reloadReportJson(const config::ReloadPlan& plan);

class AdminRoutes {
 public:
  AdminRoutes(core::Engine& engine, Reloader& reloader) : engine_(engine), reloader_(reloader) {}

  // True for the paths answered here (kReloadPath).
  static bool handles(std::string_view path) { return path == kReloadPath; }

  // Answers `request` (whose path handles() accepted) through `respond`, on the request's
  // worker: 405 unless POST; 401 without a valid token; 400 Error.Configuration.Invalid with
  // the configuration error when the file is rejected (nothing changes); 503 while shutting
  // down; else 200 with reloadReportJson().
  void handle(const transport::HttpServerRequest& request, transport::HttpHandler::Respond respond);

 private:
  core::Engine& engine_;
  Reloader& reloader_;
};

}  // namespace wps::server
