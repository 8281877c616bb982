// webpubsub::upstream: the framework-agnostic core of a Web PubSub event handler ("upstream").
//
// The service (Azure Web PubSub or webpubsubd) POSTs one CloudEvents request per event and
// probes the handler with an abuse-protection OPTIONS request. This header turns such an HTTP
// request (method, headers, body) into a typed event and builds the HTTP answer:
//
//  - Adapter-free, pure functions: isWebPubSubRequest(), parseEvent(), answerValidation() and
//    the response builders (approveConnect(), denyConnect(), replyUserEvent(), ...). Bring your
//    own HTTP server, call them, write the HttpResponse back.
//  - EventHandler: the same, wired to callbacks (onConnect, onConnected, onDisconnected,
//    onUserEvent, onGroupJoined, onGroupLeft) with responder objects that may answer later, from
//    any thread.
//  - upstream_server.h mounts EventHandlers in a ready Boost.Beast HTTP server.
//
// Protocol reference: the Azure Web PubSub "CloudEvents extension for HTTP" (signature,
// ce-awpsversion, abuse protection, connection state as base64 of a JSON object).
//
// Error codes returned by parseEvent() (Error::code; Error::status is the answer's status):
//   "MethodNotAllowed" 405, "MissingHeader" 400, "UnsupportedEventType" 400,
//   "HubMismatch" 400, "InvalidBody" 400, "UnsupportedContentType" 415,
//   "SignatureInvalid" 401 (message "Signature validation failed.").
// Abuse-protection failures are answered by answerValidation() (400); the Beast adapter answers
// 413 for bodies over its limit and 404 for requests nobody takes.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "webpubsub/result.h"

namespace webpubsub::upstream {

// ---------------------------------------------------------------------------------------------
// HTTP values (no I/O)

using Header = std::pair<std::string, std::string>;  // name (any case), value
using Headers = std::vector<Header>;

// The first value of header `name` (ASCII case-insensitive) in `headers`, if any.
std::optional<std::string_view> findHeader(const Headers& headers, std::string_view name);

struct HttpRequest {
  std::string method;  // "POST", "OPTIONS", "GET", ... (case-sensitive, as on the wire)
  std::string target;  // path and query as received, e.g. "/eventhandler/connect?code=x"
  Headers headers;     // in order, repeated names kept
  std::string body;

  std::optional<std::string_view> header(std::string_view name) const {
    return findHeader(headers, name);
  }
};

struct HttpResponse {
  int status = 200;
  Headers headers;
  std::string body;

  std::optional<std::string_view> header(std::string_view name) const {
    return findHeader(headers, name);
  }
};

// ---------------------------------------------------------------------------------------------
// Typed requests

// String -> list of strings, as claims, query and headers arrive in the connect body.
using StringListMap = std::map<std::string, std::vector<std::string>>;

// What every event carries about its connection (from the ce-* headers).
struct ConnectionContext {
  std::string hub;           // ce-hub (the service sends it lower-cased)
  std::string connectionId;  // ce-connectionId
  // ce-eventName: "connect", "connected", "disconnected", "joined", "left" or the user event
  std::string eventName;
  std::string eventType;                   // ce-type, e.g. "azure.webpubsub.user.message"
  std::optional<std::string> userId;       // ce-userId; absent (or empty) for anonymous connections
  std::optional<std::string> subprotocol;  // ce-subprotocol; absent when none was selected
  std::string origin;                      // WebHook-Request-Origin (the service host)
  std::string signature;                   // ce-signature, verbatim
  std::string id;                          // ce-id
  std::string time;                        // ce-time
  // Connection state decoded from ce-connectionState (base64 of a UTF-8 JSON object, the
  // convention of the official SDKs). Empty when absent or not in that form (like
  // @azure/web-pubsub-express); rawConnectionState keeps the header verbatim.
  boost::json::object states;
  std::string rawConnectionState;
};

struct ClientCertificate {
  std::string thumbprint;
  std::string content;
};

// azure.webpubsub.sys.connect: the service waits for the answer before the client's WebSocket
// handshake completes.
struct ConnectRequest {
  ConnectionContext context;
  StringListMap claims;   // every claim of the client's token; numbers as decimal strings
  StringListMap query;    // the upgrade request's query parameters (URL-decoded)
  StringListMap headers;  // the upgrade request's headers (names as the service sent them)
  std::vector<std::string> subprotocols;  // offered by the client, in its order
  std::vector<ClientCertificate> clientCertificates;

