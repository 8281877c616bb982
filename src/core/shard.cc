#include "core/shard.h"

#include <algorithm>

#include "core/session.h"
#include "filter/subject.h"

namespace wps::core {
namespace {

// Presents a session to the OData filter evaluator without copying anything.
class SessionFilterView : public filter::FilterSubject {
 public:
  explicit SessionFilterView(const ClientSession& s) : s_(s) {}
  std::string_view connectionId() const override { return s_.connectionId(); }
  std::optional<std::string_view> userId() const override {
    if (!s_.userId()) return std::nullopt;
    return std::string_view(*s_.userId());
  }
  bool inGroup(std::string_view group) const override { return s_.inGroup(group); }
  size_t groupCount() const override { return s_.groups().size(); }
  std::optional<std::string_view> protocol() const override {
    if (s_.subprotocol().empty()) return std::nullopt;
    return std::string_view(s_.subprotocol());
  }

 private:
  const ClientSession& s_;
};

}  // namespace

void Shard::add(std::shared_ptr<ClientSession> session) {
  ClientSession* raw = session.get();
  HubIndex& hub = hubs_[raw->hubKey()];
  hub.all.insert(raw);
  if (raw->userId()) hub.users[*raw->userId()].insert(raw);
  sessions_.emplace(raw->connectionId(), std::move(session));
}

void Shard::remove(ClientSession& session) {
  auto it = sessions_.find(session.connectionId());
  if (it == sessions_.end() || it->second.get() != &session) return;
  leaveAll(session);
  auto hubIt = hubs_.find(session.hubKey());
  if (hubIt != hubs_.end()) {
    HubIndex& hub = hubIt->second;
    hub.all.erase(&session);
    if (session.userId()) {
      auto u = hub.users.find(*session.userId());
      if (u != hub.users.end()) {
        u->second.erase(&session);
        if (u->second.empty()) hub.users.erase(u);
      }
    }
    if (hub.all.empty()) hubs_.erase(hubIt);
  }
  sessions_.erase(it);  // may destroy the session: last statement
}

std::shared_ptr<ClientSession> Shard::find(std::string_view connectionId) const {
  auto it = sessions_.find(std::string(connectionId));
  return it == sessions_.end() ? nullptr : it->second;
}

Shard::JoinResult Shard::tryJoin(ClientSession& session, const std::string& group) {
  if (!session.canJoin(group)) {
    if (groupLimitHits_) metrics::Metrics::inc(*groupLimitHits_);
    return JoinResult::kAtLimit;
  }
  if (!session.addGroupLocal(group)) return JoinResult::kAlreadyMember;
  Members& members = hubs_[session.hubKey()].groups[group];
  if (members.empty() && groupsGauge_) metrics::Metrics::add(*groupsGauge_, 1);
  members.insert(&session);
  session.onGroupMembershipChanged(group, true);
  return JoinResult::kJoined;
}

bool Shard::leave(ClientSession& session, const std::string& group) {
  if (!session.removeGroupLocal(group)) return false;
  auto hubIt = hubs_.find(session.hubKey());
  if (hubIt != hubs_.end()) {
    auto g = hubIt->second.groups.find(group);
    if (g != hubIt->second.groups.end()) {
      g->second.erase(&session);
      if (g->second.empty()) {
        hubIt->second.groups.erase(g);
        if (groupsGauge_) metrics::Metrics::add(*groupsGauge_, -1);
      }
    }
  }
  session.onGroupMembershipChanged(group, false);
  return true;
}

void Shard::leaveAll(ClientSession& session) {
  std::vector<std::string> groups = session.groups();
  for (const auto& g : groups)
    leave(session, g);
}

void Shard::visit(const Members& members, const Target& target,
                  const std::function<void(ClientSession&)>& fn) const {
  for (ClientSession* s : members) {
    if (!target.excluded.empty() && std::find(target.excluded.begin(), target.excluded.end(),
                                              s->connectionId()) != target.excluded.end()) {
      continue;
    }
    if (target.filter && !target.filter->matches(SessionFilterView(*s))) continue;
    fn(*s);
  }
}

void Shard::forEachTarget(const std::string& hubKey, const Target& target,
                          const std::function<void(ClientSession&)>& fn) const {
  auto hubIt = hubs_.find(hubKey);
  if (hubIt == hubs_.end()) return;
  const HubIndex& hub = hubIt->second;
  switch (target.kind) {
    case Target::Kind::kAll:
      visit(hub.all, target, fn);
      break;
    case Target::Kind::kGroup: {
      auto g = hub.groups.find(target.name);
      if (g != hub.groups.end()) visit(g->second, target, fn);
      break;
    }
    case Target::Kind::kUser: {
      auto u = hub.users.find(target.name);
      if (u != hub.users.end()) visit(u->second, target, fn);
      break;
    }
    case Target::Kind::kConnection: {
      auto it = sessions_.find(target.name);
      if (it == sessions_.end() || it->second->hubKey() != hubKey) break;
      Members one{it->second.get()};
      visit(one, target, fn);
      break;
    }
  }
}

void Shard::releaseDraining(ClientSession* session) {
  for (auto it = draining_.begin(); it != draining_.end(); ++it) {
    if (it->get() == session) {
      auto keep = *it;  // destroyed after the erase, outside the container
      draining_.erase(it);
      return;
    }
  }
}

bool Shard::hasGroup(const std::string& hubKey, const std::string& group) const {
  auto hubIt = hubs_.find(hubKey);
  return hubIt != hubs_.end() && hubIt->second.groups.count(group) > 0;
}

bool Shard::hasUser(const std::string& hubKey, const std::string& userId) const {
  auto hubIt = hubs_.find(hubKey);
  return hubIt != hubs_.end() && hubIt->second.users.count(userId) > 0;
}

std::vector<std::shared_ptr<ClientSession>> Shard::all() const {
  std::vector<std::shared_ptr<ClientSession>> out;
  out.reserve(sessions_.size());
  for (const auto& [id, s] : sessions_)
    out.push_back(s);
  return out;
}

}  // namespace wps::core
