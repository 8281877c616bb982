// Test helper: a MessageSink that records every event as a comparable value.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/websocket/parser.h"

namespace wps::ws::wstest {

struct Event {
  enum Kind { kText, kBinary, kPing, kPong, kClose } kind;
  std::string payload;  // message/ping/pong payload or close reason
  std::optional<uint16_t> code;

  bool operator==(const Event&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Event& e) {
  static const char* kNames[] = {"text", "binary", "ping", "pong", "close"};
  os << kNames[e.kind] << "(" << e.payload.size() << " bytes";
  if (e.payload.size() <= 32) os << " '" << e.payload << "'";
  if (e.code) os << " code=" << *e.code;
  return os << ")";
}

inline Event text(std::string s) {
  return {Event::kText, std::move(s), std::nullopt};
}
inline Event binary(std::string s) {
  return {Event::kBinary, std::move(s), std::nullopt};
}
inline Event ping(std::string s) {
  return {Event::kPing, std::move(s), std::nullopt};
}
inline Event pong(std::string s) {
  return {Event::kPong, std::move(s), std::nullopt};
}
inline Event closeEvent(std::optional<uint16_t> code, std::string reason) {
  return {Event::kClose, std::move(reason), code};
}

class RecordingSink : public MessageSink {
 public:
  void onMessage(bool isBinary, std::string_view payload) override {
    events.push_back({isBinary ? Event::kBinary : Event::kText, std::string(payload), {}});
    lastPayloadData = payload.data();
  }
  void onPing(std::string_view payload) override {
    events.push_back(ping(std::string(payload)));
    lastPayloadData = payload.data();
  }
  void onPong(std::string_view payload) override {
    events.push_back(pong(std::string(payload)));
    lastPayloadData = payload.data();
  }
  void onClose(std::optional<uint16_t> code, std::string_view reason) override {
    events.push_back(closeEvent(code, std::string(reason)));
  }

  std::vector<Event> events;
  const char* lastPayloadData = nullptr;  // to check zero-copy delivery
};

}  // namespace wps::ws::wstest
