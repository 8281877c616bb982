// The address of the cluster bus: a redis://, rediss:// or unix:// URL parsed with Boost.URL
// (credentials percent-decoded), and its printable form without the password. Pure functions;
// any thread.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace wps::cluster {

struct RedisAddress {
  bool unix = false;  // host is then the socket path
  bool tls = false;   // rediss://
  std::string host;   // host name or IP address (brackets of an IPv6 literal removed)
  int port = 6379;
  int db = 0;            // SELECTed on the command connection when not 0
  std::string user;      // ACL user; empty = AUTH with the password only
  std::string password;  // empty = no AUTH
};

// Accepted forms (user and password are percent-decoded):
//   redis://[[user]:password@]host[:port][/db]
//   rediss://[[user]:password@]host[:port][/db]      (TLS)
//   unix://[[user]:password@]/absolute/path[?db=N]
// Errors: kInvalidArgument with a message naming the faulty part; the message never contains
// the password (nor the URL).
StatusOr<RedisAddress> parseRedisAddress(std::string_view text);

// `text` with the password replaced by "***" (the user name stays); a text that is not a URL
// becomes "<invalid redis URL>". Use it wherever the configured address is printed.
std::string redactRedisUrl(std::string_view text);

// "host:port", "[v6]:port" or the socket path, for log lines (never has credentials).
std::string describeRedisAddress(const RedisAddress& address);

}  // namespace wps::cluster
