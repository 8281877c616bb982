#include "api/rest_api.h"

#include <algorithm>
#include <chrono>

#include <boost/json.hpp>

#include "api/message_body.h"
#include "api/rest_errors.h"
#include "api/rest_trace.h"
#include "auth/jwt.h"
#include "common/log.h"
#include "common/strings.h"
#include "common/utf8.h"
#include "core/broker.h"
#include "core/message_ttl.h"
#include "core/request_token.h"
#include "core/tokens.h"
#include "filter/filter.h"
#include "metrics/metrics.h"
#include "protocol/names.h"

namespace wps::api {

using core::Target;
using http::HttpResponse;

// One request in flight; shared by the callbacks that answer it, all on its worker's loop.
struct RestApi::Call {
  // The path parameters of the matched route; which ones are set depends on its shape.
  struct Params {
    std::optional<std::string> connection;
    std::optional<std::string> user;
    std::optional<std::string> group;
    auth::Permission permission = auth::Permission::kSendToGroup;
  };

  RestRequest request;
  ParsedTarget target;
  Respond respond;
  std::string hub;                // as given (case preserved)
  std::string hubKey;             // lower-cased
  std::vector<std::string> rest;  // the path segments after /api/hubs/{hub}
  Params params;
  // The operation once a route matched (the latency histogram's label); shared with `respond`.
  std::shared_ptr<metrics::RestOperation> operation =
      std::make_shared<metrics::RestOperation>(metrics::RestOperation::kOther);
  EventLoop* loop = nullptr;
  bool responded = false;
  std::string tracedBody;  // the request body for the live trace (trace.include_payloads only)

