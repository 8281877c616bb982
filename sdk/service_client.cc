// ServiceClient: request building (paths, queries, bodies) and the Beast HTTP/1.1 client with a
// small keep-alive pool. Everything runs on the client's strand.
#include "webpubsub/service_client.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json/parse.hpp>

#include <set>

#include "cloudevents/url_template.h"
#include "common/strings.h"

namespace webpubsub::service {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

std::string enc(std::string_view s) {
  return wps::percentEncodeData(s);
}

void addQuery(std::string& target, std::string_view name, std::string_view value) {
  target += target.find('?') == std::string::npos ? '?' : '&';
  target += name;
  target += '=';
  target += enc(value);
}

std::string_view contentTypeOf(ContentType t) {
  switch (t) {
    case ContentType::kText:
      return "text/plain; charset=utf-8";
    case ContentType::kJson:
      return "application/json";
    case ContentType::kBinary:
      return "application/octet-stream";
  }
  return "application/octet-stream";
}

struct Raw {
  int status = 0;
  std::string errorCode;  // x-ms-error-code
  std::string body;
};

Error fromResponse(const Raw& raw, std::string_view unexpectedCode = "UnexpectedStatus") {
  Error e;
  e.status = raw.status;
  e.code = raw.errorCode;
  std::error_code ec;
  json::value doc = json::parse(raw.body, ec);
  if (!ec && doc.is_object()) {
    const auto& o = doc.get_object();
    if (const auto* c = o.if_contains("code"); c && c->is_string() && e.code.empty()) {
      e.code = std::string(c->get_string());
    }
    if (const auto* m = o.if_contains("message"); m && m->is_string()) {
      e.message = std::string(m->get_string());
    }
  } else {
    e.message = raw.body;
  }
  if (e.code.empty()) e.code = raw.status >= 200 && raw.status < 300 ? unexpectedCode : "";
  if (e.code.empty()) e.code = "Http" + std::to_string(raw.status);
  if (e.message.empty())
    e.message = "The service answered HTTP " + std::to_string(raw.status) + ".";
  return e;
}

// The outcome of a non-list call from the service's answer `r`: kBool maps 200/404 to
// true/false, kToken reads the "token" string, kVoid needs only the success status.
detail::Outcome answerOutcome(const detail::Call& call, const Raw& r) {
  using Expect = detail::Call::Expect;
  if (call.expect == Expect::kBool) {
    if (r.status == 200) return detail::Value(true);
    if (r.status == 404) return detail::Value(false);
    return fromResponse(r);
  }
  if (r.status != call.success) return fromResponse(r);
  if (call.expect == Expect::kToken) {
    std::error_code ec;
    json::value doc = json::parse(r.body, ec);
    const json::value* t = !ec && doc.is_object() ? doc.get_object().if_contains("token") : nullptr;
    if (!t || !t->is_string()) {
      return Error{r.status, "InvalidResponse", "The answer has no \"token\" string."};
    }
    return detail::Value(std::string(t->get_string()));
  }
  return detail::Value();
}

// How a page of group members ended.
enum class PageEnd { kMore, kTop, kInvalid };

// Appends the members of one page's "value" array to `members`: kTop as soon as `top` members
// are collected (the rest of the page is skipped), kInvalid at an item without a string
// connectionId.
PageEnd appendMembers(const json::array& items, std::optional<int> top,
                      std::vector<GroupMember>& members) {
  for (const auto& item : items) {
    const auto* o = item.if_object();
    const json::value* id = o ? o->if_contains("connectionId") : nullptr;
    if (!id || !id->is_string()) return PageEnd::kInvalid;
    GroupMember m;
    m.connectionId = std::string(id->get_string());
    if (const auto* u = o->if_contains("userId"); u && u->is_string()) {
      m.userId = std::string(u->get_string());
    }
    members.push_back(std::move(m));
    if (top && static_cast<int>(members.size()) >= *top) return PageEnd::kTop;
  }
  return PageEnd::kMore;
}

// The request target of the page after `page` (its "nextLink", absolute URLs reduced to their
// path and query); nullopt on the last page.
std::optional<std::string> nextPageTarget(const json::object& page) {
  const json::value* next = page.if_contains("nextLink");
  if (!next || !next->is_string() || next->get_string().empty()) return std::nullopt;
  std::string link(next->get_string());
  if (wps::istartsWith(link, "http://") || wps::istartsWith(link, "https://")) {
    size_t slash = link.find('/', link.find("://") + 3);
    return slash == std::string::npos ? "/" : link.substr(slash);
  }
  return link;
}

struct Connection {
  explicit Connection(asio::any_io_executor ex) : tcp(ex) {}
  beast::tcp_stream tcp;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream&>> tls;
  beast::flat_buffer buffer;
  bool reused = false;
};

}  // namespace

