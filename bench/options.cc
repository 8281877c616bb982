#include "bench/options.h"

#include <CLI/CLI.hpp>

#include <cstdio>

namespace wps::bench {

int64_t defaultConnections(const std::string& scenario) {
  if (scenario == "echo" || scenario == "baseline") return 100;
  if (scenario == "connect") return 32;
  if (scenario == "idle") return 1000;
  if (scenario == "fanout") return 1000;
  if (scenario == "rest") return 16;
  if (scenario == "soak") return 10000;
  return 1;
}

namespace {

// --tls: echo, fanout and idle only (their clients are never restarted), one node.
bool tlsSupported(const Options& o, int* exitCode) {
  if (!o.tls || o.scenario == "echo" || o.scenario == "fanout" || o.scenario == "idle") return true;
  std::fprintf(stderr, "webpubsub-bench: --tls is supported by echo, fanout and idle only\n");
  *exitCode = 2;
  return false;
}

}  // namespace

bool parseOptions(int argc, char** argv, Options* o, int* exitCode) {
  CLI::App app{
      "webpubsub-bench: load generator for webpubsubd (bench/README.md)\n"
      "Scenarios: echo, baseline, connect, idle, fanout, rest, soak"};
  app.add_option("scenario", o->scenario, "Scenario to run")
      ->required()
      ->check(CLI::IsMember({"echo", "baseline", "connect", "idle", "fanout", "rest", "soak"}));
  app.add_option("--duration", o->duration, "Measured seconds (fanout: per phase)")
      ->check(CLI::Range(0.1, 86400.0));
  app.add_option("--warmup", o->warmup, "Unmeasured seconds first (default min(1, duration/5))")
      ->check(CLI::Range(0.0, 3600.0));
  app.add_option("--connections", o->connections,
                 "echo/baseline: clients; connect: concurrent connectors; idle: connections; "
                 "fanout: receivers; rest: HTTP clients; soak: clients")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000}));
  app.add_option("--size", o->size, "Payload bytes")
      ->check(CLI::Range(int64_t{0}, int64_t{1 << 20}));
  auto* rate = app.add_option("--rate", o->rate,
                              "Sends per second in total (0 = closed loop; soak: group "
                              "messages per second, default 1000)")
                   ->check(CLI::Range(0.0, 1e8));
  app.add_flag("--json", o->json, "Print the results as one JSON object on the last line");
  app.add_option("--threads", o->threads, "Load-generator threads")->check(CLI::Range(1, 64));
  app.add_option("--server-url", o->serverUrl, "Use this running server (http://HOST:PORT)");
  app.add_option("--access-key", o->accessKey, "Access key of --server-url");
  app.add_option("--server-pid", o->serverPid, "PID of --server-url (idle: RSS)");
  app.add_option("--upstream-url", o->upstreamUrl, "Use this running upstream (http://HOST:PORT)");
  app.add_option("--server-bin", o->serverBin, "webpubsubd binary (default: next to this one)");
  app.add_option("--upstream-bin", o->upstreamBin,
                 "bench-upstream binary (default: next to this one)");
  app.add_option("--server-workers", o->serverWorkers, "Worker threads of the started server")
      ->check(CLI::Range(0, 256));
  app.add_option("--upstream-threads", o->upstreamThreads, "Threads of the started upstream")
      ->check(CLI::Range(1, 64));
  app.add_option("--server-log-level", o->serverLogLevel, "log_level of the started server");
  app.add_flag("--keep-files", o->keepFiles, "Keep the temporary directory (config, logs)");
  app.add_option("--nodes", o->nodes,
                 "fanout/rest: start N webpubsubd nodes sharing a started redis-server "
                 "(cluster bus); clients are spread round-robin over them")
      ->check(CLI::Range(1, 16));
  app.add_option("--redis-bin", o->redisBin,
                 "redis-server binary for --nodes > 1 (default: redis-server from PATH)");
  app.add_option("--data-dir", o->dataDir,
                 "delivery.data_dir of the started server (durable outbox); node I > 0 of "
                 "--nodes uses DIR/node-I. Default: the in-memory outbox");
  app.add_flag("--tls", o->tls,
               "echo/fanout/idle: connect over wss/https; a started server runs with "
               "--tls-self-signed (one node) and is verified against the CA it prints");
  app.add_option("--ca", o->caFile,
                 "--tls: PEM CA file verifying the server (default: the started server's CA, "
                 "else the system CAs)");
  app.add_option("--source-addresses", o->sourceAddresses,
                 "connect/idle: local addresses 127.0.0.2... to connect from")
      ->check(CLI::Range(1, 250));
  app.add_option("--concurrency", o->concurrency, "idle: handshakes in flight while opening")
      ->check(CLI::Range(1, 100000));
  app.add_option("--protocol", o->protocol, "echo/idle/connect: simple (default) or json")
      ->check(CLI::IsMember({"simple", "json"}));
  app.add_option("--senders", o->senders, "fanout: concurrent REST senders (default: --window)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--window", o->window, "fanout: messages in flight (closed loop)")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--phase", o->phase, "fanout: rest, client or both")
      ->check(CLI::IsMember({"rest", "client", "both"}));
  app.add_option("--mix", o->mix, "rest: send, group or both")
      ->check(CLI::IsMember({"send", "group", "both"}));
  app.add_option("--groups", o->groups, "soak: groups the clients are spread over")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--event-rate", o->eventRate,
                 "soak: upstream events per second (simple clients' messages, echoed)")
      ->check(CLI::Range(0.0, 1e7));
  app.add_option("--sample-seconds", o->sampleSeconds, "soak: seconds between samples")
      ->check(CLI::Range(0.5, 3600.0));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    *exitCode = app.exit(e);
    return false;
  }
  if (!o->serverUrl.empty() && o->accessKey.empty()) {
    std::fprintf(stderr, "webpubsub-bench: --server-url needs --access-key\n");
    *exitCode = 2;
    return false;
  }
  if (o->nodes > 1 && o->scenario != "fanout" && o->scenario != "rest") {
    std::fprintf(stderr, "webpubsub-bench: --nodes > 1 is supported by fanout and rest only\n");
    *exitCode = 2;
    return false;
  }
  if (o->nodes > 1 && !o->serverUrl.empty()) {
    std::fprintf(stderr,
                 "webpubsub-bench: --nodes > 1 starts its own cluster (nodes and redis-server); "
                 "it cannot be combined with --server-url\n");
    *exitCode = 2;
    return false;
  }
  if (!tlsSupported(*o, exitCode)) return false;
  if (o->connections < 0) o->connections = defaultConnections(o->scenario);
  if (o->scenario == "soak" && rate->count() == 0) o->rate = 1000;
  if (o->warmup < 0) o->warmup = std::min(1.0, o->duration / 5);
  if (o->protocol.empty()) o->protocol = "simple";
  if (o->senders < 0) o->senders = o->window;  // every REST sender keeps one call in flight
  return true;
}

}  // namespace wps::bench
