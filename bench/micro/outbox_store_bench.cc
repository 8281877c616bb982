// outbox-store-bench: what a backlog of pending events costs an outbox store, and how fast
// events go in and out (bench/RESULTS.md, "Outbox backlog memory (issue 12)").
//
//   outbox-store-bench memory|sqlite [--dir DIR] [--connections N] [--batch N]
//                      [--sync normal|full] [--rounds N] [--in-flight N]
//
// Fills N connections x 2 events (connected, then disconnected with a reason; a Cookie header
// on every fourth connection) through apply() in batches, prints the VmRSS growth, the apply
// rate and (sqlite) the database size; then runs rounds of apply(new events + removal of the
// heads taken in the previous round) + takeDue() and prints the rate in and out, the CPU time
// and the bytes written per event. With --in-flight N, a taken head stays leased for N more
// rounds before it is removed (attempts in flight, as in the server), so takeDue() passes over
// the leased heads.
// Single-threaded; the store is used as the outbox thread would.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "delivery/memory_store.h"
#include "delivery/sqlite_store.h"

namespace {

using wps::delivery::OutboxStore;
using wps::delivery::PendingEvent;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string store = "memory";
  std::string dir = "/tmp/outbox-store-bench";
  size_t connections = 500000;
  size_t batch = 1000;  // events per apply()
  size_t rounds = 200;
  size_t inFlight = 0;  // rounds a taken head stays leased before its removal
  wps::config::DeliverySettings::Sync sync = wps::config::DeliverySettings::Sync::kNormal;
};

long rssKb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return -1;
}

// A 22-character connection id, distinct per index (like the server's base64url ids).
std::string connectionId(size_t i) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string id = "c";
  uint64_t x = i * 0x9E3779B97F4A7C15ull + 12345;
  while (id.size() < 22) {
    id += kAlphabet[x & 63];
    x = (x >> 6) | (static_cast<uint64_t>(i + id.size()) << 58);
  }
  return id;
}

PendingEvent event(size_t conn, bool disconnected, int64_t nowMs) {
  PendingEvent ev;
  ev.kind = disconnected ? wps::cloudevents::EventKind::kDisconnected
                         : wps::cloudevents::EventKind::kConnected;
  ev.hub = "chathub1";
  ev.connectionId = connectionId(conn);
  ev.userId = "user-" + std::to_string(10000 + conn % 90000);
  ev.ceId = disconnected ? "2" : "1";
  ev.timeMs = nowMs;
  ev.dueMs = nowMs;
  ev.contentType = "application/json";
  ev.body = disconnected ? "{\"reason\":\"The connection was closed by the client.\"}" : "{}";
  if (conn % 4 == 0) ev.extraHeaders.push_back({"Cookie", "session=0123456789abcdef"});
  return ev;
}

int64_t wallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// User + system CPU seconds of the process.
double cpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Bytes the process wrote with write()/pwrite() (the database and its WAL), from /proc.
long long writtenBytes() {
  std::ifstream in("/proc/self/io");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("wchar:", 0) == 0) return std::strtoll(line.c_str() + 6, nullptr, 10);
  return -1;
}

double seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// Appends `count` events (connected/disconnected pairs from connection `firstConn` on) in
// batches of `batch` events, `removed` riding along with the first batch.
bool fill(OutboxStore& store, size_t firstConn, size_t count, size_t batch,
          std::vector<uint64_t> removed = {}) {
  OutboxStore::Batch b;
  b.removed = std::move(removed);
  for (size_t i = 0; i < count; ++i) {
    b.appended.push_back(event(firstConn + i / 2, i % 2 == 1, wallMs()));
    if (b.appended.size() == batch || i + 1 == count) {
      b.nowMs = wallMs();
      wps::Status st = store.apply(b);
      if (!st.isOk()) {
        std::fprintf(stderr, "apply: %s\n", st.toString().c_str());
        return false;
      }
      b = OutboxStore::Batch{};
    }
  }
  return true;
}

uint64_t fileSize(const std::string& path) {
  std::error_code ec;
  const auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : n;
}