class ServiceClient::Impl : public std::enable_shared_from_this<ServiceClient::Impl> {
 public:
  Impl(asio::io_context& io, ConnectionString cs, std::string hub, ServiceClientOptions options,
       wps::cloudevents::UrlParts parts)
      : io_(io),
        strand_(asio::make_strand(io)),
        connection_(std::move(cs)),
        hub_(std::move(hub)),
        options_(std::move(options)),
        parts_(std::move(parts)),
        tls_(asio::ssl::context::tls_client) {
    tls_.set_default_verify_paths();
    tls_.set_verify_mode(options_.verifyTls ? asio::ssl::verify_peer : asio::ssl::verify_none);
    boost::system::error_code ec;
    if (!options_.tlsCaFile.empty()) tls_.load_verify_file(options_.tlsCaFile, ec);
    tlsCaError_ = ec;
    prefix_ = parts_.target == "/" ? "" : parts_.target;
    while (!prefix_.empty() && prefix_.back() == '/')
      prefix_.pop_back();
  }

  void start(detail::Call call, std::function<void(detail::Outcome)> done) {
    auto self = shared_from_this();
    asio::co_spawn(strand_, run(self, std::move(call), std::move(done)), asio::detached);
  }

  void shutdown() {
    auto self = shared_from_this();
    asio::dispatch(strand_, [self] {
      self->closed_ = true;
      for (auto& c : self->idle_)
        c->tcp.close();
      self->idle_.clear();
      for (auto* c : self->busy_)
        c->tcp.close();
    });
  }

  asio::io_context& io_;
  asio::strand<asio::io_context::executor_type> strand_;
  ConnectionString connection_;
  std::string hub_;
  ServiceClientOptions options_;
  boost::system::error_code tlsCaError_;  // options_.tlsCaFile could not be loaded
  wps::cloudevents::UrlParts parts_;
  std::string prefix_;  // endpoint path prefix, "" or "/x"

 private:
  asio::awaitable<void> run(std::shared_ptr<Impl> self, detail::Call call,
                            std::function<void(detail::Outcome)> done) {
    (void)self;
    detail::Outcome outcome = co_await execute(std::move(call));
    done(std::move(outcome));
  }

  asio::awaitable<detail::Outcome> execute(detail::Call call) {
    if (!call.invalid.code.empty()) co_return call.invalid;
    if (call.expect != detail::Call::Expect::kMembers) {
      auto raw = co_await exchange(call.method, prefix_ + call.target, call.contentType, call.body);
      if (!raw) co_return raw.error();
      co_return answerOutcome(call, raw.value());
    }
    // Members: follow nextLink until the last page (or `top`).
    std::vector<GroupMember> members;
    std::string target = prefix_ + call.target;
    for (int page = 0; page < 100000; ++page) {
      auto raw = co_await exchange("GET", target, "", "");
      if (!raw) co_return raw.error();
      if (raw->status != 200) co_return fromResponse(raw.value());
      std::error_code ec;
      json::value doc = json::parse(raw->body, ec);
      const json::value* value =
          !ec && doc.is_object() ? doc.get_object().if_contains("value") : nullptr;
      if (!value || !value->is_array()) {
        co_return Error{200, "InvalidResponse", "The answer has no \"value\" array."};
      }
      switch (appendMembers(value->get_array(), call.top, members)) {
        case PageEnd::kInvalid:
          co_return Error{200, "InvalidResponse", "A member has no connectionId."};
        case PageEnd::kTop:
          co_return detail::Value(std::move(members));
        case PageEnd::kMore:
          break;
      }
      std::optional<std::string> next = nextPageTarget(doc.get_object());
      if (!next) break;
      target = std::move(*next);
    }
    co_return detail::Value(std::move(members));
  }

