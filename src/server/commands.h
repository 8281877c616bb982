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
  std::string publicEndpoint;
  int workers = -1;
  std::string logLevel;
};

// Flags of `token`.
struct TokenOptions {
  std::string hub;
  std::string user;
  std::vector<std::string> roles;
  std::vector<std::string> groups;
  int minutes = 60;
};

// The settings of the file (if any) with the flags applied and validated; one generated access
// key when neither gives one. Errors: kInvalidArgument naming the key or flag.
StatusOr<config::ServerSettings> loadEffectiveSettings(const ServeOptions& options);

// Runs the server until SIGINT/SIGTERM and prints its connection string once listening.
// Exit codes: 0 after a clean shutdown, 1 for bad configuration, 2 when the listener fails.
int runServe(const ServeOptions& options);

// Prints "ws[s]://<public base>/client/hubs/<hub>?access_token=<token>" for a client of the
// server these options describe (its key must be given). Exit codes: 0, or 1 for bad options.
int runToken(const ServeOptions& serve, const TokenOptions& options);

}  // namespace wps::server
