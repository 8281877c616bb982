#include "cluster/redis_link.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "common/log.h"
#include "common/strings.h"

#include <unordered_map>

namespace wps::cluster {

namespace asio = boost::asio;

StatusOr<RedisAddress> parseRedisAddress(std::string_view text) {
  RedisAddress a;
  if (startsWith(text, "unix://")) {
    a.unix = true;
    a.host = std::string(text.substr(7));
    if (a.host.empty() || a.host[0] != '/')
      return invalidArgument("unix:// needs an absolute path");
    return a;
  }
  if (!startsWith(text, "redis://")) return invalidArgument("must start with redis:// or unix://");
  std::string_view rest = text.substr(8);
  size_t slash = rest.find('/');
  std::string_view hostPort = rest.substr(0, slash);
  if (slash != std::string_view::npos && slash + 1 < rest.size()) {
    auto db = parseUint64(rest.substr(slash + 1));
    if (!db || *db > 1000) return invalidArgument("bad database number");
    a.db = static_cast<int>(*db);
  }
  size_t colon = hostPort.rfind(':');
  if (colon != std::string_view::npos && hostPort.find(']') != std::string_view::npos &&
      colon < hostPort.find(']')) {
    colon = std::string_view::npos;
  }
  a.host = std::string(hostPort.substr(0, colon));
  if (colon != std::string_view::npos) {
    auto port = parseUint64(hostPort.substr(colon + 1));
    if (!port || *port == 0 || *port > 65535) return invalidArgument("bad port");
    a.port = static_cast<int>(*port);
  }
  if (!a.host.empty() && a.host.front() == '[') a.host = a.host.substr(1, a.host.size() - 2);
  if (a.host.empty()) return invalidArgument("missing host");
  return a;
}

namespace {

RedisReply convert(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      break;
    case REDIS_REPLY_NIL:
      out.type = RedisReply::Type::kNil;
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      break;
    default:
      out.type = RedisReply::Type::kNil;
      break;
  }
  out.integer = r->integer;
  if (r->str) out.str.assign(r->str, r->len);
  for (size_t i = 0; i < r->elements; ++i)
    out.elements.push_back(convert(r->element[i]));
  return out;
}

// One hiredis async context with its socket registered in Asio.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Closed = std::function<void()>;

  Connection(asio::io_context& io, redisAsyncContext* ac, Closed onClosed)
      : io_(io), ac_(ac), socket_(io), onClosed_(std::move(onClosed)) {}

  ~Connection() {
    boost::system::error_code ec;
    if (socket_.is_open()) socket_.release();  // hiredis owns the fd
  }

  // Hooks hiredis into Asio. Returns false if the socket cannot be registered.
  bool attach() {
    boost::system::error_code ec;
    socket_.assign(ac_->c.fd, ec);
    if (ec) return false;
    ac_->ev.data = this;
    ac_->ev.addRead = [](void* p) { static_cast<Connection*>(p)->want(true, true); };
    ac_->ev.delRead = [](void* p) { static_cast<Connection*>(p)->want(true, false); };
    ac_->ev.addWrite = [](void* p) { static_cast<Connection*>(p)->want(false, true); };
    ac_->ev.delWrite = [](void* p) { static_cast<Connection*>(p)->want(false, false); };
    ac_->ev.cleanup = [](void* p) { static_cast<Connection*>(p)->cleanup(); };
    ac_->data = this;
    return true;
  }

  redisAsyncContext* context() const { return ac_; }
  bool connected = false;

 private:
  void want(bool read, bool on) {
    if (read) {
      wantRead_ = on;
    } else {
      wantWrite_ = on;
    }
    arm();
  }

  void arm() {
    if (!ac_) return;
    auto self = shared_from_this();
    if (wantRead_ && !readArmed_) {
      readArmed_ = true;
      socket_.async_wait(asio::posix::stream_descriptor::wait_read,
                         [self](const boost::system::error_code& ec) {
                           self->readArmed_ = false;
                           if (ec || !self->ac_ || !self->wantRead_) return;
                           redisAsyncHandleRead(self->ac_);
                           self->arm();
                         });
    }
    if (wantWrite_ && !writeArmed_) {
      writeArmed_ = true;
      socket_.async_wait(asio::posix::stream_descriptor::wait_write,
                         [self](const boost::system::error_code& ec) {
                           self->writeArmed_ = false;
                           if (ec || !self->ac_ || !self->wantWrite_) return;
                           redisAsyncHandleWrite(self->ac_);
                           self->arm();
                         });
    }
  }

