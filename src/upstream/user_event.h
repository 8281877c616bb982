// User events (upstream-cloudevents.md §9.4-§9.5, §11): Content-Types of requests and the
// mapping of a 2xx answer to what the client receives. Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string_view>

#include "common/status.h"
#include "http/message.h"
#include "protocol/payload.h"

namespace wps::upstream {

// Request Content-Type for a payload kind: text/plain, application/json,
// application/octet-stream, application/x-protobuf.
std::string_view contentTypeFor(protocol::DataType type);

// Maps a 2xx answer to the reply for the client: nullopt when there is nothing to send (204, or
// an empty body whatever its Content-Type). `forSimpleClient` selects the simple-client table
// (text/plain and application/json → text, octet-stream or no type → binary, anything else a
// failure) versus the subprotocol table (adds application/x-protobuf → protobuf and validates
// application/json bodies). Errors (kInvalidArgument): unsupported Content-Type, invalid JSON.
StatusOr<std::optional<protocol::Payload>> interpretUserEventAnswer(
    const http::HttpResponse& response, bool forSimpleClient);

}  // namespace wps::upstream
