// What a REST send delivers: the Content-Type decides the payload kind (rest-api.md §7.1) and
// X-WebPubSub-Metadata-* headers become metadata (§7.5). Pure functions, thread-safe.
#pragma once

#include "common/status.h"
#include "http/message.h"
#include "protocol/payload.h"

namespace wps::api {

// text/plain (charset utf-8, us-ascii or iso-8859-1; re-encoded to UTF-8), application/json
// (must be well-formed), application/octet-stream or no Content-Type (binary). Errors:
// kUnsupported (415: other or malformed types, unknown charsets) or kInvalidArgument (400:
// invalid JSON, text that is not valid in its charset).
StatusOr<protocol::Payload> payloadFromBody(const http::HttpHeaders& headers, std::string body);

// Metadata from X-WebPubSub-Metadata-<key> headers: keys lower-cased, the last header wins and
// within it the last comma-separated item (trimmed). Errors: kInvalidArgument (limits).
StatusOr<protocol::Metadata> metadataFromHeaders(const http::HttpHeaders& headers);

}  // namespace wps::api
