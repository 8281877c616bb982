// Decoder of json.webpubsub.azure.v1 client requests (client-protocols.md §6.1).
#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>

#include <cmath>
#include <set>

#include "common/base64.h"
#include "common/strings.h"
#include "protocol/json_writer.h"
#include "protocol/metadata.h"
#include "protocol/names.h"
#include "protocol/request_decoder.h"

namespace wps::protocol {
namespace {

using boost::json::object;
using boost::json::value;

const value* field(const object& o, std::string_view name) {
  auto it = o.find(name);
  return it == o.end() ? nullptr : &it->value();
}

// A JSON number that is a non-negative integer within uint64.
std::optional<uint64_t> asUint64(const value& v) {
  if (v.is_uint64()) return v.get_uint64();
  if (v.is_int64()) {
    int64_t i = v.get_int64();
    if (i < 0) return std::nullopt;
    return static_cast<uint64_t>(i);
  }
  if (v.is_double()) {
    double d = v.get_double();
    if (d < 0 || d != std::floor(d) || d >= 18446744073709551616.0) return std::nullopt;
    return static_cast<uint64_t>(d);
  }
  return std::nullopt;
}

Status bad(std::string why) {
  return invalidArgument(std::move(why));
}

StatusOr<std::optional<uint64_t>> readAckId(const object& o) {
  const value* v = field(o, "ackId");
  if (!v || v->is_null()) return std::optional<uint64_t>();
  auto id = asUint64(*v);
  if (!id) return bad("ackId must be a non-negative integer");
  return std::optional<uint64_t>(*id);
}

StatusOr<std::string> readGroup(const object& o) {
  const value* v = field(o, "group");
  if (!v || !v->is_string()) return bad("group must be a string");
  std::string g(v->get_string().data(), v->get_string().size());
  if (!isValidGroupName(g)) return bad("group is not a valid group name");
  return g;
}

// boost::json keeps only the last of duplicate keys, so the metadata object is checked for
// duplicates on the source text: a SAX pass that records the keys of every object that is the
// value of a top-level "metadata" member.
class MetadataKeyChecker {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);

  bool duplicate = false;

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_array_begin(boost::system::error_code&) { return enter(false); }
  bool on_array_end(std::size_t, boost::system::error_code&) { return leave(); }
  bool on_object_begin(boost::system::error_code&) { return enter(true); }
  bool on_object_end(std::size_t, boost::system::error_code&) { return leave(); }
  bool on_string_part(boost::json::string_view, std::size_t, boost::system::error_code&) {
    return true;
  }
  bool on_string(boost::json::string_view, std::size_t, boost::system::error_code&) { return true; }
  bool on_key_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t, boost::system::error_code& ec) {
    key_.append(s.data(), s.size());
    if (depth_ == 1) {
      topKey_ = key_;
    } else if (inMetadata_ && depth_ == 2 && !keys_.insert(key_).second) {
      duplicate = true;
      ec = boost::json::error::syntax;  // stops the parse
      return false;
    }
    key_.clear();
    return true;
  }
  bool on_number_part(boost::json::string_view, boost::system::error_code&) { return true; }
  bool on_int64(int64_t, boost::json::string_view, boost::system::error_code&) { return true; }
  bool on_uint64(uint64_t, boost::json::string_view, boost::system::error_code&) { return true; }
  bool on_double(double, boost::json::string_view, boost::system::error_code&) { return true; }
  bool on_bool(bool, boost::system::error_code&) { return true; }
  bool on_null(boost::system::error_code&) { return true; }
  bool on_comment_part(boost::json::string_view, boost::system::error_code&) { return true; }
  bool on_comment(boost::json::string_view, boost::system::error_code&) { return true; }

 private:
  bool enter(bool isObject) {
    ++depth_;
    if (isObject && depth_ == 2 && topKey_ == "metadata") {
      inMetadata_ = true;
      keys_.clear();
    }
    return true;
  }
  bool leave() {
    if (depth_ == 2) inMetadata_ = false;
    --depth_;
    return true;
  }

  int depth_ = 0;
  bool inMetadata_ = false;
  std::string key_;
  std::string topKey_;
  std::set<std::string> keys_;
};

bool hasDuplicateMetadataKeys(std::string_view text) {
  boost::json::basic_parser<MetadataKeyChecker> parser{boost::json::parse_options()};
  boost::system::error_code ec;
  parser.write_some(false, text.data(), text.size(), ec);
  return parser.handler().duplicate;
}

