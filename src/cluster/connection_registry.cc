#include "cluster/connection_registry.h"

#include <boost/json.hpp>

#include "common/strings.h"
#include "delivery/outbox.h"

namespace wps::cluster {
namespace {

// Reads the optional string member `name` of `o` into `out`; false when it is not a string.
bool readString(const boost::json::object& o, std::string_view name, std::string& out) {
  const auto* v = o.if_contains(name);
  if (!v) return true;
  if (!v->is_string()) return false;
  out.assign(v->get_string().data(), v->get_string().size());
  return true;
}

void appendMember(std::string& out, std::string_view name, std::string_view value) {
  out += ',';
  appendJsonString(out, name);
  out += ':';
  appendJsonString(out, value);
}

}  // namespace

std::string connectionsKey(std::string_view prefix, std::string_view nodeId) {
  return std::string(prefix) + ":conns:" + std::string(nodeId);
}

std::string deadNodesKey(std::string_view prefix) {
  return std::string(prefix) + ":dead";
}

std::string claimKey(std::string_view prefix, std::string_view nodeId) {
  return std::string(prefix) + ":claim:" + std::string(nodeId);
}

std::string encodeRegistryEntry(const delivery::ConnectionRecord& record) {
  std::string out = "{\"hub\":";
  appendJsonString(out, record.hub);
  if (record.userId) appendMember(out, "userId", *record.userId);
  if (!record.subprotocol.empty()) appendMember(out, "subprotocol", record.subprotocol);
  if (!record.connectionState.empty()) {
    appendMember(out, "connectionState", record.connectionState);
  }
  out += '}';
  return out;
}

StatusOr<delivery::ConnectionRecord> decodeRegistryEntry(std::string_view connectionId,
                                                         std::string_view value) {
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(value, ec);
  if (ec || !parsed.is_object()) {
    return invalidArgument("registry entry of " + std::string(connectionId) + " is not an object");
  }
  const auto& o = parsed.get_object();
  delivery::ConnectionRecord r;
  r.connectionId = std::string(connectionId);
  std::string user;
  bool ok = readString(o, "hub", r.hub) && readString(o, "userId", user) &&
            readString(o, "subprotocol", r.subprotocol) &&
            readString(o, "connectionState", r.connectionState);
  if (!ok || r.hub.empty()) {
    return invalidArgument("registry entry of " + std::string(connectionId) + " is malformed");
  }
  if (o.contains("userId")) r.userId = std::move(user);
  return r;
}

delivery::PendingEvent nodeStoppedEvent(delivery::ConnectionRecord record, int64_t timeMs) {
  delivery::PendingEvent e;
  e.kind = cloudevents::EventKind::kDisconnected;
  e.hub = std::move(record.hub);
  e.connectionId = std::move(record.connectionId);
  e.userId = std::move(record.userId);
  e.subprotocol = std::move(record.subprotocol);
  e.connectionState = std::move(record.connectionState);
  e.ceId = std::string(delivery::kRecoveredCeId);
  e.timeMs = timeMs;
  e.contentType = "application/json";
  e.body = "{\"reason\":";
  appendJsonString(e.body, delivery::kReasonNodeStopped);
  e.body += '}';
  return e;
}

}  // namespace wps::cluster
