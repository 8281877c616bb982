// A resilient link to Redis: one connection for commands (and PUBLISH), one subscribed to the
// bus channels; both reconnect forever with exponential backoff. hiredis drives the protocol,
// our Asio adapter drives its socket. Owned by the cluster thread; every method is called on
// that thread's io_context, every callback runs there.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"

namespace boost::asio {
class io_context;
}

namespace wps::cluster {

struct RedisReply {
  enum class Type { kString, kArray, kInteger, kNil, kStatus, kError };
  Type type = Type::kNil;
  int64_t integer = 0;
  std::string str;
  std::vector<RedisReply> elements;
};

struct RedisAddress {
  bool unix = false;
  std::string host;  // or the socket path
  int port = 6379;
  int db = 0;
};

// "redis://host:port[/db]" or "unix:///path". Errors: kInvalidArgument.
StatusOr<RedisAddress> parseRedisAddress(std::string_view text);

class RedisLink {
 public:
  using ReplyHandler = std::function<void(StatusOr<RedisReply>)>;
  using MessageHandler = std::function<void(std::string_view channel, std::string_view payload)>;
  using StateHandler = std::function<void(bool up)>;

  struct Options {
    RedisAddress address;
    std::vector<std::string> channels;  // subscribed on every (re)connect
    Duration reconnectMin = std::chrono::milliseconds(100);
    Duration reconnectMax = std::chrono::seconds(5);
    size_t maxPendingCommands = 100000;  // beyond this, commands fail at once
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
