#include "protocol/service_messages.h"

#include "common/base64.h"
#include "common/strings.h"
#include "protocol/frames.h"

namespace wps::protocol {
namespace {

void appendJsonData(std::string& out, const Payload& p) {
  out += ",\"dataType\":\"";
  out += dataTypeName(p.type);
  out += "\",\"data\":";
  switch (p.type) {
    case DataType::kJson:
      out += p.data.empty() ? std::string_view("null") : p.data;
      break;
    case DataType::kText:
      appendJsonString(out, p.data);
      break;
    case DataType::kBinary:
    case DataType::kProtobuf:
      out.push_back('"');
      appendBase64(out, p.data);
      out.push_back('"');
      break;
  }
}

// "error":{"name":..,"message":..}
void appendJsonError(std::string& out, const AckError& error) {
  out += "\"error\":{\"name\":";
  appendJsonString(out, error.name);
  out += ",\"message\":";
  appendJsonString(out, error.message);
  out.push_back('}');
}

// ,"stream":{"streamId":..,"streamSequenceId":N[,"endOfStream":true[,"error":{..}]]}
void appendJsonStreamInfo(std::string& out, const StreamInfo& s) {
  out += ",\"stream\":{\"streamId\":";
  appendJsonString(out, s.streamId);
  out += ",\"streamSequenceId\":";
  out += std::to_string(s.sequenceId);
  if (s.endOfStream) {
    out += ",\"endOfStream\":true";
    if (s.error) {
      out += ",\"error\":{\"name\":";
      appendJsonString(out, s.error->name);
      if (s.error->message) {
        out += ",\"message\":";
        appendJsonString(out, *s.error->message);
      }
      if (s.error->userErrorCode) {
        out += ",\"userErrorCode\":";
        appendJsonString(out, *s.error->userErrorCode);
      }
      out.push_back('}');
    }
  }
  out.push_back('}');
}

// Protobuf wire helpers.
void appendTag(std::string& out, uint32_t field, uint32_t wireType) {
  appendVarint(out, (uint64_t{field} << 3) | wireType);
}
void appendBytesField(std::string& out, uint32_t field, std::string_view bytes) {
  appendTag(out, field, 2);
  appendVarint(out, bytes.size());
  out.append(bytes);
}
void appendVarintField(std::string& out, uint32_t field, uint64_t v) {
  appendTag(out, field, 0);
  appendVarint(out, v);
}

}  // namespace

std::string encodeJsonDataBody(const DataMessage& m) {
  std::string out;
  out.reserve(m.payload.data.size() * (m.payload.type == DataType::kBinary ? 2 : 1) + 96 +
              m.group.size());
  if (m.from == MessageSource::kGroup) {
    out += "{\"type\":\"message\",\"from\":\"group\",\"group\":";
    appendJsonString(out, m.group);
    out += ",\"fromUserId\":";
    if (m.fromUserId) {
      appendJsonString(out, *m.fromUserId);
    } else {
      out += "null";
    }
  } else {
    out += "{\"type\":\"message\",\"from\":\"server\"";
  }
  appendJsonData(out, m.payload);
  if (!m.metadata.empty()) {
    out += ",\"metadata\":{";
    for (size_t i = 0; i < m.metadata.size(); ++i) {
      if (i) out.push_back(',');
      appendJsonString(out, m.metadata[i].first);
      out.push_back(':');
      appendJsonString(out, m.metadata[i].second);
    }
    out.push_back('}');
  }
  if (m.stream) appendJsonStreamInfo(out, *m.stream);
  return out;
}

std::string encodeJsonAck(uint64_t ackId, const std::optional<AckError>& error) {
  std::string out = "{\"type\":\"ack\",\"ackId\":";
  out += std::to_string(ackId);
  if (!error) {
    out += ",\"success\":true}";
    return out;
  }
  out += ",\"success\":false,";
  appendJsonError(out, *error);
  out.push_back('}');
  return out;
}

std::string encodeJsonConnected(std::string_view connectionId,
                                const std::optional<std::string>& userId,
                                const std::optional<std::string>& reconnectionToken) {
  std::string out = "{\"type\":\"system\",\"event\":\"connected\",\"userId\":";
  if (userId) {
    appendJsonString(out, *userId);
  } else {
    out += "null";
  }
  out += ",\"connectionId\":";
  appendJsonString(out, connectionId);
  if (reconnectionToken) {
    out += ",\"reconnectionToken\":";
    appendJsonString(out, *reconnectionToken);
  }
  out.push_back('}');
  return out;
}

std::string encodeJsonDisconnected(std::string_view message) {
  std::string out = "{\"type\":\"system\",\"event\":\"disconnected\",\"message\":";
  appendJsonString(out, message);
  out.push_back('}');
  return out;
}

std::string encodeJsonPong() {
  return "{\"type\":\"pong\"}";
}

std::string encodeJsonInvokeResponse(std::string_view invocationId, const AckError& error) {
  std::string out = "{\"type\":\"invokeResponse\",\"invocationId\":";
  appendJsonString(out, invocationId);
  out += ",\"success\":false,";
  appendJsonError(out, error);
  out.push_back('}');
  return out;
}

std::string encodeJsonInvokeResult(std::string_view invocationId,
                                   const std::optional<Payload>& data) {
  std::string out = "{\"type\":\"invokeResponse\",\"invocationId\":";
  appendJsonString(out, invocationId);
  out += ",\"success\":true";
  if (data) appendJsonData(out, *data);
  out.push_back('}');
  return out;
}

std::string encodeJsonStreamClosed(std::string_view streamId, const AckError& error) {
  std::string out = "{\"type\":\"streamClosed\",\"streamId\":";
  appendJsonString(out, streamId);
  out.push_back(',');
  appendJsonError(out, error);
  out.push_back('}');
  return out;
}

std::string encodeJsonStreamClosed(std::string_view streamId) {
  std::string out = "{\"type\":\"streamClosed\",\"streamId\":";
  appendJsonString(out, streamId);
  out.push_back('}');
  return out;
}

std::string encodeJsonStreamAck(std::string_view streamId, uint64_t expectedSequenceId) {
  std::string out = "{\"type\":\"streamAck\",\"streamId\":";
  appendJsonString(out, streamId);
  out += ",\"expectedSequenceId\":";
  out += std::to_string(expectedSequenceId);
  out.push_back('}');
  return out;
}

std::string encodeJsonStreamNack(std::string_view streamId, uint64_t expectedSequenceId,
                                 const AckError& error) {
  std::string out = "{\"type\":\"streamNack\",\"streamId\":";
  appendJsonString(out, streamId);
  out += ",\"expectedSequenceId\":";
  out += std::to_string(expectedSequenceId);
  out += ",\"name\":";
  appendJsonString(out, error.name);
  out += ",\"message\":";
  appendJsonString(out, error.message);
  out.push_back('}');
  return out;
}

// StreamInfo {stream_id = 1; stream_sequence_id = 2; end_of_stream = 3; StreamError error = 4}
// with StreamError {name = 1; message = 2; user_error_code = 3} (spec 1.1 §3.2).
namespace {
std::string encodeProtobufStreamInfo(const StreamInfo& s) {
  std::string out;
  appendBytesField(out, 1, s.streamId);
  appendVarintField(out, 2, s.sequenceId);
  if (!s.endOfStream) return out;
  appendVarintField(out, 3, 1);
  if (s.error) {
    std::string err;
    appendBytesField(err, 1, s.error->name);
    if (s.error->message) appendBytesField(err, 2, *s.error->message);
    if (s.error->userErrorCode) appendBytesField(err, 3, *s.error->userErrorCode);
    appendBytesField(out, 4, err);
  }
  return out;
}
}  // namespace

std::string encodeProtobufDataBody(const DataMessage& m, bool jsonAsText) {
  std::string out;
  out.reserve(m.payload.data.size() + 32 + m.group.size());
  appendBytesField(out, 1, m.from == MessageSource::kGroup ? "group" : "server");
  if (m.from == MessageSource::kGroup) appendBytesField(out, 2, m.group);
  std::string data;
  data.reserve(m.payload.data.size() + 6);
  switch (m.payload.type) {
    case DataType::kText:
      appendBytesField(data, 1, m.payload.data);
      break;
    case DataType::kBinary:
      appendBytesField(data, 2, m.payload.data);
      break;
    case DataType::kProtobuf:
      appendBytesField(data, 3, m.payload.data);
      break;
    case DataType::kJson:
      appendBytesField(data, jsonAsText ? 1 : 4, m.payload.data);
      break;
  }
  appendBytesField(out, 3, data);
  for (const auto& [k, v] : m.metadata) {
    std::string entry;
    appendBytesField(entry, 1, k);
    appendBytesField(entry, 2, v);
    appendBytesField(out, 5, entry);
  }
  if (m.stream) appendBytesField(out, 6, encodeProtobufStreamInfo(*m.stream));
  return out;
}

std::string encodeProtobufAck(uint64_t ackId, const std::optional<AckError>& error) {
  std::string ack;
  appendVarintField(ack, 1, ackId);
  appendVarintField(ack, 2, error ? 0 : 1);
  if (error) {
    std::string err;
    appendBytesField(err, 1, error->name);
    appendBytesField(err, 2, error->message);
    appendBytesField(ack, 3, err);
  }
  std::string out;
  appendBytesField(out, 1, ack);
  return out;
}

std::string encodeProtobufConnected(std::string_view connectionId,
                                    const std::optional<std::string>& userId,
                                    const std::optional<std::string>& reconnectionToken) {
  std::string connected;
  appendBytesField(connected, 1, connectionId);
  appendBytesField(connected, 2, userId.value_or(""));
  if (reconnectionToken) appendBytesField(connected, 3, *reconnectionToken);
  std::string system;
  appendBytesField(system, 1, connected);
  std::string out;
  appendBytesField(out, 3, system);
  return out;
}

std::string encodeProtobufDisconnected(std::string_view reason) {
  std::string disconnected;
  appendBytesField(disconnected, 2, reason);  // field 2, not 1 (client-protocols.md §8.1)
  std::string system;
  appendBytesField(system, 2, disconnected);
  std::string out;
  appendBytesField(out, 3, system);
  return out;
}

std::string encodeProtobufPong() {
  std::string out;
  appendBytesField(out, 4, "");
  return out;
}

std::string encodeProtobufStreamAck(std::string_view streamId, uint64_t expectedSequenceId) {
  std::string ack;
  appendBytesField(ack, 1, streamId);
  appendVarintField(ack, 2, expectedSequenceId);
  std::string out;
  appendBytesField(out, 6, ack);
  return out;
}

std::string encodeProtobufStreamNack(std::string_view streamId, uint64_t expectedSequenceId,
                                     const AckError& error) {
  std::string nack;
  appendBytesField(nack, 1, streamId);
  appendBytesField(nack, 2, error.name);
  appendBytesField(nack, 3, error.message);
  appendVarintField(nack, 4, expectedSequenceId);
  std::string out;
  appendBytesField(out, 7, nack);
  return out;
}

std::string encodeProtobufStreamClosed(std::string_view streamId,
                                       const std::optional<AckError>& error) {
  std::string closed;
  appendBytesField(closed, 1, streamId);
  if (error) {
    std::string err;
    appendBytesField(err, 1, error->name);
    appendBytesField(err, 2, error->message);
    appendBytesField(closed, 2, err);
  }
  std::string out;
  appendBytesField(out, 8, closed);
  return out;
}

}  // namespace wps::protocol
