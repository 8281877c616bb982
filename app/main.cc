// webpubsubd: a self-hosted, Azure Web PubSub-compatible real-time messaging server.
// Thin wiring: parse the command line, load settings, run the server until SIGINT/SIGTERM.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <string>

#include "app/build_info.h"
#include "app/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"webpubsubd - self-hosted Azure Web PubSub-compatible server"};
  app.set_version_flag("--version", std::string("webpubsubd ") + wps::app::buildVersion() +
                                        " (commit " + wps::app::buildCommit() + ")");
  wps::app::ServeOptions serve;
  wps::app::addServeOptions(app, serve);
  wps::app::TokenOptions token;
  CLI::App* tokenCmd = app.add_subcommand("token", "Print a client URL with an access token");
  tokenCmd->fallthrough();  // --access-key, --listen, --config ... may follow "token"
  wps::app::addTokenOptions(*tokenCmd, token);
  CLI::App* checkCmd = app.add_subcommand(
      "check-config", "Validate a configuration file (and the other flags) without starting");
  checkCmd->fallthrough();
  checkCmd->add_option("file", serve.configFile, "TOML configuration file")->required();
  CLI11_PARSE(app, argc, argv);
  if (*tokenCmd) return wps::app::runToken(serve, token);
  if (*checkCmd) return wps::app::runCheckConfig(serve);
  return wps::app::runServe(serve);
}
