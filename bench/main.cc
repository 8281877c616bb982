// webpubsub-bench: the load generator of the benchmark suite (bench/README.md).
//   webpubsub-bench SCENARIO [--duration S] [--connections N] [--size B] [--rate R] [--json]
// It starts webpubsubd and bench-upstream itself (from its own directory) unless --server-url
// / --upstream-url name running ones, runs the scenario with a progress line per second on
// stderr, prints a result table on stdout and, with --json, one JSON object as the last line.
#include <csignal>
#include <cstdio>

#include "bench/scenarios.h"

int main(int argc, char** argv) {
  using namespace wps::bench;
  Options o;
  int exitCode = 0;
  if (!parseOptions(argc, argv, &o, &exitCode)) return exitCode;
  std::signal(SIGPIPE, SIG_IGN);

  // Both ends of every connection may live in this process tree: the client sockets here, the
  // server's in the child (which inherits the limit).
  const uint64_t wanted = static_cast<uint64_t>(o.connections) * 2 + 16384;
  const uint64_t limit = raiseFileLimit(std::max<uint64_t>(wanted, 65536));
  if (o.scenario == "idle" && limit < static_cast<uint64_t>(o.connections) + 1024) {
    std::fprintf(stderr,
                 "webpubsub-bench: RLIMIT_NOFILE is %llu, too low for %lld connections "
                 "(raise ulimit -n)\n",
                 static_cast<unsigned long long>(limit), static_cast<long long>(o.connections));
    return 2;
  }

  Environment env;
  std::string error;
  const bool needServer = o.scenario != "baseline";
  if (!env.start(o, needServer, &error)) {
    std::fprintf(stderr, "webpubsub-bench: %s\n", error.c_str());
    env.keepFiles();
    return 2;
  }
  Result result("");
  if (o.scenario == "echo") {
    result = runEcho(o, env);
  } else if (o.scenario == "baseline") {
    result = runBaseline(o, env);
  } else if (o.scenario == "connect") {
    result = runConnect(o, env);
  } else if (o.scenario == "idle") {
    result = runIdle(o, env);
  } else if (o.scenario == "fanout") {
    result = runFanout(o, env);
  } else if (o.scenario == "soak") {
    result = runSoak(o, env);
  } else {
    result = runRest(o, env);
  }
  if (result.failed()) {
    std::fprintf(stderr, "%s", env.logs().c_str());
    env.keepFiles();
  }
  const std::string stopProblems = env.stop();
  if (!stopProblems.empty()) {
    std::fprintf(stderr, "webpubsub-bench: %s", stopProblems.c_str());
  }
  result.print(o.json);
  if (result.failed()) return 1;
  return stopProblems.empty() ? 0 : 3;
}
