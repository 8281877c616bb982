#include "cluster/node_registry.h"

#include "common/log.h"

namespace wps::cluster {
namespace {

// ARGV: prefix. Removes dead ids from P:nodes (moving those that left a connection registry to
// P:dead) and returns {live ids, P:dead}.
constexpr const char* kLiveNodes = R"lua(
local p = ARGV[1]
local live = {}
for _, id in ipairs(redis.call('SMEMBERS', p .. ':nodes')) do
  if redis.call('EXISTS', p .. ':node:' .. id) == 1 then
    table.insert(live, id)
  else
    redis.call('SREM', p .. ':nodes', id)
    if redis.call('EXISTS', p .. ':conns:' .. id) == 1 then
      redis.call('SADD', p .. ':dead', id)
    end
  end
end
return {live, redis.call('SMEMBERS', p .. ':dead')}
)lua";

}  // namespace

NodeRegistry::NodeRegistry(RedisLink& link, std::string prefix, std::string nodeId,
                           std::chrono::milliseconds ttl)
    : link_(link), prefix_(std::move(prefix)), nodeId_(std::move(nodeId)), ttl_(ttl) {}

void NodeRegistry::heartbeat() {
  link_.command({"SET", prefix_ + ":node:" + nodeId_, "1", "PX", std::to_string(ttl_.count())},
                nullptr);
  link_.command({"SADD", prefix_ + ":nodes", nodeId_}, nullptr);
  refresh();
}

void NodeRegistry::withdraw() {
  link_.command({"DEL", prefix_ + ":node:" + nodeId_}, nullptr);
  link_.command({"SREM", prefix_ + ":nodes", nodeId_}, nullptr);
}

void NodeRegistry::refresh(std::function<void()> done) {
  link_.command({"EVAL", kLiveNodes, "0", prefix_},
                [this, done = std::move(done)](StatusOr<RedisReply> r) {
                  if (r && r->elements.size() == 2) {
                    std::vector<std::string> peers;
                    for (const auto& e : r->elements[0].elements) {
                      if (e.str != nodeId_) peers.push_back(e.str);
                    }
                    if (peers.size() != peers_.size()) {
                      WPS_LOG_INFO("cluster: {} other live node(s)", peers.size());
                    }
                    peers_ = std::move(peers);
                    if (onDead_ && !r->elements[1].elements.empty()) {
                      std::vector<std::string> dead;
                      for (const auto& e : r->elements[1].elements)
                        dead.push_back(e.str);
                      onDead_(std::move(dead));
                    }
                  }
                  if (done) done();
                });
}

}  // namespace wps::cluster
