#include "cluster/bus_message.h"

#include "protocol/frames.h"

namespace wps::cluster {
namespace {

constexpr uint8_t kVersion = 1;

class Writer {
 public:
  void u8(uint8_t v) { out.push_back(static_cast<char>(v)); }
  void varint(uint64_t v) { protocol::appendVarint(out, v); }
  void str(std::string_view s) {
    varint(s.size());
    out.append(s);
  }
  std::string out;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  uint8_t u8() {
    if (in_.empty()) return fail(), 0;
    uint8_t v = static_cast<uint8_t>(in_[0]);
    in_.remove_prefix(1);
    return v;
  }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) return fail(), 0;
      uint8_t b = static_cast<uint8_t>(in_[0]);
      in_.remove_prefix(1);
      v |= uint64_t{b & 0x7Fu} << shift;
      if (!(b & 0x80)) return v;
    }
    return fail(), 0;
  }
  std::string str() {
    uint64_t n = varint();
    if (!ok_ || n > in_.size()) return fail(), std::string();
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }
  bool atEnd() const { return in_.empty(); }

 private:
  void fail() { ok_ = false; }
  std::string_view in_;
  bool ok_ = true;
};

void writeTarget(Writer& w, const core::Target& t) {
  w.u8(static_cast<uint8_t>(t.kind));
  w.str(t.name);
  w.varint(t.excluded.size());
  for (const auto& e : t.excluded)
    w.str(e);
  w.str(t.filter ? t.filter->text() : std::string_view());
}

Status readTarget(Reader& r, core::Target* t) {
  uint8_t kind = r.u8();
  if (kind > static_cast<uint8_t>(core::Target::Kind::kConnection)) {
    return invalidArgument("unknown target kind");
  }
  t->kind = static_cast<core::Target::Kind>(kind);
  t->name = r.str();
  uint64_t n = r.varint();
  if (!r.ok() || n > 1000000) return invalidArgument("bad excluded list");
  for (uint64_t i = 0; i < n && r.ok(); ++i)
    t->excluded.push_back(r.str());
  std::string filter = r.str();
  if (!r.ok()) return invalidArgument("truncated target");
  if (!filter.empty()) {
    auto f = filter::Filter::parse(filter);
    if (!f) return invalidArgument("filter does not parse: " + f.status().message());
    t->filter = std::make_shared<const filter::Filter>(std::move(f.value()));
  }
  return Status::ok();
}

void writeMessage(Writer& w, const protocol::DataMessage& m) {
  w.u8(static_cast<uint8_t>(m.from));
  w.str(m.group);
  w.u8(m.fromUserId ? 1 : 0);
  if (m.fromUserId) w.str(*m.fromUserId);
  w.u8(static_cast<uint8_t>(m.payload.type));
  w.str(m.payload.data);
  w.varint(m.metadata.size());
  for (const auto& [k, v] : m.metadata) {
    w.str(k);
    w.str(v);
  }
}

// A group stream's fragment or terminal message info (spec 1.1 §3.6); flags: bit 0
// endOfStream, bit 1 error, bit 2 error message, bit 3 userErrorCode.
void writeStreamInfo(Writer& w, const protocol::StreamInfo& s) {
  w.str(s.streamId);
  w.varint(s.sequenceId);
  const auto& e = s.error;
  w.u8(static_cast<uint8_t>((s.endOfStream ? 1 : 0) | (e ? 2 : 0) | (e && e->message ? 4 : 0) |
                            (e && e->userErrorCode ? 8 : 0)));
  if (!e) return;
  w.str(e->name);
  if (e->message) w.str(*e->message);
  if (e->userErrorCode) w.str(*e->userErrorCode);
}

protocol::StreamInfo readStreamInfo(Reader& r) {
  protocol::StreamInfo s;
  s.streamId = r.str();
  s.sequenceId = r.varint();
  uint8_t flags = r.u8();
  s.endOfStream = flags & 1;
  if (!(flags & 2)) return s;
  protocol::StreamErrorInfo e;
  e.name = r.str();
  if (flags & 4) e.message = r.str();
  if (flags & 8) e.userErrorCode = r.str();
  s.error = std::move(e);
  return s;
}

Status readMessage(Reader& r, protocol::DataMessage* m) {
  uint8_t from = r.u8();
  if (from > 1) return invalidArgument("unknown message source");
  m->from = static_cast<protocol::MessageSource>(from);
  m->group = r.str();
  if (r.u8()) m->fromUserId = r.str();
  uint8_t type = r.u8();
  if (type > static_cast<uint8_t>(protocol::DataType::kProtobuf)) {
    return invalidArgument("unknown payload type");
  }
  m->payload.type = static_cast<protocol::DataType>(type);
  m->payload.data = r.str();
  uint64_t n = r.varint();
  if (!r.ok() || n > 10000) return invalidArgument("bad metadata");
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    std::string k = r.str();
    std::string v = r.str();
    m->metadata.emplace_back(std::move(k), std::move(v));
  }
  return r.ok() ? Status::ok() : invalidArgument("truncated message");
}

// kAddToGroups / kRemoveFromGroups: hub, target, groups. A bad group list is reported before a
// bad target.
Status readGroupChange(Reader& r, BusMessage& m) {
  m.hubKey = r.str();
  Status st = readTarget(r, &m.target);
  uint64_t n = r.varint();
  if (!r.ok() || n > 1000000) return invalidArgument("bad group list");
  for (uint64_t i = 0; i < n && r.ok(); ++i)
    m.groups.push_back(r.str());
  return st;
}