  // First value of query parameter `name` (case-sensitive), if any.
  std::optional<std::string> queryValue(std::string_view name) const;
};

// azure.webpubsub.sys.connected (notification; the answer is ignored by the service).
struct ConnectedRequest {
  ConnectionContext context;
};

// azure.webpubsub.sys.disconnected (notification).
struct DisconnectedRequest {
  ConnectionContext context;
  std::string reason;  // "" when the service gave none
};

enum class DataType { kText, kJson, kBinary };
// "text", "json", "binary".
std::string_view dataTypeName(DataType type);

// azure.webpubsub.user.<event>: a message of a simple WebSocket client (event "message") or a
// custom event of a subprotocol client. The service waits for the answer.
struct UserEventRequest {
  ConnectionContext context;  // context.eventName is the event name
  DataType dataType = DataType::kBinary;
  // text/plain: UTF-8 text; application/json: the JSON text (validated); application/
  // octet-stream (or no Content-Type): the bytes.
  std::string data;
};

// azure.webpubsub.gp.joined / azure.webpubsub.gp.left: group presence notifications (sent only
// to handlers that opted in, per group filter). The body is {"group": "..."}; like
// @azure/web-pubsub-express 1.1.0, every field of the body is passed on (`fields`, which holds
// "group" too). The answer is ignored by the service.
struct GroupJoinedRequest {
  ConnectionContext context;   // context.eventName is "joined"
  std::string group;           // the group the connection joined
  boost::json::object fields;  // the whole body
};
struct GroupLeftRequest {
  ConnectionContext context;   // context.eventName is "left"
  std::string group;           // the group the connection left
  boost::json::object fields;  // the whole body
};

using Event = std::variant<ConnectRequest, ConnectedRequest, DisconnectedRequest, UserEventRequest,
                           GroupJoinedRequest, GroupLeftRequest>;

// ---------------------------------------------------------------------------------------------
// Adapter-free API

// True if `request` is addressed to a Web PubSub event handler: it carries ce-awpsversion (the
// service sends it on every POST and validation request). Anything else is "not ours": an
// adapter should fall through to its other routes (usually a 404). Pure; thread-safe.
bool isWebPubSubRequest(const HttpRequest& request);

// True for an abuse-protection probe: a Web PubSub request with method OPTIONS, or GET (the
// service's fallback when OPTIONS answered 404). Pure; thread-safe.
bool isValidationRequest(const HttpRequest& request);

// True when ce-type is exactly azure.webpubsub.gp.joined or azure.webpubsub.gp.left (case-
// sensitive, as @azure/web-pubsub-express 1.1.0 routes; ce-eventName and Content-Type do not
// matter). Such a request should be answered 200 with an empty body before its body is parsed,
// whatever the body holds, as Express does (EventHandler does so). Pure; thread-safe.
bool isGroupPresenceRequest(const HttpRequest& request);

struct ParseOptions {
  // Access keys (the AccessKey of the connection string; primary and secondary). When not
  // empty, ce-signature must contain "sha256=" + hex(HMAC-SHA256(key, connectionId)) for one of
  // them (any item, compared in constant time); otherwise 401 "Signature validation failed.".
  // Empty: no signature check.
  std::vector<std::string> accessKeys;
  // When not empty, ce-hub must equal it (ASCII case-insensitive), else 400 "HubMismatch".
  std::string hub;
};

// Parses a Web PubSub POST into a typed event.
// Success: one of the Event alternatives, every field filled from headers and body.
// Errors (Error::status is what to answer the service; messages name the problem):
//   405 MethodNotAllowed (not POST), 400 MissingHeader (ce-type, ce-connectionId, ce-hub or
//   ce-eventName absent; ce-eventName is not needed for group presence events; the message
//   names it), 400 UnsupportedEventType (ce-type none of
//   azure.webpubsub.sys.{connect,connected,disconnected}, azure.webpubsub.gp.{joined,left},
//   azure.webpubsub.user.*),
//   400 HubMismatch, 401 SignatureInvalid, 400 InvalidBody (connect body not a JSON object or a
//   field of the wrong type; disconnected body not JSON; user event declared JSON but invalid;
//   group presence body not a JSON object with a string "group"),
//   415 UnsupportedContentType (a user event that is not text/plain, application/json or
//   application/octet-stream, e.g. application/x-protobuf).
// Call isWebPubSubRequest() first; a request without ce-awpsversion is parsed all the same.
// Pure; thread-safe.
Result<Event> parseEvent(const HttpRequest& request, const ParseOptions& options = {});

struct ValidationOptions {
  // Allowed service hosts ("pubsub.example.com", "localhost:8080" or URLs such as
  // "https://pubsub.example.com"); compared ASCII case-insensitively with
  // WebHook-Request-Origin, with or without the port. Empty: every origin is allowed.
  std::vector<std::string> allowedOrigins;
};

// Answers an abuse-protection probe (see isValidationRequest()).
// 200 with "WebHook-Allowed-Origin: *" when allowedOrigins is empty; 200 with one
// WebHook-Allowed-Origin line per allowed origin (host[:port], lower-cased) when the request's
// origin is allowed; 400 "Abuse Protection validation failed." when it is not; 400
// "Missing WebHook-Request-Origin header." when the header is absent. Pure; thread-safe.
HttpResponse answerValidation(const HttpRequest& request, const ValidationOptions& options = {});

// What a successful connect answer may set. Unset fields keep the service's defaults (the
// token's user id, roles and groups; the first Web PubSub subprotocol offered).
struct ConnectResponse {
  std::optional<std::string> userId;  // "" removes the user id
  std::optional<std::vector<std::string>>
      groups;                                     // groups to join (non-empty replaces the token's)
  std::optional<std::vector<std::string>> roles;  // replaces the token's roles ([] removes all)
  std::optional<std::string> subprotocol;         // must be one of ConnectRequest::subprotocols
};

// 204 when nothing is set, else 200 application/json {"userId":...,"groups":[...],...} with only
// the set fields. Pure.
HttpResponse approveConnect(const ConnectResponse& response = {});
// Refuses the connection: the client's handshake fails with `status` (4xx/5xx; values outside
// 400..599 become 500). `message` goes into a text/plain body (the service does not forward
// it to the client). Pure.
HttpResponse denyConnect(int status, std::string_view message = {});
// A user-event answer: 200 with the data and Content-Type text/plain; charset=utf-8,
// application/json or application/octet-stream. The service sends it to the client as a
// message (an empty `data` answers 204: nothing is sent). Pure.
HttpResponse replyUserEvent(DataType type, std::string data);
// 204: the event succeeded, nothing is sent back to the client. Pure.
HttpResponse emptyReply();
// A failed user event (4xx/5xx, others become 500): the service sends the client an error ack
// (subprotocol clients) or closes it with 1011 (simple clients). Pure.
HttpResponse failUserEvent(int status, std::string_view message = {});
// The answer for a parse error: Error::status and a text/plain body with Error::message.
HttpResponse errorResponse(const Error& error);
// Sets ce-connectionState on `response` to base64(JSON of `states`) (replacing any previous
// value), or to the empty value when `states` is empty (the service then clears the stored
// state). Only 2xx answers to connect and user events change the state. Pure.
void setConnectionState(HttpResponse& response, const boost::json::object& states);
// base64(serialize(states)) and its inverse (nullopt unless base64 of a JSON object). Pure.
std::string encodeConnectionState(const boost::json::object& states);
std::optional<boost::json::object> decodeConnectionState(std::string_view header);

// ---------------------------------------------------------------------------------------------
// EventHandler: callbacks with responders

namespace detail {
struct Answer;
}

// Common part of the responders: the connection state the answer will carry, and the
// one-answer rule. Responders are move-only handles; they are not thread-safe themselves, but
// may be moved to and used from any thread. Exactly one answer is sent: the first answering
// call wins and returns true, later calls return false and do nothing. A responder destroyed
// without answering answers 500 ("The event handler did not answer.") so that the service
// never waits for its timeout.
class Responder {
 public:
  Responder(Responder&&) noexcept;
  Responder& operator=(Responder&&) noexcept;
  ~Responder();

