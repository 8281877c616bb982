#include "server/commands.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>

#include "auth/access_key.h"
#include "auth/jwt.h"
#include "common/log.h"
#include "common/strings.h"
#include "config/loader.h"
#include "core/tokens.h"
#include "core/trace_token.h"
#include "protocol/names.h"
#include "server/admin_routes.h"
#include "server/reloader.h"
#include "server/server.h"
#include "transport/self_signed.h"
#include "transport/tls_context.h"

namespace wps::server {
namespace {

void printConfigurationError(const Status& status) {
  std::fprintf(stderr, "webpubsubd: %s\n", configurationErrorText(status).c_str());
}

// ws:// for http://, wss:// for https:// (other URLs unchanged).
std::string webSocketUrl(const std::string& httpUrl) {
  if (httpUrl.rfind("https://", 0) == 0) return "wss://" + httpUrl.substr(8);
  if (httpUrl.rfind("http://", 0) == 0) return "ws://" + httpUrl.substr(7);
  return httpUrl;
}

// The keys of a key file: one per line, surrounding blanks trimmed, blank lines and lines
// starting with '#' ignored. Errors: the file cannot be read, or it holds no key.
StatusOr<std::vector<std::string>> readAccessKeyFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return invalidArgument("--access-key-file: cannot read " + path);
  std::vector<std::string> keys;
  std::string line;
  while (std::getline(in, line)) {
    std::string_view key = trim(line);
    if (key.empty() || key.front() == '#') continue;
    keys.emplace_back(key);
  }
  if (keys.empty()) return invalidArgument("--access-key-file: no key in " + path);
  return keys;
}

// The keys of WEBPUBSUBD_ACCESS_KEYS (comma-separated, blanks trimmed); none when it is unset or
// empty. Error: it is set but holds only separators and blanks.
StatusOr<std::vector<std::string>> environmentAccessKeys() {
  const char* value = std::getenv(kAccessKeysEnv);
  std::vector<std::string> keys;
  if (value == nullptr || *value == '\0') return keys;
  for (std::string_view part : split(value, ',')) {
    std::string_view key = trim(part);
    if (!key.empty()) keys.emplace_back(key);
  }
  if (keys.empty()) return invalidArgument(std::string(kAccessKeysEnv) + ": no key");
  return keys;
}

// The access keys by precedence (see loadEffectiveSettings); settings->accessKeys (the file's)
// stay when no flag or variable gives one. Never generates a key.
Status applyAccessKeys(const ServeOptions& o, config::ServerSettings* settings) {
  if (!o.accessKeys.empty()) {
    settings->accessKeys = o.accessKeys;
    return Status::ok();
  }
  if (!o.accessKeyFile.empty()) {
    auto keys = readAccessKeyFile(o.accessKeyFile);
    if (!keys) return keys.status();
    settings->accessKeys = std::move(keys.value());
    return Status::ok();
  }
  auto keys = environmentAccessKeys();
  if (!keys) return keys.status();
  if (!keys->empty()) settings->accessKeys = std::move(keys.value());
  return Status::ok();
}

// The file's settings with the flags applied, not validated, without a generated key.
StatusOr<config::ServerSettings> settingsFromOptions(const ServeOptions& o) {
  config::ServerSettings s;
  if (!o.configFile.empty()) {
    auto loaded = config::loadSettingsFile(o.configFile);
    if (!loaded) return loaded.status();
    s = std::move(loaded.value());
  }
  if (!o.listen.empty()) {
    Status st = config::parseListen(o.listen, &s.listenHost, &s.listenPort);
    if (!st) return invalidArgument("--listen: " + st.message());
  }
  Status keys = applyAccessKeys(o, &s);
  if (!keys) return keys;
  if (!o.publicEndpoint.empty()) s.publicEndpoint = o.publicEndpoint;
  if (o.workers >= 0) s.workers = static_cast<size_t>(o.workers);
  if (!o.logLevel.empty()) s.logLevel = o.logLevel;
  if (!o.logFormat.empty()) s.logFormat = o.logFormat;
  if (!o.dataDir.empty()) s.delivery.dataDir = o.dataDir;
  return s;
}

// "Endpoint=…;AccessKey=KEY;Version=1.0;" without the "AccessKey=KEY;" part.
std::string withoutAccessKey(const std::string& connectionString) {
  size_t begin = connectionString.find("AccessKey=");
  if (begin == std::string::npos) return connectionString;
  size_t end = connectionString.find(';', begin);
  end = end == std::string::npos ? connectionString.size() : end + 1;
  return connectionString.substr(0, begin) + connectionString.substr(end);
}

}  // namespace