StatusOr<Metadata> readMetadata(std::string_view text, const object& o, bool* present) {
  *present = false;
  const value* v = field(o, "metadata");
  if (!v || v->is_null()) return Metadata{};
  if (!v->is_object()) return bad("metadata must be an object of strings");
  *present = true;
  if (!v->get_object().empty() && hasDuplicateMetadataKeys(text)) {
    return bad("duplicate metadata key");
  }
  Metadata m;
  for (const auto& [k, item] : v->get_object()) {
    if (!item.is_string()) return bad("metadata values must be strings");
    m.emplace_back(std::string(k.data(), k.size()),
                   std::string(item.get_string().data(), item.get_string().size()));
  }
  Status st = validateMetadata(m);
  if (!st) return st;
  return m;
}

// The compact text of the json `data` of the request `text`. A number beyond the range of a
// double (parsed as infinity) keeps its source text: the request is then compacted from its text.
StatusOr<std::string> jsonDataText(std::string_view text, const value& data) {
  if (data.is_null()) return bad("json data must not be null");
  if (auto compact = toJsonText(data)) return std::move(*compact);
  if (auto compact = compactJsonText(text, "data")) return std::move(*compact);
  return bad("json data cannot be encoded as JSON");
}

// Reads dataType/data into `payload`; `*hasData` false when `data` is absent (allowed only with
// metadata).
Status readPayload(std::string_view text, const object& o, bool metadataPresent, Payload* payload,
                   bool* hasData) {
  DataType type = DataType::kJson;
  if (const value* dt = field(o, "dataType"); dt && !dt->is_null()) {
    if (!dt->is_string()) return bad("dataType must be a string");
    auto parsed = parseDataType(std::string_view(dt->get_string().data(), dt->get_string().size()));
    if (!parsed) return bad("unknown dataType");
    type = *parsed;
  }
  const value* data = field(o, "data");
  *hasData = data != nullptr;
  if (!data) {
    if (!metadataPresent) return bad("data is required");
    payload->type = DataType::kText;
    payload->data.clear();
    return Status::ok();
  }
  payload->type = type;
  switch (type) {
    case DataType::kJson: {
      auto json = jsonDataText(text, *data);
      if (!json) return json.status();
      payload->data = std::move(*json);
      break;
    }
    case DataType::kText:
      if (!data->is_string()) return bad("text data must be a string");
      payload->data.assign(data->get_string().data(), data->get_string().size());
      break;
    case DataType::kBinary:
    case DataType::kProtobuf: {
      if (!data->is_string()) return bad("binary data must be a base64 string");
      auto decoded =
          base64Decode(std::string_view(data->get_string().data(), data->get_string().size()));
      if (!decoded) return bad("data is not valid base64");
      payload->data = std::move(*decoded);
      break;
    }
  }
  return Status::ok();
}

StatusOr<std::string> readString(const object& o, std::string_view name) {
  const value* v = field(o, name);
  if (!v || !v->is_string()) return bad(std::string(name) + " must be a string");
  return std::string(v->get_string().data(), v->get_string().size());
}

// metadata, then dataType/data (sendToGroup and event).
Status readContent(std::string_view text, const object& o, Metadata* metadata, Payload* payload,
                   bool* hasData) {
  bool metadataPresent = false;
  auto read = readMetadata(text, o, &metadataPresent);
  if (!read) return read.status();
  *metadata = std::move(*read);
  return readPayload(text, o, metadataPresent, payload, hasData);
}

// --- One decoder per request type; `o` is the request object, `text` its source text. ---------

StatusOr<ClientRequest> decodeJoinOrLeave(const object& o, bool join) {
  auto group = readGroup(o);
  if (!group) return group.status();
  auto ack = readAckId(o);
  if (!ack) return ack.status();
  if (join) return ClientRequest(JoinGroupRequest{std::move(*group), *ack});
  return ClientRequest(LeaveGroupRequest{std::move(*group), *ack});
}

// --- Group streaming (client-protocols-1.1.md §3.1) ---------------------------------------

bool present(const object& o, std::string_view name) {
  const value* v = field(o, name);
  return v && !v->is_null();
}

// The members of a stream start besides its id; a problem is returned as a bad Status.
Status readStreamStart(const object& o, const value& stream, StreamRequest* r) {
  auto group = readGroup(o);
  if (!group) return group.status();
  r->group = std::move(*group);
  if (const value* noEcho = field(o, "noEcho"); noEcho && !noEcho->is_null()) {
    if (!noEcho->is_bool()) return bad("noEcho must be true or false");
    r->noEcho = noEcho->get_bool();
  }
  if (present(o, "data") || present(o, "dataType") || present(o, "ackId")) {
    return bad("a stream start takes no data, dataType or ackId");
  }
  if (!stream.is_object()) return bad("stream must be an object");
  if (r->streamId.empty()) return bad("streamId must be a non-empty string");
  if (const value* idle = field(stream.get_object(), "idleTimeoutMs"); idle && !idle->is_null()) {
    auto ms = asUint64(*idle);
    if (!ms || *ms == 0) return bad("idleTimeoutMs must be a positive integer");
    r->idleTimeoutMs = *ms;
  }
  return Status::ok();
}