// kPermission: hub, operation, permission, connection, group.
Status readPermission(Reader& r, BusMessage& m) {
  m.hubKey = r.str();
  uint8_t op = r.u8();
  uint8_t perm = r.u8();
  if (op > 2 || perm > 1) return invalidArgument("bad permission request");
  m.permissionOp = static_cast<core::PermissionOp>(op);
  m.permission = static_cast<auth::Permission>(perm);
  m.connectionId = r.str();
  m.group = r.str();
  return Status::ok();
}

// kReply: count, permission result, members, then atLimit when it is not 0 (so that a reply
// without it keeps the older, shorter form).
Status readReply(Reader& r, BusMessage& m) {
  m.count = r.varint();
  uint8_t result = r.u8();
  if (result > static_cast<uint8_t>(core::PermissionResult::kLimitReached)) {
    return invalidArgument("bad permission result");
  }
  m.result = static_cast<core::PermissionResult>(result);
  uint64_t n = r.varint();
  if (!r.ok() || n > 10000000) return invalidArgument("bad member list");
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    core::MemberInfo mem;
    mem.connectionId = r.str();
    if (r.u8()) mem.userId = r.str();
    m.members.push_back(std::move(mem));
  }
  if (r.ok() && !r.atEnd()) m.atLimit = r.varint();
  return Status::ok();
}

// The fields that follow the header for m.type. Truncation shows in r.ok(), checked by the
// caller.
Status readBody(Reader& r, BusMessage& m) {
  Status st;
  switch (m.type) {
    case BusMessage::Type::kPublish:
      m.hubKey = r.str();
      st = readTarget(r, &m.target);
      if (st) st = readMessage(r, &m.message);
      // Optional trailing fields: the TTL (0 = none), then a stream's info.
      if (st && r.ok() && !r.atEnd()) {
        if (uint64_t ttl = r.varint()) m.ttlRemainingMs = ttl;
      }
      if (st && r.ok() && !r.atEnd()) m.message.stream = readStreamInfo(r);
      break;
    case BusMessage::Type::kClose:
      m.hubKey = r.str();
      st = readTarget(r, &m.target);
      m.reason = r.str();
      break;
    case BusMessage::Type::kAddToGroups:
    case BusMessage::Type::kRemoveFromGroups:
      return readGroupChange(r, m);
    case BusMessage::Type::kLeaveAllGroups:
    case BusMessage::Type::kCount:
      m.hubKey = r.str();
      st = readTarget(r, &m.target);
      break;
    case BusMessage::Type::kList:
      m.hubKey = r.str();
      m.group = r.str();
      break;
    case BusMessage::Type::kPermission:
      return readPermission(r, m);
    case BusMessage::Type::kHello:
      break;
    case BusMessage::Type::kReply:
      return readReply(r, m);
  }
  return st;
}

}  // namespace

std::string encodeBusMessage(const BusMessage& m) {
  Writer w;
  w.u8(kVersion);
  w.u8(static_cast<uint8_t>(m.type));
  w.str(m.origin);
  w.varint(m.requestId);
  if (m.requestId) w.str(m.replyTo);
  switch (m.type) {
    case BusMessage::Type::kPublish:
      w.str(m.hubKey);
      writeTarget(w, m.target);
      writeMessage(w, m.message);
      // Optional trailing fields: the TTL (0 = none), then a stream's info.
      if (m.ttlRemainingMs || m.message.stream) w.varint(m.ttlRemainingMs.value_or(0));
      if (m.message.stream) writeStreamInfo(w, *m.message.stream);
      break;
    case BusMessage::Type::kClose:
      w.str(m.hubKey);
      writeTarget(w, m.target);
      w.str(m.reason);
      break;
    case BusMessage::Type::kAddToGroups:
    case BusMessage::Type::kRemoveFromGroups:
      w.str(m.hubKey);
      writeTarget(w, m.target);
      w.varint(m.groups.size());
      for (const auto& g : m.groups)
        w.str(g);
      break;
    case BusMessage::Type::kLeaveAllGroups:
    case BusMessage::Type::kCount:
      w.str(m.hubKey);
      writeTarget(w, m.target);
      break;
    case BusMessage::Type::kList:
      w.str(m.hubKey);
      w.str(m.group);
      break;
    case BusMessage::Type::kPermission:
      w.str(m.hubKey);
      w.u8(static_cast<uint8_t>(m.permissionOp));
      w.u8(static_cast<uint8_t>(m.permission));
      w.str(m.connectionId);
      w.str(m.group);
      break;
    case BusMessage::Type::kHello:
      break;
    case BusMessage::Type::kReply:
      w.varint(m.count);
      w.u8(static_cast<uint8_t>(m.result));
      w.varint(m.members.size());
      for (const auto& mem : m.members) {
        w.str(mem.connectionId);
        w.u8(mem.userId ? 1 : 0);
        if (mem.userId) w.str(*mem.userId);
      }
      if (m.atLimit) w.varint(m.atLimit);
      break;
  }
  return std::move(w.out);
}

StatusOr<BusMessage> decodeBusMessage(std::string_view bytes) {
  Reader r(bytes);
  if (r.u8() != kVersion || !r.ok()) return invalidArgument("unknown bus message version");
  BusMessage m;
  uint8_t type = r.u8();
  if (type < 1 || type > 10) return invalidArgument("unknown bus message type");
  m.type = static_cast<BusMessage::Type>(type);
  m.origin = r.str();
  m.requestId = r.varint();
  if (m.requestId) m.replyTo = r.str();
  if (Status st = readBody(r, m); !st) return st;
  if (!r.ok() || !r.atEnd()) return invalidArgument("malformed bus message");
  return m;
}

}  // namespace wps::cluster
