#include "api/rest_api.h"

#include <boost/json.hpp>

#include "filter/filter.h"
#include "api/message_body.h"
#include "api/rest_errors.h"
#include "auth/jwt.h"
#include "cloudevents/url_template.h"
#include "common/log.h"
#include "common/strings.h"
#include "core/broker.h"
#include "core/request_token.h"
#include "metrics/metrics.h"
#include "protocol/names.h"

namespace wps::api {

using http::HttpResponse;
using core::Target;

struct RestApi::Call {
  RestRequest request;
  ParsedTarget target;
  Respond respond;
  std::string hub;     // as given (case preserved)
  std::string hubKey;  // lower-cased
  EventLoop* loop = nullptr;
  bool responded = false;

  void reply(HttpResponse r) {
    if (responded) return;
    responded = true;
    respond(std::move(r));
  }
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

// The base URL clients and SDKs use: the public endpoint, else the request's scheme and Host.
std::string baseUrl(const config::ServerSettings& s, const RestRequest& r) {
  std::string base = s.publicEndpoint;
  if (base.empty()) base = (r.secure ? "https://" : "http://") + r.host;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  return base;
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

}  // namespace

RestApi::RestApi(core::Engine& engine)
    : engine_(engine),
      continuation_(engine.settings().accessKeys.empty() ? std::string_view("none")
                                                         : engine.settings().accessKeys[0]) {}

bool RestApi::handles(std::string_view target) {
  return target == "/api" || startsWith(target, "/api/") || startsWith(target, "/api?");
}

void RestApi::handle(const RestRequest& request, Respond respond) {
  auto call = std::make_shared<Call>();
  call->request = request;
  metrics::CounterBlock& counters = engine_.worker(request.worker % engine_.workerCount()).counters;
  call->respond = [&counters, respond = std::move(respond)](HttpResponse r) {
    if (r.status >= 400) metrics::Metrics::inc(counters.restErrors);
    respond(std::move(r));
  };
  call->loop = &engine_.worker(request.worker % engine_.workerCount()).loop;
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
  const std::string& method = call->request.method;
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
  if (seg.size() == 2 && seg[1] == "health") {
    if (method == "HEAD" || method == "GET") {
      // Degraded: this node serves its own clients but cannot reach the cluster bus.
      bool degraded = engine_.metrics().clusterState.load() == metrics::ClusterState::kDegraded;
      HttpResponse r{degraded ? 503 : 200,
                     {{"Content-Type", "application/json"}},
                     degraded ? R"({"status":"degraded","cluster":"unavailable"})"
                              : R"({"status":"healthy"})"};
      call->reply(std::move(r));
    } else {
      call->reply(errorResponse(405, "Error.MethodNotAllowed", "Use GET or HEAD.", ""));
    }
    return;
  }
  if (seg.size() < 4 || seg[1] != "hubs") {
    call->reply(errorResponse(404, "Error.NotFound", "No such API.", ""));
    return;
  }

  // Authentication (rest-api.md §3.1.3).
  const auto& settings = engine_.settings();
  auto authz = http::findHeader(call->request.headers, "Authorization");
  if (!authz || !istartsWith(*authz, "Bearer ")) {
    HttpResponse r = unauthorized("A bearer token is required.");
    call->reply(std::move(r));
    return;
  }
  auto claims = core::verifyRequestToken(settings, trim(authz->substr(7)), call->loop->wallNow(),
                                         call->target.decodedPath, call->request.host);
  if (!claims) {
    call->reply(unauthorized(claims.status().message()));
    return;
  }

  // api-version: lenient, but present at most once and well-formed.
  bool duplicate = false;
  auto version = querySingle(call->target, "api-version", &duplicate);
  if (duplicate || (version && !isApiVersion(*version))) {
    call->reply(badRequest("The specified API version is not supported.", "api-version"));
    return;
  }

  call->hub = seg[2];
  if (!protocol::isValidHubName(call->hub)) {
    call->reply(badRequest("Invalid hub name.", "hub"));
    return;
  }
  call->hubKey = protocol::hubKey(call->hub);

  // /api/hubs/{hub}/...
  std::vector<std::string> rest(seg.begin() + 3, seg.end());
  auto is = [&](std::initializer_list<std::string_view> shape) {
    if (shape.size() != rest.size()) return false;
    size_t i = 0;
    for (auto part : shape) {
      if (part != "*" && part != rest[i]) return false;
      ++i;
    }
    return true;
  };
  auto methodNotAllowed = [&] {
    call->reply(
        errorResponse(405, "Error.MethodNotAllowed", "This method is not allowed here.", ""));
  };
  auto validGroup = [&](const std::string& g) {
    if (protocol::isValidGroupName(g)) return true;
    call->reply(badRequest("Invalid group name.", "group"));
    return false;
  };
  auto validUser = [&](const std::string& u) {
    if (protocol::isValidUserId(u)) return true;
    call->reply(badRequest("Invalid user id.", "user"));
    return false;
  };

  if (is({":send"})) {
    if (method != "POST") return methodNotAllowed();
    send(call, Target::all(), false);
  } else if (is({":closeConnections"})) {
    if (method != "POST") return methodNotAllowed();
    close(call, Target::all());
  } else if (is({":addToGroups"}) || is({":removeFromGroups"})) {
    if (method != "POST") return methodNotAllowed();
    addToGroups(call, rest[0] == ":addToGroups");
  } else if (is({":generateToken"})) {
    if (method != "POST") return methodNotAllowed();
    generateToken(call);
  } else if (is({"connections", "*", ":send"})) {
    if (method != "POST") return methodNotAllowed();
    send(call, Target::connection(rest[1]), false);
  } else if (is({"connections", "*"})) {
    if (method == "DELETE") {
      close(call, Target::connection(rest[1]));
    } else if (method == "HEAD" || method == "GET") {
      exists(call, Target::connection(rest[1]), "Warning.Connection.NotExisted");
    } else {
      methodNotAllowed();
    }
  } else if (is({"connections", "*", "groups"})) {
    if (method != "DELETE") return methodNotAllowed();
    engine_.broker().leaveAllGroups(call->hubKey, Target::connection(rest[1]), *call->loop,
                                    [call](size_t) { call->reply(emptyResponse(204)); });
  } else if (is({"users", "*", ":send"})) {
    if (method != "POST") return methodNotAllowed();
    if (!validUser(rest[1])) return;
    send(call, Target::user(rest[1]), false);
  } else if (is({"users", "*", ":closeConnections"})) {
    if (method != "POST") return methodNotAllowed();
    if (!validUser(rest[1])) return;
    close(call, Target::user(rest[1]));
  } else if (is({"users", "*"})) {
    if (method != "HEAD" && method != "GET") return methodNotAllowed();
    if (!validUser(rest[1])) return;
    exists(call, Target::user(rest[1]), "Warning.User.NotExisted");
  } else if (is({"users", "*", "groups"})) {
    if (method != "DELETE") return methodNotAllowed();
    if (!validUser(rest[1])) return;
    engine_.broker().leaveAllGroups(call->hubKey, Target::user(rest[1]), *call->loop,
                                    [call](size_t) { call->reply(emptyResponse(204)); });
  } else if (is({"users", "*", "groups", "*"})) {
    if (!validUser(rest[1]) || !validGroup(rest[3])) return;
    Target user = Target::user(rest[1]);
    std::string userId = rest[1];
    if (method == "PUT") {
      engine_.broker().addToGroups(
          call->hubKey, user, {rest[3]}, *call->loop, [call, userId](size_t matched) {
            if (matched == 0) {
              call->reply(errorResponse(404, "Error.User.NotExisted",
                                        "User `" + userId + "` is not found.", "User"));
            } else {
              call->reply(emptyResponse(200));
            }
          });
    } else if (method == "DELETE") {
      engine_.broker().removeFromGroups(call->hubKey, user, {rest[3]}, *call->loop,
                                        [call](size_t) { call->reply(emptyResponse(204)); });
    } else {
      methodNotAllowed();
    }
  } else if (is({"groups", "*", ":send"})) {
    if (method != "POST") return methodNotAllowed();
    if (!validGroup(rest[1])) return;
    send(call, Target::group(rest[1]), true);
  } else if (is({"groups", "*", ":closeConnections"})) {
    if (method != "POST") return methodNotAllowed();
    if (!validGroup(rest[1])) return;
    close(call, Target::group(rest[1]));
  } else if (is({"groups", "*"})) {
    if (method != "HEAD" && method != "GET") return methodNotAllowed();
    if (!validGroup(rest[1])) return;
    exists(call, Target::group(rest[1]), "Warning.Group.NotExisted");
  } else if (is({"groups", "*", "connections"})) {
    if (method != "GET") return methodNotAllowed();
    if (!validGroup(rest[1])) return;
    listConnections(call, rest[1]);
  } else if (is({"groups", "*", "connections", "*"})) {
    if (!validGroup(rest[1])) return;
    Target conn = Target::connection(rest[3]);
    std::string connectionId = rest[3];
    if (method == "PUT") {
      engine_.broker().addToGroups(
          call->hubKey, conn, {rest[1]}, *call->loop, [call, connectionId](size_t matched) {
            if (matched == 0) {
              call->reply(errorResponse(404, "Error.Connection.NotExisted",
                                        "Connection `" + connectionId + "` is not found.",
                                        "Connection"));
            } else {
              call->reply(emptyResponse(200));
            }
          });
    } else if (method == "DELETE") {
      engine_.broker().removeFromGroups(call->hubKey, conn, {rest[1]}, *call->loop,
                                        [call](size_t) { call->reply(emptyResponse(204)); });
    } else {
      methodNotAllowed();
    }
  } else if (is({"permissions", "*", "connections", "*"})) {
    permission(call, rest[1], rest[3]);
  } else {
    call->reply(errorResponse(404, "Error.NotFound", "No such API.", ""));
  }
}

void RestApi::send(std::shared_ptr<Call> call, Target target, bool fromGroup) {
  const auto& t = call->target;
  bool duplicate = false;
  auto ttl = querySingle(t, "messageTtlSeconds", &duplicate);
  if (ttl) {
    auto v = parseUint64(*ttl);
    if (duplicate || !v || *v > 300) {
      call->reply(
          badRequest("messageTtlSeconds must be an integer from 0 to 300.", "messageTtlSeconds"));
      return;
    }
  }
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
  engine_.broker().publish(call->hubKey, target, core::OutboundMessage::make(std::move(m)));
  call->reply(emptyResponse(202));
}

void RestApi::close(std::shared_ptr<Call> call, Target target) {
  if (target.kind != Target::Kind::kConnection)
    target.excluded = queryValues(call->target, "excluded");
  std::string reason = querySingle(call->target, "reason").value_or("");
  engine_.broker().closeConnections(call->hubKey, target, std::move(reason), *call->loop,
                                    [call] { call->reply(emptyResponse(204)); });
}

void RestApi::exists(std::shared_ptr<Call> call, Target target, std::string_view notFoundCode) {
  std::string code(notFoundCode);
  engine_.broker().count(call->hubKey, target, *call->loop, [call, code](size_t n) {
    call->reply(n > 0 ? emptyResponse(200) : notFoundHead(code));
  });
}

void RestApi::addToGroups(std::shared_ptr<Call> call, bool add) {
  auto ct = http::findHeader(call->request.headers, "Content-Type");
  std::string media = ct ? http::mediaType(*ct) : std::string();
  if (media != "application/json") {
    call->reply(errorResponse(415, "Error.UnsupportedMediaType",
                              "The Content-Type must be application/json."));
    return;
  }
  if (ct) {
    auto params = split(*ct, ';');
    for (size_t i = 1; i < params.size(); ++i) {
      std::string_view p = trim(params[i]);
      if (istartsWith(p, "charset=")) {
        std::string cs = toLowerAscii(trim(p.substr(8)));
        if (cs != "utf-8" && cs != "utf8" && cs != "\"utf-8\"") {
          call->reply(errorResponse(415, "Error.UnsupportedMediaType", "Unsupported charset."));
          return;
        }
      }
    }
  }
  boost::system::error_code ec;
  auto root = boost::json::parse(call->request.body, ec);
  if (ec) {
    call->reply(badRequest("The request body is not a valid JSON."));
    return;
  }
  if (!root.is_object()) {
    call->reply(badRequest("The request body must be a JSON object."));
    return;
  }
  const boost::json::value* groupsValue = nullptr;
  const boost::json::value* filterValue = nullptr;
  for (const auto& [k, v] : root.get_object()) {
    std::string_view key(k.data(), k.size());
    if (iequals(key, "groups")) groupsValue = &v;
    if (iequals(key, "filter")) filterValue = &v;
  }
  if (!groupsValue || !groupsValue->is_array() || groupsValue->get_array().empty()) {
    call->reply(badRequest("'groups' must be a non-empty array of group names.", "groups"));
    return;
  }
  std::vector<std::string> groups;
  for (const auto& g : groupsValue->get_array()) {
    if (!g.is_string() || !protocol::isValidGroupName(
                              std::string_view(g.get_string().data(), g.get_string().size()))) {
      call->reply(badRequest("'groups' holds an invalid group name.", "groups"));
      return;
    }
    groups.emplace_back(g.get_string().data(), g.get_string().size());
  }
  Target target = Target::all();
  if (filterValue && !filterValue->is_null()) {
    if (!filterValue->is_string()) {
      call->reply(badRequest("'filter' must be a string.", "filter"));
      return;
    }
    auto f = parseFilter(
        std::string(filterValue->get_string().data(), filterValue->get_string().size()));
    if (!f) {
      call->reply(badRequest(f.status().message()));
      return;
    }
    target.filter = std::move(f.value());
  }
  auto done = [call](size_t) { call->reply(emptyResponse(200)); };
  if (add) {
    engine_.broker().addToGroups(call->hubKey, target, std::move(groups), *call->loop, done);
  } else {
    engine_.broker().removeFromGroups(call->hubKey, target, std::move(groups), *call->loop, done);
  }
}

void RestApi::listConnections(std::shared_ptr<Call> call, const std::string& group) {
  const auto& t = call->target;
  size_t pageSize = 200;
  std::optional<uint64_t> top;
  std::optional<std::string> after;
  for (std::string_view name : {"maxpagesize", "top", "continuationToken"}) {
    if (queryCount(t, name) > 1) {
      call->reply(badRequest(std::string(name) + " may appear at most once.", name));
      return;
    }
  }
  if (auto v = querySingle(t, "maxpagesize")) {
    auto n = parseUint64(*v);
    if (!n || *n < 1 || *n > 200) {
      call->reply(badRequest("maxpagesize must be an integer from 1 to 200.", "maxpagesize"));
      return;
    }
    pageSize = *n;
  }
  if (auto v = querySingle(t, "top")) {
    auto n = parseUint64(*v);
    if (!n || *n < 1 || *n > 2147483647) {
      call->reply(badRequest("top must be an integer from 1 to 2147483647.", "top"));
      return;
    }
    top = *n;
  }
  if (auto v = querySingle(t, "continuationToken")) {
    if (v->empty() || v->size() > 2048) {
      call->reply(badRequest("The continuation token is invalid.", "continuationToken"));
      return;
    }
    after = continuation_.verify(*v, call->hubKey, group);
    if (!after) {
      call->reply(badRequest("The continuation token is invalid.", "continuationToken"));
      return;
    }
  }
  std::string base = baseUrl(engine_.settings(), call->request);
  std::string apiVersion = querySingle(t, "api-version").value_or("2024-12-01");
  engine_.broker().listGroup(
      call->hubKey, group, *call->loop,
      [this, call, group, pageSize, top, after, base,
       apiVersion](std::vector<core::MemberInfo> all) {
        size_t limit = pageSize;
        if (top && *top < limit) limit = static_cast<size_t>(*top);
        auto it = all.begin();
        if (after) {
          it = std::upper_bound(
              all.begin(), all.end(), *after,
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
        bool more = it != all.end() && (!top || n < *top);
        if (more && n > 0) {
          std::string next = base + "/api/hubs/" + encodeSegment(call->hub) + "/groups/" +
                             encodeSegment(group) +
                             "/connections?api-version=" + percentEncodeData(apiVersion) +
                             "&maxpagesize=" + std::to_string(pageSize) + "&continuationToken=" +
                             percentEncodeData(continuation_.issue(call->hubKey, group, last));
          if (top) next += "&top=" + std::to_string(*top - n);
          body += ",\"nextLink\":";
          appendJsonString(body, next);
        }
        body += "}";
        HttpResponse r{200, {{"Content-Type", "application/json; charset=utf-8"}}, std::move(body)};
        call->reply(std::move(r));
      });
}

void RestApi::permission(std::shared_ptr<Call> call, const std::string& permissionName,
                         const std::string& connectionId) {
  const std::string& method = call->request.method;
  core::PermissionOp op;
  if (method == "PUT") {
    op = core::PermissionOp::kGrant;
  } else if (method == "DELETE") {
    op = core::PermissionOp::kRevoke;
  } else if (method == "HEAD" || method == "GET") {
    op = core::PermissionOp::kCheck;
  } else {
    call->reply(
        errorResponse(405, "Error.MethodNotAllowed", "This method is not allowed here.", ""));
    return;
  }
  auth::Permission p;
  if (iequals(permissionName, "sendToGroup") || permissionName == "1") {
    p = auth::Permission::kSendToGroup;
  } else if (iequals(permissionName, "joinLeaveGroup") || permissionName == "2") {
    p = auth::Permission::kJoinLeaveGroup;
  } else {
    call->reply(badRequest("The permission must be sendToGroup or joinLeaveGroup.", "permission"));
    return;
  }
  auto targetName = querySingle(call->target, "targetName");
  if (!targetName || !protocol::isValidGroupName(*targetName)) {
    call->reply(badRequest("targetName must be a valid group name.", "targetName"));
    return;
  }
  engine_.broker().permission(
      call->hubKey, connectionId, op, p, *targetName, *call->loop,
      [call, op](core::PermissionResult result) {
        using R = core::PermissionResult;
        if (result == R::kConnectionNotFound) {
          if (op == core::PermissionOp::kRevoke) {
            call->reply(emptyResponse(204));
          } else if (op == core::PermissionOp::kCheck) {
            call->reply(notFoundHead("Info.Connection.NotExisted"));
          } else {
            call->reply(errorResponse(404, "Info.Connection.NotExisted",
                                      "The connection does not exist.", "Connection"));
          }
          return;
        }
        if (result == R::kUnavailable) {
          call->reply(errorResponse(503, "Error.ServiceUnavailable",
                                    "The node holding the connection did not answer.", ""));
          return;
        }
        if (result == R::kLimitReached) {
          call->reply(errorResponse(409, "Error.Connection.Conflict",
                                    "The connection has too many permission entries.",
                                    "Connection"));
          return;
        }
        switch (op) {
          case core::PermissionOp::kGrant:
            call->reply(emptyResponse(200));
            break;
          case core::PermissionOp::kRevoke:
            call->reply(emptyResponse(204));
            break;
          case core::PermissionOp::kCheck:
            call->reply(result == R::kAllowed ? emptyResponse(200)
                                              : notFoundHead("Info.Permission.NotExisted"));
            break;
        }
      });
}

void RestApi::generateToken(std::shared_ptr<Call> call) {
  const auto& t = call->target;
  std::optional<std::string> userId = querySingle(t, "userId");
  if (userId && userId->empty()) userId.reset();
  std::vector<std::string> roles = queryValues(t, "role");
  std::vector<std::string> groups = queryValues(t, "group");
  for (const auto& g : groups) {
    if (!protocol::isValidGroupName(g)) {
      call->reply(badRequest("'group' holds an invalid group name.", "group"));
      return;
    }
  }
  int64_t minutes = 60;
  if (auto v = querySingle(t, "minutesToExpire")) {
    auto n = parseInt64(*v);
    if (!n || *n < 1 || *n > 2147483647) {
      call->reply(
          badRequest("minutesToExpire must be an integer of at least 1.", "minutesToExpire"));
      return;
    }
    minutes = *n;
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
  const auto& settings = engine_.settings();
  std::string audience = baseUrl(settings, call->request) + "/client/hubs/" + call->hub;
  std::string payload = auth::buildClientTokenPayload(
      audience, call->loop->wallNow(), std::chrono::minutes(minutes), userId, roles, groups);
  std::string token = auth::signJwt(payload, settings.accessKeys.front());
  std::string body = "{\"token\":";
  appendJsonString(body, token);
  body += "}";
  call->reply(
      HttpResponse{200, {{"Content-Type", "application/json; charset=utf-8"}}, std::move(body)});
}

}  // namespace wps::api
