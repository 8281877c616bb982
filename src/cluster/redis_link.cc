#include "cluster/redis_link.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <hiredis/hiredis.h>

#include <deque>

#include "cluster/redis_stream.h"
#include "common/log.h"

namespace wps::cluster {

namespace asio = boost::asio;

namespace {

RedisReply::Type typeOf(int type) {
  switch (type) {
    case REDIS_REPLY_STRING:
      return RedisReply::Type::kString;
    case REDIS_REPLY_ARRAY:
      return RedisReply::Type::kArray;
    case REDIS_REPLY_INTEGER:
      return RedisReply::Type::kInteger;
    case REDIS_REPLY_STATUS:
      return RedisReply::Type::kStatus;
    case REDIS_REPLY_ERROR:
      return RedisReply::Type::kError;
    default:
      return RedisReply::Type::kNil;
  }
}

RedisReply convert(const redisReply* r) {
  RedisReply out;
  out.type = typeOf(r->type);
  out.integer = r->integer;
  if (r->str) out.str.assign(r->str, r->len);
  for (size_t i = 0; i < r->elements; ++i)
    out.elements.push_back(convert(r->element[i]));
  return out;
}

std::string_view text(const redisReply* r) {
  return r->str ? std::string_view(r->str, r->len) : std::string_view();
}

// One Redis connection over a RedisStream: commands are encoded with hiredis into one output
// buffer (written as one batch while the previous batch is in flight), replies are decoded by a
// hiredis reader and matched in order with the callbacks of the commands that expect one;
// replies beyond them (pub/sub messages) go to the push handler. Owned by the cluster thread.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // nullptr: the connection was lost before the reply.
  using ReplyHandler = std::function<void(const redisReply*)>;
  using Ready = std::function<void()>;
  using Closed = std::function<void(Status why)>;

  Connection(asio::io_context& io, std::unique_ptr<RedisStream> stream, ReplyHandler push)
      : stream_(std::move(stream)), timer_(io), push_(std::move(push)) {
    reader_ = redisReaderCreate();
    readBuffer_.resize(16 * 1024);
  }

  ~Connection() {
    close();
    redisReaderFree(reader_);
  }

