#include "transport/workers.h"

#include <boost/asio/executor_work_guard.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <thread>

#include "common/log.h"
#include "common/thread_name.h"
#include "transport/http_upstream_client.h"

namespace wps::transport {
namespace {

[[noreturn]] void dieOfWorkerException(size_t workerId, const char* what) {
  ::spdlog::critical("worker {} crashed: uncaught exception: {}; exiting with status {}", workerId,
                     what, kWorkerCrashExitCode);
  ::spdlog::default_logger()->flush();
  std::fflush(stderr);
  std::_Exit(kWorkerCrashExitCode);
}

}  // namespace

void runWorkerLoop(boost::asio::io_context& io, size_t workerId) {
  try {
    io.run();
  } catch (const std::exception& e) {
    dieOfWorkerException(workerId, e.what());
  } catch (...) {
    dieOfWorkerException(workerId, "(not a std::exception)");
  }
}

WorkerPool::WorkerPool(const config::ServerSettings& settings) {
  size_t n =
      settings.workers ? settings.workers : std::max(1u, std::thread::hardware_concurrency());
  HttpClientOptions http;
  http.maxConnectionsPerOrigin = settings.upstream.maxConnectionsPerOrigin;
  http.maxPendingPerOrigin = settings.upstream.maxPendingRequestsPerOrigin;
  http.maxResponseBytes = settings.upstream.maxResponseBytes;
  http.verifyTls = !settings.upstream.tlsInsecureSkipVerify;
  http.caFile = settings.upstream.tlsCaFile;
  for (size_t i = 0; i < n; ++i) {
    auto w = std::make_unique<WorkerIo>(i);
    w->upstream = makeHttpUpstreamClient(w->io, http);
    workers_.push_back(std::move(w));
  }
  outbox_ = std::make_unique<WorkerIo>(n);
  outbox_->upstream = makeHttpUpstreamClient(outbox_->io, http);
}

WorkerPool::~WorkerPool() {
  stop();
}

void WorkerPool::attach(core::Engine& engine, HttpHandler& handler) {
  for (auto& w : workers_) {
    w->engine = &engine;
    w->handler = &handler;
  }
}

void WorkerPool::startThread(WorkerIo& w, std::string name) {
  WorkerIo* wp = &w;
  wp->thread = std::thread([wp, name = std::move(name)] {
    setCurrentThreadName(name);
    wp->loop.bindToCurrentThread();
    auto guard = boost::asio::make_work_guard(wp->io);
    runWorkerLoop(wp->io, wp->index);
  });
}

void WorkerPool::start() {
  for (auto& w : workers_) {
    w->startTicker();
    startThread(*w, "wps-worker-" + std::to_string(w->index));
  }
}

void WorkerPool::startOutbox() {
  startThread(*outbox_, "wps-outbox");
}

size_t WorkerPool::openWebSockets() const {
  size_t total = 0;
  for (const auto& w : workers_)
    total += w->connectionCount();
  return total;
}

void WorkerPool::stop() {
  std::call_once(stopOnce_, [this] {
    for (auto& w : workers_)
      w->io.stop();
    outbox_->io.stop();
    for (auto& w : workers_) {
      if (w->thread.joinable()) w->thread.join();
    }
    if (outbox_->thread.joinable()) outbox_->thread.join();
  });
}

}  // namespace wps::transport
