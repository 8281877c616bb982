#include "app/commands.h"

namespace wps::app {

void addServeOptions(CLI::App& app, ServeOptions& o) {
  app.add_option("--config", o.configFile, "TOML configuration file (docs/configuration.md)");
  app.add_option("--listen", o.listen, "HOST:PORT to listen on (port 0 = any free port)");
  app.add_option("--access-key", o.accessKeys,
                 "Access key (repeatable; the first is primary). Keys come from the first of: "
                 "--access-key, --access-key-file, $WEBPUBSUBD_ACCESS_KEYS (comma-separated), "
                 "access_keys of --config, else one generated key");
  app.add_option("--access-key-file", o.accessKeyFile,
                 "File of access keys, one per line ('#' comments and blank lines ignored)");
  app.add_flag("--no-print-key", o.noPrintKey,
               "Print the connection string without its AccessKey part");
  app.add_option("--public-endpoint", o.publicEndpoint,
                 "Public URL of this server, e.g. https://pubsub.example.com");
  app.add_option("--workers", o.workers, "Worker threads (0 = number of cores)");
  app.add_option("--log-level", o.logLevel, "trace, debug, info, warn, error or off");
  app.add_option("--log-format", o.logFormat, "text (default) or json: one object per line");
  app.add_flag("--tls-self-signed", o.tlsSelfSigned,
               "Serve https/wss with a CA and certificate for localhost generated at start "
               "(development; prints how to trust the CA)");
  app.add_option("--data-dir", o.dataDir,
                 "Directory of the durable event outbox (delivery.data_dir; docs/delivery.md)");
}

void addTokenOptions(CLI::App& app, TokenOptions& o) {
  auto* trace = app.add_flag("--trace", o.trace, "Print the live-trace page's URL (/trace)");
  auto* reload =
      app.add_flag("--reload", o.reload, "Print a bearer token for POST /api/admin/reload")
          ->excludes(trace);
  app.add_option("--hub", o.hub, "Hub name")->excludes(trace)->excludes(reload);
  app.add_option("--user", o.user, "User id (sub claim)");
  app.add_option("--role", o.roles, "Role, e.g. webpubsub.joinLeaveGroup (repeatable)");
  app.add_option("--group", o.groups, "Group to join on connect (repeatable)");
  app.add_option("--minutes", o.minutes, "Token lifetime in minutes")->check(CLI::Range(1, 525600));
}

}  // namespace wps::app
