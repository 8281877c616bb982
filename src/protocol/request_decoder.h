// Decoders of client requests. Pure functions, thread-safe. Every error is kInvalidArgument
// (the connection is then closed with 1007).
#pragma once

#include <string_view>

#include "common/status.h"
#include "protocol/client_requests.h"

namespace wps::protocol {

// json.webpubsub.azure.v1 / json.reliable.webpubsub.azure.v1 (client-protocols.md §6.1).
StatusOr<ClientRequest> decodeJsonRequest(std::string_view text);

// protobuf.webpubsub.azure.v1 / protobuf.reliable.webpubsub.azure.v1 UpstreamMessage (§8).
StatusOr<ClientRequest> decodeProtobufRequest(std::string_view bytes);

}  // namespace wps::protocol
