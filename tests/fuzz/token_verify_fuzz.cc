// Fuzz target for the full check of client and REST access tokens (core/request_token: JWT
// signature, algorithm, exp/nbf and the audience), with two fixed keys. The first byte picks a
// mode (low two bits) and options (bit 2: strict_audience_host, bit 3: a public_endpoint with a
// path prefix, bits 4-5: the HMAC algorithm of the signing modes):
//   0: the rest is a token; an accepted one must carry a valid HMAC of one configured key;
//   1: the rest is a payload signed with a configured key; if accepted, exp/nbf hold, and the
//      same payload signed with a wrong key, or with a damaged signature, is rejected;
//   2: the rest is "header\npayload" signed (HS256) with a configured key: accepted only when the
//      header names HS256 (no algorithm confusion);
//   3: the rest is "hub\nuser\nrole,role\ngroup,group": a minted client token (valid hub name,
//      UTF-8 names, within kMaxJwtSize) verifies for its hub with the same claims, and is rejected
//      for another hub and after it expired.
// Every rejection is kUnauthenticated.
#include <boost/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwt.h"
#include "common/base64.h"
#include "common/crypto.h"
#include "common/strings.h"
#include "common/utf8.h"
#include "core/request_token.h"
#include "core/tokens.h"
#include "fuzz/fuzz_input.h"
#include "protocol/names.h"

