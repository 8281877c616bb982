// Command line of webpubsub-bench (bench/README.md): one scenario and its knobs.
#pragma once

#include <cstdint>
#include <string>

namespace wps::bench {

struct Options {
  std::string scenario;      // echo, baseline, connect, idle, fanout, rest, soak
  double duration = 10;      // measured seconds (fanout: per phase)
  double warmup = -1;        // seconds before measuring; -1 = min(1, duration / 5)
  int64_t connections = -1;  // -1 = the scenario's default
  int64_t size = 100;        // payload bytes
  double rate = 0;           // 0 = closed loop; otherwise sends per second in total
  bool json = false;
  int threads = 1;  // load-generator threads (one io_context each)

  // An already running server/upstream instead of starting our own.
  std::string serverUrl;    // http://127.0.0.1:8080
  std::string accessKey;    // required with serverUrl
  int64_t serverPid = 0;    // for RSS in the idle scenario with serverUrl
  std::string upstreamUrl;  // http://127.0.0.1:3000 (bench-upstream, or compatible)
  std::string serverBin;    // default: webpubsubd next to this binary
  std::string upstreamBin;  // default: bench-upstream next to this binary
  int serverWorkers = 0;    // 0 = the server's default (cores)
  int upstreamThreads = 1;
  std::string serverLogLevel = "warn";
  bool keepFiles = false;  // keep the temporary directory (config, logs)
  int nodes = 1;           // fanout/rest: webpubsubd nodes sharing one started redis-server
  std::string redisBin;    // default: redis-server from PATH
  std::string dataDir;     // delivery.data_dir of the started server(s); "" = in memory
  bool tls = false;        // echo/fanout: wss (and https for REST) to a TLS server
  std::string caFile;      // --ca: verifies the server; default: the started server's own CA

  int sourceAddresses = 4;     // 127.0.0.2 ... for connect/idle
  int concurrency = 256;       // idle: handshakes in flight while opening
  std::string protocol;        // echo/idle: simple (default) or json
  int senders = -1;            // fanout: REST senders (default --window)
  int window = 16;             // fanout: messages in flight per phase (closed loop)
  std::string phase = "both";  // fanout: rest, client or both
  std::string mix = "both";    // rest: send, group or both
  int groups = 1000;           // soak: groups the clients are spread over
  double eventRate = 200;      // soak: upstream events (echoed client messages) per second
  double sampleSeconds = 10;   // soak: seconds between samples
};

// Parses argv; on error or --help prints to stderr/stdout and returns false with *exitCode set.
bool parseOptions(int argc, char** argv, Options* options, int* exitCode);

// The scenario's default --connections.
int64_t defaultConnections(const std::string& scenario);

}  // namespace wps::bench
