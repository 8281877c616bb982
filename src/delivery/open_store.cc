#include "delivery/open_store.h"

#include "delivery/memory_store.h"
#include "delivery/sqlite_store.h"

namespace wps::delivery {

StatusOr<std::unique_ptr<OutboxStore>> openStore(const config::DeliverySettings& settings) {
  if (settings.dataDir.empty()) return std::unique_ptr<OutboxStore>(new MemoryStore());
  auto store = SqliteStore::open(settings.dataDir, settings.sync);
  if (!store.isOk()) return store.status();
  return std::unique_ptr<OutboxStore>(std::move(store).value());
}

}  // namespace wps::delivery
