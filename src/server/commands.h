// The webpubsubd commands behind the command line (app/ only parses it): the effective settings
// from a file and flags, `serve` and `token`. Called from the main thread.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "config/settings.h"

namespace wps::server {

// Flags shared by every command; empty (or negative) = not given.
struct ServeOptions {
  std::string configFile;
  std::string listen;
  std::vector<std::string> accessKeys;
  std::string accessKeyFile;  // one key per line; blank lines and '#' comments ignored
  bool noPrintKey = false;    // print the connection string without its AccessKey part
  std::string publicEndpoint;
  int workers = -1;
  std::string logLevel;
  std::string logFormat;  // log_format
  std::string dataDir;    // delivery.data_dir
  // Generate a development CA and a certificate for localhost at start, and serve TLS with it.
  bool tlsSelfSigned = false;
};

// Flags of `token`.
struct TokenOptions {
  std::string hub;
  std::string user;
  std::vector<std::string> roles;
  std::vector<std::string> groups;
  int minutes = 60;
  bool trace = false;   // a live-trace URL instead of a client URL (--hub not needed)
  bool reload = false;  // a bearer token for POST /api/admin/reload instead (--hub not needed)
};

// The environment variable holding comma-separated access keys.
inline constexpr const char* kAccessKeysEnv = "WEBPUBSUBD_ACCESS_KEYS";

// The settings of the file (if any) with the flags applied and validated. The access keys come
// from the first source that gives any: --access-key, --access-key-file, WEBPUBSUBD_ACCESS_KEYS,
// access_keys of the file, else one generated key. Errors: kInvalidArgument naming the key,
// flag or variable (an unreadable key file, or a key file or variable without a key).
StatusOr<config::ServerSettings> loadEffectiveSettings(const ServeOptions& options);

// What a reload (SIGHUP, POST /api/admin/reload) of a server started with `options` reads: the
// same as loadEffectiveSettings, except that it keeps what the start generated: its access key
// when no source gives one, and its --tls-self-signed files (`started` = the start's settings).
StatusOr<config::ServerSettings> loadReloadedSettings(const ServeOptions& options,
                                                      const config::ServerSettings& started);

// Runs the server until SIGINT/SIGTERM and prints its connection string once listening (without
// its "AccessKey=…;" part when options.noPrintKey).
// Exit codes: 0 after a clean shutdown, 1 for bad configuration, 2 when the listener fails, 3
// when the delivery outbox cannot be opened (delivery.data_dir locked, corrupt or unwritable).
// With options.tlsSelfSigned it first writes a development CA and certificate into
// delivery.data_dir (else a new temporary directory), serves TLS with them and prints on stderr
// how to trust the CA; exit code 1 when that fails.
int runServe(const ServeOptions& options);

// Validates the configuration `options` describe (normally only --config FILE) exactly as a
// start would (the [tls] files are loaded too), without starting anything: prints "<file>: OK (…)"
// on stdout, or the same "configuration error" message a start prints on stderr. Exit codes: 0
// valid, 1 invalid.
int runCheckConfig(const ServeOptions& options);

// Prints "ws[s]://<public base>/client/hubs/<hub>?access_token=<token>" for a client of the
// server these options describe. Its key must come from one of the sources of
// loadEffectiveSettings but the generated one: without a key it prints an error on stderr and
// signs nothing. With options.trace it prints "<public base>/trace?access_token=<token>" (the
// live-trace page, audience "<public base>/trace") instead; with options.reload only the token
// of POST /api/admin/reload (audience "<public base>/api/admin/reload"), for an
// "Authorization: Bearer" header. Exit codes: 0, or 1 for bad options or no access key.
int runToken(const ServeOptions& serve, const TokenOptions& options);

}  // namespace wps::server