StatusOr<config::ServerSettings> loadReloadedSettings(const ServeOptions& o,
                                                      const config::ServerSettings& started) {
  auto s = settingsFromOptions(o);
  if (!s) return s.status();
  if (s->accessKeys.empty()) s->accessKeys = started.accessKeys;  // the key the start generated
  if (o.tlsSelfSigned) s->tls = started.tls;  // the start's --tls-self-signed files
  Status st = config::validateSettings(*s);
  if (!st) return st;
  return s;
}

StatusOr<config::ServerSettings> loadEffectiveSettings(const ServeOptions& o) {
  auto s = settingsFromOptions(o);
  if (!s) return s.status();
  if (s->accessKeys.empty()) s->accessKeys.push_back(auth::generateAccessKey());
  Status st = config::validateSettings(*s);
  if (!st) return st;
  return s;
}

namespace {

// The effective settings with the log level and format applied, or nullopt after printing the
// configuration error (what a start and check-config both say of a bad file).
std::optional<config::ServerSettings> loadOrReport(const ServeOptions& options) {
  auto settings = loadEffectiveSettings(options);
  if (!settings) {
    printConfigurationError(settings.status());
    return std::nullopt;
  }
  if (!setLogLevel(settings->logLevel)) {
    std::fprintf(stderr, "webpubsubd: configuration error: log_level: unknown level\n");
    return std::nullopt;
  }
  configureLogFormat(settings->logFormat);  // validated with the settings
  return std::move(settings.value());
}

}  // namespace

// --tls-self-signed: writes the development certificates (tls.cert_file and tls.key_file point
// at them) and says on stderr how clients trust them. False after printing an error.
static bool useSelfSignedCertificates(config::ServerSettings* settings) {
  std::string dir = settings->delivery.dataDir;
  if (dir.empty()) {
    char tmpl[] = "/tmp/webpubsubd-tls-XXXXXX";
    if (!mkdtemp(tmpl)) {
      std::fprintf(stderr, "webpubsubd: --tls-self-signed: cannot create a temporary directory\n");
      return false;
    }
    dir = tmpl;
  }
  auto files = transport::writeSelfSignedCertificates(dir);
  if (!files) {
    std::fprintf(stderr, "webpubsubd: --tls-self-signed: %s\n", files.status().message().c_str());
    return false;
  }
  settings->tls.certFile = files->certFile;
  settings->tls.keyFile = files->keyFile;
  std::fprintf(stderr,
               "webpubsubd: --tls-self-signed: a development CA and a certificate for localhost, "
               "127.0.0.1 and ::1 (valid 30 days) are in %s\n"
               "webpubsubd: trust the CA: NODE_EXTRA_CA_CERTS=%s (Node.js), curl --cacert %s\n",
               dir.c_str(), files->caFile.c_str(), files->caFile.c_str());
  return true;
}

int runServe(const ServeOptions& options) {
  initLogging("info");
  auto settings = loadOrReport(options);
  if (!settings) return 1;
  if (options.tlsSelfSigned && !useSelfSignedCertificates(&*settings)) return 1;
  blockTerminationSignals();
  config::ServerSettings started = *settings;
  auto server = Server::create(std::move(*settings));
  if (!server && server.status().code() == StatusCode::kInvalidArgument) {
    printConfigurationError(server.status());
    return 1;
  }
  if (!server) {  // the outbox cannot be opened (lock held, corrupt or unwritable database)
    std::fprintf(stderr, "webpubsubd: %s\n", server.status().message().c_str());
    return 3;
  }
  (*server)->setReloadSource(
      [&options, started = std::move(started)] { return loadReloadedSettings(options, started); });
  Status st = (*server)->start();
  if (!st) {
    std::fprintf(stderr, "webpubsubd: %s\n", st.message().c_str());
    return 2;
  }
  std::string connection = (*server)->connectionString();
  if (options.noPrintKey) connection = withoutAccessKey(connection);
  std::printf("%s\n", connection.c_str());
  std::fflush(stdout);
  int sig = waitForTerminationSignal();
  while (sig == SIGHUP) {  // reload (errors are logged by the reload)
    WPS_LOG_INFO("received SIGHUP: reloading the configuration");
    (void)(*server)->reload();
    sig = waitForTerminationSignal();
  }
  WPS_LOG_INFO("received signal {}", sig);
  (*server)->shutdown();
  return 0;
}

