#include "cloudevents/signature.h"

#include "common/crypto.h"
#include "common/strings.h"

namespace wps::cloudevents {

std::string computeSignature(const std::vector<std::string>& accessKeys,
                             std::string_view connectionId) {
  std::string out;
  for (const auto& key : accessKeys) {
    if (key.empty()) continue;
    if (!out.empty()) out.push_back(',');
    out += "sha256=";
    out += toHexLower(hmacSha256(key, connectionId));
  }
  return out;
}

bool verifySignature(std::string_view header, const std::vector<std::string>& accessKeys,
                     std::string_view connectionId) {
  bool ok = false;
  for (const auto& key : accessKeys) {
    if (key.empty()) continue;
    std::string expected = "sha256=" + toHexLower(hmacSha256(key, connectionId));
    for (auto item : split(header, ',')) {
      std::string candidate = toLowerAscii(trim(item));
      ok = constantTimeEquals(candidate, expected) || ok;
    }
  }
  return ok;
}

}  // namespace wps::cloudevents
