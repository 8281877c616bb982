#include "metrics/histogram.h"

#include <algorithm>

namespace wps::metrics {

size_t latencyBucket(std::chrono::nanoseconds d) {
  double seconds = std::chrono::duration<double>(d).count();
  auto it = std::lower_bound(kLatencyBounds.begin(), kLatencyBounds.end(), seconds);
  return static_cast<size_t>(it - kLatencyBounds.begin());
}

std::string_view labelOf(UpstreamEventClass c) {
  static constexpr std::string_view kNames[] = {"connect", "connected", "disconnected", "user",
                                                "joined",  "left",      "validation"};
  return kNames[static_cast<size_t>(c)];
}

std::string_view labelOf(UpstreamOutcome o) {
  static constexpr std::string_view kNames[] = {"2xx", "3xx", "4xx", "5xx", "timeout", "error"};
  return kNames[static_cast<size_t>(o)];
}

UpstreamEventClass upstreamEventClassOf(std::string_view ceType) {
  if (ceType == "azure.webpubsub.sys.connect") return UpstreamEventClass::kConnect;
  if (ceType == "azure.webpubsub.sys.connected") return UpstreamEventClass::kConnected;
  if (ceType == "azure.webpubsub.sys.disconnected") return UpstreamEventClass::kDisconnected;
  if (ceType == "azure.webpubsub.gp.joined") return UpstreamEventClass::kJoined;
  if (ceType == "azure.webpubsub.gp.left") return UpstreamEventClass::kLeft;
  if (ceType.starts_with("azure.webpubsub.user.")) return UpstreamEventClass::kUser;
  return UpstreamEventClass::kValidation;
}

UpstreamOutcome upstreamOutcomeOf(int status) {
  if (status >= 200 && status < 300) return UpstreamOutcome::k2xx;
  if (status >= 300 && status < 400) return UpstreamOutcome::k3xx;
  if (status >= 400 && status < 500) return UpstreamOutcome::k4xx;
  if (status >= 500 && status < 600) return UpstreamOutcome::k5xx;
  return UpstreamOutcome::kError;
}

std::string_view labelOf(BlockingKind k) {
  static constexpr std::string_view kNames[] = {"event", "invoke"};
  static_assert(std::size(kNames) == kBlockingKinds);
  return kNames[static_cast<size_t>(k)];
}

std::string_view labelOf(RestOperation op) {
  static constexpr std::string_view kNames[] = {"SendToAll",
                                                "CloseAllConnections",
                                                "AddConnectionsToGroups",
                                                "RemoveConnectionsFromGroups",
                                                "GenerateClientToken",
                                                "SendToConnection",
                                                "CloseConnection",
                                                "ConnectionExists",
                                                "RemoveConnectionFromAllGroups",
                                                "SendToUser",
                                                "CloseUserConnections",
                                                "UserExists",
                                                "RemoveUserFromAllGroups",
                                                "AddUserToGroup",
                                                "RemoveUserFromGroup",
                                                "SendToGroup",
                                                "CloseGroupConnections",
                                                "GroupExists",
                                                "ListConnectionsInGroup",
                                                "AddConnectionToGroup",
                                                "RemoveConnectionFromGroup",
                                                "GrantPermission",
                                                "RevokePermission",
                                                "CheckPermission",
                                                "other"};
  static_assert(std::size(kNames) == kRestOperations);
  return kNames[static_cast<size_t>(op)];
}

}  // namespace wps::metrics
