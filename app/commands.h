// The webpubsubd subcommands: serve (default), token and check-config. This layer only declares the
// command line; the commands themselves live in server/commands.h.
#pragma once

#include <CLI/CLI.hpp>

#include "server/commands.h"

namespace wps::app {

using ServeOptions = server::ServeOptions;
using TokenOptions = server::TokenOptions;

void addServeOptions(CLI::App& app, ServeOptions& options);
void addTokenOptions(CLI::App& app, TokenOptions& options);

// Exit codes: 0 after a clean shutdown, 1 for bad configuration, 2 when the listener fails.
using server::runServe;
// Exit codes: 0, or 1 for bad options.
using server::runToken;
// Exit codes: 0 when the configuration is valid, 1 when it is not.
using server::runCheckConfig;

}  // namespace wps::app