  Error transportError(const boost::system::error_code& ec, std::string_view what) const {
    if (closed_ || ec == asio::error::operation_aborted) {
      return Error{0, "Cancelled", "The client was closed."};
    }
    if (ec == beast::error::timeout) {
      return Error{0, "Timeout", "Timed out " + std::string(what) + "."};
    }
    return Error{0, "ConnectionFailed", std::string(what) + ": " + ec.message()};
  }

  asio::awaitable<Result<std::unique_ptr<Connection>>> connect() {
    tcp::resolver resolver(strand_);
    auto [rec, endpoints] =
        co_await resolver.async_resolve(parts_.host, std::to_string(parts_.port), kTuple);
    if (rec) co_return transportError(rec, "resolving " + parts_.host);
    auto conn = std::make_unique<Connection>(strand_);
    busy_.insert(conn.get());
    conn->tcp.expires_after(options_.timeout);
    auto [cec, ep] = co_await conn->tcp.async_connect(endpoints, kTuple);
    (void)ep;
    busy_.erase(conn.get());
    if (cec) co_return transportError(cec, "connecting to " + parts_.origin);
    conn->tcp.socket().set_option(tcp::no_delay(true));
    if (parts_.https) {
      if (tlsCaError_) {
        co_return Error{
            0, "ConnectionFailed",
            "Cannot load tlsCaFile " + options_.tlsCaFile + ": " + tlsCaError_.message()};
      }
      conn->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream&>>(conn->tcp, tls_);
      if (!SSL_set_tlsext_host_name(conn->tls->native_handle(), parts_.host.c_str())) {
        co_return Error{0, "ConnectionFailed", "TLS SNI setup failed."};
      }
      if (options_.verifyTls) {
        conn->tls->set_verify_callback(asio::ssl::host_name_verification(parts_.host));
      }
      busy_.insert(conn.get());
      auto [hec] = co_await conn->tls->async_handshake(asio::ssl::stream_base::client, kTuple);
      busy_.erase(conn.get());
      if (hec) co_return transportError(hec, "TLS handshake with " + parts_.origin);
    }
    co_return std::move(conn);
  }

  struct Attempt {
    Result<Raw> result = Raw{};
    bool keepAlive = false;
    bool stale = false;  // failed before any answer byte: a reused connection was closed
  };

  template <class Stream>
  asio::awaitable<Attempt> roundTrip(Stream& stream, Connection& conn,
                                     http::request<http::string_body>& req, bool head) {
    conn.tcp.expires_after(options_.timeout);
    auto [wec, wn] = co_await http::async_write(stream, req, kTuple);
    (void)wn;
    if (wec) co_return Attempt{transportError(wec, "sending the request"), false, true};
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    if (head) parser.skip(true);
    auto [rec, rn] = co_await http::async_read(stream, conn.buffer, parser, kTuple);
    if (rec) {
      bool stale = rn == 0 && (rec == http::error::end_of_stream || rec == asio::error::eof ||
                               rec == asio::error::connection_reset);
      co_return Attempt{transportError(rec, "reading the answer"), false, stale};
    }
    auto& res = parser.get();
    Raw raw;
    raw.status = static_cast<int>(res.result_int());
    if (auto it = res.find("x-ms-error-code"); it != res.end()) {
      raw.errorCode = std::string(it->value());
    }
    raw.body = std::move(res.body());
    co_return Attempt{std::move(raw), res.keep_alive(), false};
  }

