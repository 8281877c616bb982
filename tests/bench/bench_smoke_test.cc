// Smoke runs of every webpubsub-bench scenario (a couple of seconds, tiny sizes) so the suite
// never rots: each must exit 0 and end with one JSON object holding the scenario's figures.
// Timings are never asserted; only that the figures exist and something was measured. fanout
// and rest also run on 3 nodes sharing a redis-server (--nodes 3), where every call must
// succeed even when it addresses a connection on another node.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <sys/wait.h>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

struct Run {
  int status = -1;
  std::string lastLine;
  std::string output;
};

Run runBench(const std::string& args) {
  const char* bin = std::getenv("WPS_BENCH_BIN");
  Run run;
  if (!bin) return run;
  const std::string cmd = std::string(bin) + " " + args + " --json";
  std::fprintf(stderr, "$ %s\n", cmd.c_str());
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return run;
  std::array<char, 4096> buf;
  while (fgets(buf.data(), static_cast<int>(buf.size()), p))
    run.output += buf.data();
  const int rc = pclose(p);
  run.status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  std::string out = run.output;
  while (!out.empty() && out.back() == '\n')
    out.pop_back();
  const size_t nl = out.rfind('\n');
  run.lastLine = nl == std::string::npos ? out : out.substr(nl + 1);
  return run;
}

boost::json::object parseLast(const Run& run) {
  boost::system::error_code ec;
  auto v = boost::json::parse(run.lastLine, ec);
  if (ec || !v.is_object()) {
    ADD_FAILURE() << "last line is not a JSON object: " << run.lastLine << "\n" << run.output;
    return {};
  }
  return v.as_object();
}

double number(const boost::json::object& o, const char* key) {
  auto it = o.find(key);
  if (it == o.end()) {
    ADD_FAILURE() << "missing key " << key;
    return -1;
  }
  if (!it->value().is_number()) {
    ADD_FAILURE() << key << " is not a number";
    return -1;
  }
  return it->value().to_number<double>();
}

boost::json::object check(const std::string& args, const std::string& scenario,
                          const std::vector<const char*>& keys) {
  Run run = runBench(args);
  EXPECT_EQ(run.status, 0) << run.output;
  auto o = parseLast(run);
  if (o.empty()) return o;
  EXPECT_EQ(o["scenario"], boost::json::value(scenario));
  for (const char* k : keys)
    EXPECT_GE(number(o, k), 0) << k;
  return o;
}

// check() of a scenario with one latency histogram, which must have recorded something.
boost::json::object checkSampled(const std::string& args, const std::string& scenario,
                                 const std::vector<const char*>& keys) {
  auto o = check(args, scenario, keys);
  EXPECT_GT(number(o, "samples"), 0);
  return o;
}

constexpr const char* kShort = " --duration 1.5 --warmup 0.3";

const std::vector<const char*> kEchoKeys = {"events_per_sec",
                                            "p50_ms",
                                            "p99_ms",
                                            "p999_ms",
                                            "samples",
                                            "server_cpu_us_per_op",
                                            "server_cpu_cores",
                                            "upstream_cpu_us_per_op",
                                            "upstream_cpu_cores"};
const std::vector<const char*> kRestKeys = {
    "calls_per_sec", "send_per_sec",         "group_add_per_sec", "p99_ms",
    "samples",       "server_cpu_us_per_op", "server_cpu_cores"};

// A short fanout run (`args` without kShort): both phases' figures, each phase with samples.
boost::json::object checkFanout(const std::string& args) {
  auto o = check(args + kShort, "fanout",
                 {"delivered_per_sec", "rest_delivered_per_sec", "client_delivered_per_sec",
                  "rest_p99_ms", "client_p99_ms", "server_cpu_us_per_op",
                  "rest_server_cpu_us_per_op", "client_server_cpu_us_per_op"});
  EXPECT_GT(number(o, "rest_samples"), 0);
  EXPECT_GT(number(o, "client_samples"), 0);
  return o;
}

TEST(BenchSmoke, BinaryIsKnown) {
  ASSERT_NE(std::getenv("WPS_BENCH_BIN"), nullptr);
}

TEST(BenchSmoke, EchoClosedLoop) {
  auto o = checkSampled(std::string("echo --connections 4 --size 16") + kShort, "echo", kEchoKeys);
  // Thousands of events in 1.5 s take more than one clock tick of both processes' CPU.
  EXPECT_GT(number(o, "server_cpu_us_per_op"), 0);
  EXPECT_GT(number(o, "upstream_cpu_us_per_op"), 0);
}

