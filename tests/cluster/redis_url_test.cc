// The cluster bus address: every accepted URL form, percent-decoded credentials, the error
// message of each rejected form (never echoing the password), and the redacted form for logs.
#include "cluster/redis_url.h"

#include <gtest/gtest.h>

namespace wps::cluster {
namespace {

std::string errorOf(std::string_view url) {
  auto a = parseRedisAddress(url);
  EXPECT_FALSE(a) << url;
  return a ? std::string() : a.status().message();
}

TEST(RedisUrlTest, PlainHostPortAndDatabase) {
  auto a = parseRedisAddress("redis://10.0.0.5:6380/2");
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->tls);
  EXPECT_FALSE(a->unix);
  EXPECT_EQ(a->host, "10.0.0.5");
  EXPECT_EQ(a->port, 6380);
  EXPECT_EQ(a->db, 2);
  EXPECT_TRUE(a->user.empty());
  EXPECT_TRUE(a->password.empty());
  auto def = parseRedisAddress("redis://redis.internal");
  ASSERT_TRUE(def);
  EXPECT_EQ(def->port, 6379);
  EXPECT_EQ(def->db, 0);
  auto slash = parseRedisAddress("redis://h:1/");
  ASSERT_TRUE(slash);
  EXPECT_EQ(slash->db, 0);
}

TEST(RedisUrlTest, UserAndPasswordArePercentDecoded) {
  auto a = parseRedisAddress("redis://alice:s3cr%3At%40%2F%25@h:7000/1");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->user, "alice");
  EXPECT_EQ(a->password, "s3cr:t@/%");
  EXPECT_EQ(a->host, "h");
  EXPECT_EQ(a->port, 7000);
  EXPECT_EQ(a->db, 1);
  auto encodedUser = parseRedisAddress("redis://al%20ice:pw@h");
  ASSERT_TRUE(encodedUser);
  EXPECT_EQ(encodedUser->user, "al ice");
}

TEST(RedisUrlTest, PasswordOnlyMeansAuthWithoutUser) {
  auto a = parseRedisAddress("redis://:hunter2@h");
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->user.empty());
  EXPECT_EQ(a->password, "hunter2");
}

TEST(RedisUrlTest, TlsAndIpv6AndUnix) {
  auto tls = parseRedisAddress("REDISS://bob:pw@[::1]:6390");
  ASSERT_TRUE(tls);
  EXPECT_TRUE(tls->tls);
  EXPECT_EQ(tls->host, "::1");
  EXPECT_EQ(tls->port, 6390);
  EXPECT_EQ(describeRedisAddress(*tls), "[::1]:6390");
  auto unix = parseRedisAddress("unix:///run/redis.sock");
  ASSERT_TRUE(unix);
  EXPECT_TRUE(unix->unix);
  EXPECT_EQ(unix->host, "/run/redis.sock");
  auto unixAuth = parseRedisAddress("unix://:p%40ss@/run/r.sock?db=4");
  ASSERT_TRUE(unixAuth);
  EXPECT_EQ(unixAuth->password, "p@ss");
  EXPECT_EQ(unixAuth->host, "/run/r.sock");
  EXPECT_EQ(unixAuth->db, 4);
}

TEST(RedisUrlTest, BadUrlsNameTheFaultyPart) {
  EXPECT_EQ(errorOf("http://x"), "must start with redis://, rediss:// or unix://");
  EXPECT_EQ(errorOf("redis:x"), "expected SCHEME://...");
  EXPECT_EQ(errorOf("redis://:80"), "missing host");
  EXPECT_EQ(errorOf("redis://h:99999"), "the port must be a number from 1 to 65535");
  EXPECT_EQ(errorOf("redis://h:0"), "the port must be a number from 1 to 65535");
  EXPECT_EQ(errorOf("redis://h/x"), "the database must be a number from 0 to 1000");
  EXPECT_EQ(errorOf("redis://h/1001"), "the database must be a number from 0 to 1000");
  EXPECT_EQ(errorOf("redis://h?db=1"), "a query is not allowed; write the database as /N");
  EXPECT_EQ(errorOf("redis://alice@h"),
            "credentials need a password (user:password@ or :password@)");
  EXPECT_EQ(errorOf("redis://h#frag"), "a fragment (#...) is not allowed");
  EXPECT_EQ(errorOf("unix://relative"), "unix:// takes no host; write unix:///absolute/path");
  EXPECT_EQ(errorOf("unix:///s.sock?timeout=1"), "unix:// accepts only the query parameter db=N");
  // An unencoded reserved character in the password: the message does not echo it.
  std::string bad = errorOf("redis://alice:p w#[@h");
  EXPECT_EQ(bad, "not a valid URL (percent-encode reserved characters)");
}

TEST(RedisUrlTest, RedactionHidesOnlyThePassword) {
  EXPECT_EQ(redactRedisUrl("redis://alice:s3cr%3At@h:7000/1"), "redis://alice:***@h:7000/1");
  EXPECT_EQ(redactRedisUrl("rediss://:hunter2@h"), "rediss://:***@h");
  EXPECT_EQ(redactRedisUrl("redis://h:1"), "redis://h:1");
  EXPECT_EQ(redactRedisUrl("unix://:pw@/run/r.sock"), "unix://:***@/run/r.sock");
  EXPECT_EQ(redactRedisUrl("redis://alice:p w@h"), "<invalid redis URL>");
}

}  // namespace
}  // namespace wps::cluster
