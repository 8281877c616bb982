// The webpubsubd subcommands: serve (default) and token.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace wps::app {

struct ServeOptions {
  std::string configFile;
  std::string listen;
  std::vector<std::string> accessKeys;
  std::string publicEndpoint;
  int workers = -1;
  std::string logLevel;
};

struct TokenOptions {
  std::string hub;
  std::string user;
  std::vector<std::string> roles;
  std::vector<std::string> groups;
  int minutes = 60;
};

void addServeOptions(CLI::App& app, ServeOptions& options);
void addTokenOptions(CLI::App& app, TokenOptions& options);

// Exit codes: 0 after a clean shutdown, 1 for bad configuration, 2 when the listener fails.
int runServe(const ServeOptions& options);
int runToken(const ServeOptions& serve, const TokenOptions& options);

}  // namespace wps::app
