#include "transport/worker_io.h"

#include <boost/asio/post.hpp>

#include "core/engine.h"
#include "metrics/metrics.h"
#include "transport/ws_connection.h"

namespace wps::transport {

WorkerIo::WorkerIo(size_t i) : index(i), io(1), loop(io, i), scratch(64 * 1024) {}

WorkerIo::~WorkerIo() = default;

void WorkerIo::addConnection(WsConnection* c) {
  c->prev = nullptr;
  c->next = head_;
  if (head_) head_->prev = c;
  head_ = c;
  ++count_;
}

void WorkerIo::removeConnection(WsConnection* c) {
  if (c->prev) c->prev->next = c->next;
  if (c->next) c->next->prev = c->prev;
  if (head_ == c) head_ = c->next;
  c->prev = c->next = nullptr;
  --count_;
}

WsConnection* WorkerIo::nextOf(WsConnection* c) {
  return c->next;
}

void WorkerIo::scheduleFlush(std::shared_ptr<WsConnection> c) {
  dirty_.push_back(std::move(c));
  if (dirty_.size() == 1) boost::asio::post(io, [this] { flushDirty(); });
}

void WorkerIo::flushDirty() {
  flushing_.swap(dirty_);  // both keep their capacity
  for (auto& c : flushing_)
    c->flush();
  flushing_.clear();
}

void WorkerIo::startTicker() {
  ticker_ = std::make_unique<boost::asio::steady_timer>(io);
  tick();
}

void WorkerIo::stopTicker() {
  if (ticker_) ticker_->cancel();
}

void WorkerIo::tick() {
  ticker_->expires_after(std::chrono::seconds(1));
  ticker_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    TimePoint now = Clock::now();
    // Hold references: tick() may close connections.
    std::vector<std::shared_ptr<WsConnection>> all;
    all.reserve(connectionCount());
    forEachConnection([&](WsConnection& c) { all.push_back(c.shared_from_this()); });
    size_t queued = 0;
    for (auto& c : all) {
      c->tick(now);
      queued += c->queuedBytes();
    }
    // webpubsubd_outbound_queued_bytes: sampled here, not counted per frame on the write path.
    if (engine) {
      metrics::Metrics::set(engine->worker(index).counters.outboundQueuedBytes,
                            static_cast<int64_t>(queued));
    }
    tick();
  });
}

}  // namespace wps::transport
