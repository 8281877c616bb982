#include "transport/server_context.h"

#include "core/engine.h"

namespace wps::transport {

config::SettingsPtr ServerContext::settingsOn(size_t worker) const {
  return engine->worker(worker).generation;
}

}  // namespace wps::transport
