// webpubsub::upstream core: request parsing, response building, EventHandler and responders.
// No I/O, no Asio.
#include "webpubsub/upstream.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <mutex>

#include "cloudevents/signature.h"
#include "common/base64.h"
#include "common/strings.h"
#include "http/message.h"
#include "protocol/data_type.h"
#include "upstream_presence.h"

namespace webpubsub::upstream {
namespace json = boost::json;

namespace {

constexpr std::string_view kSysPrefix = "azure.webpubsub.sys.";
constexpr std::string_view kUserPrefix = "azure.webpubsub.user.";

Error makeError(int status, std::string code, std::string message) {
  return Error{status, std::move(code), std::move(message)};
}

std::string headerOr(const HttpRequest& r, std::string_view name) {
  auto v = r.header(name);
  return v ? std::string(*v) : std::string();
}

// Every value of `name`, joined with ',' (several header lines count as one list).
std::string joinedHeader(const Headers& headers, std::string_view name) {
  std::string out;
  for (const auto& [n, v] : headers) {
    if (!wps::iequals(n, name)) continue;
    if (!out.empty()) out.push_back(',');
    out += v;
  }
  return out;
}

std::optional<std::string_view> lastHeader(const Headers& headers, std::string_view name) {
  std::optional<std::string_view> out;
  for (const auto& [n, v] : headers) {
    if (wps::iequals(n, name)) out = v;
  }
  return out;
}

// A JSON scalar rendered as the string the service would have sent.
std::optional<std::string> scalarText(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_int64()) return std::to_string(v.get_int64());
  if (v.is_uint64()) return std::to_string(v.get_uint64());
  if (v.is_bool()) return v.get_bool() ? "true" : "false";
  if (v.is_double()) return json::serialize(v);
  return std::nullopt;
}

// {"k": ["a","b"], "k2": "c"} -> StringListMap. Strings/numbers are accepted as one-item lists;
// null as an empty list; anything else is an error.
std::optional<StringListMap> stringListMap(const json::value* v) {
  StringListMap out;
  if (!v || v->is_null()) return out;
  if (!v->is_object()) return std::nullopt;
  for (const auto& [key, item] : v->get_object()) {
    auto& list = out[std::string(key)];
    if (item.is_null()) continue;
    if (item.is_array()) {
      for (const auto& e : item.get_array()) {
        if (e.is_null()) continue;
        auto s = scalarText(e);
        if (!s) return std::nullopt;
        list.push_back(std::move(*s));
      }
      continue;
    }
    auto s = scalarText(item);
    if (!s) return std::nullopt;
    list.push_back(std::move(*s));
  }
  return out;
}

std::optional<std::vector<std::string>> stringArray(const json::value* v) {
  std::vector<std::string> out;
  if (!v || v->is_null()) return out;
  if (!v->is_array()) return std::nullopt;
  for (const auto& e : v->get_array()) {
    if (!e.is_string()) return std::nullopt;
    out.emplace_back(e.get_string());
  }
  return out;
}

Error invalidConnectBody(std::string_view detail) {
  return makeError(400, "InvalidBody", "Invalid connect request body: " + std::string(detail));
}

Result<Event> parseConnect(ConnectionContext ctx, const std::string& body) {
  std::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec) return invalidConnectBody("not valid JSON (" + ec.message() + ").");
  if (!doc.is_object()) return invalidConnectBody("not a JSON object.");
  const auto& o = doc.get_object();
  ConnectRequest req;
  req.context = std::move(ctx);
  auto claims = stringListMap(o.if_contains("claims"));
  if (!claims) return invalidConnectBody("'claims' must be an object of string arrays.");
  auto query = stringListMap(o.if_contains("query"));
  if (!query) return invalidConnectBody("'query' must be an object of string arrays.");
  auto headers = stringListMap(o.if_contains("headers"));
  if (!headers) return invalidConnectBody("'headers' must be an object of string arrays.");
  auto subprotocols = stringArray(o.if_contains("subprotocols"));
  if (!subprotocols) return invalidConnectBody("'subprotocols' must be an array of strings.");
  req.claims = std::move(*claims);
  req.query = std::move(*query);
  req.headers = std::move(*headers);
  req.subprotocols = std::move(*subprotocols);
  if (const json::value* certs = o.if_contains("clientCertificates"); certs && !certs->is_null()) {
    if (!certs->is_array()) return invalidConnectBody("'clientCertificates' must be an array.");
    for (const auto& c : certs->get_array()) {
      if (!c.is_object()) return invalidConnectBody("'clientCertificates' items must be objects.");
      ClientCertificate cert;
      const auto& co = c.get_object();
      if (const auto* t = co.if_contains("thumbprint"); t && t->is_string()) {
        cert.thumbprint = std::string(t->get_string());
      }
      if (const auto* t = co.if_contains("content"); t && t->is_string()) {
        cert.content = std::string(t->get_string());
      }
      req.clientCertificates.push_back(std::move(cert));
    }
  }
  return Event(std::move(req));
}

