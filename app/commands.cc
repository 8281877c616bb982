#include "app/commands.h"

namespace wps::app {

void addServeOptions(CLI::App& app, ServeOptions& o) {
  app.add_option("--config", o.configFile, "TOML configuration file (docs/configuration.md)");
  app.add_option("--listen", o.listen, "HOST:PORT to listen on (port 0 = any free port)");
  app.add_option("--access-key", o.accessKeys,
                 "Access key (repeatable; the first is primary). Default: one generated key");
  app.add_option("--public-endpoint", o.publicEndpoint,
                 "Public URL of this server, e.g. https://pubsub.example.com");
  app.add_option("--workers", o.workers, "Worker threads (0 = number of cores)");
  app.add_option("--log-level", o.logLevel, "trace, debug, info, warn, error or off");
}

void addTokenOptions(CLI::App& app, TokenOptions& o) {
  app.add_option("--hub", o.hub, "Hub name")->required();
  app.add_option("--user", o.user, "User id (sub claim)");
  app.add_option("--role", o.roles, "Role, e.g. webpubsub.joinLeaveGroup (repeatable)");
  app.add_option("--group", o.groups, "Group to join on connect (repeatable)");
  app.add_option("--minutes", o.minutes, "Token lifetime in minutes")->check(CLI::Range(1, 525600));
}

}  // namespace wps::app