  // hiredis is about to free the context.
  void cleanup() {
    wantRead_ = wantWrite_ = false;
    boost::system::error_code ec;
    // Deregister before hiredis closes the fd (a reused fd number must not be touched later).
    if (socket_.is_open()) socket_.release();
    ac_ = nullptr;
    auto closed = std::move(onClosed_);
    onClosed_ = nullptr;
    if (closed) asio::post(io_, std::move(closed));
  }

  asio::io_context& io_;
  redisAsyncContext* ac_;
  asio::posix::stream_descriptor socket_;
  Closed onClosed_;
  bool wantRead_ = false, wantWrite_ = false, readArmed_ = false, writeArmed_ = false;
};

class HiredisLink : public RedisLink {
 public:
  HiredisLink(asio::io_context& io, Options options, MessageHandler onMessage, StateHandler onState)
      : io_(io),
        options_(std::move(options)),
        onMessage_(std::move(onMessage)),
        onState_(std::move(onState)),
        timer_(io),
        backoff_(options_.reconnectMin) {}

  ~HiredisLink() override { stop(); }

  void start() override {
    stopped_ = false;
    connect();
  }

  void stop() override {
    stopped_ = true;
    timer_.cancel();
    ++generation_;
    dropConnections();
    setUp(false);
  }

  bool up() const override { return up_; }

  void command(std::vector<std::string> argv, ReplyHandler done) override {
    if (!up_ || !commands_ || !commands_->context() || pending_ >= options_.maxPendingCommands) {
      if (done) done(Status(StatusCode::kUnavailable, "redis is not available"));
      return;
    }
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const auto& a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* pending = new Pending{this, std::move(done)};
    ++pending_;
    if (redisAsyncCommandArgv(commands_->context(), &HiredisLink::onReply, pending,
                              static_cast<int>(ptrs.size()), ptrs.data(),
                              lens.data()) != REDIS_OK) {
      --pending_;
      auto cb = std::move(pending->done);
      delete pending;
      if (cb) cb(Status(StatusCode::kUnavailable, "redis command could not be queued"));
    }
  }

  size_t pendingCommands() const override { return pending_; }

 private:
  struct Pending {
    HiredisLink* link;
    ReplyHandler done;
  };

  static void onReply(redisAsyncContext*, void* r, void* privdata) {
    auto* pending = static_cast<Pending*>(privdata);
    --pending->link->pending_;
    auto done = std::move(pending->done);
    delete pending;
    if (!done) return;
    if (!r) {
      done(Status(StatusCode::kUnavailable, "redis connection lost"));
      return;
    }
    RedisReply reply = convert(static_cast<redisReply*>(r));
    if (reply.type == RedisReply::Type::kError) {
      done(Status(StatusCode::kInternal, "redis: " + reply.str));
      return;
    }
    done(std::move(reply));
  }