  // One request on a pooled (or new) connection; a stale pooled connection is retried once.
  asio::awaitable<Result<Raw>> exchange(std::string method, std::string target,
                                        std::string contentType, std::string body) {
    // The audience: the endpoint as written in the connection string + the exact target.
    std::string url =
        connection_.endpoint.substr(0, connection_.endpoint.size() - prefix_.size()) + target;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (closed_) co_return Error{0, "Cancelled", "The client was closed."};
      std::unique_ptr<Connection> conn;
      if (!idle_.empty()) {
        conn = std::move(idle_.back());
        idle_.pop_back();
        conn->reused = true;
      } else {
        auto fresh = co_await connect();
        if (!fresh) co_return fresh.error();
        conn = std::move(fresh.value());
      }
      http::request<http::string_body> req;
      req.method_string(method);
      req.target(target);
      req.version(11);
      req.set(http::field::host, parts_.hostHeader);
      req.set(http::field::authorization,
              "Bearer " + generateRestToken(connection_, url, std::chrono::system_clock::now()));
      req.set(http::field::user_agent, "webpubsub-cpp/0.1");
      if (!contentType.empty()) req.set(http::field::content_type, contentType);
      req.keep_alive(true);
      if (method == "POST" || method == "PUT" || !body.empty()) {
        req.body() = body;
        req.prepare_payload();
      }
      bool head = method == "HEAD";
      busy_.insert(conn.get());
      // (No co_await inside ?: : GCC 12 miscompiles temporaries there.)
      Attempt a;
      if (conn->tls) {
        a = co_await roundTrip(*conn->tls, *conn, req, head);
      } else {
        a = co_await roundTrip(conn->tcp, *conn, req, head);
      }
      busy_.erase(conn.get());
      if (!a.result && a.stale && conn->reused && attempt == 0) continue;
      if (a.result && a.keepAlive && !closed_ && idle_.size() < options_.maxIdleConnections) {
        conn->tcp.expires_never();
        idle_.push_back(std::move(conn));
      }
      co_return std::move(a.result);
    }
    co_return Error{0, "ConnectionFailed", "The connection was closed by the service."};
  }

  asio::ssl::context tls_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::set<Connection*> busy_;
  bool closed_ = false;
};

// ---------------------------------------------------------------------------------------------

Result<std::unique_ptr<ServiceClient>> ServiceClient::create(asio::io_context& io,
                                                             std::string_view connectionString,
                                                             std::string hub,
                                                             ServiceClientOptions options) {
  auto cs = parseConnectionString(connectionString);
  if (!cs) return cs.error();
  if (hub.empty()) return Error{0, "InvalidArgument", "The hub name is empty."};
  auto parts = wps::cloudevents::parseHttpUrl(cs->endpoint);
  if (!parts.isOk()) {
    return Error{0, "InvalidArgument", "Endpoint: " + parts.status().message()};
  }
  auto impl = std::make_shared<Impl>(io, std::move(cs.value()), std::move(hub), std::move(options),
                                     std::move(parts.value()));
  return std::unique_ptr<ServiceClient>(new ServiceClient(std::move(impl)));
}