  void reply(HttpResponse r) {
    if (responded) return;
    responded = true;
    respond(std::move(r));
  }
};

namespace {

// A query parameter a route cannot do without: absent or not `valid` → 400 `message`.
struct RequiredQuery {
  std::string_view name;
  bool (*valid)(std::string_view value);
  std::string_view message;
};

const RequiredQuery kTargetName{"targetName", &protocol::isValidGroupName,
                                "targetName must be a valid group name."};

}  // namespace

// One operation. `shape` lists the path segments after /api/hubs/{hub}: literals, or the
// parameters {connection}, {user}, {group} and {permission}. `method` "*" matches any method
// (its handler answers 405 after the path parameters were validated).
struct RestApi::Route {
  metrics::RestOperation op;  // the latency histogram's `operation` label
  std::string_view method;
  std::vector<std::string_view> shape;
  std::vector<RequiredQuery> required;
  Handler handler;
};

using Op = metrics::RestOperation;

const RestApi::Route RestApi::kRoutes[] = {
    {Op::kSendToAll, "POST", {":send"}, {}, &RestApi::send},
    {Op::kCloseAllConnections, "POST", {":closeConnections"}, {}, &RestApi::close},
    {Op::kAddConnectionsToGroups, "POST", {":addToGroups"}, {}, &RestApi::addToGroups},
    {Op::kRemoveConnectionsFromGroups,
     "POST",
     {":removeFromGroups"},
     {},
     &RestApi::removeFromGroups},
    {Op::kGenerateClientToken, "POST", {":generateToken"}, {}, &RestApi::generateToken},
    {Op::kSendToConnection, "POST", {"connections", "{connection}", ":send"}, {}, &RestApi::send},
    {Op::kCloseConnection, "DELETE", {"connections", "{connection}"}, {}, &RestApi::close},
    {Op::kConnectionExists, "HEAD", {"connections", "{connection}"}, {}, &RestApi::exists},
    {Op::kConnectionExists, "GET", {"connections", "{connection}"}, {}, &RestApi::exists},
    {Op::kRemoveConnectionFromAllGroups,
     "DELETE",
     {"connections", "{connection}", "groups"},
     {},
     &RestApi::leaveAllGroups},
    {Op::kSendToUser, "POST", {"users", "{user}", ":send"}, {}, &RestApi::send},
    {Op::kCloseUserConnections,
     "POST",
     {"users", "{user}", ":closeConnections"},
     {},
     &RestApi::close},
    {Op::kUserExists, "HEAD", {"users", "{user}"}, {}, &RestApi::exists},
    {Op::kUserExists, "GET", {"users", "{user}"}, {}, &RestApi::exists},
    {Op::kRemoveUserFromAllGroups,
     "DELETE",
     {"users", "{user}", "groups"},
     {},
     &RestApi::leaveAllGroups},
    {Op::kAddUserToGroup, "PUT", {"users", "{user}", "groups", "{group}"}, {}, &RestApi::addMember},
    {Op::kRemoveUserFromGroup,
     "DELETE",
     {"users", "{user}", "groups", "{group}"},
     {},
     &RestApi::removeMember},
    {Op::kOther, "*", {"users", "{user}", "groups", "{group}"}, {}, &RestApi::methodNotAllowed},
    {Op::kSendToGroup, "POST", {"groups", "{group}", ":send"}, {}, &RestApi::send},
    {Op::kCloseGroupConnections,
     "POST",
     {"groups", "{group}", ":closeConnections"},
     {},
     &RestApi::close},
    {Op::kGroupExists, "HEAD", {"groups", "{group}"}, {}, &RestApi::exists},
    {Op::kGroupExists, "GET", {"groups", "{group}"}, {}, &RestApi::exists},
    {Op::kListConnectionsInGroup,
     "GET",
     {"groups", "{group}", "connections"},
     {},
     &RestApi::listConnections},
    {Op::kAddConnectionToGroup,
     "PUT",
     {"groups", "{group}", "connections", "{connection}"},
     {},
     &RestApi::addMember},
    {Op::kRemoveConnectionFromGroup,
     "DELETE",
     {"groups", "{group}", "connections", "{connection}"},
     {},
     &RestApi::removeMember},
    {Op::kOther,
     "*",
     {"groups", "{group}", "connections", "{connection}"},
     {},
     &RestApi::methodNotAllowed},
    {Op::kGrantPermission,
     "PUT",
     {"permissions", "{permission}", "connections", "{connection}"},
     {kTargetName},
     &RestApi::permission},
    {Op::kRevokePermission,
     "DELETE",
     {"permissions", "{permission}", "connections", "{connection}"},
     {kTargetName},
     &RestApi::permission},
    {Op::kCheckPermission,
     "HEAD",
     {"permissions", "{permission}", "connections", "{connection}"},
     {kTargetName},
     &RestApi::permission},
    {Op::kCheckPermission,
     "GET",
     {"permissions", "{permission}", "connections", "{connection}"},
     {kTargetName},
     &RestApi::permission},
};

struct RestApi::Page {
  size_t pageSize = 200;
  std::optional<uint64_t> top;
  std::optional<std::string> after;  // the last connection id of the previous page
  std::string base;                  // the public base URL (for nextLink)
  std::string apiVersion;
};

namespace {

// YYYY-MM-DD with an optional "-preview" suffix.
bool isApiVersion(std::string_view v) {
  if (endsWith(v, "-preview")) v.remove_suffix(8);
  if (v.size() != 10 || v[4] != '-' || v[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (v[i] < '0' || v[i] > '9') return false;
  }
  return true;
}

// Percent-encodes one path segment (RFC 3986 unreserved kept).
std::string encodeSegment(std::string_view s) {
  return percentEncodeData(s);
}

// Parses a filter query value: nullptr for absent or empty.
StatusOr<std::shared_ptr<const filter::Filter>> parseFilter(
    const std::optional<std::string>& text) {
  if (!text || text->empty()) return std::shared_ptr<const filter::Filter>();
  auto f = filter::Filter::parse(*text);
  if (!f) return f.status();
  return std::make_shared<const filter::Filter>(std::move(f.value()));
}

bool isParameter(std::string_view shapePart) {
  return !shapePart.empty() && shapePart.front() == '{';
}

bool shapeMatches(const std::vector<std::string_view>& shape,
                  const std::vector<std::string>& segments) {
  if (shape.size() != segments.size()) return false;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (!isParameter(shape[i]) && shape[i] != segments[i]) return false;
  }
  return true;
}

std::optional<auth::Permission> parsePermission(std::string_view name) {
  if (iequals(name, "sendToGroup") || name == "1") return auth::Permission::kSendToGroup;
  if (iequals(name, "joinLeaveGroup") || name == "2") return auth::Permission::kJoinLeaveGroup;
  return std::nullopt;
}

// The answer to a permission operation the broker completed.
HttpResponse permissionResponse(core::PermissionOp op, core::PermissionResult result) {
  using R = core::PermissionResult;
  if (result == R::kConnectionNotFound) {
    if (op == core::PermissionOp::kRevoke) return emptyResponse(204);
    if (op == core::PermissionOp::kCheck) return notFoundHead("Info.Connection.NotExisted");
    return errorResponse(404, "Info.Connection.NotExisted", "The connection does not exist.",
                         "Connection");
  }
  if (result == R::kLimitReached) {
    return errorResponse(409, "Error.Connection.Conflict",
                         "The connection has too many permission entries.", "Connection");
  }
  switch (op) {
    case core::PermissionOp::kGrant:
      return emptyResponse(200);
    case core::PermissionOp::kRevoke:
      return emptyResponse(204);
    case core::PermissionOp::kCheck:
      break;
  }
  return result == R::kAllowed ? emptyResponse(200) : notFoundHead("Info.Permission.NotExisted");
}

// 415 unless the Content-Type is application/json (in UTF-8 when a charset is given).
std::optional<HttpResponse> checkJsonContentType(const http::HttpHeaders& headers) {
  auto ct = http::findHeader(headers, "Content-Type");
  std::string media = ct ? http::mediaType(*ct) : std::string();
  if (media != "application/json") {
    return errorResponse(415, "Error.UnsupportedMediaType",
                         "The Content-Type must be application/json.");
  }
  auto params = split(*ct, ';');
  for (size_t i = 1; i < params.size(); ++i) {
    std::string_view p = trim(params[i]);
    if (!istartsWith(p, "charset=")) continue;
    std::string cs = toLowerAscii(trim(p.substr(8)));
    if (cs != "utf-8" && cs != "utf8" && cs != "\"utf-8\"") {
      return errorResponse(415, "Error.UnsupportedMediaType", "Unsupported charset.");
    }
  }
  return std::nullopt;
}

// The body of :addToGroups and :removeFromGroups.
struct GroupsBody {
  std::vector<std::string> groups;
  std::shared_ptr<const filter::Filter> filter;  // null = every connection of the hub
};

// Reads "groups": a non-empty array of valid group names. Errors: the 400 to answer.
std::optional<HttpResponse> readGroups(const boost::json::value* value,
                                       std::vector<std::string>* groups) {
  if (!value || !value->is_array() || value->get_array().empty()) {
    return badRequest("'groups' must be a non-empty array of group names.", "groups");
  }
  for (const auto& g : value->get_array()) {
    if (!g.is_string()) return badRequest("'groups' holds an invalid group name.", "groups");
    std::string_view name(g.get_string().data(), g.get_string().size());
    if (!protocol::isValidGroupName(name)) {
      return badRequest("'groups' holds an invalid group name.", "groups");
    }
    groups->emplace_back(name);
  }
  return std::nullopt;
}

// Reads "filter": absent, null or an OData filter string. Errors: the 400 to answer.
std::optional<HttpResponse> readFilter(const boost::json::value* value,
                                       std::shared_ptr<const filter::Filter>* out) {
  if (!value || value->is_null()) return std::nullopt;
  if (!value->is_string()) return badRequest("'filter' must be a string.", "filter");
  auto f = parseFilter(std::string(value->get_string().data(), value->get_string().size()));
  if (!f) return badRequest(f.status().message());
  *out = std::move(f.value());
  return std::nullopt;
}

// Parses the JSON body (keys matched case-insensitively). Errors: the 400 to answer.
std::optional<HttpResponse> parseGroupsBody(std::string_view body, GroupsBody* out) {
  boost::system::error_code ec;
  auto root = boost::json::parse(body, ec);
  if (ec) return badRequest("The request body is not a valid JSON.");
  if (!root.is_object()) return badRequest("The request body must be a JSON object.");
  const boost::json::value* groupsValue = nullptr;
  const boost::json::value* filterValue = nullptr;
  for (const auto& [k, v] : root.get_object()) {
    std::string_view key(k.data(), k.size());
    if (iequals(key, "groups")) groupsValue = &v;
    if (iequals(key, "filter")) filterValue = &v;
  }
  if (auto error = readGroups(groupsValue, &out->groups)) return error;
  return readFilter(filterValue, &out->filter);
}

// The connection, else the user, else the group of the route, else the whole hub.
template <class Params>
Target targetOf(const Params& p) {
  if (p.connection) return Target::connection(*p.connection);
  if (p.user) return Target::user(*p.user);
  if (p.group) return Target::group(*p.group);
  return Target::all();
}

// The x-ms-error-code of a failed existence check.
std::string notExistedCode(Target::Kind kind) {
  switch (kind) {
    case Target::Kind::kConnection:
      return "Warning.Connection.NotExisted";
    case Target::Kind::kUser:
      return "Warning.User.NotExisted";
    case Target::Kind::kGroup:
    case Target::Kind::kAll:
      break;
  }
  return "Warning.Group.NotExisted";
}

// The 404 of adding a missing user or connection to a group.
HttpResponse memberNotFound(const Target& target) {
  if (target.kind == Target::Kind::kUser) {
    return errorResponse(404, "Error.User.NotExisted", "User `" + target.name + "` is not found.",
                         "User");
  }
  return errorResponse(404, "Error.Connection.NotExisted",
                       "Connection `" + target.name + "` is not found.", "Connection");
}

// The answer of a broker operation that only reports success: `ok`, or the failure.
HttpResponse successOr(const Status& status, int ok) {
  return status ? emptyResponse(ok) : brokerFailure(status);
}

}  // namespace

RestApi::RestApi(core::Engine& engine) : engine_(engine), continuation_(engine.primaryKey()) {}

bool RestApi::handles(std::string_view target) {
  return target == "/api" || startsWith(target, "/api/") || startsWith(target, "/api?");
}

void RestApi::handle(const RestRequest& request, Respond respond) {
  auto call = std::make_shared<Call>();
  call->request = request;
  metrics::CounterBlock& counters = engine_.worker(request.worker % engine_.workerCount()).counters;
  // `self`: the call owns this function and runs it only through reply().
  call->respond = [&counters, &tracer = engine_.tracer(), self = call.get(),
                   operation = call->operation, started = std::chrono::steady_clock::now(),
                   respond = std::move(respond)](HttpResponse r) {
    if (r.status >= 400) metrics::Metrics::inc(counters.restErrors);
    auto latency = std::chrono::steady_clock::now() - started;
    metrics::Metrics::observe(counters.restLatency[static_cast<size_t>(*operation)], latency);
    if (tracer.active()) {
      traceRestCall(tracer, self->request, self->tracedBody, {*operation, r.status, latency});
    }
    respond(std::move(r));
  };
  call->loop = &engine_.worker(request.worker % engine_.workerCount()).loop;
  if (engine_.tracer().active() && engine_.tracer().includePayloads())
    call->tracedBody = request.body;  // handlers move the body out of call->request
  metrics::Metrics::inc(counters.restRequests);
  call->target = parseTarget(request.target);
  if (!call->target.valid) {
    call->reply(badRequest("The request URL is malformed."));
    return;
  }
  route(std::move(call));
}

void RestApi::route(std::shared_ptr<Call> call) {
  const auto& seg = call->target.segments;
  if (seg.size() < 2 || seg[0] != "api") {
    call->reply(errorResponse(404, "Error.NotFound", "No such API.", ""));
    return;
  }
  for (size_t i = 1; i < seg.size(); ++i) {
    if (seg[i].empty()) {  // "groups//:send" and friends
      call->reply(errorResponse(404, "Error.NotFound", "No such API.", ""));
      return;
    }
  }
  // Health: no authentication needed (a token, if sent, is not rejected).
  if ((seg.size() == 2 || (seg.size() == 3 && seg[2] == "ready")) && seg[1] == "health") {
    health(*call);
    return;
  }
  if (seg.size() < 4 || seg[1] != "hubs") {
    call->reply(errorResponse(404, "Error.NotFound", "No such API.", ""));
    return;
  }
  if (!authenticate(*call)) return;
  // /api/hubs/{hub}/...
  call->rest.assign(seg.begin() + 3, seg.end());
  dispatch(call);
}

void RestApi::health(Call& call) {
  const std::string& method = call.request.method;
  if (method != "HEAD" && method != "GET") {
    call.reply(errorResponse(405, "Error.MethodNotAllowed", "Use GET or HEAD.", ""));
    return;
  }
  // /api/health: 200 while this node serves its own clients, whatever the cluster bus does (a
  // load balancer must not pull every node when Redis is down). /api/health/ready: 503 while
  // the bus is down, for operators who want to drain a node that cannot reach the others.
  bool ready = call.target.segments.size() == 3;
  const char* cluster = "single";
  switch (engine_.metrics().clusterState.load()) {
    case metrics::ClusterState::kSingleNode:
      cluster = "single";
      break;
    case metrics::ClusterState::kConnected:
      cluster = "connected";
      break;
    case metrics::ClusterState::kDegraded:
      cluster = "degraded";
      break;
  }
  bool down = ready && std::string_view(cluster) == "degraded";
  call.reply(HttpResponse{down ? 503 : 200,
                          {{"Content-Type", "application/json"}},
                          std::string(R"({"status":")") + (down ? "unavailable" : "ok") +
                              R"(","cluster":")" + cluster + R"("})"});
}

const config::ServerSettings& RestApi::settingsOn(size_t worker) const {
  return engine_.worker(worker % engine_.workerCount()).settings();
}

bool RestApi::authenticate(Call& call) {
  // Authentication (rest-api.md §3.1.3).
  const auto& settings = settingsOn(call.request.worker);
  auto authz = http::findHeader(call.request.headers, "Authorization");
  if (!authz || !istartsWith(*authz, "Bearer ")) {
    call.reply(unauthorized("A bearer token is required."));
    return false;
  }
  auto claims = core::verifyRequestToken(settings, trim(authz->substr(7)), call.loop->wallNow(),
                                         call.target.rawPath, call.request.host);
  if (!claims) {
    call.reply(unauthorized(claims.status().message()));
    return false;
  }
  // api-version: lenient, but present at most once and well-formed.
  bool duplicate = false;
  auto version = querySingle(call.target, "api-version", &duplicate);
  if (duplicate || (version && !isApiVersion(*version))) {
    call.reply(badRequest("The specified API version is not supported.", "api-version"));
    return false;
  }
  call.hub = call.target.segments[2];
  if (!protocol::isValidHubName(call.hub)) {
    call.reply(badRequest("Invalid hub name.", "hub"));
    return false;
  }
  call.hubKey = protocol::hubKey(call.hub);
  return true;
}

// The first route whose shape and method match runs; a path whose shape matches only routes of
// other methods is answered 405, any other path 404.
void RestApi::dispatch(const CallPtr& call) {
  bool knownPath = false;
  for (const Route& r : kRoutes) {
    if (!shapeMatches(r.shape, call->rest)) continue;
    if (r.method != "*" && r.method != call->request.method) {
      knownPath = true;
      continue;
    }
    *call->operation = r.op;
    if (bind(*call, r)) (this->*r.handler)(call);
    return;
  }
  if (knownPath) {
    methodNotAllowed(call);
  } else {
    call->reply(errorResponse(404, "Error.NotFound", "No such API.", ""));
  }
}

// Path parameters in path order, then the required query parameters.
bool RestApi::bind(Call& call, const Route& r) {
  Call::Params& p = call.params;
  for (size_t i = 0; i < r.shape.size(); ++i) {
    std::string_view part = r.shape[i];
    const std::string& value = call.rest[i];
    if (part == "{connection}") {
      p.connection = value;
    } else if (part == "{user}") {
      if (!protocol::isValidUserId(value)) {
        call.reply(badRequest("Invalid user id.", "user"));
        return false;
      }
      p.user = value;
    } else if (part == "{group}") {
      if (!protocol::isValidGroupName(value)) {
        call.reply(badRequest("Invalid group name.", "group"));
        return false;
      }
      p.group = value;
    } else if (part == "{permission}") {
      auto permission = parsePermission(value);
      if (!permission) {
        call.reply(
            badRequest("The permission must be sendToGroup or joinLeaveGroup.", "permission"));
        return false;
      }
      p.permission = *permission;
    }
  }
  for (const RequiredQuery& q : r.required) {
    auto value = querySingle(call.target, q.name);
    if (!value || !q.valid(*value)) {
      call.reply(badRequest(q.message, q.name));
      return false;
    }
  }
  return true;
}

void RestApi::methodNotAllowed(const CallPtr& call) {
  call->reply(errorResponse(405, "Error.MethodNotAllowed", "This method is not allowed here.", ""));
}

bool RestApi::readMessageTtl(Call& call, std::optional<uint32_t>* ttlSeconds) {
  bool duplicate = false;
  auto ttl = querySingle(call.target, "messageTtlSeconds", &duplicate);
  if (!ttl) return true;
  auto v = parseUint64(*ttl);
  if (duplicate || !v || *v > 300) {
    call.reply(
        badRequest("messageTtlSeconds must be an integer from 0 to 300.", "messageTtlSeconds"));
    return false;
  }
  *ttlSeconds = static_cast<uint32_t>(*v);
  return true;
}

void RestApi::send(const CallPtr& call) {
  const auto& t = call->target;
  Target target = targetOf(call->params);
  bool fromGroup = target.kind == Target::Kind::kGroup;
  std::optional<uint32_t> ttlSeconds;
  if (!readMessageTtl(*call, &ttlSeconds)) return;
  if (target.kind != Target::Kind::kConnection) {
    auto f = parseFilter(querySingle(t, "filter"));
    if (!f) {
      call->reply(badRequest(f.status().message()));
      return;
    }
    target.filter = std::move(f.value());
  }
  if (target.kind == Target::Kind::kAll || target.kind == Target::Kind::kGroup) {
    target.excluded = queryValues(t, "excluded");
  }
  auto payload = payloadFromBody(call->request.headers, std::move(call->request.body));
  if (!payload) {
    if (payload.status().code() == StatusCode::kUnsupported) {
      call->reply(errorResponse(415, "Error.UnsupportedMediaType", payload.status().message()));
    } else {
      call->reply(badRequest(payload.status().message()));
    }
    return;
  }
  auto metadata = metadataFromHeaders(call->request.headers);
  if (!metadata) {
    call->reply(badRequest(metadata.status().message()));
    return;
  }
  protocol::DataMessage m;
  m.from = fromGroup ? protocol::MessageSource::kGroup : protocol::MessageSource::kServer;
  if (fromGroup) m.group = target.name;
  m.payload = std::move(payload.value());
  m.metadata = std::move(metadata.value());
  // The TTL runs from acceptance (this 202), spec 1.1 §5.
  TimePoint deadline = core::ttlDeadline(call->loop->now(), ttlSeconds);
  engine_.broker().publish(call->hubKey, target,
                           core::OutboundMessage::make(std::move(m), deadline));
  call->reply(emptyResponse(202));
}

void RestApi::close(const CallPtr& call) {
  Target target = targetOf(call->params);
  if (target.kind != Target::Kind::kConnection)
    target.excluded = queryValues(call->target, "excluded");
  std::string reason = querySingle(call->target, "reason").value_or("");
  engine_.broker().closeConnections(call->hubKey, target, std::move(reason), *call->loop,
                                    [call](Status st) { call->reply(successOr(st, 204)); });
}

void RestApi::exists(const CallPtr& call) {
  Target target = targetOf(call->params);
  std::string code = notExistedCode(target.kind);
  engine_.broker().count(call->hubKey, target, *call->loop, [call, code](StatusOr<size_t> n) {
    if (!n) {
      call->reply(brokerFailure(n.status()));
      return;
    }
    call->reply(*n > 0 ? emptyResponse(200) : notFoundHead(code));
  });
}

void RestApi::leaveAllGroups(const CallPtr& call) {
  engine_.broker().leaveAllGroups(
      call->hubKey, targetOf(call->params), *call->loop,
      [call](StatusOr<size_t> matched) { call->reply(successOr(matched.status(), 204)); });
}

// A single connection already at limits.max_groups_per_connection is refused with 400; the
// connections of a user that are at the limit are skipped (the call succeeds).
void RestApi::addMember(const CallPtr& call) {
  Target member = targetOf(call->params);  // the user or connection (not the group)
  HttpResponse notFound = memberNotFound(member);
  bool oneConnection = member.kind == Target::Kind::kConnection;
  size_t limit = settingsOn(call->request.worker).limits.maxGroupsPerConnection;
  engine_.broker().addToGroups(
      call->hubKey, member, {*call->params.group}, *call->loop,
      [call, notFound, oneConnection, limit](StatusOr<core::AddToGroupsResult> added) {
        if (!added) {
          call->reply(brokerFailure(added.status()));
        } else if (added->matched == 0) {
          call->reply(notFound);
        } else if (oneConnection && added->atLimit > 0) {
          call->reply(groupLimitReached(limit));
        } else {
          call->reply(emptyResponse(200));
        }
      });
}

void RestApi::removeMember(const CallPtr& call) {
  engine_.broker().removeFromGroups(
      call->hubKey, targetOf(call->params), {*call->params.group}, *call->loop,
      [call](StatusOr<size_t> matched) { call->reply(successOr(matched.status(), 204)); });
}

void RestApi::addToGroups(const CallPtr& call) {
  changeGroups(call, true);
}

void RestApi::removeFromGroups(const CallPtr& call) {
  changeGroups(call, false);
}

void RestApi::changeGroups(const CallPtr& call, bool add) {
  if (auto error = checkJsonContentType(call->request.headers)) {
    call->reply(std::move(*error));
    return;
  }
  GroupsBody body;
  if (auto error = parseGroupsBody(call->request.body, &body)) {
    call->reply(std::move(*error));
    return;
  }
  Target target = Target::all();
  target.filter = std::move(body.filter);
  // Connections at limits.max_groups_per_connection are skipped: the call still succeeds.
  if (add) {
    engine_.broker().addToGroups(
        call->hubKey, target, std::move(body.groups), *call->loop,
        [call](StatusOr<core::AddToGroupsResult> r) { call->reply(successOr(r.status(), 200)); });
  } else {
    engine_.broker().removeFromGroups(
        call->hubKey, target, std::move(body.groups), *call->loop,
        [call](StatusOr<size_t> r) { call->reply(successOr(r.status(), 200)); });
  }
}

std::optional<RestApi::Page> RestApi::parsePage(Call& call, const std::string& group) const {
  const auto& t = call.target;
  for (std::string_view name : {"maxpagesize", "top", "continuationToken"}) {
    if (queryCount(t, name) > 1) {
      call.reply(badRequest(std::string(name) + " may appear at most once.", name));
      return std::nullopt;
    }
  }
  Page page;
  if (auto v = querySingle(t, "maxpagesize")) {
    auto n = parseUint64(*v);
    if (!n || *n < 1 || *n > 200) {
      call.reply(badRequest("maxpagesize must be an integer from 1 to 200.", "maxpagesize"));
      return std::nullopt;
    }
    page.pageSize = *n;
  }
  if (auto v = querySingle(t, "top")) {
    auto n = parseUint64(*v);
    if (!n || *n < 1 || *n > 2147483647) {
      call.reply(badRequest("top must be an integer from 1 to 2147483647.", "top"));
      return std::nullopt;
    }
    page.top = *n;
  }
  if (auto v = querySingle(t, "continuationToken")) {
    if (!v->empty() && v->size() <= 2048) page.after = continuation_.verify(*v, call.hubKey, group);
    if (!page.after) {
      call.reply(badRequest("The continuation token is invalid.", "continuationToken"));
      return std::nullopt;
    }
  }
  page.base = core::publicBaseUrl(settingsOn(call.request.worker),
                                  core::requestOrigin(call.request.secure, call.request.host));
  page.apiVersion = querySingle(t, "api-version").value_or("2024-12-01");
  return page;
}

// {"value":[{"connectionId","userId"}...],"nextLink"} for the page after `page.after`.
std::string RestApi::renderPage(const Call& call, const std::string& group, const Page& page,
                                const std::vector<core::MemberInfo>& all) const {
  size_t limit = page.pageSize;
  if (page.top && *page.top < limit) limit = static_cast<size_t>(*page.top);
  auto it = all.begin();
  if (page.after) {
    it = std::upper_bound(
        all.begin(), all.end(), *page.after,
        [](const std::string& a, const core::MemberInfo& m) { return a < m.connectionId; });
  }
  std::string body = "{\"value\":[";
  size_t n = 0;
  std::string last;
  for (; it != all.end() && n < limit; ++it, ++n) {
    if (n) body += ",";
    body += "{\"connectionId\":";
    appendJsonString(body, it->connectionId);
    if (it->userId) {
      body += ",\"userId\":";
      appendJsonString(body, *it->userId);
    }
    body += "}";
    last = it->connectionId;
  }
  body += "]";
  bool more = it != all.end() && (!page.top || n < *page.top);
  if (more && n > 0) {
    std::string next =
        page.base + "/api/hubs/" + encodeSegment(call.hub) + "/groups/" + encodeSegment(group) +
        "/connections?api-version=" + percentEncodeData(page.apiVersion) +
        "&maxpagesize=" + std::to_string(page.pageSize) +
        "&continuationToken=" + percentEncodeData(continuation_.issue(call.hubKey, group, last));
    if (page.top) next += "&top=" + std::to_string(*page.top - n);
    body += ",\"nextLink\":";
    appendJsonString(body, next);
  }
  body += "}";
  return body;
}

void RestApi::listConnections(const CallPtr& call) {
  const std::string group = *call->params.group;
  auto page = parsePage(*call, group);
  if (!page) return;
  engine_.broker().listGroup(
      call->hubKey, group, *call->loop,
      [this, call, group, page = std::move(*page)](StatusOr<std::vector<core::MemberInfo>> all) {
        if (!all) {
          call->reply(brokerFailure(all.status()));
          return;
        }
        call->reply(HttpResponse{200,
                                 {{"Content-Type", "application/json; charset=utf-8"}},
                                 renderPage(*call, group, page, *all)});
      });
}

void RestApi::permission(const CallPtr& call) {
  const std::string& method = call->request.method;
  core::PermissionOp op = core::PermissionOp::kCheck;  // HEAD, GET
  if (method == "PUT") op = core::PermissionOp::kGrant;
  if (method == "DELETE") op = core::PermissionOp::kRevoke;
  std::string group = querySingle(call->target, "targetName").value_or("");  // bound: valid
  engine_.broker().permission(
      call->hubKey, *call->params.connection, op, call->params.permission, std::move(group),
      *call->loop, [call, op](StatusOr<core::PermissionResult> result) {
        call->reply(result ? permissionResponse(op, *result) : brokerFailure(result.status()));
      });
}

void RestApi::generateToken(const CallPtr& call) {
  const auto& t = call->target;
  core::ClientTokenSpec spec;
  spec.hub = call->hub;
  spec.userId = querySingle(t, "userId");
  if (spec.userId && spec.userId->empty()) spec.userId.reset();
  spec.roles = queryValues(t, "role");
  spec.groups = queryValues(t, "group");
  // A claim that is not UTF-8 would make a token that never verifies.
  bool utf8 = !spec.userId || isValidUtf8(*spec.userId);
  for (const auto* names : {&spec.roles, &spec.groups}) {
    for (const auto& n : *names)
      utf8 = utf8 && isValidUtf8(n);
  }
  if (!utf8) {
    call->reply(badRequest("'userId', 'role' and 'group' must be UTF-8.", "role"));
    return;
  }
  for (const auto& g : spec.groups) {
    if (!protocol::isValidGroupName(g)) {
      call->reply(badRequest("'group' holds an invalid group name.", "group"));
      return;
    }
  }
  if (auto v = querySingle(t, "minutesToExpire")) {
    auto n = parseInt64(*v);
    if (!n || *n < 1 || *n > 2147483647) {
      call->reply(
          badRequest("minutesToExpire must be an integer of at least 1.", "minutesToExpire"));
      return;
    }
    spec.lifetime = std::chrono::minutes(*n);
  }
  std::string clientType = toLowerAscii(querySingle(t, "clientType").value_or("default"));
  if (clientType == "mqtt" || clientType == "socketio") {
    call->reply(errorResponse(501, "NotImplemented",
                              "MQTT and Socket.IO clients are not supported by this server.", ""));
    return;
  }
  if (clientType != "default") {
    call->reply(badRequest("clientType must be Default, MQTT or SocketIO.", "clientType"));
    return;
  }
  const auto& settings = settingsOn(call->request.worker);
  std::string base =
      core::publicBaseUrl(settings, core::requestOrigin(call->request.secure, call->request.host));
  std::string token = core::mintClientToken(settings, base, spec, call->loop->wallNow());
  if (token.size() > auth::kMaxJwtSize) {  // it could never be used
    call->reply(badRequest("The claims make the token too large.", "group"));
    return;
  }
  std::string body = "{\"token\":";
  appendJsonString(body, token);
  body += "}";
  call->reply(
      HttpResponse{200, {{"Content-Type", "application/json; charset=utf-8"}}, std::move(body)});
}

}  // namespace wps::api