Result<Event> parseDisconnected(ConnectionContext ctx, const std::string& body) {
  DisconnectedRequest req;
  req.context = std::move(ctx);
  if (wps::trim(body).empty()) return Event(std::move(req));
  std::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object()) {
    return makeError(400, "InvalidBody",
                     "Invalid disconnected request body: expected a JSON object.");
  }
  if (const auto* r = doc.get_object().if_contains("reason")) {
    if (r->is_string()) {
      req.reason = std::string(r->get_string());
    } else if (!r->is_null()) {
      return makeError(400, "InvalidBody",
                       "Invalid disconnected request body: 'reason' must be a string.");
    }
  }
  return Event(std::move(req));
}

Result<Event> parseUserEvent(ConnectionContext ctx, const HttpRequest& request) {
  UserEventRequest req;
  auto contentType = request.header("Content-Type");
  std::string media = contentType ? wps::http::mediaType(*contentType) : "";
  if (media.empty() || media == "application/octet-stream") {
    req.dataType = DataType::kBinary;
  } else if (media == "text/plain") {
    req.dataType = DataType::kText;
  } else if (media == "application/json") {
    req.dataType = DataType::kJson;
    std::error_code ec;
    json::parse(request.body, ec);
    if (ec) {
      return makeError(400, "InvalidBody",
                       "The user event is declared application/json but its body is not valid "
                       "JSON.");
    }
  } else {
    return makeError(415, "UnsupportedContentType",
                     "Unsupported Content-Type '" + std::string(*contentType) +
                         "' for a user event: expected text/plain, application/json or "
                         "application/octet-stream.");
  }
  req.context = std::move(ctx);
  req.data = request.body;
  return Event(std::move(req));
}

std::string normalizedOrigin(std::string_view allowed) {
  std::string_view s = wps::trim(allowed);
  if (size_t scheme = s.find("://"); scheme != std::string_view::npos) s.remove_prefix(scheme + 3);
  if (size_t slash = s.find('/'); slash != std::string_view::npos) s = s.substr(0, slash);
  return wps::toLowerAscii(s);
}

std::string_view withoutPort(std::string_view host) {
  if (!host.empty() && host.front() == '[') {  // [v6]:port
    size_t close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(0, close + 1);
  }
  size_t colon = host.rfind(':');
  if (colon != std::string_view::npos && host.find(':') == colon) return host.substr(0, colon);
  return host;
}

HttpResponse textResponse(int status, std::string_view message) {
  HttpResponse r;
  r.status = status;
  if (!message.empty()) {
    r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
    r.body = std::string(message);
  }
  return r;
}

int failureStatus(int status) {
  return status >= 400 && status <= 599 ? status : 500;
}

void appendJsonArray(json::object& o, std::string_view key, const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v)
    a.emplace_back(s);
  o[key] = std::move(a);
}

// Why `request` cannot be an event at all (not a POST, or one of the four identifying ce-*
// headers missing); nullopt when it can.
std::optional<Error> notAnEventRequest(const HttpRequest& request) {
  if (request.method != "POST") {
    return makeError(405, "MethodNotAllowed",
                     "Method " + request.method + " is not allowed for Web PubSub events.");
  }
  const bool presence = isGroupPresenceRequest(request);  // routed on ce-type alone
  for (std::string_view required : {"ce-type", "ce-connectionId", "ce-hub", "ce-eventName"}) {
    if (presence && required == "ce-eventName") continue;
    if (!request.header(required)) {
      return makeError(400, "MissingHeader",
                       "Missing " + std::string(required) +
                           " header: not a valid Web PubSub "
                           "event request.");
    }
  }
  return std::nullopt;
}

