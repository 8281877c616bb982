// Latency histograms with fixed buckets, counted per thread like every metric (metrics.h): a
// Histogram<Counter> lives in a CounterBlock and only its owner observes into it; scrapes add the
// blocks up into Histogram<uint64_t> and render the Prometheus `_bucket`/`_sum`/`_count` lines.
// The label sets are closed enums, so no label can grow with traffic (connections, users, groups
// and hub names never become labels).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace wps::metrics {

// Upper bounds (seconds) of the latency buckets, shared by every latency histogram; one more
// bucket (+Inf) takes the rest.
inline constexpr std::array<double, 13> kLatencyBounds = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};

template <class C>
struct Histogram {
  std::array<C, kLatencyBounds.size() + 1> buckets{};  // per bucket, not cumulative
  C sumMicros{};                                       // sum of the observations, microseconds

  // Calls f(mine, theirs) for every count of this and `other`.
  template <class Other, class F>
  void zip(Other& other, F&& f) {
    for (size_t i = 0; i < buckets.size(); ++i)
      f(buckets[i], other.buckets[i]);
    f(sumMicros, other.sumMicros);
  }
};

// The bucket of an observation of `d`.
size_t latencyBucket(std::chrono::nanoseconds d);

// What an upstream request was for (label `event`): the CloudEvents type of the request, or the
// abuse-protection validation (OPTIONS) request.
enum class UpstreamEventClass : size_t {
  kConnect,
  kConnected,
  kDisconnected,
  kUser,  // user events: message and custom events, invocations
  kJoined,
  kLeft,
  kValidation,
  kCount,
};
// How it ended (label `outcome`).
enum class UpstreamOutcome : size_t { k2xx, k3xx, k4xx, k5xx, kTimeout, kError, kCount };

inline constexpr size_t kUpstreamEventClasses = static_cast<size_t>(UpstreamEventClass::kCount);
inline constexpr size_t kUpstreamOutcomes = static_cast<size_t>(UpstreamOutcome::kCount);

std::string_view labelOf(UpstreamEventClass c);
std::string_view labelOf(UpstreamOutcome o);
// The class of a request with CloudEvents type `ceType` ("" = not a CloudEvents request).
UpstreamEventClass upstreamEventClassOf(std::string_view ceType);
// The outcome of an HTTP status (0 = no response: kError).
UpstreamOutcome upstreamOutcomeOf(int status);

// What a client waited for (label `kind` of the blocking-event latency): a user event the
// connection's next messages wait behind (simple-client messages and PubSub `event` requests),
// or an invocation (`invoke`, answered by an invokeResponse).
enum class BlockingKind : size_t { kEvent, kInvoke, kCount };
inline constexpr size_t kBlockingKinds = static_cast<size_t>(BlockingKind::kCount);

std::string_view labelOf(BlockingKind k);

// The REST data-plane operations (label `operation`), named as in the REST reference; kOther
// covers health, unknown paths and requests refused before an operation was recognised.
enum class RestOperation : size_t {
  kSendToAll,
  kCloseAllConnections,
  kAddConnectionsToGroups,
  kRemoveConnectionsFromGroups,
  kGenerateClientToken,
  kSendToConnection,
  kCloseConnection,
  kConnectionExists,
  kRemoveConnectionFromAllGroups,
  kSendToUser,
  kCloseUserConnections,
  kUserExists,
  kRemoveUserFromAllGroups,
  kAddUserToGroup,
  kRemoveUserFromGroup,
  kSendToGroup,
  kCloseGroupConnections,
  kGroupExists,
  kListConnectionsInGroup,
  kAddConnectionToGroup,
  kRemoveConnectionFromGroup,
  kGrantPermission,
  kRevokePermission,
  kCheckPermission,
  kOther,
  kCount,
};
inline constexpr size_t kRestOperations = static_cast<size_t>(RestOperation::kCount);

std::string_view labelOf(RestOperation op);

}  // namespace wps::metrics