TEST(BenchSmoke, EchoFixedRate) {
  checkSampled(std::string("echo --connections 4 --size 100 --rate 200") + kShort, "echo",
               kEchoKeys);
}

TEST(BenchSmoke, Baseline) {
  auto o = checkSampled(std::string("baseline --connections 4 --size 16") + kShort, "baseline",
                        {"requests_per_sec", "p99_ms", "samples", "upstream_cpu_us_per_op"});
  EXPECT_FALSE(o.contains("server_cpu_us_per_op"));  // no server in the baseline
}

TEST(BenchSmoke, Connect) {
  auto o = check(std::string("connect --connections 4") + kShort, "connect",
                 {"connections_per_sec", "connect_events_per_sec", "connected_events_per_sec",
                  "connections_total", "server_cpu_us_per_op", "upstream_cpu_us_per_op"});
  EXPECT_GT(number(o, "connections_total"), 0);
  EXPECT_TRUE(o["events_complete"].is_bool());
}

TEST(BenchSmoke, Idle) {
  auto o = check("idle --connections 200 --duration 1", "idle",
                 {"connections", "bytes_per_connection", "kernel_tcp_bytes_per_connection",
                  "server_cpu_us_per_op", "server_cpu_cores"});
  EXPECT_EQ(number(o, "connections"), 200);
}

TEST(BenchSmoke, Fanout) {
  auto o = checkFanout("fanout --connections 20 --size 32 --window 4");
  EXPECT_EQ(number(o, "nodes"), 1);
}

TEST(BenchSmoke, Rest) {
  auto o = checkSampled(std::string("rest --connections 4 --size 16") + kShort, "rest", kRestKeys);
  EXPECT_EQ(number(o, "nodes"), 1);
}

TEST(BenchSmoke, Soak) {
  auto o = check(
      "soak --connections 20 --groups 4 --rate 100 --event-rate 20 --duration 2 "
      "--sample-seconds 1",
      "soak", {"deliveries", "rss_start_kb", "rss_end_kb", "fds_start", "fds_end"});
  EXPECT_GT(number(o, "deliveries"), 0);
  EXPECT_EQ(number(o, "errors"), 0);
  EXPECT_EQ(number(o, "lost_deliveries"), 0);
  EXPECT_GE(number(o, "samples"), 3);  // at 0, 1 and 2 s
}

TEST(BenchSmoke, FanoutThreeNodes) {
  auto o = checkFanout("fanout --nodes 3 --connections 12 --size 32 --window 4");
  EXPECT_EQ(number(o, "nodes"), 3);
  EXPECT_EQ(number(o, "dropped_receivers"), 0);
  EXPECT_EQ(number(o, "errors"), 0);
}

TEST(BenchSmoke, RestThreeNodes) {
  // --mix both: sends and adds of members living on every node (most on another node).
  auto o = checkSampled(std::string("rest --nodes 3 --connections 6 --size 16") + kShort, "rest",
                        kRestKeys);
  EXPECT_EQ(number(o, "nodes"), 3);
  EXPECT_GT(number(o, "group_add_per_sec"), 0);
  EXPECT_EQ(number(o, "errors"), 0);
}

// --tls: the started server runs with --tls-self-signed; clients use wss (REST: https) and
// verify it against the CA it printed. Nothing may fail.
TEST(BenchSmoke, EchoOverTls) {
  auto o = checkSampled(std::string("echo --tls --connections 4 --size 100") + kShort, "echo",
                        kEchoKeys);
  EXPECT_EQ(number(o, "errors"), 0);
}

TEST(BenchSmoke, FanoutOverTls) {
  auto o = checkFanout("fanout --tls --connections 20 --size 32 --window 4");
  EXPECT_EQ(number(o, "errors"), 0);
  EXPECT_EQ(number(o, "dropped_receivers"), 0);
}

TEST(BenchSmoke, TlsWithAnUntrustedCaFails) {
  // The system CAs do not know the server's self-signed CA.
  const auto run = runBench("echo --tls --ca /etc/ssl/certs/ca-certificates.crt --connections 2" +
                            std::string(kShort) + " 2>&1");  // the reason is on stderr
  EXPECT_NE(run.status, 0) << run.output;
  EXPECT_NE(run.output.find("certificate verify failed"), std::string::npos) << run.output;
}

TEST(BenchSmoke, NodesOnlyForFanoutAndRest) {
  const auto run = runBench("echo --nodes 3 --duration 1");
  EXPECT_EQ(run.status, 2) << run.output;
}

}  // namespace
