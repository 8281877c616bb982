#include "core/handshake.h"

#include "auth/jwt.h"
#include "cloudevents/signature.h"
#include "cloudevents/url_template.h"
#include "common/base64.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/strings.h"
#include "core/connection_directory.h"
#include "core/reconnection_tokens.h"
#include "core/request_token.h"
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

std::string hostWithoutPort(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    return std::string(host.substr(0, close == std::string_view::npos ? host.size() : close + 1));
  }
  size_t colon = host.find(':');
  return std::string(host.substr(0, colon));
}

// The first offered subprotocol equal (case-insensitively) to `name`, in the client's spelling.
const std::string* offered(const std::vector<std::string>& offers, std::string_view name) {
  for (const auto& o : offers) {
    if (iequals(o, name)) return &o;
  }
  return nullptr;
}

}  // namespace

std::string newConnectionId() {
  return base64UrlEncode(secureRandomBytes(16));
}

std::unique_ptr<upstream::RequestHandle> HandshakeService::handle(
    HandshakeRequest req, std::function<void(HandshakeResult)> done) {
  const config::ServerSettings& settings = worker_.settings;
  auto fail = [&](int status, std::string body) {
    metrics::Metrics::inc(worker_.counters.handshakesRejected);
    done(reject(status, std::move(body)));
    return nullptr;
  };
  if (!protocol::isValidHubName(req.hub)) return fail(400, "Invalid hub name.");
  std::string hubKey = protocol::hubKey(req.hub);
  const config::HubSettings& hub = config::hubSettings(settings, hubKey);

  // Recovery of a reliable session: no token, no connect event (§7.5).
  if (const std::string* connId = lastQueryValue(req.query, "awps_connection_id")) {
    const std::string* token = lastQueryValue(req.query, "awps_reconnection_token");
    auto loc = worker_.directory.find(*connId);
    HandshakeResult r;
    r.kind = HandshakeResult::Kind::kRecoveryFailed;
    for (const auto& o : req.subprotocols) {
      if (protocol::webPubSubKind(o)) {
        r.subprotocol = o;
        break;
      }
    }
    if (loc && loc->reliable && loc->hubKey == hubKey && token &&
        worker_.tokens.verify(*token, *connId, worker_.loop.wallNow())) {
      if (const std::string* same = offered(req.subprotocols, loc->subprotocol)) {
        r.kind = HandshakeResult::Kind::kRecover;
        r.subprotocol = *same;
        r.worker = loc->worker;
        r.connectionId = *connId;
      }
    }
    done(std::move(r));
    return nullptr;
  }

  // Access token.
  std::string token;
  if (const std::string* t = lastQueryValue(req.query, "access_token")) {
    token = *t;
  } else if (auto authz = http::findHeader(req.headers, "Authorization")) {
    if (istartsWith(*authz, "Bearer ")) token = std::string(trim(authz->substr(7)));
  }
  auth::JwtClaims claims;
  if (token.empty()) {
    if (!hub.allowAnonymous) return fail(401, "An access token is required.");
  } else {
    auto verified = verifyRequestToken(settings, token, worker_.loop.wallNow(),
                                       "/client/hubs/" + req.hub, req.host);
    if (!verified) return fail(401, "Invalid access token: " + verified.status().message());
    claims = std::move(verified.value());
  }
  for (const auto& g : claims.groups) {
    if (!protocol::isValidGroupName(g)) {
      return fail(400, "The token's webpubsub.group claim holds an invalid group name.");
    }
  }

  // Simple-client mode parameters (checked for every new connection).
  SessionIdentity id;
  if (const std::string* mode = lastQueryValue(req.query, "webpubsub_mode")) {
    if (iequals(*mode, "sendToGroup")) {
      id.sendToGroupMode = true;
      const std::string* group = lastQueryValue(req.query, "group");
      if (!group || !protocol::isValidGroupName(*group)) {
        return fail(400, "webpubsub_mode=sendToGroup needs a valid group parameter.");
      }
      id.modeGroup = *group;
      if (const std::string* noEcho = lastQueryValue(req.query, "noEcho")) {
        if (iequals(*noEcho, "true")) {
          id.modeNoEcho = true;
        } else if (!noEcho->empty() && !iequals(*noEcho, "false")) {
          return fail(400, "noEcho must be true or false.");
        }
      }
    } else if (!mode->empty() && !iequals(*mode, "sendEvent")) {
      return fail(400, "webpubsub_mode must be sendEvent or sendToGroup.");
    }
  }

  id.hubKey = hubKey;
  id.connectionId = newConnectionId();
  if (claims.sub && !claims.sub->empty()) id.userId = *claims.sub;
  id.roles = claims.roles;
  id.initialGroups = claims.groups;
  if (!settings.upstream.requestOrigin.empty()) {
    id.origin = settings.upstream.requestOrigin;
  } else if (!settings.publicEndpoint.empty()) {
    auto parts = cloudevents::parseHttpUrl(settings.publicEndpoint);
    id.origin = parts ? parts->host : hostWithoutPort(req.host);
  } else {
    id.origin = hostWithoutPort(req.host);
  }
  id.cookies = std::make_shared<upstream::CookieJar>();

  // Finishes the handshake once the connect decision (if any) is known.
  auto complete = [this, hubKey](
                      SessionIdentity id, std::vector<std::string> offers,
                      std::optional<upstream::ConnectDecision> decision) -> HandshakeResult {
    if (decision) {
      if (decision->userId) {
        id.userId = decision->userId->empty() ? std::nullopt
                                              : std::optional<std::string>(*decision->userId);
      }
      if (decision->roles) id.roles = *decision->roles;
      if (!decision->groups.empty()) id.initialGroups = decision->groups;
      if (decision->connectionState) id.connectionState = *decision->connectionState;
    }
    HandshakeResult r;
    r.kind = HandshakeResult::Kind::kAccept;
    if (decision && decision->subprotocol) {
      const std::string* chosen = offered(offers, *decision->subprotocol);
      if (!chosen) {
        return reject(500, "The event handler selected a subprotocol the client did not offer.");
      }
      r.subprotocol = *chosen;
    } else {
      for (const auto& o : offers) {
        if (protocol::webPubSubKind(o)) {
          r.subprotocol = o;
          break;
        }
      }
      if (r.subprotocol.empty() && !offers.empty()) {
        return reject(400, "None of the offered subprotocols is supported.");
      }
    }
    id.subprotocol = r.subprotocol;
    id.kind = protocol::webPubSubKind(r.subprotocol).value_or(ClientKind::kSimple);
    r.session = std::make_shared<ClientSession>(worker_, std::move(id));
    return r;
  };

  if (!worker_.dispatcher.hasHandler(hubKey, cloudevents::EventKind::kConnect, {})) {
    auto r = complete(std::move(id), req.subprotocols, std::nullopt);
    if (r.kind == HandshakeResult::Kind::kReject) {
      metrics::Metrics::inc(worker_.counters.handshakesRejected);
    }
    done(std::move(r));
    return nullptr;
  }

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

  upstream::EventContext ctx;
  ctx.hub = hubKey;
  ctx.connectionId = id.connectionId;
  ctx.userId = id.userId;
  ctx.signature = cloudevents::computeSignature(settings.accessKeys, id.connectionId);
  ctx.origin = id.origin;
  upstream::UpstreamEvent ev;
  ev.kind = cloudevents::EventKind::kConnect;
  ev.contentType = "application/json";
  ev.body = upstream::buildConnectBody(body);
  auto cookies = id.cookies;
  metrics::Metrics::inc(worker_.counters.upstreamRequests);
  return worker_.dispatcher.dispatch(
      ctx, std::move(ev), "0", cookies,
      [this, complete, id = std::move(id), offers = req.subprotocols,
       done = std::move(done)](upstream::DispatchOutcome o) mutable {
        using Kind = upstream::DispatchOutcome::Kind;
        std::optional<upstream::ConnectDecision> decision;
        if (o.kind == Kind::kCompleted && o.response && o.response->isSuccess()) {
          auto parsed = upstream::parseConnectAnswer(
              *o.response, worker_.settings.upstream.maxConnectionStateBytes);
          if (!parsed) {
            WPS_LOG_WARN("connect event for {}: invalid answer: {}", id.connectionId,
                         parsed.status().message());
            metrics::Metrics::inc(worker_.counters.upstreamFailures);
            metrics::Metrics::inc(worker_.counters.handshakesRejected);
            done(reject(500, "The event handler's connect answer is invalid."));
            return;
          }
          decision = std::move(parsed.value());
        } else if (o.kind == Kind::kNoHandler) {
          // Handlers changed meanwhile: accept with the token's identity.
        } else {
          metrics::Metrics::inc(worker_.counters.upstreamFailures);
          metrics::Metrics::inc(worker_.counters.handshakesRejected);
          if (o.kind == Kind::kCompleted && o.response && o.response->status >= 400 &&
              o.response->status <= 599) {
            done(reject(o.response->status, "The connection was rejected by the event handler."));
          } else {
            WPS_LOG_WARN("connect event for {} failed: {}", id.connectionId,
                         o.kind == Kind::kValidationFailed ? std::string("validation failed")
                                                           : o.response.status().toString());
            done(reject(500, "The event handler could not be reached."));
          }
          return;
        }
        auto r = complete(std::move(id), std::move(offers), std::move(decision));
        if (r.kind == HandshakeResult::Kind::kReject) {
          metrics::Metrics::inc(worker_.counters.handshakesRejected);
        }
        done(std::move(r));
      });
}

}  // namespace wps::core