ServiceClient::ServiceClient(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

ServiceClient::~ServiceClient() {
  impl_->shutdown();
}

ServiceClient::executor_type ServiceClient::get_executor() const {
  return impl_->io_.get_executor();
}

const std::string& ServiceClient::hub() const {
  return impl_->hub_;
}

const ConnectionString& ServiceClient::connection() const {
  return impl_->connection_;
}

ClientAccess ServiceClient::getClientAccess(const ClientAccessOptions& options) const {
  return generateClientAccess(impl_->connection_, impl_->hub_, options);
}

void ServiceClient::start(detail::Call call, std::function<void(detail::Outcome)> done) const {
  impl_->start(std::move(call), std::move(done));
}

std::string ServiceClient::path(std::string_view collection, std::string_view name) {
  std::string out = "/";
  out += collection;
  out += '/';
  out += enc(name);
  return out;
}

detail::Call ServiceClient::make(std::string method, std::string subPath, int success) const {
  detail::Call c;
  c.method = std::move(method);
  c.target = "/api/hubs/" + enc(impl_->hub_) + subPath;
  addQuery(c.target, "api-version", impl_->options_.apiVersion);
  c.success = success;
  return c;
}

detail::Call ServiceClient::makeSend(std::string scope, const Message& message,
                                     const SendOptions& options) const {
  detail::Call c = make("POST", scope + "/:send", 202);
  for (const auto& id : options.excluded)
    addQuery(c.target, "excluded", id);
  if (!options.filter.empty()) addQuery(c.target, "filter", options.filter);
  if (options.messageTtlSeconds) {
    if (*options.messageTtlSeconds < 0 || *options.messageTtlSeconds > 300) {
      c.invalid = Error{0, "InvalidArgument", "SendOptions::messageTtlSeconds must be 0 to 300."};
    }
    addQuery(c.target, "messageTtlSeconds", std::to_string(*options.messageTtlSeconds));
  }
  c.contentType = std::string(contentTypeOf(message.type));
  c.body = message.data;
  return c;
}

detail::Call ServiceClient::makeCloseConnection(std::string_view connectionId,
                                                std::string_view reason) const {
  detail::Call c = make("DELETE", path("connections", connectionId), 204);
  if (!reason.empty()) addQuery(c.target, "reason", reason);
  return c;
}

detail::Call ServiceClient::makeClose(std::string scope, const CloseOptions& options) const {
  detail::Call c = make("POST", scope + "/:closeConnections", 204);
  for (const auto& id : options.excluded)
    addQuery(c.target, "excluded", id);
  if (!options.reason.empty()) addQuery(c.target, "reason", options.reason);
  return c;
}

detail::Call ServiceClient::makeExists(std::string subPath) const {
  detail::Call c = make("HEAD", std::move(subPath), 200);
  c.expect = detail::Call::Expect::kBool;
  return c;
}

detail::Call ServiceClient::makeGroupsBatch(std::string_view action,
                                            const std::vector<std::string>& groups,
                                            std::string_view filter) const {
  detail::Call c = make("POST", "/" + std::string(action), 200);
  c.contentType = "application/json";
  c.body = "{\"groups\":[";
  for (size_t i = 0; i < groups.size(); ++i) {
    if (i) c.body += ',';
    wps::appendJsonString(c.body, groups[i]);
  }
  c.body += ']';
  if (!filter.empty()) {
    c.body += ",\"filter\":";
    wps::appendJsonString(c.body, filter);
  }
  c.body += '}';
  return c;
}

detail::Call ServiceClient::makeList(std::string_view group, const ListOptions& options) const {
  detail::Call c = make("GET", path("groups", group) + "/connections", 200);
  if (options.maxPageSize > 0) {
    addQuery(c.target, "maxpagesize", std::to_string(options.maxPageSize));
  }
  if (options.top) {
    if (*options.top < 1) {
      c.invalid = Error{0, "InvalidArgument", "ListOptions::top must be at least 1."};
    }
    addQuery(c.target, "top", std::to_string(*options.top));
  }
  c.expect = detail::Call::Expect::kMembers;
  c.top = options.top;
  return c;
}

detail::Call ServiceClient::makePermission(std::string method, Permission permission,
                                           std::string_view connectionId,
                                           std::string_view targetName, int success) const {
  std::string name = permission == Permission::kSendToGroup ? "sendToGroup" : "joinLeaveGroup";
  detail::Call c =
      make(std::move(method), "/permissions/" + name + path("connections", connectionId), success);
  if (!targetName.empty()) addQuery(c.target, "targetName", targetName);
  return c;
}

detail::Call ServiceClient::makeGenerateToken(const ClientAccessOptions& options) const {
  detail::Call c = make("POST", "/:generateToken", 200);
  if (options.userId && !options.userId->empty()) addQuery(c.target, "userId", *options.userId);
  for (const auto& r : options.roles)
    addQuery(c.target, "role", r);
  for (const auto& g : options.groups)
    addQuery(c.target, "group", g);
  addQuery(c.target, "minutesToExpire", std::to_string(options.expiresAfter.count()));
  if (options.protocol == ClientProtocol::kMqtt) addQuery(c.target, "clientType", "mqtt");
  if (options.protocol == ClientProtocol::kSocketIo) addQuery(c.target, "clientType", "socketio");
  c.expect = detail::Call::Expect::kToken;
  return c;
}

detail::Call ServiceClient::makeHealth() const {
  detail::Call c;
  c.method = "HEAD";
  c.target = "/api/health";
  addQuery(c.target, "api-version", impl_->options_.apiVersion);
  return c;
}

}  // namespace webpubsub::service