  // Sets `key` in the connection state sent with the answer (the full merged state is sent;
  // the service stores it and returns it on every later event of the connection as
  // ConnectionContext::states). Effective only if the answer is a success.
  void setState(const std::string& key, boost::json::value value);
  // Removes every key; the answer then clears the stored state.
  void clearStates();
  // The state as it will be sent (initially the request's ConnectionContext::states).
  const boost::json::object& states() const;
  // True once an answer was given.
  bool answered() const;

 protected:
  explicit Responder(std::shared_ptr<detail::Answer> answer);
  bool finish(HttpResponse response, bool success);
  std::shared_ptr<detail::Answer> answer_;
};

class ConnectResponder : public Responder {
 public:
  // Accepts the connection (approveConnect()), with the state if setState/clearStates was used.
  bool approve(const ConnectResponse& response = {});
  // Refuses it (denyConnect()).
  bool deny(int status, std::string_view message = {});

 private:
  friend class EventHandler;
  using Responder::Responder;
};

class UserEventResponder : public Responder {
 public:
  // Success without a message for the client (204).
  bool reply();
  // Success; the service sends `data` to the client as text, JSON (`json` must be valid JSON
  // text; invalid JSON answers 500 instead) or binary.
  bool replyText(std::string text);
  bool replyJson(std::string json);
  bool replyBinary(std::string bytes);
  bool reply(DataType type, std::string data);
  // Failure (failUserEvent()).
  bool fail(int status, std::string_view message = {});