  // Connects, sends `handshake` (AUTH, SELECT) and calls `ready` once every handshake reply is
  // a success; calls `closed` (once, unless close() comes first) on any failure then or later.
  void open(std::vector<std::vector<std::string>> handshake, Duration timeout, Ready ready,
            Closed closed) {
    closed_ = std::move(closed);
    timer_.expires_after(timeout);
    timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec && !self->ready_) self->fail(Status(StatusCode::kUnavailable, "timed out"));
    });
    stream_->connect([self = shared_from_this(), handshake = std::move(handshake),
                      ready = std::move(ready)](Status st) mutable {
      if (self->done_) return;
      if (!st) return self->fail(std::move(st));
      self->readLoop();
      self->sendHandshake(std::move(handshake), std::move(ready));
    });
  }

  // Queues a command. `onReply` (may be empty) takes the reply; `expectsReply` false is for
  // SUBSCRIBE, whose confirmations arrive as pushes. On a closed connection `onReply` gets
  // nullptr at once.
  void send(const std::vector<std::string>& argv, ReplyHandler onReply, bool expectsReply = true) {
    if (done_) {
      if (onReply) onReply(nullptr);
      return;
    }
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const auto& a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
    char* cmd = nullptr;
    int len = redisFormatCommandArgv(&cmd, static_cast<int>(argv.size()), ptrs.data(), lens.data());
    if (len < 0) {
      if (onReply) onReply(nullptr);
      return;
    }
    output_.append(cmd, static_cast<size_t>(len));
    redisFreeCommand(cmd);
    if (expectsReply) waiting_.push_back(std::move(onReply));
    flush();
  }

  bool ready() const { return ready_; }

  // Closes without calling `closed`; commands waiting for a reply get nullptr.
  void close() {
    if (done_) return;
    done_ = true;
    closed_ = nullptr;
    push_ = nullptr;
    timer_.cancel();
    stream_->close();
    auto waiting = std::move(waiting_);
    waiting_.clear();
    for (auto& w : waiting)
      if (w) w(nullptr);
  }

 private:
  void sendHandshake(std::vector<std::vector<std::string>> handshake, Ready ready) {
    if (handshake.empty()) return becomeReady(std::move(ready));
    auto remaining = std::make_shared<size_t>(handshake.size());
    auto shared = std::make_shared<Ready>(std::move(ready));
    for (const auto& argv : handshake) {
      std::string verb = argv[0];
      send(argv, [this, verb, remaining, shared](const redisReply* r) {
        if (!r) return;
        if (r->type == REDIS_REPLY_ERROR) {
          return fail(Status(StatusCode::kUnavailable, verb + " failed: " + std::string(text(r))));
        }
        if (--*remaining == 0) becomeReady(std::move(*shared));
      });
    }
  }

  void becomeReady(Ready ready) {
    ready_ = true;
    timer_.cancel();
    if (ready) ready();
  }

  // Closes and reports `why` (posted, so that no caller is re-entered).
  void fail(Status why) {
    if (done_) return;
    auto closed = std::move(closed_);
    close();
    if (closed) {
      asio::post(timer_.get_executor(),
                 [closed = std::move(closed), why = std::move(why)] { closed(why); });
    }
  }

  void flush() {
    if (writing_ || output_.empty() || done_) return;
    writing_ = true;
    inFlight_.swap(output_);
    stream_->write(inFlight_.data(), inFlight_.size(), [self = shared_from_this()](Status st) {
      self->writing_ = false;
      self->inFlight_.clear();
      if (self->done_) return;
      if (!st) return self->fail(std::move(st));
      self->flush();
    });
  }

  void readLoop() {
    stream_->readSome(readBuffer_.data(), readBuffer_.size(),
                      [self = shared_from_this()](Status st, size_t n) {
                        if (self->done_) return;
                        if (!st) return self->fail(std::move(st));
                        if (!self->consume(n)) return;
                        self->readLoop();
                      });
  }

  // Decodes and dispatches every complete reply; false once the connection is closed.
  bool consume(size_t n) {
    if (redisReaderFeed(reader_, readBuffer_.data(), n) != REDIS_OK) {
      fail(Status(StatusCode::kUnavailable, "protocol error"));
      return false;
    }
    while (!done_) {
      void* out = nullptr;
      if (redisReaderGetReply(reader_, &out) != REDIS_OK) {
        fail(Status(StatusCode::kUnavailable, "protocol error"));
        return false;
      }
      if (!out) return true;
      auto* reply = static_cast<redisReply*>(out);
      dispatch(reply);
      freeReplyObject(reply);
    }
    return false;
  }

  void dispatch(const redisReply* reply) {
    if (!waiting_.empty()) {
      auto handler = std::move(waiting_.front());
      waiting_.pop_front();
      if (handler) handler(reply);
    } else if (reply->type == REDIS_REPLY_ERROR) {
      // Unsolicited errors are refused SUBSCRIBEs (NOAUTH, NOPERM): the link cannot work.
      fail(Status(StatusCode::kUnavailable, std::string(text(reply))));
    } else if (push_) {
      push_(reply);
    }
  }

  std::unique_ptr<RedisStream> stream_;
  asio::steady_timer timer_;
  ReplyHandler push_;
  Closed closed_;
  redisReader* reader_ = nullptr;
  std::vector<char> readBuffer_;
  std::string output_;    // encoded commands not yet handed to the stream
  std::string inFlight_;  // the batch being written
  std::deque<ReplyHandler> waiting_;
  bool writing_ = false;
  bool ready_ = false;
  bool done_ = false;
};

