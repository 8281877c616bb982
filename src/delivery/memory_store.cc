#include "delivery/memory_store.h"

#include <algorithm>
#include <limits>
#include <new>
#include <string_view>
#include <utility>

namespace wps::delivery {

namespace {

constexpr uint32_t kNotInHeap = std::numeric_limits<uint32_t>::max();

size_t varintSize(size_t n) {
  size_t k = 1;
  while (n >= 0x80) {
    n >>= 7;
    ++k;
  }
  return k;
}

char* putVarint(char* p, size_t n) {
  while (n >= 0x80) {
    *p++ = static_cast<char>((n & 0x7f) | 0x80);
    n >>= 7;
  }
  *p++ = static_cast<char>(n);
  return p;
}

char* putString(char* p, std::string_view s) {
  p = putVarint(p, s.size());
  std::copy(s.begin(), s.end(), p);
  return p + s.size();
}

size_t getVarint(const char*& p) {
  size_t n = 0;
  for (int shift = 0;; shift += 7) {
    const auto b = static_cast<unsigned char>(*p++);
    n |= static_cast<size_t>(b & 0x7f) << shift;
    if (b < 0x80) return n;
  }
}

std::string getString(const char*& p) {
  const size_t n = getVarint(p);
  std::string s(p, n);
  p += n;
  return s;
}

// The strings of an event that are neither shared (hub, connection id) nor interned
// (content type): userId (a presence byte first), subprotocol, connectionState, ceId, body,
// then the header count and each name and value.
size_t blobSize(const PendingEvent& ev) {
  auto str = [](std::string_view s) { return varintSize(s.size()) + s.size(); };
  size_t n = 1 + (ev.userId ? str(*ev.userId) : 0) + str(ev.subprotocol) + str(ev.connectionState) +
             str(ev.ceId) + str(ev.body) + varintSize(ev.extraHeaders.size());
  for (const auto& h : ev.extraHeaders)
    n += str(h.name) + str(h.value);
  return n;
}

void writeBlob(char* p, const PendingEvent& ev) {
  *p++ = ev.userId ? 1 : 0;
  if (ev.userId) p = putString(p, *ev.userId);
  p = putString(p, ev.subprotocol);
  p = putString(p, ev.connectionState);
  p = putString(p, ev.ceId);
  p = putString(p, ev.body);
  p = putVarint(p, ev.extraHeaders.size());
  for (const auto& h : ev.extraHeaders) {
    p = putString(p, h.name);
    p = putString(p, h.value);
  }
}

void readBlob(const char* p, PendingEvent& ev) {
  if (*p++ != 0) ev.userId = getString(p);
  ev.subprotocol = getString(p);
  ev.connectionState = getString(p);
  ev.ceId = getString(p);
  ev.body = getString(p);
  const size_t headers = getVarint(p);
  ev.extraHeaders.reserve(headers);
  for (size_t i = 0; i < headers; ++i) {
    std::string name = getString(p);
    ev.extraHeaders.push_back({std::move(name), getString(p)});
  }
}

}  // namespace

// One pending event; its blob (writeBlob) follows the header in the same allocation.
struct MemoryStore::Event {
  Event* prevAll = nullptr;  // every event, seq order
  Event* nextAll = nullptr;
  Event* prevHub = nullptr;  // the hub's events, seq order
  Event* nextHub = nullptr;
  Event* nextConn = nullptr;  // the connection's events, seq order
  ConnMap::value_type* conn = nullptr;
  uint64_t seq = 0;
  int64_t timeMs = 0;
  int64_t dueMs = 0;
  uint32_t bytes = 0;
  uint32_t attempts = 0;
  uint32_t heapPos = kNotInHeap;
  uint32_t contentType = 0;
  uint32_t hub = 0;  // index into hubs_
  uint8_t kind = 0;  // cloudevents::EventKind
  bool leased = false;

  const char* blob() const { return reinterpret_cast<const char*>(this + 1); }
  char* blob() { return reinterpret_cast<char*>(this + 1); }

