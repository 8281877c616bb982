// Message metadata rules (client-protocols.md §6.1, upstream-cloudevents.md §3.5). Pure.
#pragma once

#include "common/status.h"
#include "protocol/payload.h"

namespace wps::protocol {

// Keys: HTTP token characters, ASCII, ≤ 256 bytes; values: ASCII, ≤ 1024 bytes; keys plus values
// ≤ 8 KB; no duplicate keys (case-sensitive). Errors: kInvalidArgument naming the rule.
Status validateMetadata(const Metadata& metadata);

}  // namespace wps::protocol
