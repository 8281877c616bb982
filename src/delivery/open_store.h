// Chooses and opens the outbox store for the settings: a MemoryStore when delivery.data_dir is
// empty, else the SqliteStore in that directory (created when missing).
// Called on the control thread at start.
#pragma once

#include <memory>

#include "common/status.h"
#include "config/settings.h"
#include "delivery/outbox_store.h"

namespace wps::delivery {

// Errors (each message names the directory or file):
//   kFailedPrecondition  another process holds the directory's lock file ("<dir>/LOCK")
//   kDataLoss            the database is corrupt or not an outbox database (never recreated)
//   kUnavailable         the directory or the database cannot be created, opened or written
StatusOr<std::unique_ptr<OutboxStore>> openStore(const config::DeliverySettings& settings);

}  // namespace wps::delivery
