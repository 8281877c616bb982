// Builders of OutFrame for every kind of service→client frame. Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/out_frame.h"

namespace wps::protocol {

using SharedBytes = std::shared_ptr<const std::string>;

// A whole message in one frame whose bytes are owned by the frame (acks, system messages).
OutFrame makeTextFrame(std::string text);
OutFrame makeBinaryFrame(std::string bytes);
// A frame around shared bytes (raw payloads for simple clients, broadcasts).
OutFrame makeSharedFrame(bool binary, SharedBytes body);
OutFrame makePingFrame();
OutFrame makePongFrame(std::string_view payload);
// `code` 0 sends an empty close payload.
OutFrame makeCloseFrame(uint16_t code, std::string_view reason);

// JSON data message: `body` is the envelope WITHOUT its closing '}' (see json codec); the tail
// is "}" or ",\"sequenceId\":N}" for reliable receivers.
OutFrame makeJsonDataFrame(SharedBytes body, std::optional<uint64_t> sequenceId);
// Protobuf data message: `body` holds the DataMessage fields except sequence_id; the head adds
// the DownstreamMessage.data_message tag and length, the tail the sequence_id field.
OutFrame makeProtobufDataFrame(SharedBytes body, std::optional<uint64_t> sequenceId);

// Appends a protobuf base-128 varint.
void appendVarint(std::string& out, uint64_t v);
size_t varintSize(uint64_t v);

}  // namespace wps::protocol
