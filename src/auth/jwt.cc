#include "auth/jwt.h"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <exception>

#include "common/base64.h"
#include "common/strings.h"

namespace wps::auth {
namespace {

namespace json = boost::json;

// Time values are clamped to +-2^62 and the skew to [0, 2^60] so that "exp + skew" and
// "now + skew" cannot overflow int64.
constexpr int64_t kTimeLimit = int64_t{1} << 62;
constexpr int64_t kSkewLimit = int64_t{1} << 60;

Status malformed(std::string_view what) {
  std::string message = "malformed token: ";
  message.append(what);
  return unauthenticated(std::move(message));
}

std::optional<json::value> parseJson(std::string_view text) {
  try {
    boost::system::error_code ec;
    json::value v = json::parse(json::string_view(text.data(), text.size()), ec);
    if (ec) return std::nullopt;
    return v;
  } catch (const std::exception&) {
    return std::nullopt;  // bad_alloc and friends: treat as unparseable, never propagate
  }
}

std::optional<HmacAlg> algorithmFromName(std::string_view name) {
  if (name == "HS256") return HmacAlg::kSha256;
  if (name == "HS384") return HmacAlg::kSha384;
  if (name == "HS512") return HmacAlg::kSha512;
  return std::nullopt;
}

const char* algorithmName(HmacAlg alg) {
  switch (alg) {
    case HmacAlg::kSha256:
      return "HS256";
    case HmacAlg::kSha384:
      return "HS384";
    case HmacAlg::kSha512:
      return "HS512";
  }
  return "HS256";
}

int64_t clampTime(int64_t v) {
  return std::clamp(v, -kTimeLimit, kTimeLimit);
}

// A JSON number as whole Unix seconds (floats floored); nullopt for any other kind.
std::optional<int64_t> numericSeconds(const json::value& v) {
  switch (v.kind()) {
    case json::kind::int64:
      return clampTime(v.get_int64());
    case json::kind::uint64:
      return v.get_uint64() > static_cast<uint64_t>(kTimeLimit)
                 ? kTimeLimit
                 : static_cast<int64_t>(v.get_uint64());
    case json::kind::double_: {
      double d = v.get_double();
      if (std::isnan(d)) return std::nullopt;
      d = std::floor(d);
      if (d >= static_cast<double>(kTimeLimit)) return kTimeLimit;
      if (d <= -static_cast<double>(kTimeLimit)) return -kTimeLimit;
      return static_cast<int64_t>(d);
    }
    default:
      return std::nullopt;
  }
}

void appendDouble(std::string& out, double d) {
  char buf[64];
  auto result = std::to_chars(buf, buf + sizeof buf, d);  // shortest round-trip form
  out.append(buf, result.ptr);
}

// Compact JSON text. Doubles use the shortest round-trip form; non-finite ones become null.
// Recursion depth is bounded by the parser's max_depth.
void appendCompactJson(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      out.append("null");
      break;
    case json::kind::bool_:
      out.append(v.get_bool() ? "true" : "false");
      break;
    case json::kind::int64:
      out.append(std::to_string(v.get_int64()));
      break;
    case json::kind::uint64:
      out.append(std::to_string(v.get_uint64()));
      break;
    case json::kind::double_:
      if (std::isfinite(v.get_double())) {
        appendDouble(out, v.get_double());
      } else {
        out.append("null");
      }
      break;
    case json::kind::string: {
      const json::string& s = v.get_string();
      appendJsonString(out, std::string_view(s.data(), s.size()));
      break;
    }
    case json::kind::array: {
      out.push_back('[');
      bool first = true;
      for (const json::value& item : v.get_array()) {
        if (!first) out.push_back(',');
        first = false;
        appendCompactJson(out, item);
      }
      out.push_back(']');
      break;
    }
    case json::kind::object: {
      out.push_back('{');
      bool first = true;
      for (const json::key_value_pair& kv : v.get_object()) {
        if (!first) out.push_back(',');
        first = false;
        appendJsonString(out, std::string_view(kv.key().data(), kv.key().size()));
        out.push_back(':');
        appendCompactJson(out, kv.value());
      }
      out.push_back('}');
      break;
    }
  }
}

// One claim value (or one array element) as a string. Null renders as "" here; a top-level
// null claim is handled by the caller (empty array).
std::string renderValue(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return std::string();
    case json::kind::bool_:
      return v.get_bool() ? "true" : "false";
    case json::kind::int64:
      return std::to_string(v.get_int64());
    case json::kind::uint64:
      return std::to_string(v.get_uint64());
    case json::kind::double_: {
      double d = v.get_double();
      if (std::isnan(d)) return "NaN";
      if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
      std::string out;
      appendDouble(out, d);
      return out;
    }
    case json::kind::string: {
      const json::string& s = v.get_string();
      return std::string(s.data(), s.size());
    }
    case json::kind::array:
    case json::kind::object: {
      std::string out;
      appendCompactJson(out, v);
      return out;
    }
  }
  return std::string();
}

