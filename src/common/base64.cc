#include "common/base64.h"

#include <array>
#include <cstdint>

namespace wps {
namespace {

constexpr char kStd[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void encodeInto(std::string& out, std::string_view in, const char* alphabet, bool pad) {
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  size_t n = in.size();
  out.reserve(out.size() + (n + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8) | p[i + 2];
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    out.push_back(alphabet[v & 63]);
  }
  size_t rest = n - i;
  if (rest == 1) {
    uint32_t v = uint32_t{p[i]} << 16;
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    if (pad) out.append("==");
  } else if (rest == 2) {
    uint32_t v = (uint32_t{p[i]} << 16) | (uint32_t{p[i + 1]} << 8);
    out.push_back(alphabet[(v >> 18) & 63]);
    out.push_back(alphabet[(v >> 12) & 63]);
    out.push_back(alphabet[(v >> 6) & 63]);
    if (pad) out.push_back('=');
  }
}

std::array<int8_t, 256> makeTable(const char* alphabet) {
  std::array<int8_t, 256> t{};
  t.fill(-1);
  for (int i = 0; i < 64; ++i)
    t[static_cast<unsigned char>(alphabet[i])] = static_cast<int8_t>(i);
  return t;
}

std::optional<std::string> decodeWith(std::string_view in, const std::array<int8_t, 256>& table,
                                      bool requirePad) {
  size_t padCount = 0;
  while (!in.empty() && in.back() == '=') {
    in.remove_suffix(1);
    ++padCount;
  }
  if (padCount > 2) return std::nullopt;
  size_t rem = in.size() % 4;
  if (rem == 1) return std::nullopt;
  if (requirePad) {
    size_t expectedPad = rem == 0 ? 0 : 4 - rem;
    if (padCount != expectedPad) return std::nullopt;
  } else if (padCount != 0 && (in.size() + padCount) % 4 != 0) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char ch : in) {
    int v = table[static_cast<unsigned char>(ch)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  // Leftover bits must be zero (canonical encoding).
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

}  // namespace

std::string base64Encode(std::string_view bytes) {
  std::string out;
  encodeInto(out, bytes, kStd, true);
  return out;
}

void appendBase64(std::string& out, std::string_view bytes) {
  encodeInto(out, bytes, kStd, true);
}

std::string base64UrlEncode(std::string_view bytes) {
  std::string out;
  encodeInto(out, bytes, kUrl, false);
  return out;
}

std::optional<std::string> base64Decode(std::string_view text) {
  static const auto table = makeTable(kStd);
  return decodeWith(text, table, true);
}

std::optional<std::string> base64UrlDecode(std::string_view text) {
  static const auto table = makeTable(kUrl);
  return decodeWith(text, table, false);
}

}  // namespace wps
