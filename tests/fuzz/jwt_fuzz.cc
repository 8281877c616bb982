// Fuzz target for auth/jwt and auth/audience. The first input byte picks a mode:
//   0: the rest is a token for verifyJwt;
//   1: the rest is a payload, signed with the fixed key (so the claim parsing is reached);
//   2: the rest is "header\npayload", both encoded and signed with the fixed key;
// and every mode also feeds "aud\nexpectedPath" splits of the rest to audienceMatches.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/audience.h"
#include "auth/jwt.h"
#include "common/base64.h"
#include "common/crypto.h"

namespace {

constexpr std::string_view kKey = "fuzz-access-key-0123456789abcdefghijklmnopqrstuvwxyz";

void verify(std::string_view token) {
  wps::auth::JwtVerifyOptions options;
  options.keys = {std::string(kKey), "secondary-fuzz-key-0123456789abcdefghijklmnop"};
  options.now = wps::WallTime(std::chrono::seconds(1795834600));
  auto claims = wps::auth::verifyJwt(token, options);
  if (claims.isOk()) {
    wps::auth::AudienceOptions audience;
    (void)wps::auth::anyAudienceMatches(claims->audiences, "/client/hubs/chat", audience);
  } else if (claims.status().code() != wps::StatusCode::kUnauthenticated) {
    __builtin_trap();  // every failure must be kUnauthenticated
  }
}

void audiences(std::string_view text) {
  size_t nl = text.find('\n');
  std::string_view aud = text.substr(0, nl);
  std::string_view path = nl == std::string_view::npos ? "/client/hubs/chat" : text.substr(nl + 1);
  wps::auth::AudienceOptions plain;
  wps::auth::AudienceOptions strict;
  strict.pathPrefix = "/wps";
  strict.strictHost = true;
  strict.allowedAuthorities = {"localhost:8080", "example.com", "https://[::1]:443/x"};
  wps::auth::AudienceOptions prefixOnly;
  prefixOnly.pathPrefix = strict.pathPrefix;
  (void)wps::auth::audienceMatches(aud, path, plain);
  bool b = wps::auth::audienceMatches(aud, path, strict);
  bool c = wps::auth::audienceMatches(aud, path, prefixOnly);
  // The host check only ever narrows.
  if (b && !c) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) {
    verify("");
    return 0;
  }
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      verify(rest);
      break;
    case 1:
      verify(wps::auth::signJwt(rest, kKey));
      break;
    default: {
      size_t nl = rest.find('\n');
      std::string_view header = rest.substr(0, nl);
      std::string_view payload = nl == std::string_view::npos ? "" : rest.substr(nl + 1);
      std::string input = wps::base64UrlEncode(header) + "." + wps::base64UrlEncode(payload);
      verify(input + "." + wps::base64UrlEncode(wps::hmac(wps::HmacAlg::kSha256, kKey, input)));
      break;
    }
  }
  audiences(rest);
  return 0;
}