std::vector<std::string> renderClaim(const json::value& v) {
  std::vector<std::string> out;
  if (v.is_null()) return out;
  if (const json::array* a = v.if_array()) {
    out.reserve(a->size());
    for (const json::value& item : *a)
      out.push_back(renderValue(item));
    return out;
  }
  out.push_back(renderValue(v));
  return out;
}

// Appends the string items of a string-or-array claim to `out`.
void collectStrings(const json::value& v, std::vector<std::string>& out, bool dropEmpty) {
  auto add = [&](const json::string& s) {
    if (dropEmpty && s.empty()) return;
    out.emplace_back(s.data(), s.size());
  };
  if (const json::string* s = v.if_string()) {
    add(*s);
  } else if (const json::array* a = v.if_array()) {
    for (const json::value& item : *a) {
      if (const json::string* s = item.if_string()) add(*s);
    }
  }
}

// The three dot-separated parts of a compact JWS, still base64url-encoded.
struct TokenParts {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
  std::string_view signingInput;  // header "." payload
};

// Splits `token` into its parts; nullopt unless it has exactly two dots.
std::optional<TokenParts> splitToken(std::string_view token) {
  size_t dot1 = token.find('.');
  if (dot1 == std::string_view::npos) return std::nullopt;
  size_t dot2 = token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  return TokenParts{token.substr(0, dot1), token.substr(dot1 + 1, dot2 - dot1 - 1),
                    token.substr(dot2 + 1), token.substr(0, dot2)};
}

// Sets `alg` to the algorithm named by the decoded JOSE header. Errors: "malformed token" unless
// the header is a JSON object, "unsupported algorithm" unless its "alg" is HS256/HS384/HS512.
Status readAlgorithm(std::string_view headerJson, HmacAlg& alg) {
  auto header = parseJson(headerJson);
  if (!header || !header->is_object()) return malformed("the header is not a JSON object");
  const json::value* algValue = header->get_object().if_contains("alg");
  if (algValue == nullptr || !algValue->is_string()) {
    return unauthenticated("unsupported algorithm");
  }
  const json::string& algName = algValue->get_string();
  auto named = algorithmFromName(std::string_view(algName.data(), algName.size()));
  if (!named) return unauthenticated("unsupported algorithm");
  alg = *named;
  return Status::ok();
}

// True when `signature` is the HMAC of `signingInput` with one of the non-empty `keys`. Every
// key is tried (no early exit), each comparison in constant time.
bool signatureMatches(HmacAlg alg, const std::vector<std::string>& keys,
                      std::string_view signingInput, std::string_view signature) {
  bool valid = false;
  for (const std::string& key : keys) {
    if (key.empty()) continue;
    if (constantTimeEquals(hmac(alg, key, signingInput), signature)) valid = true;
  }
  return valid;
}

