#include "transport/admission.h"

namespace wps::transport {

Admission::Ticket::Ticket(Ticket&& other) noexcept
    : state_(std::move(other.state_)), key_(std::move(other.key_)) {
  other.state_.reset();
}

Admission::Ticket& Admission::Ticket::operator=(Ticket&& other) noexcept {
  if (this != &other) {
    release();
    state_ = std::move(other.state_);
    key_ = std::move(other.key_);
    other.state_.reset();
  }
  return *this;
}

void Admission::Ticket::release() {
  if (!state_) return;
  if (!key_.empty()) {
    MutexLock lock(state_->mu);
    auto it = state_->perKey.find(key_);
    if (it != state_->perKey.end() && --it->second == 0) state_->perKey.erase(it);
  }
  state_->total.fetch_sub(1, std::memory_order_relaxed);
  state_.reset();
}

Admission::Admission(size_t maxConnections, size_t maxPerAddress)
    : state_(std::make_shared<Ticket::State>(maxConnections, maxPerAddress)) {}

std::string Admission::addressKey(const boost::asio::ip::address& peer) {
  boost::asio::ip::address_v6 v6 =
      peer.is_v4() ? boost::asio::ip::make_address_v6(boost::asio::ip::v4_mapped, peer.to_v4())
                   : peer.to_v6();
  auto bytes = v6.to_bytes();
  return std::string(bytes.begin(), bytes.end());
}

Admission::Verdict Admission::admit(const boost::asio::ip::address& peer, Ticket* ticket) {
  Ticket::State& s = *state_;
  if (s.total.fetch_add(1, std::memory_order_relaxed) >=
      s.maxTotal.load(std::memory_order_relaxed)) {
    s.total.fetch_sub(1, std::memory_order_relaxed);
    return Verdict::kServerFull;
  }
  std::string key;
  size_t maxPerKey = s.maxPerKey.load(std::memory_order_relaxed);
  if (maxPerKey > 0) {
    key = addressKey(peer);
    MutexLock lock(s.mu);
    size_t& n = s.perKey[key];
    if (n >= maxPerKey) {
      s.total.fetch_sub(1, std::memory_order_relaxed);
      return Verdict::kTooManyFromAddress;
    }
    ++n;
  }
  *ticket = Ticket(state_, std::move(key));
  return Verdict::kAdmitted;
}

void Admission::setLimits(size_t maxConnections, size_t maxPerAddress) {
  state_->maxTotal.store(maxConnections, std::memory_order_relaxed);
  state_->maxPerKey.store(maxPerAddress, std::memory_order_relaxed);
}

size_t Admission::connections() const {
  return state_->total.load(std::memory_order_relaxed);
}

size_t Admission::connectionsFrom(const boost::asio::ip::address& peer) const {
  if (state_->maxPerKey.load(std::memory_order_relaxed) == 0) return 0;
  std::string key = addressKey(peer);
  MutexLock lock(state_->mu);
  auto it = state_->perKey.find(key);
  return it == state_->perKey.end() ? 0 : it->second;
}

}  // namespace wps::transport
