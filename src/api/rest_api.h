// The data-plane REST API (rest-api.md): authentication, validation, and the 25 operations,
// executed through the core Broker. One instance shared by all workers; handle() runs on the
// worker that received the request and replies on the same worker. Thread-safe.
#pragma once

#include <functional>

#include "api/continuation_token.h"
#include "api/rest_request.h"
#include "http/message.h"
#include "core/engine.h"

namespace wps::api {

class RestApi {
 public:
  using Respond = std::function<void(http::HttpResponse)>;

  explicit RestApi(core::Engine& engine);

  // True for targets this API answers (/api/...).
  static bool handles(std::string_view target);

  // Answers `request`. `respond` runs exactly once on the loop of `request.worker`.
  void handle(const RestRequest& request, Respond respond);

 private:
  struct Call;
  void route(std::shared_ptr<Call> call);
  void send(std::shared_ptr<Call> call, core::Target target, bool fromGroup);
  void close(std::shared_ptr<Call> call, core::Target target);
  void exists(std::shared_ptr<Call> call, core::Target target, std::string_view notFoundCode);
  void addToGroups(std::shared_ptr<Call> call, bool add);
  void listConnections(std::shared_ptr<Call> call, const std::string& group);
  void permission(std::shared_ptr<Call> call, const std::string& permission,
                  const std::string& connectionId);
  void generateToken(std::shared_ptr<Call> call);

  core::Engine& engine_;
  ContinuationTokens continuation_;
};

}  // namespace wps::api
