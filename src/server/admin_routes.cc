#include "server/admin_routes.h"

#include <memory>

#include "api/rest_errors.h"
#include "common/errors.h"
#include "common/strings.h"
#include "core/request_token.h"

namespace wps::server {
namespace {

transport::HttpServerResponse toServerResponse(http::HttpResponse r) {
  return transport::HttpServerResponse{r.status, std::move(r.headers), std::move(r.body)};
}

void appendKeys(std::string& out, const std::vector<std::string>& keys) {
  out += '[';
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i) out += ',';
    appendJsonString(out, keys[i]);
  }
  out += ']';
}

// The answer to a finished reload.
http::HttpResponse reloadAnswer(const StatusOr<config::ReloadPlan>& outcome) {
  if (outcome) {
    return {200, {{"Content-Type", "application/json"}}, reloadReportJson(*outcome)};
  }
  if (outcome.status().code() == StatusCode::kInvalidArgument) {
    return api::errorResponse(400, errors::kConfigurationInvalid,
                              configurationErrorText(outcome.status()), "");
  }
  return api::errorResponse(503, errors::kReloadUnavailable, outcome.status().message(), "");
}

}  // namespace

std::string reloadReportJson(const config::ReloadPlan& plan) {
  std::string out = "{\"changed\":";
  appendKeys(out, plan.changed);
  out += ",\"restartRequired\":";
  appendKeys(out, plan.restartRequired);
  out += '}';
  return out;
}

void AdminRoutes::handle(const transport::HttpServerRequest& request,
                         transport::HttpHandler::Respond respond) {
  if (request.method != "POST") {
    auto res = toServerResponse(api::errorResponse(405, "Error.MethodNotAllowed", "Use POST.", ""));
    res.headers.push_back({"Allow", "POST"});
    respond(std::move(res));
    return;
  }
  size_t worker = request.worker % engine_.workerCount();
  EventLoop& loop = engine_.worker(worker).loop;
  auto authz = http::findHeader(request.headers, "Authorization");
  std::string_view path = std::string_view(request.target).substr(0, request.target.find('?'));
  auto claims =
      authz && istartsWith(*authz, "Bearer ")
          ? core::verifyRequestToken(engine_.worker(worker).settings(), trim(authz->substr(7)),
                                     loop.wallNow(), path, request.host)
          : StatusOr<auth::JwtClaims>(
                Status(StatusCode::kUnauthenticated, "A bearer token is required."));
  if (!claims) {
    respond(toServerResponse(api::unauthorized(claims.status().message())));
    return;
  }
  auto shared = std::make_shared<transport::HttpHandler::Respond>(std::move(respond));
  reloader_.request([&loop, shared](StatusOr<config::ReloadPlan> outcome) {
    loop.post([shared, answer = reloadAnswer(outcome)]() mutable {
      (*shared)(toServerResponse(std::move(answer)));
    });
  });
}

}  // namespace wps::server
