// Compact-JWS (JWT) verification and signing with HMAC keys: client access tokens
// (client-protocols.md §2) and REST bearer tokens (rest-api.md §3.1). Our own implementation;
// only HS256, HS384 and HS512 exist here.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/crypto.h"
#include "common/status.h"
#include "common/time.h"

namespace wps::auth {

// Tokens longer than this are rejected as malformed before any decoding.
inline constexpr size_t kMaxJwtSize = 16 * 1024;

// How verifyJwt() checks a token. Plain value; read-only during the call, no thread affinity.
struct JwtVerifyOptions {
  // HMAC keys, used as their UTF-8 bytes (never base64-decoded). A signature made with any of
  // them is accepted (primary/secondary key rotation). Empty keys are never accepted.
  std::vector<std::string> keys;
  // Tolerance applied to exp and nbf.
  std::chrono::seconds clockSkew{300};
  // The current wall time (the caller's clock, so tests control it).
  WallTime now;
  // When true a token without exp is rejected.
  bool requireExp = true;
};

// The claims of a verified token. Plain value, owned by the caller; no thread affinity.
struct JwtClaims {
  // "sub" when it is a non-empty string; otherwise nullopt (no user id).
  std::optional<std::string> sub;
  // "role": an array of strings or a single string. Empty strings are dropped, non-string
  // array items ignored.
  std::vector<std::string> roles;
  // "webpubsub.group": an array of strings or a single string, kept as given (group-name
  // validation is the caller's job). Non-string array items are ignored.
  std::vector<std::string> groups;
  // "aud": a string, or the string items of an array.
  std::vector<std::string> audiences;
  // Numeric time claims in Unix seconds (floats are floored, values clamped to +-2^62).
  std::optional<int64_t> exp, nbf, iat;
  // Every claim in token order, each rendered as an array of strings for forwarding to the
  // upstream: strings as-is, integers in decimal, other numbers in shortest round-trip form,
  // booleans "true"/"false", null as an empty array, arrays as one entry per element (nested
  // arrays and objects as compact JSON text), objects as one entry of compact JSON text.
  // A claim repeated in the token appears once, at its first position, with its last value.
  std::vector<std::pair<std::string, std::vector<std::string>>> all;
};

// Verifies a compact JWS `token` and returns its claims.
// Success: signature valid with one of options.keys, alg HS256/HS384/HS512, header and payload
// JSON objects, exp present (when options.requireExp) and now <= exp + skew, nbf (when present)
// <= now + skew. The audience is NOT checked here (see audience.h).
// Errors (all StatusCode::kUnauthenticated, messages never contain the token, keys or
// signature): "malformed token: ..." (size > kMaxJwtSize, not three base64url parts, JSON
// invalid or not an object, exp/nbf not a number), "unsupported algorithm" (none, RS*, ES*,
// PS*, missing or non-string alg), "invalid signature", "missing exp", "token expired",
// "token not yet valid". The signature is compared in constant time.
// Never throws and never crashes on any input (fuzzed). Thread-safe (pure function).
StatusOr<JwtClaims> verifyJwt(std::string_view token, const JwtVerifyOptions& options);

// Signs `payloadJson` (used verbatim; the caller guarantees it is a JSON object) with `key`'s
// bytes: base64url(header) "." base64url(payload) "." base64url(HMAC), without padding, header
// {"alg":"HS256","typ":"JWT"} (HS384/HS512 for the other algorithms). Pure; thread-safe.
std::string signJwt(std::string_view payloadJson, std::string_view key,
                    HmacAlg alg = HmacAlg::kSha256);

// Builds the claims of a client access token (rest-api.md §6.25, §8.3):
// {"aud":audience,"iat":now,"exp":now+lifetime,"sub":userId,"role":[...],"webpubsub.group":[...]}
// with "sub" only when userId is non-empty and "role"/"webpubsub.group" only when non-empty.
// Strings are JSON-escaped. Pure; thread-safe.
std::string buildClientTokenPayload(std::string_view audience, WallTime now,
                                    std::chrono::seconds lifetime,
                                    const std::optional<std::string>& userId,
                                    const std::vector<std::string>& roles,
                                    const std::vector<std::string>& groups);

}  // namespace wps::auth