// A stream start: sendToGroup with a non-null `stream`. Never an invalid message: problems go
// to `problem` (answered with streamClosed BadRequest).
ClientRequest decodeStreamStart(const object& o, const value& stream) {
  StreamRequest r;
  r.kind = StreamRequest::Kind::kStart;
  if (stream.is_object()) {
    if (const value* id = field(stream.get_object(), "streamId"); id && id->is_string()) {
      r.streamId.assign(id->get_string().data(), id->get_string().size());
    }
  }
  Status st = readStreamStart(o, stream, &r);
  if (!st) r.problem = st.message();
  return ClientRequest(std::move(r));
}

// streamData: a fragment (streamSequenceId, dataType and data) or a keep-alive (none of them).
Status readStreamData(std::string_view text, const object& o, StreamRequest* r) {
  int n =
      int(present(o, "streamSequenceId")) + int(present(o, "dataType")) + int(present(o, "data"));
  if (n == 0) return Status::ok();
  if (n != 3) return bad("streamSequenceId, dataType and data go together");
  auto seq = asUint64(*field(o, "streamSequenceId"));
  if (!seq) return bad("streamSequenceId must be a non-negative integer");
  r->sequenceId = *seq;
  Payload payload;
  bool hasData = true;
  Status st = readPayload(text, o, false, &payload, &hasData);
  if (!st) return st;
  r->payload = std::move(payload);
  return Status::ok();
}

// streamEnd: an optional `error` {message?, userErrorCode?} (an abort).
Status readStreamEnd(const object& o, StreamRequest* r) {
  const value* error = field(o, "error");
  if (!error || error->is_null()) return Status::ok();
  if (!error->is_object()) return bad("error must be an object");
  StreamEndError e;
  for (std::string_view name : {"message", "userErrorCode"}) {
    const value* v = field(error->get_object(), name);
    if (!v || v->is_null()) continue;
    if (!v->is_string()) return bad("error." + std::string(name) + " must be a string");
    std::string text(v->get_string().data(), v->get_string().size());
    (name == "message" ? e.message : e.userErrorCode) = std::move(text);
  }
  r->error = std::move(e);
  return Status::ok();
}

// streamData / streamEnd: invalid without a string streamId; other problems go to `problem`.
StatusOr<ClientRequest> decodeStreamFrame(std::string_view text, const object& o, bool data) {
  auto id = readString(o, "streamId");
  if (!id) return id.status();
  StreamRequest r;
  r.kind = data ? StreamRequest::Kind::kData : StreamRequest::Kind::kEnd;
  r.streamId = std::move(*id);
  Status st = data ? readStreamData(text, o, &r) : readStreamEnd(o, &r);
  if (!st) r.problem = st.message();
  return ClientRequest(std::move(r));
}

// noEcho and ttlSeconds of a sendToGroup.
Status readSendOptions(const object& o, SendToGroupRequest* r) {
  if (const value* noEcho = field(o, "noEcho"); noEcho && !noEcho->is_null()) {
    if (!noEcho->is_bool()) return bad("noEcho must be true or false");
    r->noEcho = noEcho->get_bool();
  }
  if (const value* ttl = field(o, "ttlSeconds"); ttl && !ttl->is_null()) {
    auto t = asUint64(*ttl);
    if (!t || *t > 300) return bad("ttlSeconds must be an integer from 0 to 300");
    r->ttlSeconds = static_cast<uint32_t>(*t);
  }
  return Status::ok();
}

StatusOr<ClientRequest> decodeSendToGroup(std::string_view text, const object& o) {
  if (const value* stream = field(o, "stream"); stream && !stream->is_null()) {
    return decodeStreamStart(o, *stream);
  }
  auto group = readGroup(o);
  if (!group) return group.status();
  SendToGroupRequest r;
  r.group = std::move(*group);
  auto ack = readAckId(o);
  if (!ack) return ack.status();
  r.ackId = *ack;
  Status st = readSendOptions(o, &r);
  if (!st) return st;
  bool hasData = true;  // not kept: SendToGroupRequest does not record it
  st = readContent(text, o, &r.metadata, &r.payload, &hasData);
  if (!st) return st;
  return ClientRequest(std::move(r));
}

StatusOr<ClientRequest> decodeEvent(std::string_view text, const object& o) {
  EventRequest r;
  auto event = readString(o, "event");
  if (!event) return event.status();
  if (!isValidEventName(*event)) return bad("event is not a valid event name");
  r.event = std::move(*event);
  auto ack = readAckId(o);
  if (!ack) return ack.status();
  r.ackId = *ack;
  Status st = readContent(text, o, &r.metadata, &r.payload, &r.hasData);
  if (!st) return st;
  return ClientRequest(std::move(r));
}