  static void onSubscriberReply(redisAsyncContext* ac, void* r, void*) {
    if (!r) return;
    auto* reply = static_cast<redisReply*>(r);
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3) return;
    std::string_view kind(reply->element[0]->str ? reply->element[0]->str : "",
                          reply->element[0]->len);
    HiredisLink* link = linkOf(ac);
    if (!link) return;
    if (kind == "message") {
      std::string_view channel(reply->element[1]->str, reply->element[1]->len);
      std::string_view payload(reply->element[2]->str, reply->element[2]->len);
      link->onMessage_(channel, payload);
    } else if (kind == "subscribe") {
      if (++link->subscribed_ == link->options_.channels.size()) link->checkUp();
    }
  }

  static HiredisLink* linkOf(const redisAsyncContext* ac) {
    auto it = registry().find(ac);
    return it == registry().end() ? nullptr : it->second;
  }

  redisAsyncContext* open() {
    const RedisAddress& a = options_.address;
    redisAsyncContext* ac =
        a.unix ? redisAsyncConnectUnix(a.host.c_str()) : redisAsyncConnect(a.host.c_str(), a.port);
    if (!ac) return nullptr;
    if (ac->err) {
      WPS_LOG_WARN("redis: cannot connect to {}: {}", describe(), ac->errstr);
      redisAsyncFree(ac);
      return nullptr;
    }
    return ac;
  }

  std::string describe() const {
    const RedisAddress& a = options_.address;
    return a.unix ? "unix://" + a.host : a.host + ":" + std::to_string(a.port);
  }

  void connect() {
    if (stopped_) return;
    subscribed_ = 0;
    redisAsyncContext* c = open();
    redisAsyncContext* s = c ? open() : nullptr;
    if (!c || !s) {
      if (c) redisAsyncFree(c);
      scheduleReconnect();
      return;
    }
    std::weak_ptr<bool> alive = alive_;
    uint64_t generation = ++generation_;
    auto closed = [this, alive, generation] {
      if (alive.lock() && generation == generation_) onConnectionClosed();
    };
    commands_ = std::make_shared<Connection>(io_, c, closed);
    subscriber_ = std::make_shared<Connection>(io_, s, closed);
    registry()[c] = this;
    registry()[s] = this;
    if (!commands_->attach() || !subscriber_->attach()) {
      WPS_LOG_WARN("redis: cannot register the socket");
      dropConnections();
      scheduleReconnect();
      return;
    }
    redisAsyncSetConnectCallback(c, &HiredisLink::onConnect);
    redisAsyncSetConnectCallback(s, &HiredisLink::onConnect);
    redisAsyncSetDisconnectCallback(c, &HiredisLink::onDisconnect);
    redisAsyncSetDisconnectCallback(s, &HiredisLink::onDisconnect);
  }

  static std::unordered_map<const redisAsyncContext*, HiredisLink*>& registry() {
    static std::unordered_map<const redisAsyncContext*, HiredisLink*> r;
    return r;
  }

  static void onConnect(const redisAsyncContext* ac, int status) {
    auto it = registry().find(ac);
    if (it == registry().end()) return;
    HiredisLink* link = it->second;
    auto* conn = static_cast<Connection*>(ac->data);
    if (status != REDIS_OK) {
      WPS_LOG_WARN("redis: connection to {} failed: {}", link->describe(), ac->errstr);
      return;  // the disconnect path (cleanup) follows and schedules the reconnect
    }
    if (conn) conn->connected = true;
    auto* mutableAc = const_cast<redisAsyncContext*>(ac);
    if (link->subscriber_ && ac == link->subscriber_->context()) {
      for (const auto& ch : link->options_.channels) {
        const char* argv[2] = {"SUBSCRIBE", ch.data()};
        size_t lens[2] = {9, ch.size()};
        redisAsyncCommandArgv(mutableAc, &HiredisLink::onSubscriberReply, nullptr, 2, argv, lens);
      }
      if (link->options_.channels.empty()) link->checkUp();
    } else if (link->options_.address.db != 0) {
      std::string db = std::to_string(link->options_.address.db);
      const char* argv[2] = {"SELECT", db.data()};
      size_t lens[2] = {6, db.size()};
      redisAsyncCommandArgv(mutableAc, nullptr, nullptr, 2, argv, lens);
      link->checkUp();
    } else {
      link->checkUp();
    }
  }

  static void onDisconnect(const redisAsyncContext* ac, int) {
    auto it = registry().find(ac);
    if (it == registry().end()) return;
    HiredisLink* link = it->second;
    registry().erase(it);
    if (!link->stopped_) WPS_LOG_WARN("redis: disconnected from {}", link->describe());
  }

  void checkUp() {
    bool ready = commands_ && commands_->connected && subscriber_ && subscriber_->connected &&
                 subscribed_ >= options_.channels.size();
    if (ready && !up_) {
      backoff_ = options_.reconnectMin;
      WPS_LOG_INFO("redis: connected to {}", describe());
      setUp(true);
    }
  }

  void setUp(bool up) {
    if (up_ == up) return;
    up_ = up;
    if (onState_) onState_(up);
  }

  // One of the two connections is gone: drop the other and reconnect.
  void onConnectionClosed() {
    ++generation_;  // closures of the connections dropped now are stale
    dropConnections();
    setUp(false);
    scheduleReconnect();
  }

  void dropConnections() {
    for (auto* c : {&commands_, &subscriber_}) {
      if (*c && (*c)->context()) {
        redisAsyncContext* ac = (*c)->context();
        registry().erase(ac);
        redisAsyncFree(ac);
      }
      c->reset();
    }
  }

  void scheduleReconnect() {
    if (stopped_) return;
    timer_.expires_after(backoff_);
    backoff_ = std::min<Duration>(backoff_ * 2, options_.reconnectMax);
    timer_.async_wait(
        [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
          if (ec || !alive.lock()) return;
          connect();
        });
  }

  asio::io_context& io_;
  Options options_;
  MessageHandler onMessage_;
  StateHandler onState_;
  asio::steady_timer timer_;
  Duration backoff_;
  std::shared_ptr<Connection> commands_, subscriber_;
  size_t subscribed_ = 0;
  size_t pending_ = 0;
  uint64_t generation_ = 0;
  bool up_ = false;
  bool stopped_ = true;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

std::unique_ptr<RedisLink> makeRedisLink(boost::asio::io_context& io, RedisLink::Options options,
                                         RedisLink::MessageHandler onMessage,
                                         RedisLink::StateHandler onState) {
  return std::make_unique<HiredisLink>(io, std::move(options), std::move(onMessage),
                                       std::move(onState));
}

}  // namespace wps::cluster