int runCheckConfig(const ServeOptions& options) {
  initLogging("warn");
  auto settings = loadOrReport(options);
  if (!settings) return 1;
  if (settings->tls.enabled()) {  // the PEM contents, as a start would load them
    auto tls = transport::makeServerSslContext(settings->tls.certFile, settings->tls.keyFile);
    if (!tls) {
      printConfigurationError(tls.status());
      return 1;
    }
  }
  size_t handlers = 0;
  for (const auto& [name, hub] : settings->hubs)
    handlers += hub.eventHandlers.size();
  std::printf("%s: OK (listen %s:%u, %zu hub sections, %zu event handlers)\n",
              options.configFile.empty() ? "(no file)" : options.configFile.c_str(),
              settings->listenHost.c_str(), static_cast<unsigned>(settings->listenPort),
              settings->hubs.size(), handlers);
  return 0;
}

namespace {

// `webpubsubd token --trace`: the live-trace page's URL with a fresh token.
int printTraceUrl(const config::ServerSettings& settings, const TokenOptions& o) {
  std::string base = core::publicBaseUrl(
      settings,
      core::listenOrigin(settings.listenHost, settings.listenPort, settings.tls.enabled()));
  std::string token =
      core::mintTraceToken(settings, base, std::chrono::minutes(o.minutes), WallClock::now());
  std::printf("%s%s?access_token=%s\n", base.c_str(), std::string(core::kTracePath).c_str(),
              token.c_str());
  return 0;
}

// `webpubsubd token --reload`: the bearer token of POST /api/admin/reload.
int printReloadToken(const config::ServerSettings& settings, const TokenOptions& o) {
  std::string base = core::publicBaseUrl(
      settings,
      core::listenOrigin(settings.listenHost, settings.listenPort, settings.tls.enabled()));
  std::string payload =
      auth::buildClientTokenPayload(base + std::string(kReloadPath), WallClock::now(),
                                    std::chrono::minutes(o.minutes), std::nullopt, {}, {});
  std::printf("%s\n", auth::signJwt(payload, settings.accessKeys.front()).c_str());
  return 0;
}

}  // namespace

int runToken(const ServeOptions& serve, const TokenOptions& o) {
  initLogging("warn");
  auto settings = settingsFromOptions(serve);
  if (settings && settings->accessKeys.empty()) {
    std::fprintf(stderr,
                 "webpubsubd token: no access key: give the server's key with --access-key, "
                 "--access-key-file, %s or access_keys in --config\n",
                 kAccessKeysEnv);
    return 1;
  }
  Status valid = settings ? config::validateSettings(*settings) : settings.status();
  if (!valid) {
    printConfigurationError(valid);
    return 1;
  }
  if (o.trace) return printTraceUrl(*settings, o);
  if (o.reload) return printReloadToken(*settings, o);
  if (o.hub.empty()) {
    std::fprintf(stderr, "webpubsubd token: give --hub (a client URL), --trace or --reload\n");
    return 1;
  }
  if (!protocol::isValidHubName(o.hub)) {
    std::fprintf(stderr, "webpubsubd token: --hub: not a valid hub name\n");
    return 1;
  }
  std::string base = core::publicBaseUrl(
      *settings,
      core::listenOrigin(settings->listenHost, settings->listenPort, settings->tls.enabled()));
  core::ClientTokenSpec spec;
  spec.hub = o.hub;
  if (!o.user.empty()) spec.userId = o.user;
  spec.roles = o.roles;
  spec.groups = o.groups;
  spec.lifetime = std::chrono::minutes(o.minutes);
  std::string token = core::mintClientToken(*settings, base, spec, WallClock::now());
  std::printf("%s/client/hubs/%s?access_token=%s\n", webSocketUrl(base).c_str(), o.hub.c_str(),
              token.c_str());
  return 0;
}

}  // namespace wps::server
