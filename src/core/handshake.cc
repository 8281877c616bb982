#include "core/handshake.h"

#include <algorithm>

#include "auth/jwt.h"
#include "cloudevents/signature.h"
#include "common/base64.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/strings.h"
#include "core/connection_directory.h"
#include "core/reconnection_tokens.h"
#include "core/request_token.h"
#include "core/session_trace.h"
#include "core/tokens.h"
#include "metrics/metrics.h"
#include "protocol/names.h"

namespace wps::core {
namespace {

using protocol::ClientKind;

HandshakeResult reject(int status, std::string body) {
  HandshakeResult r;
  r.kind = HandshakeResult::Kind::kReject;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// The last value of a query parameter, if present.
const std::string* lastQueryValue(const upstream::MultiMap& query, std::string_view name) {
  for (const auto& [k, values] : query) {
    if (k == name && !values.empty()) return &values.back();
  }
  return nullptr;
}

// The first offered subprotocol equal (case-insensitively) to `name`, in the client's spelling.
const std::string* offered(const std::vector<std::string>& offers, std::string_view name) {
  for (const auto& o : offers) {
    if (iequals(o, name)) return &o;
  }
  return nullptr;
}

// The first offered Web PubSub subprotocol, "" when none.
std::string firstWebPubSubOffer(const std::vector<std::string>& offers) {
  for (const auto& o : offers) {
    if (protocol::webPubSubKind(o)) return o;
  }
  return {};
}

// The outcome of one handshake step: the kReject result to answer, or nullopt to go on.
using Rejection = std::optional<HandshakeResult>;

// Counts a refusal the server decided itself (webpubsubd_handshakes_rejected_total): 401 is a
// missing or bad token; a 500 of accept() is the connect handler's invalid subprotocol choice.
void countRefusal(WorkerContext& worker, const HandshakeResult& r) {
  using metrics::Refusal;
  Refusal reason = r.status == 401   ? Refusal::kUnauthorized
                   : r.status == 500 ? Refusal::kUpstreamFailed
                                     : Refusal::kInvalidRequest;
  metrics::Metrics::refused(worker.counters, reason);
}

// --- Recovery --------------------------------------------------------------------------------

// Recovery of the reliable session `connectionId` (awps_connection_id): no token, no connect
// event (§7.5). kRecover, or kRecoveryFailed when the session cannot be resumed.
HandshakeResult recover(WorkerContext& worker, const HandshakeRequest& req,
                        const std::string& hubKey, const std::string& connectionId) {
  const std::string* token = lastQueryValue(req.query, "awps_reconnection_token");
  auto loc = worker.directory.find(connectionId);
  HandshakeResult r;
  r.kind = HandshakeResult::Kind::kRecoveryFailed;
  r.subprotocol = firstWebPubSubOffer(req.subprotocols);
  if (loc && loc->reliable && loc->hubKey == hubKey && token &&
      worker.tokens.verify(*token, connectionId, worker.loop.wallNow())) {
    if (const std::string* same = offered(req.subprotocols, loc->subprotocol)) {
      r.kind = HandshakeResult::Kind::kRecover;
      r.subprotocol = *same;
      r.worker = loc->worker;
      r.connectionId = connectionId;
    }
  }
  return r;
}

// --- New connections: token, mode, identity --------------------------------------------------

// The access token: ?access_token= (even empty), else Authorization: Bearer; "" when none.
std::string accessToken(const HandshakeRequest& req) {
  if (const std::string* t = lastQueryValue(req.query, "access_token")) return *t;
  if (auto authz = http::findHeader(req.headers, "Authorization")) {
    if (istartsWith(*authz, "Bearer ")) return std::string(trim(authz->substr(7)));
  }
  return {};
}

// Verifies the access token (required unless the hub allows anonymous clients) into `claims`.
Rejection authenticate(WorkerContext& worker, const HandshakeRequest& req,
                       const config::HubSettings& hub, auth::JwtClaims* claims) {
  std::string token = accessToken(req);
  if (token.empty()) {
    if (!hub.allowAnonymous) return reject(401, "An access token is required.");
  } else {
    auto verified = verifyRequestToken(worker.settings(), token, worker.loop.wallNow(),
                                       "/client/hubs/" + req.hub, req.host);
    if (!verified) return reject(401, "Invalid access token: " + verified.status().message());
    *claims = std::move(verified.value());
  }
  for (const auto& g : claims->groups) {
    if (!protocol::isValidGroupName(g)) {
      return reject(400, "The token's webpubsub.group claim holds an invalid group name.");
    }
  }
  return std::nullopt;
}

// The group and noEcho parameters of webpubsub_mode=sendToGroup.
Rejection parseSendToGroupMode(const upstream::MultiMap& query, SessionIdentity* id) {
  id->sendToGroupMode = true;
  const std::string* group = lastQueryValue(query, "group");
  if (!group || !protocol::isValidGroupName(*group)) {
    return reject(400, "webpubsub_mode=sendToGroup needs a valid group parameter.");
  }
  id->modeGroup = *group;
  if (const std::string* noEcho = lastQueryValue(query, "noEcho")) {
    if (iequals(*noEcho, "true")) {
      id->modeNoEcho = true;
    } else if (!noEcho->empty() && !iequals(*noEcho, "false")) {
      return reject(400, "noEcho must be true or false.");
    }
  }
  return std::nullopt;
}

// Simple-client mode parameters (checked for every new connection, whatever its subprotocol).
Rejection parseMode(const upstream::MultiMap& query, SessionIdentity* id) {
  const std::string* mode = lastQueryValue(query, "webpubsub_mode");
  if (!mode) return std::nullopt;
  if (iequals(*mode, "sendToGroup")) return parseSendToGroupMode(query, id);
  if (!mode->empty() && !iequals(*mode, "sendEvent")) {
    return reject(400, "webpubsub_mode must be sendEvent or sendToGroup.");
  }
  return std::nullopt;
}

// Gives the new connection its id and the token's identity.
void identify(const config::ServerSettings& settings, const HandshakeRequest& req,
              const std::string& hubKey, const auth::JwtClaims& claims, SessionIdentity* id) {
  id->hubKey = hubKey;
  id->connectionId = newConnectionId();
  if (claims.sub && !claims.sub->empty()) id->userId = *claims.sub;
  id->roles = claims.roles;
  id->initialGroups = claims.groups;
  id->origin = webhookRequestOrigin(settings, req.host);
  id->cookies = std::make_shared<upstream::CookieJar>();
}

// --- The connect event and its decision ------------------------------------------------------

// The connect event: claims, query (access_token only if forwarded), headers without
// Authorization (same names merged, case-insensitively) and the offered subprotocols.
upstream::UpstreamEvent buildConnectEvent(const config::ServerSettings& settings,
                                          const HandshakeRequest& req,
                                          const auth::JwtClaims& claims) {
  upstream::ConnectBodyInput body;
  body.claims = claims.all;
  for (const auto& [k, values] : req.query) {
    if (k == "access_token" && !settings.upstream.forwardAccessToken) continue;
    body.query.emplace_back(k, values);
  }
  for (const auto& h : req.headers) {
    if (iequals(h.name, "Authorization")) continue;
    auto it = std::find_if(body.headers.begin(), body.headers.end(),
                           [&](const auto& e) { return iequals(e.first, h.name); });
    if (it == body.headers.end()) {
      body.headers.push_back({h.name, {h.value}});
    } else {
      it->second.push_back(h.value);
    }
  }
  body.subprotocols = req.subprotocols;
  upstream::UpstreamEvent ev;
  ev.kind = cloudevents::EventKind::kConnect;
  ev.contentType = "application/json";
  ev.body = upstream::buildConnectBody(body);
  return ev;
}

// Reads the connect event's outcome into `decision` (left empty when the handlers changed
// meanwhile: accept with the token's identity).
Rejection readConnectOutcome(WorkerContext& worker, const upstream::DispatchOutcome& o,
                             const std::string& connectionId,
                             std::optional<upstream::ConnectDecision>* decision) {
  using Kind = upstream::DispatchOutcome::Kind;
  if (o.kind == Kind::kCompleted && o.response && o.response->isSuccess()) {
    auto parsed = upstream::parseConnectAnswer(*o.response,
                                               worker.settings().upstream.maxConnectionStateBytes);
    if (!parsed) {
      WPS_LOG_WARN("connect event for {}: invalid answer: {}", connectionId,
                   parsed.status().message());
      metrics::Metrics::inc(worker.counters.upstreamFailures);
      metrics::Metrics::refused(worker.counters, metrics::Refusal::kUpstreamFailed);
      return reject(500, "The event handler's connect answer is invalid.");
    }
    *decision = std::move(parsed.value());
    return std::nullopt;
  }
  if (o.kind == Kind::kNoHandler) return std::nullopt;
  metrics::Metrics::inc(worker.counters.upstreamFailures);
  bool answered = o.kind == Kind::kCompleted && o.response && o.response->status >= 400 &&
                  o.response->status <= 599;
  metrics::Metrics::refused(worker.counters, answered && o.response->status < 500
                                                 ? metrics::Refusal::kUpstreamDenied
                                                 : metrics::Refusal::kUpstreamFailed);
  if (answered) {
    return reject(o.response->status, "The connection was rejected by the event handler.");
  }
  WPS_LOG_WARN("connect event for {} failed: {}", connectionId,
               o.kind == Kind::kValidationFailed ? std::string("validation failed")
                                                 : o.response.status().toString());
  return reject(500, "The event handler could not be reached.");
}

// The event handler's userId, roles, groups and connection state replace the token's.
void applyDecision(const upstream::ConnectDecision& decision, SessionIdentity* id) {
  if (decision.userId) {
    id->userId =
        decision.userId->empty() ? std::nullopt : std::optional<std::string>(*decision.userId);
  }
  if (decision.roles) id->roles = *decision.roles;
  if (!decision.groups.empty()) id->initialGroups = decision.groups;
  if (decision.connectionState) id->connectionState = *decision.connectionState;
}

// The subprotocol to accept into `chosen`: the event handler's choice (which the client must
// have offered), else the first Web PubSub one offered ("" when the client offered none).
Rejection chooseSubprotocol(const std::vector<std::string>& offers,
                            const std::optional<upstream::ConnectDecision>& decision,
                            std::string* chosen) {
  if (decision && decision->subprotocol) {
    const std::string* selected = offered(offers, *decision->subprotocol);
    if (!selected) {
      return reject(500, "The event handler selected a subprotocol the client did not offer.");
    }
    *chosen = *selected;
    return std::nullopt;
  }
  *chosen = firstWebPubSubOffer(offers);
  if (chosen->empty() && !offers.empty()) {
    return reject(400, "None of the offered subprotocols is supported.");
  }
  return std::nullopt;
}

// Finishes the handshake once the connect decision (if any) is known: kAccept with the new
// session, or kReject.
HandshakeResult accept(WorkerContext& worker, SessionIdentity id,
                       const std::vector<std::string>& offers,
                       std::optional<upstream::ConnectDecision> decision) {
  if (decision) applyDecision(*decision, &id);
  HandshakeResult r;
  r.kind = HandshakeResult::Kind::kAccept;
  if (Rejection rejected = chooseSubprotocol(offers, decision, &r.subprotocol)) {
    return std::move(*rejected);
  }
  id.subprotocol = r.subprotocol;
  id.kind = protocol::webPubSubKind(r.subprotocol).value_or(ClientKind::kSimple);
  // Not make_shared: weak references (the outbox's hooks of undelivered events, timers) must
  // not keep a closed session's memory, only the small control block.
  r.session = std::shared_ptr<ClientSession>(new ClientSession(worker, std::move(id)));
  return r;
}

// Sends the connect event of `id`; `done` gets the answer once the event handler decided.
std::unique_ptr<upstream::RequestHandle> dispatchConnectEvent(
    WorkerContext& worker, HandshakeRequest req, SessionIdentity id, const auth::JwtClaims& claims,
    std::function<void(HandshakeResult)> done) {
  upstream::EventContext ctx;
  ctx.hub = id.hubKey;
  ctx.connectionId = id.connectionId;
  ctx.userId = id.userId;
  ctx.signature = cloudevents::computeSignature(worker.settings().accessKeys, id.connectionId);
  ctx.keysGeneration = worker.dispatcher.keysGeneration();
  ctx.origin = id.origin;
  upstream::UpstreamEvent ev = buildConnectEvent(worker.settings(), req, claims);
  auto cookies = id.cookies;
  metrics::Metrics::inc(worker.counters.upstreamRequests);
  return worker.dispatcher.dispatch(
      ctx, std::move(ev), "0", cookies,
      [&worker, id = std::move(id), offers = std::move(req.subprotocols),
       done = std::move(done)](upstream::DispatchOutcome o) mutable {
        std::optional<upstream::ConnectDecision> decision;
        if (Rejection rejected = readConnectOutcome(worker, o, id.connectionId, &decision)) {
          if (worker.tracer.active()) {
            traceRefused(worker.tracer, {id.hubKey, id.connectionId, id.userId.value_or(""),
                                         rejected->status, rejected->body});
          }
          done(std::move(*rejected));
          return;
        }
        auto r = accept(worker, std::move(id), offers, std::move(decision));
        if (r.kind == HandshakeResult::Kind::kReject) countRefusal(worker, r);
        done(std::move(r));
      });
}

}  // namespace

std::string newConnectionId() {
  return base64UrlEncode(secureRandomBytes(16));
}

std::unique_ptr<upstream::RequestHandle> HandshakeService::handle(
    HandshakeRequest req, std::function<void(HandshakeResult)> done) {
  auto fail = [&](HandshakeResult rejection) {
    countRefusal(worker_, rejection);
    if (worker_.tracer.active()) {
      traceRefused(worker_.tracer, {req.hub, "", "", rejection.status, rejection.body});
    }
    done(std::move(rejection));
    return nullptr;
  };
  if (!protocol::isValidHubName(req.hub)) return fail(reject(400, "Invalid hub name."));
  std::string hubKey = protocol::hubKey(req.hub);
  const config::HubSettings& hub = config::hubSettings(worker_.settings(), hubKey);
  if (const std::string* connectionId = lastQueryValue(req.query, "awps_connection_id")) {
    done(recover(worker_, req, hubKey, *connectionId));
    return nullptr;
  }
  auth::JwtClaims claims;
  if (Rejection rejected = authenticate(worker_, req, hub, &claims)) {
    return fail(std::move(*rejected));
  }
  SessionIdentity id;
  if (Rejection rejected = parseMode(req.query, &id)) return fail(std::move(*rejected));
  identify(worker_.settings(), req, hubKey, claims, &id);
  if (!worker_.dispatcher.hasHandler(hubKey, cloudevents::EventKind::kConnect, {})) {
    auto r = accept(worker_, std::move(id), req.subprotocols, std::nullopt);
    if (r.kind == HandshakeResult::Kind::kReject) countRefusal(worker_, r);
    done(std::move(r));
    return nullptr;
  }
  return dispatchConnectEvent(worker_, std::move(req), std::move(id), claims, std::move(done));
}

}  // namespace wps::core
