#include "cluster/redis_url.h"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "common/strings.h"

namespace wps::cluster {

namespace urls = boost::urls;

namespace {

constexpr int kMaxDb = 1000;

StatusOr<int> parseDb(std::string_view text) {
  auto db = parseUint64(text);
  if (!db || *db > kMaxDb) return invalidArgument("the database must be a number from 0 to 1000");
  return static_cast<int>(*db);
}

Status readCredentials(const urls::url_view& u, RedisAddress& a) {
  if (!u.has_userinfo()) return Status::ok();
  if (!u.has_password() || u.encoded_password().empty()) {
    return invalidArgument("credentials need a password (user:password@ or :password@)");
  }
  a.user = u.user();
  a.password = u.password();
  return Status::ok();
}

Status readUnix(const urls::url_view& u, RedisAddress& a) {
  a.unix = true;
  if (!u.encoded_host().empty() || u.has_port()) {
    return invalidArgument("unix:// takes no host; write unix:///absolute/path");
  }
  a.host = u.path();
  if (a.host.empty() || a.host[0] != '/') return invalidArgument("unix:// needs an absolute path");
  for (auto param : u.params()) {
    if (param.key != "db" || !param.has_value) {
      return invalidArgument("unix:// accepts only the query parameter db=N");
    }
    auto db = parseDb(param.value);
    if (!db) return db.status();
    a.db = *db;
  }
  return Status::ok();
}

Status readNetwork(const urls::url_view& u, RedisAddress& a) {
  if (u.has_query()) return invalidArgument("a query is not allowed; write the database as /N");
  if (u.host_type() == urls::host_type::ipv6) {
    a.host = u.host_ipv6_address().to_string();
  } else if (u.host_type() == urls::host_type::ipvfuture) {
    return invalidArgument("unsupported host address");
  } else {
    a.host = u.host();
  }
  if (a.host.empty()) return invalidArgument("missing host");
  if (u.has_port()) {
    auto port = parseUint64(u.port());
    if (!port || *port == 0 || *port > 65535) {
      return invalidArgument("the port must be a number from 1 to 65535");
    }
    a.port = static_cast<int>(*port);
  }
  std::string path = u.path();
  if (path.empty() || path == "/") return Status::ok();
  auto db = parseDb(std::string_view(path).substr(1));
  if (!db) return db.status();
  a.db = *db;
  return Status::ok();
}

}  // namespace

StatusOr<RedisAddress> parseRedisAddress(std::string_view text) {
  auto parsed = urls::parse_uri(text);
  if (!parsed) return invalidArgument("not a valid URL (percent-encode reserved characters)");
  const urls::url_view& u = *parsed;
  RedisAddress a;
  std::string_view scheme = u.scheme();
  if (!iequals(scheme, "redis") && !iequals(scheme, "rediss") && !iequals(scheme, "unix")) {
    return invalidArgument("must start with redis://, rediss:// or unix://");
  }
  if (!u.has_authority()) return invalidArgument("expected SCHEME://...");
  if (u.has_fragment()) return invalidArgument("a fragment (#...) is not allowed");
  Status st = readCredentials(u, a);
  if (!st) return st;
  if (iequals(scheme, "unix")) {
    st = readUnix(u, a);
  } else {
    a.tls = iequals(scheme, "rediss");
    st = readNetwork(u, a);
  }
  if (!st) return st;
  return a;
}

std::string redactRedisUrl(std::string_view text) {
  auto parsed = urls::parse_uri(text);
  if (!parsed) return "<invalid redis URL>";
  urls::url u(*parsed);
  if (u.has_password()) u.set_password("***");
  return std::string(u.buffer());
}

std::string describeRedisAddress(const RedisAddress& address) {
  if (address.unix) return address.host;
  std::string host =
      address.host.find(':') != std::string::npos ? "[" + address.host + "]" : address.host;
  return host + ":" + std::to_string(address.port);
}

}  // namespace wps::cluster
