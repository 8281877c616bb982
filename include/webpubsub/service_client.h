// webpubsub::service::ServiceClient: the data-plane REST API of Azure Web PubSub / webpubsubd
// for one hub, asynchronous on a Boost.Asio io_context, over HTTP/1.1 keep-alive connections
// (plain or TLS). Every request carries a fresh HS256 bearer token whose aud is the full
// request URL, signed with the connection string's access key.
//
// Every operation takes an Asio completion token for the signature void(Result<T>):
//   client.sendToAll(Message::text("hi"), {}, [](webpubsub::Result<void> r) { ... });
//   auto r = co_await client.userExists("alice", boost::asio::use_awaitable);  // Result<bool>
//   auto f = client.groupExists("room", boost::asio::use_future);  // std::future<Result<bool>>
// The handler runs on its associated executor (for a plain callback: the client's io_context),
// never inside the initiating call. Errors are values: Error::status is the HTTP status the
// service answered (0 when there was no answer), Error::code its x-ms-error-code
// ("Error.Connection.NotExisted", "Warning.Group.NotExisted", "Error.BadRequest", ...) or a
// client-side code ("ConnectionFailed", "Timeout", "Cancelled", "InvalidArgument",
// "InvalidResponse", "UnexpectedStatus"); Error::message the service's message.
// Success statuses are exact, as in the official SDKs (202 send, 200 put/add, 204 delete/close,
// 200/404 for the existence checks).
//
// Thread-safety: a ServiceClient may be used from any thread concurrently; its state lives on an
// internal strand. Destroying it cancels the requests in flight: their handlers still run, with
// Error{0, "Cancelled"}. The io_context must outlive the client and its handlers.
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "webpubsub/connection_string.h"
#include "webpubsub/result.h"

namespace webpubsub::service {

enum class ContentType {
  kText,    // text/plain; recipients see dataType "text"
  kJson,    // application/json; the data must be JSON text (the service answers 400 otherwise)
  kBinary,  // application/octet-stream
};

struct Message {
  ContentType type = ContentType::kText;
  std::string data;

  static Message text(std::string s) { return {ContentType::kText, std::move(s)}; }
  static Message json(std::string jsonText) { return {ContentType::kJson, std::move(jsonText)}; }
  static Message binary(std::string bytes) { return {ContentType::kBinary, std::move(bytes)}; }
};

struct SendOptions {
  // Connection ids that must not receive the message (sendToAll, sendToGroup only).
  std::vector<std::string> excluded;
  // OData filter, e.g. "userId ne 'bob'" (sendToAll, sendToGroup, sendToUser); "" = none.
  std::string filter;
  // Time to live of the message in seconds (REST query parameter messageTtlSeconds): a receiver
  // whose connection has not been handed the message within it never gets it (webpubsubd:
  // docs/protocol-decisions.md "Message TTL"). 0..300, checked before sending (outside:
  // Error{0, "InvalidArgument"}, nothing is sent); 0 or absent = never expires.
  std::optional<int> messageTtlSeconds;
};

struct CloseOptions {
  std::vector<std::string> excluded;  // connection ids to keep open
  std::string reason;                 // sent to the clients; "" = none
};

enum class Permission { kSendToGroup, kJoinLeaveGroup };

struct GroupMember {
  std::string connectionId;
  std::optional<std::string> userId;
};

struct ListOptions {
  int maxPageSize = 0;     // per request, 1..200; 0 = the service's default
  std::optional<int> top;  // total members to return; absent = all
};

struct ServiceClientOptions {
  std::chrono::milliseconds timeout{30000};  // per request, connect + send + receive
  size_t maxIdleConnections = 4;             // keep-alive connections kept for reuse
  std::string apiVersion = "2024-12-01";
  bool verifyTls = true;  // https endpoints: verify the server certificate (system CAs)
  // https endpoints: a PEM CA bundle trusted besides the system CAs (a private CA, or
  // webpubsubd --tls-self-signed's ca.pem); "" = system CAs only. An unreadable file makes
  // every https call fail with ConnectionFailed.
  std::string tlsCaFile;
};

namespace detail {
// A prepared REST call (what each operation sends and how its answer is read).
struct Call {
  enum class Expect { kVoid, kBool, kMembers, kToken };
  std::string method;
  std::string target;  // path and query relative to the endpoint
  std::string contentType;
  std::string body;
  int success = 200;
  Expect expect = Expect::kVoid;
  std::optional<int> top;  // kMembers: stop after this many
  Error invalid;           // non-empty code: fail with it without sending
};
using Value = std::variant<std::monostate, bool, std::vector<GroupMember>, std::string>;
using Outcome = Result<Value>;

template <class T>
Result<T> take(Outcome outcome) {
  if (!outcome) return outcome.error();
  if constexpr (std::is_void_v<T>) {
    return Result<void>();
  } else {
    return std::get<T>(std::move(outcome).value());
  }
}
}  // namespace detail

class ServiceClient {
 public:
  using executor_type = boost::asio::io_context::executor_type;

