#include "bench/common.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <thread>

#include "auth/access_key.h"
#include "auth/jwt.h"
#include "bench/http_client.h"
#include "common/strings.h"
#include "common/time.h"

namespace wps::bench {

std::atomic<int> gPhase{0};

void setPhase(Phase p) {
  gPhase.store(static_cast<int>(p), std::memory_order_relaxed);
}

bool waitUntil(const std::function<bool()>& pred, double seconds) {
  const auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  while (!pred()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// ---- environment ---------------------------------------------------------------------------

tcp::endpoint Target::serverEndpoint() const {
  return tcp::endpoint(asio::ip::make_address(serverHost), serverPort);
}
tcp::endpoint Target::upstreamEndpoint() const {
  return tcp::endpoint(asio::ip::make_address(upstreamHost), upstreamPort);
}

Target Target::forNode(size_t i) const {
  Target t = *this;
  if (nodes.empty()) return t;
  const Node& n = nodes[i % nodes.size()];
  t.serverHost = n.host;
  t.serverPort = n.port;
  t.serverPid = n.pid;
  return t;
}

namespace {
// host:port from "Endpoint=http://127.0.0.1:PORT;AccessKey=KEY;Version=1.0;"
bool parseConnectionString(const std::string& line, std::string* host, uint16_t* port,
                           std::string* key) {
  for (std::string_view part : split(line, ';')) {
    part = trim(part);
    if (istartsWith(part, "Endpoint=")) {
      if (!parseHttpUrl(std::string(part.substr(9)), host, port)) return false;
    } else if (istartsWith(part, "AccessKey=")) {
      *key = std::string(part.substr(10));
    }
  }
  return !host->empty() && *port != 0 && !key->empty();
}

std::string tomlString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

bool writeFile(const std::string& path, const std::string& text, std::string* error) {
  std::ofstream f(path);
  f << text;
  if (!f) {
    *error = "cannot write " + path;
    return false;
  }
  return true;
}

bool fileExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

// The log of server node `i` of `count` (server.log for a single node).
std::string serverLogName(size_t i, size_t count) {
  return count <= 1 ? "server.log" : "server-" + std::to_string(i) + ".log";
}
}  // namespace

bool Environment::start(const Options& o, bool needServer, std::string* error) {
  dir_ = makeTempDirectory("wps-bench-");
  if (dir_.empty()) {
    *error = "cannot create a temporary directory";
    return false;
  }
  if (o.keepFiles) keep_ = true;
  const std::string here = selfDirectory();

  // The upstream.
  if (!o.upstreamUrl.empty()) {
    if (!parseHttpUrl(o.upstreamUrl, &target_.upstreamHost, &target_.upstreamPort)) {
      *error = "--upstream-url: expected http://HOST:PORT";
      return false;
    }
  } else if (o.serverUrl.empty() || !needServer) {
    const std::string bin = o.upstreamBin.empty() ? here + "/bench-upstream" : o.upstreamBin;
    std::vector<std::string> argv = {bin, "--listen", "127.0.0.1:0", "--threads",
                                     std::to_string(o.upstreamThreads)};
    if (!upstream_.start(argv, dir_ + "/upstream.log", error)) return false;
    auto line = upstream_.waitForLine("Listening=", std::chrono::seconds(10));
    if (!line ||
        !parseHttpUrl("http://" + line->substr(10), &target_.upstreamHost, &target_.upstreamPort)) {
      *error = "bench-upstream did not start:\n" + logs();
      return false;
    }
    target_.upstreamPid = upstream_.pid();
  }
  if (!needServer) return true;

  // The server (or the cluster: redis-server, then --nodes webpubsubd nodes).
  if (!o.serverUrl.empty()) {
    if (!parseHttpUrl(o.serverUrl, &target_.serverHost, &target_.serverPort)) {
      *error = "--server-url: expected http://HOST:PORT";
      return false;
    }
    target_.accessKey = o.accessKey;
    target_.serverPid = static_cast<pid_t>(o.serverPid);
    target_.nodes.push_back({target_.serverHost, target_.serverPort, target_.serverPid});
    return setUpTls(o, error);
  }
  if (target_.upstreamHost.empty()) {
    *error = "no upstream for the started server";
    return false;
  }
  if (o.nodes > 1 && !startRedis(o, error)) return false;
  if (o.tls && o.nodes > 1) {
    *error = "--tls: one node only (each --tls-self-signed node makes its own CA)";
    return false;
  }
  return startNodes(o, error) && setUpTls(o, error);
}

bool Environment::setUpTls(const Options& o, std::string* error) {
  if (!o.tls) return true;
  try {
    target_.tls = makeClientTlsContext(o.caFile.empty() ? serverCa_ : o.caFile);
  } catch (const std::exception& e) {
    *error = std::string("--tls: cannot load the CA file: ") + e.what();
    return false;
  }
  return true;
}

bool Environment::startRedis(const Options& o, std::string* error) {
  std::string bin = o.redisBin;
  if (bin.empty()) bin = findInPath("redis-server");
  if (bin.empty()) {
    *error = "--nodes needs redis-server (not found in PATH; install it or pass --redis-bin)";
    return false;
  }
  const std::string socket = dir_ + "/redis.sock";
  const std::string log = dir_ + "/redis.log";
  if (socket.size() >= sizeof(sockaddr_un::sun_path)) {
    *error = "the unix socket path " + socket + " is too long (set TMPDIR to a shorter directory)";
    return false;
  }
  // No TCP port (nothing can clash), no persistence; the log goes to our file, not stdout.
  std::vector<std::string> argv = {bin, "--port",       "0",  "--unixsocket", socket, "--save",
                                   "",  "--appendonly", "no", "--logfile",    log};
  if (!redis_.start(argv, log, error)) return false;
  if (!waitUntil([&] { return fileExists(socket) || redis_.exited(); }, 10) ||
      !fileExists(socket)) {
    *error = "redis-server did not create " + socket + ":\n" + logs();
    return false;
  }
  redisUrl_ = "unix://" + socket;
  return true;
}

bool Environment::startNodes(const Options& o, std::string* error) {
  const size_t count = static_cast<size_t>(std::max(1, o.nodes));
  nodeCount_ = count;
  const std::string key = auth::generateAccessKey();
  std::string common;
  common += "listen = \"127.0.0.1:0\"\n";
  common += "access_keys = [" + tomlString(key) + "]\n";
  common += "log_level = " + tomlString(o.serverLogLevel) + "\n";
  common += "workers = " + std::to_string(o.serverWorkers) + "\n";
  std::string hubs;
  hubs += "\n[hubs.bench]\nanonymous_connect = \"deny\"\n";
  hubs += "\n[[hubs.bench.event_handlers]]\n";
  hubs += "url_template = \"http://" + target_.upstreamHost + ":" +
          std::to_string(target_.upstreamPort) + "/upstream/{event}\"\n";
  hubs += "user_event_pattern = \"*\"\n";
  hubs += "system_events = [\"connect\", \"connected\", \"disconnected\"]\n";
  hubs += "\n[shutdown]\ndrain_seconds = 5\n";
  const std::string here = selfDirectory();
  const std::string bin = o.serverBin.empty() ? here + "/webpubsubd" : o.serverBin;
  for (size_t i = 0; i < count; ++i) {
    // Every node: the same settings and access key; in a cluster, the shared bus too.
    std::string config = "# Written by webpubsub-bench.\n" + common;
    std::string configPath = dir_ + "/bench.toml";
    if (count > 1) {
      config += "\n[cluster]\nredis = " + tomlString(redisUrl_) + "\n";
      config += "node_id = \"bench-node-" + std::to_string(i) + "\"\n";
      configPath = dir_ + "/bench-node-" + std::to_string(i) + ".toml";
    }
    if (!o.dataDir.empty()) {
      std::string dir = i == 0 ? o.dataDir : o.dataDir + "/node-" + std::to_string(i);
      config += "\n[delivery]\ndata_dir = " + tomlString(dir) + "\n";
    }
    config += hubs;
    if (!writeFile(configPath, config, error)) return false;
    servers_.push_back(std::make_unique<ChildProcess>());
    ChildProcess& server = *servers_.back();
    const std::string log = dir_ + "/" + serverLogName(i, count);
    std::vector<std::string> argv = {bin, "--config", configPath};
    if (o.tls) argv.push_back("--tls-self-signed");
    if (!server.start(argv, log, error)) return false;
    auto line = server.waitForLine("Endpoint=", std::chrono::seconds(20));
    if (line && o.tls) {
      // "webpubsubd: trust the CA: NODE_EXTRA_CA_CERTS=/tmp/webpubsubd-tls-X/ca.pem (Node.js), …"
      static const std::string kCa = "webpubsubd: trust the CA: NODE_EXTRA_CA_CERTS=";
      std::ifstream in(log);  // stderr goes to the log; the line came before the Endpoint
      std::stringstream text;
      text << in.rdbuf();
      const std::string all = text.str();
      const size_t at = all.find(kCa);
      if (at != std::string::npos) {
        serverCa_ = all.substr(at + kCa.size(), all.find(' ', at + kCa.size()) - at - kCa.size());
        serverTlsDir_ = serverCa_.substr(0, serverCa_.rfind('/'));
      }
    }
    Target::Node node;
    std::string nodeKey;
    if (!line || !parseConnectionString(*line, &node.host, &node.port, &nodeKey)) {
      *error = "webpubsubd" + (count > 1 ? " node " + std::to_string(i) : std::string()) +
               " did not start:\n" + logs();
      return false;
    }
    node.pid = server.pid();
    target_.nodes.push_back(node);
    if (i == 0) {
      target_.serverHost = node.host;
      target_.serverPort = node.port;
      target_.serverPid = node.pid;
      target_.accessKey = nodeKey;
    }
  }
  if (count > 1) {
    // Connected to the bus: /api/health answers 200 (503 while the bus is unavailable).
    for (size_t i = 0; i < count; ++i) {
      const Target::Node& n = target_.nodes[i];
      if (!waitUntil([&] { return httpGet(n.host, n.port, "/api/health").has_value(); }, 10)) {
        *error = "webpubsubd node " + std::to_string(i) +
                 " did not reach the cluster bus (GET /api/health):\n" + logs();
        return false;
      }
    }
  }
  return true;
}

std::string Environment::stop() {
  // The servers first: their shutdown still delivers `disconnected` events to the upstream (and
  // in a cluster still uses the bus, so Redis goes last). Every node is signalled at once.
  std::string problems;
  for (auto& server : servers_)
    server->terminate();
  for (size_t i = 0; i < servers_.size(); ++i) {
    if (!servers_[i]->running()) continue;
    std::string s = servers_[i]->stop(std::chrono::seconds(15));
    if (s.empty()) continue;
    problems += "webpubsubd ";
    if (nodeCount_ > 1) problems += "node " + std::to_string(i) + " ";
    problems += s + "\n";
  }
  if (upstream_.running()) {
    std::string s = upstream_.stop(std::chrono::seconds(5));
    if (!s.empty()) problems += "bench-upstream " + s + "\n";
  }
  if (redis_.running()) {
    std::string s = redis_.stop(std::chrono::seconds(5));
    if (!s.empty()) problems += "redis-server " + s + "\n";
  }
  if (!problems.empty()) {
    problems += logs();
    keep_ = true;
  }
  if (!serverTlsDir_.empty()) removeDirectory(serverTlsDir_);
  serverTlsDir_.clear();
  if (!keep_) {
    removeDirectory(dir_);
  } else if (!dir_.empty()) {
    std::fprintf(stderr, "webpubsub-bench: files kept in %s\n", dir_.c_str());
  }
  dir_.clear();
  return problems;
}

std::string Environment::logs() const {
  std::string out;
  if (dir_.empty()) return out;
  auto add = [&](const std::string& what, const std::string& name) {
    if (!fileExists(dir_ + "/" + name)) return;  // not started
    out += what + " log (" + dir_ + "/" + name + "):\n" + tailOfFile(dir_ + "/" + name, 20);
  };
  for (size_t i = 0; i < nodeCount_; ++i) {
    add(nodeCount_ > 1 ? "server node " + std::to_string(i) : std::string("server"),
        serverLogName(i, nodeCount_));
  }
  add("upstream", "upstream.log");
  add("redis-server", "redis.log");
  return out;
}

std::optional<std::string> Environment::upstreamStats() const {
  if (target_.upstreamHost.empty()) return std::nullopt;
  return httpGet(target_.upstreamHost, target_.upstreamPort, "/stats");
}

std::optional<double> jsonNumber(std::string_view json, std::string_view key) {
  std::string pattern = "\"" + std::string(key) + "\":";
  size_t at = json.find(pattern);
  if (at == std::string_view::npos) return std::nullopt;
  std::string rest(json.substr(at + pattern.size(), 32));
  char* end = nullptr;
  double v = std::strtod(rest.c_str(), &end);
  if (end == rest.c_str()) return std::nullopt;
  return v;
}

// ---- measurement ---------------------------------------------------------------------------

Counts sumCounts(const std::vector<std::unique_ptr<Meter>>& meters) {
  Counts c;
  for (const auto& m : meters) {
    c.sent += m->sent.load(std::memory_order_relaxed);
    c.received += m->received.load(std::memory_order_relaxed);
    c.errors += m->errors.load(std::memory_order_relaxed);
    c.extra += m->extra.load(std::memory_order_relaxed);
  }
  return c;
}

LatencyHistogram mergedLatency(const std::vector<std::unique_ptr<Meter>>& meters) {
  LatencyHistogram h;
  for (const auto& m : meters)
    h.merge(m->total);
  return h;
}

double Progress::elapsed() const {
  return std::chrono::duration<double>(Clock::now() - start_).count();
}

void Progress::run(double seconds, const char* sentLabel, const char* receivedLabel,
                   const std::function<std::string()>& extra) {
  const auto begin = Clock::now();
  const auto end =
      begin + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  Counts last = sumCounts(meters_);
  auto lastTime = begin;
  while (Clock::now() < end) {
    auto next = std::min(end, lastTime + std::chrono::seconds(1));
    std::this_thread::sleep_until(next);
    const auto now = Clock::now();
    const double dt = std::chrono::duration<double>(now - lastTime).count();
    if (dt < 0.5 && now < end) continue;
    Counts c = sumCounts(meters_);
    uint64_t p50 = 0, p99 = 0, n = 0;
    LatencyHistogram merged;
    for (size_t i = 0; i < loops_.size(); ++i) {
      loops_.runAndWait(i, [&, i] {
        merged.merge(meters_[i]->interval);
        meters_[i]->interval.reset();
      });
    }
    n = merged.count();
    p50 = merged.percentile(50);
    p99 = merged.percentile(99);
    std::string line = "[" + scenario_ + " " + formatNumber(elapsed(), 1) + "s " +
                       (phase() == Phase::kMeasure ? "measure" : "warmup") + "]";
    if (sentLabel && *sentLabel)
      line += " " + std::string(sentLabel) + " " +
              formatNumber(static_cast<double>(c.sent - last.sent) / dt, 0) + "/s";
    if (receivedLabel && *receivedLabel)
      line += " " + std::string(receivedLabel) + " " +
              formatNumber(static_cast<double>(c.received - last.received) / dt, 0) + "/s";
    if (n > 0) {
      line += " p50 " + formatNumber(static_cast<double>(p50) / 1000.0, 2) + " ms";
      line += " p99 " + formatNumber(static_cast<double>(p99) / 1000.0, 2) + " ms";
    }
    line += " errors " + std::to_string(c.errors);
    if (extra) line += " " + extra();
    std::fprintf(stderr, "%s\n", line.c_str());
    last = c;
    lastTime = now;
  }
}

// ---- results -------------------------------------------------------------------------------

std::string formatNumber(double v, int decimals) {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, std::fabs(v));
  std::string digits(buf);
  const size_t dot = digits.find('.');
  std::string intPart = digits.substr(0, dot);
  std::string frac = dot == std::string::npos ? "" : digits.substr(dot);
  std::string grouped;
  for (size_t i = 0; i < intPart.size(); ++i) {
    if (i > 0 && (intPart.size() - i) % 3 == 0) grouped += ',';
    grouped += intPart[i];
  }
  return (v < 0 ? "-" : "") + grouped + frac;
}

void Result::add(const std::string& key, double value, const std::string& label, int decimals) {
  items_.push_back({key, label, "", value, decimals, 0});
}
void Result::addText(const std::string& key, const std::string& value, const std::string& label) {
  items_.push_back({key, label, value, 0, 0, 1});
}
void Result::addBool(const std::string& key, bool value, const std::string& label) {
  items_.push_back({key, label, value ? "true" : "false", 0, 0, 2});
}

void Result::addLatency(const LatencyHistogram& h, const std::string& prefix,
                        const std::string& what) {
  auto ms = [](uint64_t us) { return static_cast<double>(us) / 1000.0; };
  add(prefix + "p50_ms", ms(h.percentile(50)), what + " p50 (ms)", 3);
  add(prefix + "p99_ms", ms(h.percentile(99)), what + " p99 (ms)", 3);
  add(prefix + "p999_ms", ms(h.percentile(99.9)), what + " p99.9 (ms)", 3);
  add(prefix + "max_ms", ms(h.max()), what + " max (ms)", 3);
  add(prefix + "mean_ms", h.mean() / 1000.0, what + " mean (ms)", 3);
  add(prefix + "samples", static_cast<double>(h.count()), what + " samples");
}

void Result::print(bool json) const {
  std::printf("\n%s%s%s\n", scenario_.c_str(), title_.empty() ? "" : ": ", title_.c_str());
  size_t width = 0;
  for (const auto& it : items_)
    width = std::max(width, it.label.size());
  for (const auto& it : items_) {
    std::string value = it.kind == 0 ? formatNumber(it.value, it.decimals) : it.text;
    std::printf("  %-*s  %16s\n", static_cast<int>(width), it.label.c_str(), value.c_str());
  }
  if (!failure_.empty()) std::printf("  FAILED: %s\n", failure_.c_str());
  if (json) {
    std::string out = "{\"scenario\":";
    appendJsonString(out, scenario_);
    for (const auto& it : items_) {
      out += ',';
      appendJsonString(out, it.key);
      out += ':';
      if (it.kind == 0) {
        char buf[64];
        if (!std::isfinite(it.value)) {
          std::snprintf(buf, sizeof buf, "null");
        } else if (it.decimals == 0 && std::fabs(it.value) < 9e15) {
          std::snprintf(buf, sizeof buf, "%.0f", it.value);
        } else {
          std::snprintf(buf, sizeof buf, "%.*f", std::max(it.decimals, 3), it.value);
        }
        out += buf;
      } else if (it.kind == 2) {
        out += it.text;
      } else {
        appendJsonString(out, it.text);
      }
    }
    if (!failure_.empty()) {
      out += ",\"error\":";
      appendJsonString(out, failure_);
    }
    out += '}';
    std::printf("%s\n", out.c_str());
  }
  std::fflush(stdout);
}

// ---- tokens and payloads -------------------------------------------------------------------

std::string clientToken(const Target& t, const std::string& user,
                        const std::vector<std::string>& roles,
                        const std::vector<std::string>& groups) {
  const std::string audience = t.serverOrigin() + "/client/hubs/" + kHub;
  std::optional<std::string> sub;
  if (!user.empty()) sub = user;
  const std::string payload = auth::buildClientTokenPayload(
      audience, WallClock::now(), std::chrono::hours(2), sub, roles, groups);
  return auth::signJwt(payload, t.accessKey);
}

std::string clientPath(const std::string& token) {
  return std::string("/client/hubs/") + kHub + "?access_token=" + token;
}

std::string restToken(const std::string& accessKey, const std::string& url) {
  const int64_t now = unixSeconds(WallClock::now());
  std::string payload = "{\"aud\":";
  appendJsonString(payload, url);
  payload += ",\"iat\":" + std::to_string(now) + ",\"exp\":" + std::to_string(now + 3600) + "}";
  return auth::signJwt(payload, accessKey);
}

void putHexTimestamp(char* out, uint64_t ns) {
  static const char kHex[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    out[i] = kHex[ns & 0xF];
    ns >>= 4;
  }
}

std::optional<uint64_t> getHexTimestamp(std::string_view text) {
  if (text.size() < 16) return std::nullopt;
  uint64_t v = 0;
  for (size_t i = 0; i < 16; ++i) {
    const char c = text[i];
    uint64_t d;
    if (c >= '0' && c <= '9') {
      d = static_cast<uint64_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = static_cast<uint64_t>(c - 'a' + 10);
    } else {
      return std::nullopt;
    }
    v = (v << 4) | d;
  }
  return v;
}

void makeTextPayload(std::string& out, size_t size, uint64_t ns) {
  out.assign(std::max<size_t>(size, 16), 'x');
  putHexTimestamp(out.data(), ns);
}

}  // namespace wps::bench