StatusOr<ClientRequest> decodeSequenceAck(const object& o) {
  const value* v = field(o, "sequenceId");
  auto id = v ? asUint64(*v) : std::nullopt;
  if (!id) return bad("sequenceId must be a non-negative integer");
  return ClientRequest(SequenceAckRequest{*id});
}

// cancelInvocation: a request of type `Request` holding only the
// string member `idName`.
template <typename Request>
StatusOr<ClientRequest> decodeWithId(const object& o, std::string_view idName) {
  auto id = readString(o, idName);
  if (!id) return id.status();
  return ClientRequest(Request{std::move(*id)});
}

// An invocationId: a non-empty string of at most 256 characters (UTF-8 code points).
StatusOr<std::string> readInvocationId(const object& o) {
  auto id = readString(o, "invocationId");
  if (!id) return id.status();
  size_t characters = 0;
  for (unsigned char c : *id)
    characters += (c & 0xC0) != 0x80 ? 1 : 0;
  if (id->empty() || characters > 256) return bad("invocationId must have 1 to 256 characters");
  return id;
}

// The fields of an invoke besides its id: target, event, metadata, dataType/data (both absent:
// no data).
Status readInvokeFields(std::string_view text, const object& o, InvokeRequest* r) {
  if (const value* target = field(o, "target"); target && !target->is_null()) {
    if (!target->is_string() || target->get_string() != "event") {
      return bad("target must be \"event\"");
    }
  }
  auto event = readString(o, "event");
  if (!event) return event.status();
  if (!isValidEventName(*event)) return bad("event is not a valid event name");
  r->event = std::move(*event);
  bool metadataPresent = false;
  auto metadata = readMetadata(text, o, &metadataPresent);
  if (!metadata) return metadata.status();
  r->metadata = std::move(*metadata);
  return readPayload(text, o, /*metadataPresent=*/true, &r->payload, &r->hasData);
}

// invoke: an invalid invocationId makes the message invalid; other problems are kept.
StatusOr<ClientRequest> decodeInvoke(std::string_view text, const object& o) {
  auto id = readInvocationId(o);
  if (!id) return id.status();
  InvokeRequest r;
  r.invocationId = std::move(*id);
  Status st = readInvokeFields(text, o, &r);
  if (!st) r.problem = st.message();
  return ClientRequest(std::move(r));
}

StatusOr<ClientRequest> decodeGroupState(const object& o) {
  auto ack = readAckId(o);
  if (!ack) return ack.status();
  return ClientRequest(GroupStateRequest{*ack});
}

// Dispatches on the (case-insensitive) `type`.
StatusOr<ClientRequest> decodeOfType(std::string_view type, std::string_view text,
                                     const object& o) {
  if (iequals(type, "joinGroup")) return decodeJoinOrLeave(o, true);
  if (iequals(type, "leaveGroup")) return decodeJoinOrLeave(o, false);
  if (iequals(type, "sendToGroup")) return decodeSendToGroup(text, o);
  if (iequals(type, "event")) return decodeEvent(text, o);
  if (iequals(type, "ping")) return ClientRequest(PingRequest{});
  if (iequals(type, "sequenceAck")) return decodeSequenceAck(o);
  if (iequals(type, "invoke")) return decodeInvoke(text, o);
  if (iequals(type, "cancelInvocation")) {
    return decodeWithId<CancelInvocationRequest>(o, "invocationId");
  }
  if (iequals(type, "streamData")) return decodeStreamFrame(text, o, true);
  if (iequals(type, "streamEnd")) return decodeStreamFrame(text, o, false);
  if (iequals(type, "setGroupState") || iequals(type, "subscribeGroupState") ||
      iequals(type, "unsubscribeGroupState")) {
    return decodeGroupState(o);
  }
  return bad("unknown message type");
}

}  // namespace

StatusOr<ClientRequest> decodeJsonRequest(std::string_view text) {
  boost::system::error_code ec;
  boost::json::storage_ptr sp =
      boost::json::make_shared_resource<boost::json::monotonic_resource>();
  boost::json::parse_options options;
  options.max_depth = 64;  // the .NET default; Boost's own is 32
  value root = boost::json::parse(text, ec, sp, options);
  if (ec) return bad("not valid JSON");
  if (!root.is_object()) return bad("a message must be a JSON object");
  const object& o = root.get_object();
  const value* typeValue = field(o, "type");
  if (!typeValue || !typeValue->is_string()) return bad("type must be a string");
  std::string_view type(typeValue->get_string().data(), typeValue->get_string().size());
  return decodeOfType(type, text, o);
}

}  // namespace wps::protocol
