#include "cluster/node_registry.h"

#include "common/log.h"

namespace wps::cluster {
namespace {

// ARGV: prefix. Removes dead ids from P:nodes and returns the live ones.
constexpr const char* kLiveNodes = R"lua(
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', ARGV[1] .. ':nodes')) do
  if redis.call('EXISTS', ARGV[1] .. ':node:' .. id) == 1 then
    table.insert(out, id)
  else
    redis.call('SREM', ARGV[1] .. ':nodes', id)
  end
end
return out
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
                  if (r) {
                    std::vector<std::string> peers;
                    for (const auto& e : r->elements) {
                      if (e.str != nodeId_) peers.push_back(e.str);
                    }
                    if (peers.size() != peers_.size()) {
                      WPS_LOG_INFO("cluster: {} other live node(s)", peers.size());
                    }
                    peers_ = std::move(peers);
                  }
                  if (done) done();
                });
}

}  // namespace wps::cluster