// The connection context the ce-* headers of an event request carry.
ConnectionContext readContext(const HttpRequest& request) {
  ConnectionContext ctx;
  ctx.eventType = headerOr(request, "ce-type");
  ctx.connectionId = headerOr(request, "ce-connectionId");
  ctx.hub = headerOr(request, "ce-hub");
  ctx.eventName = headerOr(request, "ce-eventName");
  if (auto u = request.header("ce-userId"); u && !u->empty()) ctx.userId = std::string(*u);
  if (auto s = request.header("ce-subprotocol"); s && !s->empty()) {
    ctx.subprotocol = std::string(*s);
  }
  ctx.origin = headerOr(request, "WebHook-Request-Origin");
  ctx.signature = joinedHeader(request.headers, "ce-signature");
  ctx.id = headerOr(request, "ce-id");
  ctx.time = headerOr(request, "ce-time");
  if (auto state = lastHeader(request.headers, "ce-connectionState")) {
    ctx.rawConnectionState = std::string(*state);
    if (auto decoded = decodeConnectionState(*state)) ctx.states = std::move(*decoded);
  }
  return ctx;
}

enum class EventKind { kConnect, kConnected, kDisconnected, kUser, kGroupJoined, kGroupLeft };

// The kind of event ce-type names; nullopt for an unsupported type.
std::optional<EventKind> eventKindOf(const std::string& eventType) {
  if (eventType == "azure.webpubsub.sys.connect") return EventKind::kConnect;
  if (eventType == "azure.webpubsub.sys.connected") return EventKind::kConnected;
  if (eventType == "azure.webpubsub.sys.disconnected") return EventKind::kDisconnected;
  if (eventType == detail::kGroupJoinedType) return EventKind::kGroupJoined;
  if (eventType == detail::kGroupLeftType) return EventKind::kGroupLeft;
  if (wps::startsWith(eventType, kUserPrefix) && eventType.size() > kUserPrefix.size()) {
    return EventKind::kUser;
  }
  return std::nullopt;
}

Error unsupportedEventType(const std::string& eventType) {
  return makeError(400, "UnsupportedEventType",
                   "Unsupported ce-type '" + eventType + "'" +
                       (wps::startsWith(eventType, kSysPrefix)
                            ? ": not a connect, connected or disconnected event."
                            : ": expected azure.webpubsub.sys.*, azure.webpubsub.gp.joined, "
                              "azure.webpubsub.gp.left or azure.webpubsub.user.*."));
}