// Fills `claims` from the payload object, in token order. Errors: exp or nbf not a number.
Status readClaims(const json::object& object, JwtClaims& claims) {
  claims.all.reserve(object.size());
  for (const json::key_value_pair& kv : object) {
    std::string_view name(kv.key().data(), kv.key().size());
    const json::value& value = kv.value();
    if (name == "sub") {
      if (const json::string* s = value.if_string(); s != nullptr && !s->empty()) {
        claims.sub.emplace(s->data(), s->size());
      }
    } else if (name == "role") {
      collectStrings(value, claims.roles, /*dropEmpty=*/true);
    } else if (name == "webpubsub.group") {
      collectStrings(value, claims.groups, /*dropEmpty=*/false);
    } else if (name == "aud") {
      collectStrings(value, claims.audiences, /*dropEmpty=*/false);
    } else if (name == "exp") {
      claims.exp = numericSeconds(value);
      if (!claims.exp) return malformed("exp is not a number");
    } else if (name == "nbf") {
      claims.nbf = numericSeconds(value);
      if (!claims.nbf) return malformed("nbf is not a number");
    } else if (name == "iat") {
      claims.iat = numericSeconds(value);  // informational; a non-number is ignored
    }
    claims.all.emplace_back(std::string(name), renderClaim(value));
  }
  return Status::ok();
}

// Checks exp (required when options.requireExp) and nbf against options.now, with the skew.
Status checkTimes(const JwtClaims& claims, const JwtVerifyOptions& options) {
  const int64_t now = clampTime(unixSeconds(options.now));
  const int64_t skew = std::clamp<int64_t>(options.clockSkew.count(), 0, kSkewLimit);
  if (!claims.exp) {
    if (options.requireExp) return unauthenticated("missing exp");
  } else if (now > *claims.exp + skew) {
    return unauthenticated("token expired");
  }
  if (claims.nbf && *claims.nbf > now + skew) return unauthenticated("token not yet valid");
  return Status::ok();
}

}  // namespace

StatusOr<JwtClaims> verifyJwt(std::string_view token, const JwtVerifyOptions& options) {
  if (token.size() > kMaxJwtSize) return malformed("the token is too large");
  const std::optional<TokenParts> parts = splitToken(token);
  if (!parts) return malformed("expected three parts");

  auto headerBytes = base64UrlDecode(parts->header);
  auto payloadBytes = base64UrlDecode(parts->payload);
  auto signature = base64UrlDecode(parts->signature);
  if (!headerBytes || !payloadBytes || !signature) return malformed("invalid base64url");

  HmacAlg alg = HmacAlg::kSha256;
  if (Status st = readAlgorithm(*headerBytes, alg); !st) return st;
  if (!signatureMatches(alg, options.keys, parts->signingInput, *signature)) {
    return unauthenticated("invalid signature");
  }

  auto payload = parseJson(*payloadBytes);
  if (!payload || !payload->is_object()) return malformed("the payload is not a JSON object");

  JwtClaims claims;
  if (Status st = readClaims(payload->get_object(), claims); !st) return st;
  if (Status st = checkTimes(claims, options); !st) return st;
  return claims;
}

std::string signJwt(std::string_view payloadJson, std::string_view key, HmacAlg alg) {
  std::string header = R"({"alg":")";
  header += algorithmName(alg);
  header += R"(","typ":"JWT"})";
  std::string token = base64UrlEncode(header);
  token.push_back('.');
  token += base64UrlEncode(payloadJson);
  std::string mac = hmac(alg, key, token);
  token.push_back('.');
  token += base64UrlEncode(mac);
  return token;
}

std::string buildClientTokenPayload(std::string_view audience, WallTime now,
                                    std::chrono::seconds lifetime,
                                    const std::optional<std::string>& userId,
                                    const std::vector<std::string>& roles,
                                    const std::vector<std::string>& groups) {
  const int64_t iat = unixSeconds(now);
  std::string out = R"({"aud":)";
  appendJsonString(out, audience);
  out += R"(,"iat":)";
  out += std::to_string(iat);
  out += R"(,"exp":)";
  out += std::to_string(iat + lifetime.count());
  if (userId && !userId->empty()) {
    out += R"(,"sub":)";
    appendJsonString(out, *userId);
  }
  auto appendArray = [&out](std::string_view name, const std::vector<std::string>& items) {
    if (items.empty()) return;
    out += ",";
    appendJsonString(out, name);
    out += ":[";
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out.push_back(',');
      appendJsonString(out, items[i]);
    }
    out.push_back(']');
  };
  appendArray("role", roles);
  appendArray("webpubsub.group", groups);
  out.push_back('}');
  return out;
}

}  // namespace wps::auth