  static Event* create(size_t blobBytes) {
    void* mem = ::operator new(sizeof(Event) + blobBytes);
    return new (mem) Event();
  }
  static void destroy(Event* e) {
    e->~Event();
    ::operator delete(e);
  }
};

// The header stays at 96 bytes (bench/RESULTS.md: about 226 bytes per typical event in all).
static_assert(sizeof(MemoryStore::Event) <= 96);

MemoryStore::MemoryStore() = default;

MemoryStore::~MemoryStore() {
  for (Event* e = first_; e != nullptr;) {
    Event* next = e->nextAll;
    Event::destroy(e);
    e = next;
  }
}

uint32_t MemoryStore::hubIndex(const std::string& hub) {
  auto [it, inserted] = hubIds_.try_emplace(hub, static_cast<uint32_t>(hubs_.size()));
  if (inserted) hubs_.push_back(Hub{hub});
  return it->second;
}

// Content types of unblocking events are set by the server (a handful of values).
uint32_t MemoryStore::contentTypeIndex(const std::string& contentType) {
  auto [it, inserted] =
      contentTypeIds_.try_emplace(contentType, static_cast<uint32_t>(contentTypes_.size()));
  if (inserted) contentTypes_.push_back(contentType);
  return it->second;
}

void MemoryStore::append(PendingEvent& ev) {
  ev.seq = nextSeq_++;
  Event* e = Event::create(blobSize(ev));
  writeBlob(e->blob(), ev);
  e->seq = ev.seq;
  e->timeMs = ev.timeMs;
  e->dueMs = ev.dueMs;
  e->bytes = static_cast<uint32_t>(ev.byteSize());
  e->attempts = ev.attempts;
  e->contentType = contentTypeIndex(ev.contentType);
  e->kind = static_cast<uint8_t>(ev.kind);

  e->hub = hubIndex(ev.hub);
  auto connIt = conns_.try_emplace(ev.connectionId).first;
  e->conn = &*connIt;
  Conn& conn = connIt->second;
  Hub& hub = hubs_[e->hub];

  e->prevAll = last_;
  (last_ != nullptr ? last_->nextAll : first_) = e;
  last_ = e;
  e->prevHub = hub.last;
  (hub.last != nullptr ? hub.last->nextHub : hub.first) = e;
  hub.last = e;
  ++hub.events;
  hub.bytes += e->bytes;
  ++events_;
  bytes_ += e->bytes;

  if (conn.head == nullptr) {
    conn.head = conn.tail = e;
    heapPush(e);
  } else {
    conn.tail->nextConn = e;
    conn.tail = e;
  }
}

void MemoryStore::makeHead(Event* e, int64_t nowMs) {
  e->dueMs = std::max(e->dueMs, nowMs);
  heapPush(e);
}

// Removes `e` from every list and frees it; its successor becomes the head when `e` was.
void MemoryStore::unlink(Event* e, int64_t nowMs) {
  if (e->heapPos != kNotInHeap) heapErase(e);
  if (e->leased) leased_.erase(e->seq);
  (e->prevAll != nullptr ? e->prevAll->nextAll : first_) = e->nextAll;
  (e->nextAll != nullptr ? e->nextAll->prevAll : last_) = e->prevAll;
  Conn& conn = e->conn->second;
  Hub& hub = hubs_[e->hub];
  (e->prevHub != nullptr ? e->prevHub->nextHub : hub.first) = e->nextHub;
  (e->nextHub != nullptr ? e->nextHub->prevHub : hub.last) = e->prevHub;
  --hub.events;
  hub.bytes -= e->bytes;
  --events_;
  bytes_ -= e->bytes;

  if (conn.head == e) {
    conn.head = e->nextConn;
    if (conn.head == nullptr) conn.tail = nullptr;
    if (conn.head != nullptr) makeHead(conn.head, nowMs);
  } else {
    Event* prev = conn.head;
    while (prev->nextConn != e)
      prev = prev->nextConn;
    prev->nextConn = e->nextConn;
    if (conn.tail == e) conn.tail = prev;
  }
  if (conn.head == nullptr) conns_.erase(conns_.find(e->conn->first));
  Event::destroy(e);
}

Status MemoryStore::apply(Batch& batch) {
  for (PendingEvent& ev : batch.appended)
    append(ev);
  for (uint64_t seq : batch.removed) {
    auto it = leased_.find(seq);
    if (it != leased_.end()) unlink(it->second, batch.nowMs);
  }
  for (const Reschedule& r : batch.rescheduled) {
    auto it = leased_.find(r.seq);
    if (it == leased_.end()) continue;
    Event* e = it->second;
    leased_.erase(it);
    e->leased = false;
    e->attempts = r.attempts;
    e->dueMs = r.dueMs;
    heapPush(e);
  }
  return Status::ok();
}

StatusOr<std::vector<PendingEvent>> MemoryStore::takeDue(int64_t nowMs, size_t limit) {
  std::vector<PendingEvent> out;
  while (out.size() < limit && !heap_.empty() && heap_.front()->dueMs <= nowMs) {
    Event* e = heap_.front();
    heapErase(e);
    e->leased = true;
    leased_.emplace(e->seq, e);
    out.push_back(materialize(*e));
  }
  return out;
}

std::optional<int64_t> MemoryStore::nextDueMs() {
  if (heap_.empty()) return std::nullopt;
  return heap_.front()->dueMs;
}

StoreStats MemoryStore::stats() const {
  StoreStats s;
  s.events = events_;
  s.bytes = bytes_;
  if (first_ != nullptr) s.oldestTimeMs = first_->timeMs;
  return s;
}

StatusOr<std::vector<EventRef>> MemoryStore::dropExpired(int64_t beforeMs, int64_t nowMs,
                                                         size_t limit) {
  std::vector<EventRef> out;
  for (Event* e = first_; e != nullptr && out.size() < limit;) {
    Event* next = e->nextAll;
    if (!e->leased) {
      if (e->timeMs >= beforeMs) break;
      out.push_back(refOf(*e));
      unlink(e, nowMs);
    }
    e = next;
  }
  return out;
}

MemoryStore::Event* MemoryStore::oldestDroppable(uint32_t hub) const {
  Event* e = hubs_[hub].first;
  while (e != nullptr && e->leased)
    e = e->nextHub;
  return e;
}

StatusOr<std::vector<EventRef>> MemoryStore::dropOverflow(uint64_t maxEvents, uint64_t maxBytes,
                                                          int64_t nowMs) {
  std::vector<EventRef> out;
  auto over = [&] { return events_ > maxEvents || bytes_ > maxBytes; };
  if (!over()) return out;
  // A max-heap of hubs by pending events (ties: the lower name first).
  auto smaller = [this](uint32_t a, uint32_t b) {
    if (hubs_[a].events != hubs_[b].events) return hubs_[a].events < hubs_[b].events;
    return hubs_[a].name > hubs_[b].name;
  };
  std::vector<uint32_t> order;
  for (uint32_t i = 0; i < hubs_.size(); ++i)
    if (hubs_[i].events > 0) order.push_back(i);
  std::make_heap(order.begin(), order.end(), smaller);
  while (over() && !order.empty()) {
    std::pop_heap(order.begin(), order.end(), smaller);
    const uint32_t hub = order.back();
    order.pop_back();
    Event* e = oldestDroppable(hub);
    if (e == nullptr) continue;  // only leased events left in this hub
    out.push_back(refOf(*e));
    unlink(e, nowMs);
    if (hubs_[hub].events > 0) {
      order.push_back(hub);
      std::push_heap(order.begin(), order.end(), smaller);
    }
  }
  return out;
}

StatusOr<std::vector<ConnectionRecord>> MemoryStore::orphanedConnections() {
  return std::vector<ConnectionRecord>{};
}

PendingEvent MemoryStore::materialize(const Event& e) const {
  PendingEvent ev;
  ev.seq = e.seq;
  ev.kind = static_cast<cloudevents::EventKind>(e.kind);
  ev.hub = hubs_[e.hub].name;
  ev.connectionId = e.conn->first;
  ev.timeMs = e.timeMs;
  ev.contentType = contentTypes_[e.contentType];
  ev.attempts = e.attempts;
  ev.dueMs = e.dueMs;
  readBlob(e.blob(), ev);
  return ev;
}

EventRef MemoryStore::refOf(const Event& e) const {
  return EventRef{e.seq, static_cast<cloudevents::EventKind>(e.kind), hubs_[e.hub].name,
                  e.conn->first, e.bytes};
}

// --- The due heap ------------------------------------------------------------------------

namespace {
bool dueBefore(const MemoryStore::Event* a, const MemoryStore::Event* b);
}

void MemoryStore::heapPush(Event* e) {
  e->heapPos = static_cast<uint32_t>(heap_.size());
  heap_.push_back(e);
  siftUp(e->heapPos);
}

void MemoryStore::heapErase(Event* e) {
  const size_t i = e->heapPos;
  e->heapPos = kNotInHeap;
  Event* moved = heap_.back();
  heap_.pop_back();
  if (moved == e) return;
  heap_[i] = moved;
  moved->heapPos = static_cast<uint32_t>(i);
  siftUp(i);
  siftDown(moved->heapPos);
}

void MemoryStore::siftUp(size_t i) {
  while (i > 0) {
    const size_t parent = (i - 1) / 2;
    if (!dueBefore(heap_[i], heap_[parent])) return;
    std::swap(heap_[i], heap_[parent]);
    heap_[i]->heapPos = static_cast<uint32_t>(i);
    heap_[parent]->heapPos = static_cast<uint32_t>(parent);
    i = parent;
  }
}

void MemoryStore::siftDown(size_t i) {
  for (;;) {
    size_t best = i;
    for (size_t child = 2 * i + 1; child <= 2 * i + 2 && child < heap_.size(); ++child)
      if (dueBefore(heap_[child], heap_[best])) best = child;
    if (best == i) return;
    std::swap(heap_[i], heap_[best]);
    heap_[i]->heapPos = static_cast<uint32_t>(i);
    heap_[best]->heapPos = static_cast<uint32_t>(best);
    i = best;
  }
}

namespace {
bool dueBefore(const MemoryStore::Event* a, const MemoryStore::Event* b) {
  return a->dueMs != b->dueMs ? a->dueMs < b->dueMs : a->seq < b->seq;
}
}  // namespace

}  // namespace wps::delivery