// Why the event must not be handled here: another hub than options.hub (when set), or a
// signature that no access key produces (when keys are set); nullopt when it may.
std::optional<Error> rejectedByOptions(const ConnectionContext& ctx, const ParseOptions& options) {
  if (!options.hub.empty() && !wps::iequals(options.hub, ctx.hub)) {
    return makeError(
        400, "HubMismatch",
        "The request is for hub '" + ctx.hub + "', this handler serves '" + options.hub + "'.");
  }
  if (!options.accessKeys.empty() &&
      !wps::cloudevents::verifySignature(ctx.signature, options.accessKeys, ctx.connectionId)) {
    return makeError(401, "SignatureInvalid", "Signature validation failed.");
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string_view> findHeader(const Headers& headers, std::string_view name) {
  for (const auto& [n, v] : headers) {
    if (wps::iequals(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}

std::optional<std::string> ConnectRequest::queryValue(std::string_view name) const {
  auto it = query.find(std::string(name));
  if (it == query.end() || it->second.empty()) return std::nullopt;
  return it->second.front();
}

// The SDK's data types are the first three of the service's, in the same order.
static_assert(
    static_cast<int>(DataType::kText) == static_cast<int>(wps::protocol::DataType::kText) &&
    static_cast<int>(DataType::kJson) == static_cast<int>(wps::protocol::DataType::kJson) &&
    static_cast<int>(DataType::kBinary) == static_cast<int>(wps::protocol::DataType::kBinary));

std::string_view dataTypeName(DataType type) {
  const auto index = static_cast<unsigned>(type);
  const auto wire = index <= static_cast<unsigned>(DataType::kBinary)
                        ? static_cast<wps::protocol::DataType>(index)
                        : wps::protocol::DataType::kBinary;
  return wps::protocol::dataTypeName(wire);
}

bool isWebPubSubRequest(const HttpRequest& request) {
  return request.header("ce-awpsversion").has_value();
}

bool isValidationRequest(const HttpRequest& request) {
  return isWebPubSubRequest(request) && (request.method == "OPTIONS" || request.method == "GET");
}

std::string encodeConnectionState(const json::object& states) {
  return wps::base64Encode(json::serialize(states));
}

std::optional<json::object> decodeConnectionState(std::string_view header) {
  auto text = wps::base64Decode(wps::trim(header));
  if (!text) return std::nullopt;
  std::error_code ec;
  json::value v = json::parse(*text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.get_object());
}

Result<Event> parseEvent(const HttpRequest& request, const ParseOptions& options) {
  if (auto error = notAnEventRequest(request)) return std::move(*error);
  ConnectionContext ctx = readContext(request);
  const std::optional<EventKind> kind = eventKindOf(ctx.eventType);
  if (!kind) return unsupportedEventType(ctx.eventType);
  if (auto error = rejectedByOptions(ctx, options)) return std::move(*error);
  switch (*kind) {
    case EventKind::kConnect:
      return parseConnect(std::move(ctx), request.body);
    case EventKind::kConnected:
      return Event(ConnectedRequest{std::move(ctx)});
    case EventKind::kDisconnected:
      return parseDisconnected(std::move(ctx), request.body);
    case EventKind::kUser:
      return parseUserEvent(std::move(ctx), request);
    case EventKind::kGroupJoined:
    case EventKind::kGroupLeft:
      return detail::parseGroupPresence(std::move(ctx), request.body,
                                        *kind == EventKind::kGroupJoined);
  }
  return makeError(500, "Internal", "unreachable");
}

HttpResponse answerValidation(const HttpRequest& request, const ValidationOptions& options) {
  auto origin = request.header("WebHook-Request-Origin");
  if (!origin || wps::trim(*origin).empty()) {
    return textResponse(400, "Missing WebHook-Request-Origin header.");
  }
  HttpResponse r;
  if (options.allowedOrigins.empty()) {
    r.headers.emplace_back("WebHook-Allowed-Origin", "*");
    return r;
  }
  std::string requested = wps::toLowerAscii(wps::trim(*origin));
  bool allowed = false;
  for (const auto& a : options.allowedOrigins) {
    std::string host = normalizedOrigin(a);
    if (host == "*" || host == requested || withoutPort(host) == withoutPort(requested)) {
      allowed = true;
    }
    r.headers.emplace_back("WebHook-Allowed-Origin", host);
  }
  if (!allowed) return textResponse(400, "Abuse Protection validation failed.");
  return r;
}

HttpResponse approveConnect(const ConnectResponse& response) {
  json::object o;
  if (response.userId) o["userId"] = *response.userId;
  if (response.groups) appendJsonArray(o, "groups", *response.groups);
  if (response.roles) appendJsonArray(o, "roles", *response.roles);
  if (response.subprotocol) o["subprotocol"] = *response.subprotocol;
  HttpResponse r;
  if (o.empty()) {
    r.status = 204;
    return r;
  }
  r.status = 200;
  r.headers.emplace_back("Content-Type", "application/json");
  r.body = json::serialize(o);
  return r;
}

HttpResponse denyConnect(int status, std::string_view message) {
  return textResponse(failureStatus(status), message);
}

HttpResponse replyUserEvent(DataType type, std::string data) {
  if (data.empty()) return emptyReply();
  HttpResponse r;
  switch (type) {
    case DataType::kText:
      r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
      break;
    case DataType::kJson:
      r.headers.emplace_back("Content-Type", "application/json");
      break;
    case DataType::kBinary:
      r.headers.emplace_back("Content-Type", "application/octet-stream");
      break;
  }
  r.body = std::move(data);
  return r;
}

HttpResponse emptyReply() {
  HttpResponse r;
  r.status = 204;
  return r;
}

HttpResponse failUserEvent(int status, std::string_view message) {
  return textResponse(failureStatus(status), message);
}

HttpResponse errorResponse(const Error& error) {
  return textResponse(failureStatus(error.status), error.message);
}

void setConnectionState(HttpResponse& response, const json::object& states) {
  std::erase_if(response.headers,
                [](const Header& h) { return wps::iequals(h.first, "ce-connectionState"); });
  response.headers.emplace_back("ce-connectionState",
                                states.empty() ? std::string() : encodeConnectionState(states));
}

// ---------------------------------------------------------------------------------------------
// Responders

namespace detail {

struct Answer {
  EventHandler::Respond respond;
  std::atomic<bool> done{false};
  json::object states;
  bool stateChanged = false;

  bool send(HttpResponse response, bool success) {
    if (done.exchange(true)) return false;
    if (success && stateChanged) setConnectionState(response, states);
    auto r = std::move(respond);
    respond = nullptr;
    if (r) r(std::move(response));
    return true;
  }

  ~Answer() {
    if (!done.load()) send(textResponse(500, "The event handler did not answer."), false);
  }
};

}  // namespace detail

Responder::Responder(std::shared_ptr<detail::Answer> answer) : answer_(std::move(answer)) {}
Responder::Responder(Responder&&) noexcept = default;
Responder& Responder::operator=(Responder&& other) noexcept {
  answer_ = std::move(other.answer_);
  return *this;
}
Responder::~Responder() = default;

void Responder::setState(const std::string& key, json::value value) {
  if (!answer_) return;
  answer_->states[key] = std::move(value);
  answer_->stateChanged = true;
}

void Responder::clearStates() {
  if (!answer_) return;
  answer_->states.clear();
  answer_->stateChanged = true;
}

const json::object& Responder::states() const {
  static const json::object kEmpty;
  return answer_ ? answer_->states : kEmpty;
}

bool Responder::answered() const {
  return !answer_ || answer_->done.load();
}

bool Responder::finish(HttpResponse response, bool success) {
  return answer_ && answer_->send(std::move(response), success);
}

bool ConnectResponder::approve(const ConnectResponse& response) {
  return finish(approveConnect(response), true);
}

bool ConnectResponder::deny(int status, std::string_view message) {
  return finish(denyConnect(status, message), false);
}

bool UserEventResponder::reply() {
  return finish(emptyReply(), true);
}
bool UserEventResponder::replyText(std::string text) {
  return reply(DataType::kText, std::move(text));
}
bool UserEventResponder::replyJson(std::string json) {
  return reply(DataType::kJson, std::move(json));
}
bool UserEventResponder::replyBinary(std::string bytes) {
  return reply(DataType::kBinary, std::move(bytes));
}
bool UserEventResponder::reply(DataType type, std::string data) {
  if (type == DataType::kJson && !data.empty()) {
    std::error_code ec;
    json::parse(data, ec);
    if (ec) return finish(textResponse(500, "The event handler replied with invalid JSON."), false);
  }
  return finish(replyUserEvent(type, std::move(data)), true);
}
bool UserEventResponder::fail(int status, std::string_view message) {
  return finish(failUserEvent(status, message), false);
}

// ---------------------------------------------------------------------------------------------
// EventHandler

EventHandler::EventHandler(EventHandlerOptions options, Handlers handlers)
    : options_(std::move(options)), handlers_(std::move(handlers)) {}

bool EventHandler::handle(HttpRequest request, Respond respond) const {
  if (!isWebPubSubRequest(request)) return false;
  auto hub = request.header("ce-hub");
  if (hub && !options_.hub.empty() && !wps::iequals(*hub, options_.hub)) return false;
  if (isValidationRequest(request)) {
    respond(answerValidation(request, ValidationOptions{options_.allowedOrigins}));
    return true;
  }
  if (isGroupPresenceRequest(request)) return handleGroupPresence(request, respond);
  auto event = parseEvent(request, ParseOptions{options_.accessKeys, {}});
  if (!event) {
    respond(errorResponse(event.error()));
    return true;
  }
  auto makeAnswer = [&](const ConnectionContext& ctx) {
    auto a = std::make_shared<detail::Answer>();
    a->respond = std::exchange(respond, nullptr);
    a->states = ctx.states;
    return a;
  };
  try {
    if (auto* connect = std::get_if<ConnectRequest>(&event.value())) {
      if (!handlers_.onConnect) {
        respond(approveConnect());
        return true;
      }
      auto answer = makeAnswer(connect->context);
      handlers_.onConnect(std::move(*connect), ConnectResponder(std::move(answer)));
    } else if (auto* user = std::get_if<UserEventRequest>(&event.value())) {
      if (!handlers_.onUserEvent) {
        respond(emptyReply());
        return true;
      }
      auto answer = makeAnswer(user->context);
      handlers_.onUserEvent(std::move(*user), UserEventResponder(std::move(answer)));
    } else if (auto* connected = std::get_if<ConnectedRequest>(&event.value())) {
      if (handlers_.onConnected) handlers_.onConnected(std::move(*connected));
      respond(HttpResponse{});
    } else if (auto* disconnected = std::get_if<DisconnectedRequest>(&event.value())) {
      if (handlers_.onDisconnected) handlers_.onDisconnected(std::move(*disconnected));
      respond(HttpResponse{});
    }
  } catch (...) {
    // Blocking events: the responder (destroyed while unwinding) answered 500 already.
    if (respond) respond(textResponse(500, "The event handler failed."));
  }
  return true;
}

}  // namespace webpubsub::upstream
