// Runs configuration reloads (SIGHUP, POST /api/admin/reload) one at a time on its own thread,
// `wps-reload`: a reload waits until every worker uses the new settings, so it must not run on
// a worker (the endpoint's) nor hold up the control thread's signal loop longer than it takes.
// Thread-safe; owned by the Server.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"
#include "config/reload_plan.h"
#include "config/settings.h"

namespace wps::server {

// "configuration error: MESSAGE": what a start prints (after "webpubsubd: ") for a bad file, a
// failed SIGHUP reload logs and POST /api/admin/reload answers.
std::string configurationErrorText(const Status& status);

class Reloader {
 public:
  // Reads the configuration as the start did (same options, variables and key file, keeping
  // what the start generated). Errors: kInvalidArgument with the loader's message.
  using Source = std::function<StatusOr<config::ServerSettings>()>;
  // Puts validated settings into effect (Server::apply), on the reload thread.
  using Apply = std::function<StatusOr<config::ReloadPlan>(config::ServerSettings)>;
  using Done = std::function<void(StatusOr<config::ReloadPlan>)>;

  explicit Reloader(Apply apply);
  ~Reloader();  // stop()

  // Control thread, before requests come: where reloads read the configuration. Without a
  // source a reload fails (kFailedPrecondition).
  void setSource(Source source);

  // Any thread. Queues a reload; `done` runs on the reload thread with its outcome. After
  // stop(), `done` runs at once with kUnavailable.
  void request(Done done);
  // Any thread except the reload thread and the workers' (it blocks until the reload ended).
  StatusOr<config::ReloadPlan> run();

  // Finishes the reload in progress, drops the queued ones (their `done` gets kUnavailable)
  // and joins the thread. Idempotent.
  void stop();

 private:
  void loop();
  StatusOr<config::ReloadPlan> reloadOnce();

  Apply apply_;
  std::mutex mu_;
  std::condition_variable wake_;
  Source source_;           // guarded by mu_ (set before requests; read per reload)
  std::deque<Done> queue_;  // guarded by mu_
  bool stopping_ = false;   // guarded by mu_
  std::thread thread_;
};

}  // namespace wps::server
