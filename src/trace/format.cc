#include "trace/format.h"

#include "common/strings.h"
#include "common/utf8.h"
#include "trace/redact.h"

namespace wps::trace {
namespace {

constexpr size_t kMaxPayloadBytes = 4096;

void appendMember(std::string& out, std::string_view name, std::string_view value) {
  out += ',';
  appendJsonString(out, name);
  out += ':';
  appendJsonString(out, redactSecrets(value));
}

}  // namespace

std::string_view categoryName(Category c) {
  switch (c) {
    case Category::kConnectivity:
      return "connectivity";
    case Category::kMessaging:
      return "messaging";
    case Category::kUpstream:
      return "upstream";
    case Category::kRest:
      return "rest";
  }
  return "unknown";
}

std::string eventJson(const Event& event, bool includePayloads) {
  std::string out = "{\"time\":" + std::to_string(event.unixMillis);
  appendMember(out, "category", categoryName(event.category));
  appendMember(out, "event", event.what);
  appendMember(out, "hub", event.hub);
  appendMember(out, "connectionId", event.connectionId);
  appendMember(out, "userId", event.userId);
  out += ",\"details\":{";
  for (size_t i = 0; i < event.fields.size(); ++i) {
    if (i > 0) out += ',';
    appendJsonString(out, event.fields[i].first);
    out += ':';
    appendJsonString(out, redactSecrets(event.fields[i].second));
  }
  out += '}';
  if (includePayloads && event.payload) {
    std::string_view p = *event.payload;
    if (p.size() > kMaxPayloadBytes) {
      p = p.substr(0, kMaxPayloadBytes);
      for (int cut = 0; cut < 3 && !isValidUtf8(p); ++cut)
        p.remove_suffix(1);  // a character the truncation split
    }
    if (!isValidUtf8(p)) p = "(binary)";
    appendMember(out, "payload", p);
  }
  out += '}';
  return out;
}

std::string skippedJson(size_t count) {
  return "{\"category\":\"trace\",\"event\":\"skipped\",\"count\":" + std::to_string(count) + "}";
}

std::string sseMessage(const std::string& json) {
  return "data: " + json + "\n\n";
}

}  // namespace wps::trace