  // A client for `hub` (used as given in request paths, percent-encoded) from a connection
  // string (see parseConnectionString). Errors: the connection string's errors; an empty hub
  // (InvalidArgument). No I/O happens until the first operation.
  static Result<std::unique_ptr<ServiceClient>> create(boost::asio::io_context& io,
                                                       std::string_view connectionString,
                                                       std::string hub,
                                                       ServiceClientOptions options = {});
  ServiceClient(const ServiceClient&) = delete;
  ServiceClient& operator=(const ServiceClient&) = delete;
  ~ServiceClient();

  executor_type get_executor() const;
  const std::string& hub() const;
  const ConnectionString& connection() const;

  // Client access URL and token, minted locally (no request); aud = endpoint + /client/hubs/hub.
  ClientAccess getClientAccess(const ClientAccessOptions& options = {}) const;

  // --- sending (success: 202) ---
  template <class Token>
  auto sendToAll(Message message, const SendOptions& options, Token&& token) {
    return run<void>(makeSend("", message, options), std::forward<Token>(token));
  }
  template <class Token>
  auto sendToGroup(std::string_view group, Message message, const SendOptions& options,
                   Token&& token) {
    return run<void>(makeSend(path("groups", group), message, options), std::forward<Token>(token));
  }
  // SendOptions::excluded is not defined for users (ignored).
  template <class Token>
  auto sendToUser(std::string_view userId, Message message, const SendOptions& options,
                  Token&& token) {
    SendOptions o{{}, options.filter, options.messageTtlSeconds};
    return run<void>(makeSend(path("users", userId), message, o), std::forward<Token>(token));
  }
  // Only SendOptions::messageTtlSeconds applies.
  template <class Token>
  auto sendToConnection(std::string_view connectionId, Message message, const SendOptions& options,
                        Token&& token) {
    SendOptions o{{}, {}, options.messageTtlSeconds};
    return run<void>(makeSend(path("connections", connectionId), message, o),
                     std::forward<Token>(token));
  }

  // --- closing (success: 204; missing targets are not errors) ---
  template <class Token>
  auto closeConnection(std::string_view connectionId, std::string_view reason, Token&& token) {
    return run<void>(makeCloseConnection(connectionId, reason), std::forward<Token>(token));
  }
  template <class Token>
  auto closeAllConnections(const CloseOptions& options, Token&& token) {
    return run<void>(makeClose("", options), std::forward<Token>(token));
  }
  template <class Token>
  auto closeGroupConnections(std::string_view group, const CloseOptions& options, Token&& token) {
    return run<void>(makeClose(path("groups", group), options), std::forward<Token>(token));
  }
  template <class Token>
  auto closeUserConnections(std::string_view userId, const CloseOptions& options, Token&& token) {
    return run<void>(makeClose(path("users", userId), options), std::forward<Token>(token));
  }

  // --- existence (200 -> true, 404 -> false) ---
  template <class Token>
  auto connectionExists(std::string_view connectionId, Token&& token) {
    return run<bool>(makeExists(path("connections", connectionId)), std::forward<Token>(token));
  }
  template <class Token>
  auto groupExists(std::string_view group, Token&& token) {
    return run<bool>(makeExists(path("groups", group)), std::forward<Token>(token));
  }
  template <class Token>
  auto userExists(std::string_view userId, Token&& token) {
    return run<bool>(makeExists(path("users", userId)), std::forward<Token>(token));
  }

