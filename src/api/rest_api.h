// The data-plane REST API (rest-api.md): authentication, validation, and the 25 operations,
// executed through the core Broker. Operations are found in a route table (method, path shape,
// required query parameters, handler), matched in order. One instance shared by all workers;
// handle() runs on the worker that received the request and replies on the same worker.
// Thread-safe (immutable after construction).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/continuation_token.h"
#include "api/rest_request.h"
#include "core/engine.h"
#include "http/message.h"

namespace wps::api {

class RestApi {
 public:
  using Respond = std::function<void(http::HttpResponse)>;

  // `engine` must outlive the API; its primary key signs the paging tokens.
  explicit RestApi(core::Engine& engine);

  // True for targets this API answers (/api/...).
  static bool handles(std::string_view target);

  // Answers `request`. `respond` runs exactly once on the loop of `request.worker`. A Broker
  // failure (cluster unreachable or too slow) is answered 503 Error.ServiceUnavailable.
  void handle(const RestRequest& request, Respond respond);

 private:
  struct Call;
  struct Route;
  struct Page;
  using CallPtr = std::shared_ptr<Call>;
  using Handler = void (RestApi::*)(const CallPtr& call);
  static const Route kRoutes[];

  void route(CallPtr call);
  // The settings in effect on worker `worker` (its loop thread): read them, do not keep them
  // across an asynchronous wait.
  const config::ServerSettings& settingsOn(size_t worker) const;
  void health(Call& call);
  // Token, api-version and hub name; replies and returns false when one is wrong.
  bool authenticate(Call& call);
  void dispatch(const CallPtr& call);
  // The path parameters and required query parameters of `r`; replies when one is invalid.
  bool bind(Call& call, const Route& r);

  // Route handlers. The operation's target is the bound connection, else user, else group, else
  // the whole hub.
  void send(const CallPtr& call);
  // The optional messageTtlSeconds query parameter (0-300, at most once) into *ttlSeconds;
  // replies 400 and returns false when it is invalid.
  static bool readMessageTtl(Call& call, std::optional<uint32_t>* ttlSeconds);
  void close(const CallPtr& call);
  void exists(const CallPtr& call);
  void leaveAllGroups(const CallPtr& call);
  void addMember(const CallPtr& call);
  void removeMember(const CallPtr& call);
  void addToGroups(const CallPtr& call);
  void removeFromGroups(const CallPtr& call);
  void listConnections(const CallPtr& call);
  void permission(const CallPtr& call);
  void generateToken(const CallPtr& call);
  void methodNotAllowed(const CallPtr& call);

  void changeGroups(const CallPtr& call, bool add);
  std::optional<Page> parsePage(Call& call, const std::string& group) const;
  std::string renderPage(const Call& call, const std::string& group, const Page& page,
                         const std::vector<core::MemberInfo>& all) const;

  core::Engine& engine_;
  ContinuationTokens continuation_;
};

}  // namespace wps::api
