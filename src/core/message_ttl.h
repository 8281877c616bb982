// Message TTL (spec client-protocols-1.1 §5, our rule [I]): a data message accepted with a TTL
// (client sendToGroup `ttlSeconds`, REST `messageTtlSeconds`) gets a deadline fixed at
// acceptance; a receiver whose socket has not been handed the message by then never gets it.
// The transport drops expired frames before writing them (transport/ws_connection); reliable
// sessions drop them from their replay buffer (purgeExpired). Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>

#include "common/ring_queue.h"
#include "common/time.h"
#include "protocol/out_frame.h"

namespace wps::core {

// The deadline of a message accepted at `acceptedAt` with `ttlSeconds`: TimePoint::max() (never
// expires) when the TTL is absent or 0.
TimePoint ttlDeadline(TimePoint acceptedAt, std::optional<uint32_t> ttlSeconds);

// The time left until `deadline` as whole milliseconds for the cluster bus: std::nullopt for
// "never expires", else at least 1 (an expired message still travels, and expires on arrival).
std::optional<uint64_t> remainingMs(TimePoint deadline, TimePoint now);
// The inverse on the receiving node: the deadline `remaining` ms after `now`.
TimePoint deadlineAfter(TimePoint now, std::optional<uint64_t> remaining);

// Removes every frame of `queue` that expired at `now` (wherever it sits: TTLs differ per
// message), keeping the others in order, and subtracts their sizes from `*bytes`. Returns how
// many were removed. `tracked` (may be null) is the index of a frame that never expires (a
// queued pong); it is updated to that frame's index afterwards.
size_t purgeExpired(RingQueue<protocol::OutFrame>& queue, TimePoint now, size_t* bytes,
                    size_t* tracked = nullptr);

}  // namespace wps::core