class AsioRedisLink : public RedisLink {
 public:
  AsioRedisLink(asio::io_context& io, Options options, MessageHandler onMessage,
                StateHandler onState)
      : io_(io),
        options_(std::move(options)),
        onMessage_(std::move(onMessage)),
        onState_(std::move(onState)),
        timer_(io),
        backoff_(options_.reconnectMin) {}

  ~AsioRedisLink() override { stop(); }

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
    if (!up_ || !commands_ || pending_ >= options_.maxPendingCommands) {
      if (done) done(Status(StatusCode::kUnavailable, "redis is not available"));
      return;
    }
    ++pending_;
    commands_->send(argv, [this, done = std::move(done)](const redisReply* r) {
      --pending_;
      if (!done) return;
      if (!r) return done(Status(StatusCode::kUnavailable, "redis connection lost"));
      RedisReply reply = convert(r);
      if (reply.type == RedisReply::Type::kError) {
        return done(Status(StatusCode::kInternal, "redis: " + reply.str));
      }
      done(std::move(reply));
    });
  }

  size_t pendingCommands() const override { return pending_; }

 private:
  // AUTH when the address has a password; SELECT on the command connection.
  std::vector<std::vector<std::string>> handshake(bool commands) const {
    const RedisAddress& a = options_.address;
    std::vector<std::vector<std::string>> out;
    if (!a.password.empty()) {
      if (a.user.empty()) {
        out.push_back({"AUTH", a.password});
      } else {
        out.push_back({"AUTH", a.user, a.password});
      }
    }
    if (commands && a.db != 0) out.push_back({"SELECT", std::to_string(a.db)});
    return out;
  }

  std::shared_ptr<Connection> openConnection(bool commands, uint64_t generation) {
    auto conn = std::make_shared<Connection>(
        io_, makeRedisStream(io_, options_.address, options_.tls),
        commands ? Connection::ReplyHandler() : [this](const redisReply* r) { onPush(r); });
    std::weak_ptr<bool> alive = alive_;
    conn->open(
        handshake(commands), options_.connectTimeout, [this, commands] { onReady(commands); },
        [this, alive, generation](Status why) {
          if (alive.lock() && generation == generation_) onConnectionClosed(why);
        });
    return conn;
  }

  void connect() {
    if (stopped_) return;
    subscribed_ = 0;
    uint64_t generation = ++generation_;
    commands_ = openConnection(true, generation);
    subscriber_ = openConnection(false, generation);
  }

  void onReady(bool commands) {
    if (commands || !subscriber_) return checkUp();
    for (const auto& ch : options_.channels)
      subscriber_->send({"SUBSCRIBE", ch}, nullptr, false);
    if (options_.channels.empty()) checkUp();
  }

  void onPush(const redisReply* reply) {
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3) return;
    std::string_view kind = text(reply->element[0]);
    if (kind == "message") {
      onMessage_(text(reply->element[1]), text(reply->element[2]));
    } else if (kind == "subscribe") {
      if (++subscribed_ == options_.channels.size()) checkUp();
    }
  }

  std::string describe() const {
    return (options_.address.tls ? "rediss://" : "") + describeRedisAddress(options_.address);
  }

  void checkUp() {
    bool ready = commands_ && commands_->ready() && subscriber_ && subscriber_->ready() &&
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
  void onConnectionClosed(const Status& why) {
    if (up_) {
      WPS_LOG_WARN("redis: disconnected from {}: {}", describe(), why.message());
    } else {
      WPS_LOG_WARN("redis: cannot connect to {}: {}", describe(), why.message());
    }
    ++generation_;  // closures of the connections dropped now are stale
    dropConnections();
    setUp(false);
    scheduleReconnect();
  }

  void dropConnections() {
    auto commands = std::move(commands_);
    auto subscriber = std::move(subscriber_);
    commands_.reset();
    subscriber_.reset();
    if (commands) commands->close();
    if (subscriber) subscriber->close();
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
  return std::make_unique<AsioRedisLink>(io, std::move(options), std::move(onMessage),
                                         std::move(onState));
}

}  // namespace wps::cluster