namespace {

using wps::fuzz::check;

constexpr std::string_view kKeys[] = {"token-fuzz-primary-key-0123456789abcdefghijkl",
                                      "token-fuzz-secondary-key-0123456789abcdefghij"};
constexpr std::string_view kWrongKey = "token-fuzz-wrong-key-0123456789abcdefghijklmn";
constexpr std::string_view kHost = "localhost:8080";
constexpr std::string_view kPath = "/client/hubs/chat";
const wps::WallTime kNow{std::chrono::seconds(1800000000)};

struct Setup {
  wps::config::ServerSettings settings;
  wps::HmacAlg alg = wps::HmacAlg::kSha256;
  std::string path = std::string(kPath);  // the path the server sees (the audience's)
};

Setup makeSetup(uint8_t flags) {
  Setup s;
  s.settings.accessKeys = {std::string(kKeys[0]), std::string(kKeys[1])};
  s.settings.strictAudienceHost = (flags & 4) != 0;
  // Behind a proxy that strips /wps: audiences may carry the prefix, the server sees no prefix.
  if (flags & 8) s.settings.publicEndpoint = "https://pubsub.example.com/wps";
  static constexpr wps::HmacAlg kAlgs[] = {wps::HmacAlg::kSha256, wps::HmacAlg::kSha384,
                                           wps::HmacAlg::kSha512, wps::HmacAlg::kSha256};
  s.alg = kAlgs[(flags >> 4) & 3];
  return s;
}

wps::StatusOr<wps::auth::JwtClaims> verify(const Setup& s, std::string_view token,
                                           std::string_view path, wps::WallTime now = kNow) {
  auto claims = wps::core::verifyRequestToken(s.settings, token, now, path, kHost);
  if (!claims) check(claims.status().code() == wps::StatusCode::kUnauthenticated);
  return claims;
}

// True when `token` is three parts whose third is the HMAC of the first two with a configured
// key under some HS algorithm (an independent signature check).
bool signedWithConfiguredKey(std::string_view token) {
  auto parts = wps::split(token, '.');
  if (parts.size() != 3) return false;
  auto signature = wps::base64UrlDecode(parts[2]);
  if (!signature) return false;
  std::string_view input = token.substr(0, parts[0].size() + 1 + parts[1].size());
  for (std::string_view key : kKeys) {
    for (auto alg : {wps::HmacAlg::kSha256, wps::HmacAlg::kSha384, wps::HmacAlg::kSha512}) {
      if (wps::hmac(alg, key, input) == *signature) return true;
    }
  }
  return false;
}

void rawToken(const Setup& s, std::string_view token) {
  if (verify(s, token, s.path)) check(signedWithConfiguredKey(token));
}

void signedPayload(const Setup& s, std::string_view payload) {
  std::string token = wps::auth::signJwt(payload, kKeys[1], s.alg);
  auto claims = verify(s, token, s.path);
  if (!claims) return;
  check(claims->exp.has_value());
  check(*claims->exp + 300 >= wps::unixSeconds(kNow));
  if (claims->nbf) check(*claims->nbf <= wps::unixSeconds(kNow) + 300);
  check(!claims->audiences.empty());
  check(!verify(s, wps::auth::signJwt(payload, kWrongKey, s.alg), s.path));
  size_t dot = token.rfind('.');
  token[dot + 1] = token[dot + 1] == 'A' ? 'B' : 'A';  // the first signature character
  check(!verify(s, token, s.path));
}

void signedHeader(const Setup& s, std::string_view rest) {
  size_t nl = rest.find('\n');
  std::string_view header = rest.substr(0, nl);
  std::string_view payload = nl == std::string_view::npos ? "" : rest.substr(nl + 1);
  std::string input = wps::base64UrlEncode(header) + "." + wps::base64UrlEncode(payload);
  std::string sig = wps::hmac(wps::HmacAlg::kSha256, kKeys[0], input);
  if (!verify(s, input + "." + wps::base64UrlEncode(sig), s.path)) return;
  boost::system::error_code ec;
  boost::json::value h = boost::json::parse(header, ec);
  check(!ec && h.is_object());
  const auto* alg = h.as_object().if_contains("alg");
  check(alg && alg->is_string() && alg->as_string() == "HS256");
}

std::vector<std::string> list(std::string_view text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  for (auto item : wps::split(text, ','))
    out.emplace_back(item);
  return out;
}

void mintedToken(const Setup& s, std::string_view rest) {
  wps::fuzz::LineReader in(reinterpret_cast<const uint8_t*>(rest.data()), rest.size());
  wps::core::ClientTokenSpec spec;
  spec.hub = std::string(in.line());
  if (!wps::protocol::isValidHubName(spec.hub)) return;
  std::string user(in.line());
  if (!user.empty()) spec.userId = user;
  spec.roles = list(in.line());
  spec.groups = list(in.line());
  // JSON strings hold UTF-8 only: a token minted from other bytes cannot verify (callers
  // validate the names first, as the REST API does).
  bool utf8 = wps::isValidUtf8(user);
  for (const auto* names : {&spec.roles, &spec.groups}) {
    for (const auto& n : *names)
      utf8 = utf8 && wps::isValidUtf8(n);
  }
  if (!utf8) return;
  std::string base = wps::core::publicBaseUrl(s.settings, wps::core::requestOrigin(false, kHost));
  std::string token = wps::core::mintClientToken(s.settings, base, spec, kNow);
  if (token.size() > wps::auth::kMaxJwtSize) {  // callers must refuse to hand these out
    check(!verify(s, token, "/client/hubs/" + spec.hub));
    return;
  }
  auto claims = verify(s, token, "/client/hubs/" + spec.hub);
  check(claims.isOk());
  check(claims->sub == spec.userId);
  std::vector<std::string> roles;
  for (auto& r : spec.roles) {
    if (!r.empty()) roles.push_back(r);
  }
  check(claims->roles == roles);
  check(claims->groups == spec.groups);
  check(!verify(s, token, "/client/hubs/" + spec.hub + "x"));
  check(!verify(s, token, "/client/hubs/" + spec.hub, kNow + std::chrono::minutes(66)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Setup s = makeSetup(data[0]);
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] & 3) {
    case 0:
      rawToken(s, rest);
      break;
    case 1:
      signedPayload(s, rest);
      break;
    case 2:
      signedHeader(s, rest);
      break;
    default:
      mintedToken(s, rest);
      break;
  }
  return 0;
}