 private:
  friend class EventHandler;
  using Responder::Responder;
};

struct EventHandlerOptions {
  // The hub this handler serves (compared case-insensitively with ce-hub). Requests for another
  // hub are not handled (handle() returns false) so that several handlers can share a path.
  // Empty: every hub.
  std::string hub;
  // See ParseOptions::accessKeys (empty: no signature validation).
  std::vector<std::string> accessKeys;
  // See ValidationOptions::allowedOrigins (empty: any origin, "*").
  std::vector<std::string> allowedOrigins;
};

struct Handlers {
  // connect: answer through the responder, now or later. Absent: approve with defaults (204).
  std::function<void(ConnectRequest, ConnectResponder)> onConnect;
  // connected / disconnected: notifications, answered 200 after the callback returns.
  std::function<void(ConnectedRequest)> onConnected;
  std::function<void(DisconnectedRequest)> onDisconnected;
  // User events: answer through the responder, now or later. Absent: 204.
  std::function<void(UserEventRequest, UserEventResponder)> onUserEvent;
  // Group presence (azure.webpubsub.gp.joined / .left): notifications. As in
  // @azure/web-pubsub-express 1.1.0 the request is answered 200 (empty body) first, before its
  // body is read, whether or not the callback is set; then the body is parsed and the callback
  // called. A request that fails to parse after that answer (bad body, bad signature) is
  // reported to onNotificationError, not to the service.
  std::function<void(GroupJoinedRequest)> onGroupJoined;
  std::function<void(GroupLeftRequest)> onGroupLeft;
  // A group presence request that was answered 200 but could not be handled: the parse error
  // (see parseEvent()), or Error{500, "HandlerFailed", ...} when the callback threw. Absent:
  // ignored.
  std::function<void(const Error&, const HttpRequest&)> onNotificationError;
};

class EventHandler {
 public:
  using Respond = std::function<void(HttpResponse)>;

  EventHandler(EventHandlerOptions options, Handlers handlers);

  // If `request` is a Web PubSub request (isWebPubSubRequest) for this handler's hub, handles
  // it and returns true; `respond` is then called exactly once with the answer, either before
  // handle() returns or later on the thread that answers through a responder. Validation
  // probes are answered with answerValidation(); malformed requests with errorResponse(); a
  // callback that throws answers 500. Returns false (and never calls `respond`) for anything
  // else. Thread-safe: handle() may run concurrently; callbacks then run concurrently too.
  bool handle(HttpRequest request, Respond respond) const;

  const EventHandlerOptions& options() const { return options_; }

 private:
  // Group presence requests (see Handlers::onGroupJoined): false, without answering, when
  // WebHook-Request-Origin or ce-hub is missing (Express 1.1.0 passes them on: "not ours").
  bool handleGroupPresence(const HttpRequest& request, Respond& respond) const;

  EventHandlerOptions options_;
  Handlers handlers_;
};

}  // namespace webpubsub::upstream
