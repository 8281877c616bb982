// A resilient link to Redis: one connection for commands (and PUBLISH), one subscribed to the
// bus channels; both reconnect forever with exponential backoff. Each connection authenticates
// (AUTH) when the address has a password, the command connection SELECTs the address's database.
// Asio owns the sockets (TCP, TLS or unix: RedisStream); hiredis only encodes commands and
// decodes replies. Owned by the cluster thread; every method is called on that thread's
// io_context, every callback runs there.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/redis_url.h"
#include "common/status.h"
#include "common/time.h"

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}
}  // namespace boost::asio

namespace wps::cluster {

struct RedisReply {
  enum class Type { kString, kArray, kInteger, kNil, kStatus, kError };
  Type type = Type::kNil;
  int64_t integer = 0;
  std::string str;
  std::vector<RedisReply> elements;
};

class RedisLink {
 public:
  using ReplyHandler = std::function<void(StatusOr<RedisReply>)>;
  using MessageHandler = std::function<void(std::string_view channel, std::string_view payload)>;
  using StateHandler = std::function<void(bool up)>;

  struct Options {
    RedisAddress address;
    std::shared_ptr<boost::asio::ssl::context> tls;  // required for a rediss:// address
    std::vector<std::string> channels;               // subscribed on every (re)connect
    Duration reconnectMin = std::chrono::milliseconds(100);
    Duration reconnectMax = std::chrono::seconds(5);
    Duration connectTimeout = std::chrono::seconds(10);  // connect + TLS + AUTH/SELECT replies
    size_t maxPendingCommands = 100000;                  // beyond this, commands fail at once
  };

  virtual ~RedisLink() = default;

  // Connects (asynchronously) and keeps reconnecting until stop().
  virtual void start() = 0;
  virtual void stop() = 0;
  // True while both connections are established (and subscribed).
  virtual bool up() const = 0;

  // Sends a command. `done` (may be empty) receives the reply, or kUnavailable when the link is
  // down, the connection drops before the reply, or too many commands are pending.
  virtual void command(std::vector<std::string> argv, ReplyHandler done) = 0;
  virtual size_t pendingCommands() const = 0;
};

std::unique_ptr<RedisLink> makeRedisLink(boost::asio::io_context& io, RedisLink::Options options,
                                         RedisLink::MessageHandler onMessage,
                                         RedisLink::StateHandler onState);

}  // namespace wps::cluster
