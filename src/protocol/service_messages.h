// Service→client messages of the PubSub subprotocols, encoded for JSON (client-protocols.md
// §6.2) and protobuf (§8). Data messages are split into a shared body (encoded once per
// broadcast) and per-receiver framing (frames.h). Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/payload.h"

namespace wps::protocol {

enum class MessageSource : uint8_t { kGroup, kServer };

// The `stream` member of a group message that belongs to a group stream
// (client-protocols-1.1.md §3.1, §3.6). `error` only with endOfStream.
struct StreamErrorInfo {
  std::string name;
  std::optional<std::string> message;
  std::optional<std::string> userErrorCode;
};
struct StreamInfo {
  std::string streamId;
  uint64_t sequenceId = 0;
  bool endOfStream = false;
  std::optional<StreamErrorInfo> error;
};

struct DataMessage {
  MessageSource from = MessageSource::kServer;
  std::string group;                      // kGroup only
  std::optional<std::string> fromUserId;  // kGroup: the publisher's user id (null when none)
  Payload payload;
  Metadata metadata;
  std::optional<StreamInfo> stream;  // kGroup: a fragment or terminal message of a stream
};

// The {name, message} error object of ack, invokeResponse and streamClosed messages.
struct AckError {
  std::string name;
  std::string message;
};

// --- JSON -----------------------------------------------------------------------------------
// {"type":"message","from":...,["group":..,"fromUserId":..,]"dataType":..,"data":..[,"metadata":{}]
// WITHOUT the closing '}' (makeJsonDataFrame adds it, with a sequenceId when reliable).
std::string encodeJsonDataBody(const DataMessage& m);
std::string encodeJsonAck(uint64_t ackId, const std::optional<AckError>& error);
std::string encodeJsonConnected(std::string_view connectionId,
                                const std::optional<std::string>& userId,
                                const std::optional<std::string>& reconnectionToken);
std::string encodeJsonDisconnected(std::string_view message);
std::string encodeJsonPong();
// A failed invokeResponse: {"type":"invokeResponse","invocationId":..,"success":false,"error":{..}}
std::string encodeJsonInvokeResponse(std::string_view invocationId, const AckError& error);
// A successful invokeResponse: {"type":"invokeResponse","invocationId":..,"success":true} plus
// "dataType" and "data" (encoded as in data messages) when `data` is set.
std::string encodeJsonInvokeResult(std::string_view invocationId,
                                   const std::optional<Payload>& data);
// {"type":"streamClosed","streamId":..,"error":{..}}
std::string encodeJsonStreamClosed(std::string_view streamId, const AckError& error);
// {"type":"streamClosed","streamId":..} (a stream the client ended).
std::string encodeJsonStreamClosed(std::string_view streamId);
// {"type":"streamAck","streamId":..,"expectedSequenceId":N}
std::string encodeJsonStreamAck(std::string_view streamId, uint64_t expectedSequenceId);
// {"type":"streamNack","streamId":..,"expectedSequenceId":N,"name":..,"message":..}
std::string encodeJsonStreamNack(std::string_view streamId, uint64_t expectedSequenceId,
                                 const AckError& error);

// --- Protobuf (DownstreamMessage) -------------------------------------------------------------
// DataMessage fields 1 (from), 2 (group), 3 (data), 5 (metadata); without sequence_id and
// without the DownstreamMessage wrapper (makeProtobufDataFrame adds both). JSON payloads use
// json_data unless `jsonAsText`.
std::string encodeProtobufDataBody(const DataMessage& m, bool jsonAsText = false);
std::string encodeProtobufAck(uint64_t ackId, const std::optional<AckError>& error);
std::string encodeProtobufConnected(std::string_view connectionId,
                                    const std::optional<std::string>& userId,
                                    const std::optional<std::string>& reconnectionToken);
std::string encodeProtobufDisconnected(std::string_view reason);
std::string encodeProtobufPong();
// Group streaming (client-protocols-1.1.md §3.2): stream_ack_message = 6 {stream_id = 1;
// expected_sequence_id = 2}, stream_nack_message = 7 {stream_id = 1; name = 2; message = 3;
// expected_sequence_id = 4}, stream_closed_message = 8 {stream_id = 1; error = 2 {name = 1;
// message = 2}}, without `error` when the stream ended normally.
std::string encodeProtobufStreamAck(std::string_view streamId, uint64_t expectedSequenceId);
std::string encodeProtobufStreamNack(std::string_view streamId, uint64_t expectedSequenceId,
                                     const AckError& error);
std::string encodeProtobufStreamClosed(std::string_view streamId,
                                       const std::optional<AckError>& error);

}  // namespace wps::protocol
