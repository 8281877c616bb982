// Decoder of protobuf.webpubsub.azure.v1 client requests (client-protocols.md §8), with the
// classes generated from webpubsub.proto. Validation follows the JSON decoder (§6.1): group and
// event names, ttl 0-300, metadata rules; MessageData may be absent only with metadata.
#include <google/protobuf/stubs/logging.h>

#include <algorithm>
#include <climits>

#include <boost/json.hpp>

#include "protocol/json_writer.h"
#include "protocol/metadata.h"
#include "protocol/names.h"
#include "protocol/request_decoder.h"
#include "protocol/webpubsub.pb.h"

namespace wps::protocol {
namespace {

namespace pb = ::azure::webpubsub;

Status bad(std::string why) {
  return invalidArgument(std::move(why));
}

// Protobuf maps have no order; sort by key so that delivery is deterministic.
StatusOr<Metadata> readMetadata(const google::protobuf::Map<std::string, std::string>& map) {
  Metadata m;
  m.reserve(map.size());
  for (const auto& [k, v] : map) {
    m.emplace_back(k, v);
  }
  std::sort(m.begin(), m.end());
  Status st = validateMetadata(m);
  if (!st) return st;
  return m;
}

// json_data must hold one JSON value other than null; stored compact (as the JSON decoder does),
// a number beyond the range of a double with its source text.
StatusOr<std::string> compactJson(std::string_view text) {
  boost::system::error_code ec;
  boost::json::storage_ptr sp =
      boost::json::make_shared_resource<boost::json::monotonic_resource>();
  boost::json::value v = boost::json::parse(text, ec, sp);
  if (ec) return bad("json_data is not valid JSON");
  if (v.is_null()) return bad("json data must not be null");
  if (auto compact = toJsonText(v)) return std::move(*compact);
  if (auto compact = compactJsonText(text)) return std::move(*compact);
  return bad("json_data cannot be encoded as JSON");
}

// MessageData → Payload. `present` is whether the message carried a MessageData at all; without
// one, non-empty metadata makes it an empty text payload (*hasData false), anything else is
// invalid.
Status readPayload(bool present, const pb::MessageData& data, const Metadata& metadata,
                   Payload* payload, bool* hasData) {
  *hasData = present;
  if (!present) {
    if (metadata.empty()) return bad("data is required");
    payload->type = DataType::kText;
    payload->data.clear();
    return Status::ok();
  }
  switch (data.data_case()) {
    case pb::MessageData::kTextData:
      payload->type = DataType::kText;
      payload->data = data.text_data();
      return Status::ok();
    case pb::MessageData::kBinaryData:
      payload->type = DataType::kBinary;
      payload->data = data.binary_data();
      return Status::ok();
    case pb::MessageData::kProtobufData:
      payload->type = DataType::kProtobuf;
      if (!data.protobuf_data().SerializeToString(&payload->data)) {
        return bad("protobuf_data cannot be serialized");
      }
      return Status::ok();
    case pb::MessageData::kJsonData: {
      auto json = compactJson(data.json_data());
      if (!json) return json.status();
      payload->type = DataType::kJson;
      payload->data = std::move(*json);
      return Status::ok();
    }
    case pb::MessageData::DATA_NOT_SET:
      break;
  }
  return bad("MessageData has no data");
}

template <class M>
std::optional<uint64_t> ackIdOf(const M& m) {
  return m.has_ack_id() ? std::optional<uint64_t>(m.ack_id()) : std::nullopt;
}

// A group stream start (client-protocols-1.1.md §3.2, rules of §3.3 as for JSON): never an
// invalid message; problems go to `problem` (answered with streamClosed BadRequest).
ClientRequest decodeStreamStart(const pb::UpstreamMessage::SendToGroupMessage& m) {
  StreamRequest r;
  r.kind = StreamRequest::Kind::kStart;
  r.streamId = m.stream().stream_id();
  r.group = m.group();
  r.noEcho = m.has_no_echo() && m.no_echo();
  if (m.stream().has_idle_timeout_ms()) r.idleTimeoutMs = m.stream().idle_timeout_ms();
  if (!isValidGroupName(m.group())) {
    r.problem = "group is not a valid group name";
  } else if (m.has_data() || m.has_ack_id()) {
    r.problem = "a stream start takes no data or ack_id";
  } else if (r.streamId.empty()) {
    r.problem = "stream_id must be a non-empty string";
  } else if (r.idleTimeoutMs && *r.idleTimeoutMs == 0) {
    r.problem = "idle_timeout_ms must be a positive integer";
  }
  return ClientRequest(std::move(r));
}

// stream_data_message: a fragment (stream_sequence_id and data) or a keep-alive (neither); one
// without the other, or data that is not valid, is a `problem`.
ClientRequest decodeStreamData(const pb::UpstreamMessage::StreamDataMessage& m) {
  StreamRequest r;
  r.kind = StreamRequest::Kind::kData;
  r.streamId = m.stream_id();
  if (!m.has_stream_sequence_id() && !m.has_data()) return ClientRequest(std::move(r));
  if (!m.has_stream_sequence_id() || !m.has_data()) {
    r.problem = "stream_sequence_id and data go together";
    return ClientRequest(std::move(r));
  }
  Payload payload;
  bool hasData = true;
  Status st = readPayload(true, m.data(), Metadata{}, &payload, &hasData);
  if (!st) {
    r.problem = st.message();
    return ClientRequest(std::move(r));
  }
  r.sequenceId = m.stream_sequence_id();
  r.payload = std::move(payload);
  return ClientRequest(std::move(r));
}

// stream_end_message: with `error` an abort (its message and user_error_code, each optional).
ClientRequest decodeStreamEnd(const pb::UpstreamMessage::StreamEndMessage& m) {
  StreamRequest r;
  r.kind = StreamRequest::Kind::kEnd;
  r.streamId = m.stream_id();
  if (m.has_error()) {
    StreamEndError e;
    if (m.error().has_message()) e.message = m.error().message();
    if (m.error().has_user_error_code()) e.userErrorCode = m.error().user_error_code();
    r.error = std::move(e);
  }
  return ClientRequest(std::move(r));
}

StatusOr<ClientRequest> decodeSendToGroup(const pb::UpstreamMessage::SendToGroupMessage& m) {
  if (m.has_stream()) return decodeStreamStart(m);
  if (!isValidGroupName(m.group())) return bad("group is not a valid group name");
  SendToGroupRequest r;
  r.group = m.group();
  r.ackId = ackIdOf(m);
  r.noEcho = m.has_no_echo() && m.no_echo();
  if (m.has_ttl_seconds()) {
    if (m.ttl_seconds() > 300) return bad("ttlSeconds must be an integer from 0 to 300");
    r.ttlSeconds = m.ttl_seconds();
  }
  auto metadata = readMetadata(m.metadata());
  if (!metadata) return metadata.status();
  r.metadata = std::move(*metadata);
  bool hasData = true;
  Status st = readPayload(m.has_data(), m.data(), r.metadata, &r.payload, &hasData);
  if (!st) return st;
  return ClientRequest(std::move(r));
}

StatusOr<ClientRequest> decodeEvent(const pb::UpstreamMessage::EventMessage& m) {
  if (!isValidEventName(m.event())) return bad("event is not a valid event name");
  // Event streaming (an upstream stream, spec 1.1 §7 question 4) has no defined semantics.
  if (m.has_stream()) return bad("event streams are not supported");
  EventRequest r;
  r.event = m.event();
  r.ackId = ackIdOf(m);
  auto metadata = readMetadata(m.metadata());
  if (!metadata) return metadata.status();
  r.metadata = std::move(*metadata);
  Status st = readPayload(m.has_data(), m.data(), r.metadata, &r.payload, &r.hasData);
  if (!st) return st;
  return ClientRequest(std::move(r));
}

}  // namespace

StatusOr<ClientRequest> decodeProtobufRequest(std::string_view bytes) {
  if (bytes.size() > static_cast<size_t>(INT_MAX)) return bad("message too large");
  // Invalid UTF-8 in a string field fails the parse and makes libprotobuf log an error; that
  // is client input (reported as a 1007 close), so libprotobuf's logging is silenced once for
  // the process instead of taking LogSilencer's global mutex on every message.
  static const bool kSilenced = [] {
    google::protobuf::SetLogHandler(
        [](google::protobuf::LogLevel, const char*, int, const std::string&) {});
    return true;
  }();
  (void)kSilenced;
  pb::UpstreamMessage msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return bad("not a valid UpstreamMessage");
  }
  switch (msg.message_case()) {
    case pb::UpstreamMessage::kSendToGroupMessage:
      return decodeSendToGroup(msg.send_to_group_message());
    case pb::UpstreamMessage::kEventMessage:
      return decodeEvent(msg.event_message());
    case pb::UpstreamMessage::kJoinGroupMessage: {
      const auto& m = msg.join_group_message();
      if (!isValidGroupName(m.group())) return bad("group is not a valid group name");
      return ClientRequest(JoinGroupRequest{m.group(), ackIdOf(m)});
    }
    case pb::UpstreamMessage::kLeaveGroupMessage: {
      const auto& m = msg.leave_group_message();
      if (!isValidGroupName(m.group())) return bad("group is not a valid group name");
      return ClientRequest(LeaveGroupRequest{m.group(), ackIdOf(m)});
    }
    case pb::UpstreamMessage::kSequenceAckMessage:
      return ClientRequest(SequenceAckRequest{msg.sequence_ack_message().sequence_id()});
    case pb::UpstreamMessage::kPingMessage:
      return ClientRequest(PingRequest{});
    case pb::UpstreamMessage::kStreamDataMessage:
      return decodeStreamData(msg.stream_data_message());
    case pb::UpstreamMessage::kStreamEndMessage:
      return decodeStreamEnd(msg.stream_end_message());
    case pb::UpstreamMessage::MESSAGE_NOT_SET:
      break;
  }
  return bad("unknown or missing message type");
}

}  // namespace wps::protocol
