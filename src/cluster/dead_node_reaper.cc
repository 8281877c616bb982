#include "cluster/dead_node_reaper.h"

#include "cluster/connection_registry.h"
#include "common/log.h"

namespace wps::cluster {
namespace {

// ARGV: prefix, dead id, this node's id, claim TTL (seconds), "own" or "". Returns 1 when this
// node holds the claim of the dead id's registry, 2 when another live node does, else 0. A node
// that is alive again (or never died) is not claimed (and leaves P:dead), unless it is this node's
// own id ("own": an earlier process). A claim held by another live node is respected; one held by a
// dead node is taken over.
constexpr const char* kClaim = R"lua(
local p, dead, me = ARGV[1], ARGV[2], ARGV[3]
if ARGV[5] ~= 'own' and redis.call('EXISTS', p .. ':node:' .. dead) == 1 then
  redis.call('SREM', p .. ':dead', dead)
  return 0
end
local holder = redis.call('GET', p .. ':claim:' .. dead)
if holder and holder ~= me and redis.call('EXISTS', p .. ':node:' .. holder) == 1 then
  return 2
end
redis.call('SET', p .. ':claim:' .. dead, me, 'EX', ARGV[4])
return 1
)lua";

constexpr const char* kPageSize = "500";

}  // namespace

DeadNodeReaper::DeadNodeReaper(RedisLink& link, std::string prefix, std::string nodeId,
                               std::chrono::seconds claimTtl, delivery::EventOutbox& outbox,
                               std::function<int64_t()> nowMs)
    : link_(link),
      prefix_(std::move(prefix)),
      nodeId_(std::move(nodeId)),
      claimTtl_(claimTtl),
      outbox_(outbox),
      nowMs_(std::move(nowMs)) {}

void DeadNodeReaper::reap(const std::vector<std::string>& deadIds) {
  for (const auto& id : deadIds) {
    if (id == nodeId_ || draining_.count(id)) continue;
    claim(id, false, nullptr);
  }
}

void DeadNodeReaper::reapOwn(Done done) {
  if (draining_.count(nodeId_)) {
    if (done) done(false);
    return;
  }
  claim(nodeId_, true, std::move(done));
}

void DeadNodeReaper::claim(const std::string& deadId, bool own, Done done) {
  draining_.insert(deadId);
  link_.command({"EVAL", kClaim, "0", prefix_, deadId, nodeId_, std::to_string(claimTtl_.count()),
                 own ? "own" : ""},
                [this, deadId, done = std::move(done)](StatusOr<RedisReply> r) {
                  if (r && r->type == RedisReply::Type::kInteger && r->integer == 1) {
                    drain(deadId, "0", 0, std::move(done));
                    return;
                  }
                  if (!r)
                    WPS_LOG_WARN("cluster: cannot claim node {}: {}", deadId, r.status().message());
                  draining_.erase(deadId);
                  if (done) done(false);
                });
}

std::vector<std::string> DeadNodeReaper::acceptPage(const std::string& deadId,
                                                    const RedisReply& page) {
  std::vector<std::string> fields;
  int64_t now = nowMs_();
  for (size_t i = 0; i + 1 < page.elements.size(); i += 2) {
    const std::string& id = page.elements[i].str;
    fields.push_back(id);
    auto record = decodeRegistryEntry(id, page.elements[i + 1].str);
    if (!record) {
      WPS_LOG_WARN("cluster: node {}: skipped a registry entry: {}", deadId,
                   record.status().message());
      continue;
    }
    outbox_.accept(nodeStoppedEvent(std::move(record.value()), now));
    ++accepted_;
  }
  return fields;
}

void DeadNodeReaper::drain(const std::string& deadId, std::string cursor, uint64_t count,
                           Done done) {
  std::string key = connectionsKey(prefix_, deadId);
  link_.command({"HSCAN", key, std::move(cursor), "COUNT", kPageSize},
                [this, deadId, key, count, done = std::move(done)](StatusOr<RedisReply> r) mutable {
                  if (!r || r->elements.size() != 2) {
                    WPS_LOG_WARN("cluster: draining node {} stopped (retried later): {}", deadId,
                                 r ? std::string("unexpected reply") : r.status().message());
                    draining_.erase(deadId);
                    if (done) done(false);
                    return;
                  }
                  std::vector<std::string> fields = acceptPage(deadId, r->elements[1]);
                  count += fields.size();
                  if (!fields.empty()) {
                    std::vector<std::string> hdel{"HDEL", key};
                    hdel.insert(hdel.end(), fields.begin(), fields.end());
                    link_.command(std::move(hdel), nullptr);
                  }
                  std::string next = r->elements[0].str;
                  if (next == "0") {
                    finish(deadId, count, std::move(done));
                  } else {
                    drain(deadId, std::move(next), count, std::move(done));
                  }
                });
}

void DeadNodeReaper::finish(const std::string& deadId, uint64_t count, Done done) {
  link_.command({"SREM", deadNodesKey(prefix_), deadId}, nullptr);
  link_.command({"DEL", connectionsKey(prefix_, deadId)}, nullptr);
  link_.command({"DEL", claimKey(prefix_, deadId)},
                [this, deadId, count, done = std::move(done)](StatusOr<RedisReply>) {
                  draining_.erase(deadId);
                  if (count > 0 || deadId != nodeId_) {
                    WPS_LOG_INFO(
                        "cluster: node {} stopped; sent disconnected for {} of its "
                        "connection(s)",
                        deadId, count);
                  }
                  if (done) done(true);
                });
}

}  // namespace wps::cluster