// Rounds of apply(batch new events + removal of the heads taken o.inFlight + 1 rounds ago) +
// takeDue(batch).
bool steadyState(OutboxStore& store, const Options& o) {
  std::deque<std::vector<uint64_t>> taken;
  size_t in = 0, out = 0, conn = o.connections;
  const auto start = Clock::now();
  const double cpu0 = cpuSeconds();
  const long long written0 = writtenBytes();
  for (size_t r = 0; r < o.rounds; ++r) {
    std::vector<uint64_t> removed;
    if (taken.size() > o.inFlight) {
      removed = std::move(taken.front());
      taken.pop_front();
    }
    out += removed.size();
    if (!fill(store, conn, o.batch, o.batch, std::move(removed))) return false;
    conn += o.batch / 2;
    in += o.batch;
    auto due = store.takeDue(wallMs(), o.batch);
    if (!due.isOk()) return false;
    taken.emplace_back();
    for (const auto& ev : *due)
      taken.back().push_back(ev.seq);
  }
  const double s = seconds(start);
  const double cpu = cpuSeconds() - cpu0;
  const double written = static_cast<double>(writtenBytes() - written0);
  std::printf(
      "steady state: %zu rounds of apply(%zu in + removals) + takeDue(%zu), %zu rounds in "
      "flight: %.0f events/s in, %.0f events/s out (%.2f s); %.2f us CPU and %.0f bytes "
      "written per event in\n",
      o.rounds, o.batch, o.batch, o.inFlight, in / s, out / s, s, cpu * 1e6 / in, written / in);
  return true;
}

bool parse(int argc, char** argv, Options& o) {
  if (argc < 2) return false;
  o.store = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--dir") {
      o.dir = value;
    } else if (key == "--connections") {
      o.connections = std::stoul(value);
    } else if (key == "--batch") {
      o.batch = std::stoul(value);
    } else if (key == "--in-flight") {
      o.inFlight = std::stoul(value);
    } else if (key == "--rounds") {
      o.rounds = std::stoul(value);
    } else if (key == "--sync") {
      o.sync = value == "full" ? wps::config::DeliverySettings::Sync::kFull
                               : wps::config::DeliverySettings::Sync::kNormal;
    } else {
      return false;
    }
  }
  return (o.store == "memory" || o.store == "sqlite") && o.batch >= 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    std::fprintf(stderr,
                 "usage: outbox-store-bench memory|sqlite [--dir DIR] [--connections N] "
                 "[--batch N] [--sync normal|full] [--rounds N] [--in-flight N]\n");
    return 2;
  }
  const long rss0 = rssKb();
  std::unique_ptr<OutboxStore> store;
  if (o.store == "memory") {
    store = std::make_unique<wps::delivery::MemoryStore>();
  } else {
    std::filesystem::remove_all(o.dir);
    auto s = wps::delivery::SqliteStore::open(o.dir, o.sync);
    if (!s.isOk()) {
      std::fprintf(stderr, "%s\n", s.status().toString().c_str());
      return 1;
    }
    store = std::move(s).value();
  }
  const long rss1 = rssKb();
  const auto start = Clock::now();
  if (!fill(*store, 0, o.connections * 2, o.batch)) return 1;
  const double s = seconds(start);
  const long rss2 = rssKb();
  const auto stats = store->stats();
  std::printf(
      "%s store: %llu pending events, %llu bytes (byteSize), filled in %.2f s = %.0f "
      "events/s (batches of %zu)\n",
      o.store.c_str(), static_cast<unsigned long long>(stats.events),
      static_cast<unsigned long long>(stats.bytes), s, stats.events / s, o.batch);
  std::printf(
      "VmRSS: %ld kB at start, %ld kB with the store open, %ld kB with the backlog: "
      "+%.1f MB for the backlog (%.0f bytes/event)\n",
      rss0, rss1, rss2, (rss2 - rss1) / 1024.0,
      (rss2 - rss1) * 1024.0 / static_cast<double>(stats.events));
  if (o.store == "sqlite")
    std::printf("database: %s/outbox.db %.1f MB (+ WAL %.1f MB)\n", o.dir.c_str(),
                fileSize(o.dir + "/outbox.db") / 1048576.0,
                fileSize(o.dir + "/outbox.db-wal") / 1048576.0);
  if (o.rounds > 0 && !steadyState(*store, o)) return 1;
  std::printf("VmRSS at the end: %ld kB\n", rssKb());
  if (o.store == "sqlite") {
    store.reset();
    const auto reopenStart = Clock::now();
    auto again = wps::delivery::SqliteStore::open(o.dir, o.sync);
    if (!again.isOk()) return 1;
    std::printf("reopened (quick_check, totals) in %.2f s: %llu pending events\n",
                seconds(reopenStart), static_cast<unsigned long long>((*again)->stats().events));
  }
  return 0;
}
