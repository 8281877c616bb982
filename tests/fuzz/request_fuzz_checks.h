// Invariants shared by the request-decoder fuzz targets: every error is kInvalidArgument, every
// decoded request obeys the validation rules (client-protocols.md §6.1, §13), and its payload
// re-encodes for JSON receivers as one valid JSON object.
#pragma once

#include <boost/json.hpp>

#include <string>
#include <variant>

#include "protocol/client_requests.h"
#include "protocol/metadata.h"
#include "protocol/names.h"
#include "protocol/service_messages.h"

namespace wps::protocol::fuzz {

inline void check(bool condition) {
  if (!condition) __builtin_trap();
}

inline void checkPayload(const Payload& p, const Metadata& metadata) {
  check(validateMetadata(metadata).isOk());
  if (p.type == DataType::kJson) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(p.data, ec);
    check(!ec && !v.is_null());
  }
  DataMessage m;
  m.from = MessageSource::kGroup;
  m.group = "g";
  m.payload = p;
  m.metadata = metadata;
  std::string json = encodeJsonDataBody(m) + "}";
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(json, ec);
  check(!ec && v.is_object());
  (void)encodeProtobufDataBody(m);
}

// A group stream request without a problem obeys client-protocols-1.1.md §3.3: a start has a
// valid group, a non-empty id and a positive idle timeout; a fragment has both its sequence id
// and its payload, a keep-alive neither.
inline void checkStream(const StreamRequest& s) {
  if (s.problem) return;
  switch (s.kind) {
    case StreamRequest::Kind::kStart:
      check(isValidGroupName(s.group) && !s.streamId.empty());
      check(!s.idleTimeoutMs || *s.idleTimeoutMs > 0);
      break;
    case StreamRequest::Kind::kData:
      check(s.sequenceId.has_value() == s.payload.has_value());
      if (s.payload) checkPayload(*s.payload, Metadata{});
      break;
    case StreamRequest::Kind::kEnd:
      break;
  }
}

inline void checkRequest(const StatusOr<ClientRequest>& r) {
  if (!r) {
    check(r.status().code() == StatusCode::kInvalidArgument);
    return;
  }
  if (auto* j = std::get_if<JoinGroupRequest>(&*r)) check(isValidGroupName(j->group));
  if (auto* l = std::get_if<LeaveGroupRequest>(&*r)) check(isValidGroupName(l->group));
  if (auto* s = std::get_if<SendToGroupRequest>(&*r)) {
    check(isValidGroupName(s->group));
    check(!s->ttlSeconds || *s->ttlSeconds <= 300);
    checkPayload(s->payload, s->metadata);
  }
  if (auto* e = std::get_if<EventRequest>(&*r)) {
    check(isValidEventName(e->event));
    check(e->hasData || (e->payload.type == DataType::kText && e->payload.data.empty()));
    checkPayload(e->payload, e->metadata);
  }
  if (auto* st = std::get_if<StreamRequest>(&*r)) checkStream(*st);
}

}  // namespace wps::protocol::fuzz
