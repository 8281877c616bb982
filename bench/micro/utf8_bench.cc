// utf8-bench: UTF-8 validation throughput (docs/performance.md, "UTF-8 validation").
//
// Compares wps::isValidUtf8 and wps::Utf8Validator (src/common/utf8.h) with the three validators
// the project carried before they were merged into it, kept here as they were so that the
// comparison can be repeated:
//   old_strings   common/strings.cc isValidUtf8: decodes each code point, then range-checks it
//   old_websocket protocol/websocket Utf8Validator::feed: per-byte state machine
//   old_filter    filter/utf8.cc decodeAt in a loop: the filter's per-character decoder
// Inputs (all valid UTF-8, so every byte is examined): ASCII, mixed 1-3 byte text, and text
// dominated by 4-byte sequences, each of 100 B, 4 KiB and 1 MiB.
//
//   build/bin/utf8-bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/utf8.h"

namespace {

// ---- The replaced implementations -------------------------------------------------------------

// The old entry points are kept out of line, like the library functions they are compared with.
[[gnu::noinline]] bool oldStringsIsValid(std::string_view s) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(s.data());
  const unsigned char* end = p + s.size();
  while (p < end) {
    while (end - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      if (w & 0x8080808080808080ULL) break;
      p += 8;
    }
    if (p >= end) break;
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    size_t len;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (static_cast<size_t>(end - p) < len) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((p[k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[k] & 0x3F);
    }
    if (len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return false;
    if (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) return false;
    p += len;
  }
  return true;
}

// Returns the number of continuation bytes still expected, or -1 when invalid.
int oldWebSocketFeed(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const unsigned char* end = p + bytes.size();
  uint8_t needed = 0;
  uint8_t lo = 0x80;
  uint8_t hi = 0xBF;
  while (p < end) {
    if (needed == 0) {
      while (end - p >= 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        if (w & 0x8080808080808080ULL) break;
        p += 8;
      }
      if (p == end) break;
      const unsigned char c = *p++;
      if (c < 0x80) continue;
      lo = 0x80;
      hi = 0xBF;
      if (c >= 0xC2 && c <= 0xDF) {
        needed = 1;
      } else if (c >= 0xE0 && c <= 0xEF) {
        needed = 2;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
      } else if (c >= 0xF0 && c <= 0xF4) {
        needed = 3;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
      } else {
        return -1;
      }
    } else {
      const unsigned char c = *p++;
      if (c < lo || c > hi) return -1;
      --needed;
      lo = 0x80;
      hi = 0xBF;
    }
  }
  return needed;
}

struct OldDecoded {
  uint32_t codePoint;
  uint8_t length;
  bool valid;
};

OldDecoded oldFilterDecodeAt(std::string_view s, size_t pos) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = byte(pos);
  const OldDecoded invalid{c, 1, false};
  if (c < 0x80) return {c, 1, true};
  size_t length;
  uint32_t cp;
  uint32_t min;
  if (c >= 0xC2 && c <= 0xDF) {
    length = 2;
    cp = c & 0x1F;
    min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    length = 3;
    cp = c & 0x0F;
    min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    length = 4;
    cp = c & 0x07;
    min = 0x10000;
  } else {
    return invalid;
  }
  if (s.size() - pos < length) return invalid;
  for (size_t i = 1; i < length; ++i) {
    const unsigned char cc = byte(pos + i);
    if ((cc & 0xC0) != 0x80) return invalid;
    cp = (cp << 6) | (cc & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return invalid;
  return {cp, static_cast<uint8_t>(length), true};
}

[[gnu::noinline]] bool oldFilterIsValid(std::string_view s) {
  for (size_t pos = 0; pos < s.size();) {
    const OldDecoded d = oldFilterDecodeAt(s, pos);
    if (!d.valid) return false;
    pos += d.length;
  }
  return true;
}

// ---- Candidates under test ----------------------------------------------------------------------

bool newWhole(std::string_view s) {
  return wps::isValidUtf8(s);
}

bool newStream(std::string_view s) {
  wps::Utf8Validator v;
  return v.feed(s) && v.complete();
}

// The WebSocket codec's case: one message arriving in 1 KiB fragments.
bool newStreamFragments(std::string_view s) {
  wps::Utf8Validator v;
  for (size_t pos = 0; pos < s.size(); pos += 1024) {
    if (!v.feed(s.substr(pos, 1024))) return false;
  }
  return v.complete();
}

[[gnu::noinline]] bool oldWebSocket(std::string_view s) {
  return oldWebSocketFeed(s) == 0;
}

// ---- Inputs -------------------------------------------------------------------------------------

// Repeats `sample` (valid UTF-8) up to `size` bytes, cut at a character boundary.
std::string makeText(std::string_view sample, size_t size) {
  std::string out;
  while (out.size() < size)
    out += sample;
  size_t cut = size;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80)
    --cut;
  out.resize(cut);
  return out;
}

// Mixed Latin-1 supplement, Greek, Cyrillic, CJK and ASCII (1-3 byte characters).
constexpr std::string_view kMixed =
    "Gr\xC3\xBC\xC3\x9F"
    "e, \xCE\xBA\xCF\x8C\xCF\x83\xCE\xBC\xCE\xB5 "
    "\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 \xE4\xBD\xA0\xE5\xA5\xBD"
    "\xE4\xB8\x96\xE7\x95\x8C \xE2\x82\xAC 42; ";
// Emoji and other supplementary characters with a little ASCII in between.
constexpr std::string_view kFourByte =
    "\xF0\x9F\x98\x80\xF0\x9F\x8E\x89\xF0\x9F\x9A\x80 \xF0\x9D\x84\x9E\xF0\x90\x8D\x88"
    "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD\xF4\x8F\xBF\xBF ok ";
constexpr std::string_view kAscii = "The quick brown fox jumps over the lazy dog 0123456789. ";

template <bool (*Validate)(std::string_view)>
void run(benchmark::State& state, std::string_view sample) {
  const std::string text = makeText(sample, static_cast<size_t>(state.range(0)));
  if (!Validate(text)) state.SkipWithError("the input was rejected");
  for (auto _ : state) {
    bool ok = Validate(text);
    benchmark::DoNotOptimize(ok);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
}

template <bool (*Validate)(std::string_view)>
void registerAll(const char* name) {
  const std::pair<const char*, std::string_view> inputs[] = {
      {"ascii", kAscii}, {"mixed", kMixed}, {"4byte", kFourByte}};
  for (const auto& [input, sample] : inputs) {
    benchmark::RegisterBenchmark((std::string(name) + "/" + input).c_str(), run<Validate>, sample)
        ->Arg(100)
        ->Arg(4096)
        ->Arg(1 << 20);
  }
}

}  // namespace

int main(int argc, char** argv) {
  registerAll<newWhole>("isValidUtf8");
  registerAll<newStream>("Utf8Validator");
  registerAll<newStreamFragments>("Utf8Validator_1KiB_pieces");
  registerAll<oldStringsIsValid>("old_strings");
  registerAll<oldWebSocket>("old_websocket");
  registerAll<oldFilterIsValid>("old_filter");
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