  // --- groups ---
  // 200; 404 Error.Connection.NotExisted when the connection does not exist.
  template <class Token>
  auto addConnectionToGroup(std::string_view group, std::string_view connectionId, Token&& token) {
    return run<void>(make("PUT", path("groups", group) + path("connections", connectionId), 200),
                     std::forward<Token>(token));
  }
  template <class Token>
  auto removeConnectionFromGroup(std::string_view group, std::string_view connectionId,
                                 Token&& token) {
    return run<void>(make("DELETE", path("groups", group) + path("connections", connectionId), 204),
                     std::forward<Token>(token));
  }
  template <class Token>
  auto removeConnectionFromAllGroups(std::string_view connectionId, Token&& token) {
    return run<void>(make("DELETE", path("connections", connectionId) + "/groups", 204),
                     std::forward<Token>(token));
  }
  // 200; 404 when the user has no connection.
  template <class Token>
  auto addUserToGroup(std::string_view group, std::string_view userId, Token&& token) {
    return run<void>(make("PUT", path("users", userId) + path("groups", group), 200),
                     std::forward<Token>(token));
  }
  template <class Token>
  auto removeUserFromGroup(std::string_view group, std::string_view userId, Token&& token) {
    return run<void>(make("DELETE", path("users", userId) + path("groups", group), 204),
                     std::forward<Token>(token));
  }
  template <class Token>
  auto removeUserFromAllGroups(std::string_view userId, Token&& token) {
    return run<void>(make("DELETE", path("users", userId) + "/groups", 204),
                     std::forward<Token>(token));
  }
  // Every connection matching `filter` ("" = every connection of the hub) joins / leaves every
  // group of `groups` (200).
  template <class Token>
  auto addConnectionsToGroups(const std::vector<std::string>& groups, std::string_view filter,
                              Token&& token) {
    return run<void>(makeGroupsBatch(":addToGroups", groups, filter), std::forward<Token>(token));
  }
  template <class Token>
  auto removeConnectionsFromGroups(const std::vector<std::string>& groups, std::string_view filter,
                                   Token&& token) {
    return run<void>(makeGroupsBatch(":removeFromGroups", groups, filter),
                     std::forward<Token>(token));
  }
  // Members of a group, following nextLink across pages. Result<std::vector<GroupMember>>.
  template <class Token>
  auto listConnectionsInGroup(std::string_view group, const ListOptions& options, Token&& token) {
    return run<std::vector<GroupMember>>(makeList(group, options), std::forward<Token>(token));
  }

  // --- permissions (targetName: the group) ---
  template <class Token>
  auto grantPermission(Permission permission, std::string_view connectionId,
                       std::string_view targetName, Token&& token) {
    return run<void>(makePermission("PUT", permission, connectionId, targetName, 200),
                     std::forward<Token>(token));
  }
  template <class Token>
  auto revokePermission(Permission permission, std::string_view connectionId,
                        std::string_view targetName, Token&& token) {
    return run<void>(makePermission("DELETE", permission, connectionId, targetName, 204),
                     std::forward<Token>(token));
  }
  // Result<bool>: 200 -> true, 404 -> false.
  template <class Token>
  auto checkPermission(Permission permission, std::string_view connectionId,
                       std::string_view targetName, Token&& token) {
    auto call = makePermission("HEAD", permission, connectionId, targetName, 200);
    call.expect = detail::Call::Expect::kBool;
    return run<bool>(std::move(call), std::forward<Token>(token));
  }

  // --- service ---
  // POST :generateToken: a client token minted by the service. Result<std::string> (the token).
  template <class Token>
  auto generateClientToken(const ClientAccessOptions& options, Token&& token) {
    return run<std::string>(makeGenerateToken(options), std::forward<Token>(token));
  }
  // HEAD /api/health (200).
  template <class Token>
  auto getServiceStatus(Token&& token) {
    return run<void>(makeHealth(), std::forward<Token>(token));
  }

 private:
  class Impl;
  ServiceClient(std::shared_ptr<Impl> impl);

  // "/groups/<encoded name>" etc.
  static std::string path(std::string_view collection, std::string_view name);
  detail::Call make(std::string method, std::string subPath, int success) const;
  detail::Call makeSend(std::string scope, const Message& message,
                        const SendOptions& options) const;
  detail::Call makeCloseConnection(std::string_view connectionId, std::string_view reason) const;
  detail::Call makeClose(std::string scope, const CloseOptions& options) const;
  detail::Call makeExists(std::string subPath) const;
  detail::Call makeGroupsBatch(std::string_view action, const std::vector<std::string>& groups,
                               std::string_view filter) const;
  detail::Call makeList(std::string_view group, const ListOptions& options) const;
  detail::Call makePermission(std::string method, Permission permission,
                              std::string_view connectionId, std::string_view targetName,
                              int success) const;
  detail::Call makeGenerateToken(const ClientAccessOptions& options) const;
  detail::Call makeHealth() const;

  // Runs `call` on the client's strand; `done` is called exactly once, on that strand.
  void start(detail::Call call, std::function<void(detail::Outcome)> done) const;

  template <class T, class Token>
  auto run(detail::Call call, Token&& token) {
    return boost::asio::async_initiate<Token, void(Result<T>)>(
        [this](auto handler, detail::Call c) {
          using Handler = std::decay_t<decltype(handler)>;
          auto ex = boost::asio::get_associated_executor(handler, get_executor());
          struct Op {
            Handler handler;
            boost::asio::executor_work_guard<decltype(ex)> work;
          };
          auto op = std::make_shared<Op>(Op{std::move(handler), boost::asio::make_work_guard(ex)});
          start(std::move(c), [op](detail::Outcome outcome) {
            auto target = op->work.get_executor();
            boost::asio::dispatch(target, [op, r = detail::take<T>(std::move(outcome))]() mutable {
              std::move(op->handler)(std::move(r));
            });
          });
        },
        token, std::move(call));
  }

  std::shared_ptr<Impl> impl_;
};

}  // namespace webpubsub::service
