#include "protocol/websocket/parser.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "protocol/websocket/frame.h"
#include "protocol/websocket/recording_sink.h"

namespace wps::ws {
namespace {

using wstest::binary;
using wstest::closeEvent;
using wstest::Event;
using wstest::ping;
using wstest::pong;
using wstest::RecordingSink;
using wstest::text;

const uint8_t kKey[4] = {0x37, 0xfa, 0x21, 0x3d};

std::string bytes(std::initializer_list<uint8_t> b) {
  return std::string(b.begin(), b.end());
}

// Builds a frame by hand (independently of encodeFrameHeader, and able to produce frames the
// encoder refuses): `b0` is the complete first byte (FIN, RSV, opcode); masked when `key`.
std::string buildFrame(uint8_t b0, std::string_view payload, const uint8_t* key) {
  std::string out(1, static_cast<char>(b0));
  const uint8_t maskBit = key ? 0x80 : 0;
  const uint64_t n = payload.size();
  if (n <= 125) {
    out.push_back(static_cast<char>(maskBit | n));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(maskBit | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n));
  } else {
    out.push_back(static_cast<char>(maskBit | 127));
    for (int i = 7; i >= 0; --i)
      out.push_back(static_cast<char>(n >> (8 * i)));
  }
  std::string body(payload);
  if (key) {
    out.append(reinterpret_cast<const char*>(key), 4);
    for (size_t i = 0; i < body.size(); ++i)
      body[i] = static_cast<char>(body[i] ^ key[i % 4]);
  }
  return out + body;
}

uint8_t firstByte(Opcode op, bool fin) {
  return static_cast<uint8_t>((fin ? 0x80 : 0) | static_cast<uint8_t>(op));
}
// Client→server frame (masked).
std::string cf(Opcode op, std::string_view payload, bool fin = true) {
  return buildFrame(firstByte(op, fin), payload, kKey);
}
// Server→client frame (unmasked).
std::string sf(Opcode op, std::string_view payload, bool fin = true) {
  return buildFrame(firstByte(op, fin), payload, nullptr);
}

struct Result {
  std::vector<Event> events;
  std::optional<ParseError> error;
  size_t leftover = 0;  // unconsumed bytes at the end
};

// Feeds `wire` in chunks of `chunk` bytes the way a connection does: appends what arrived to
// the kept tail, parses, and drops what was consumed.
Result feed(Role role, const std::string& wire, size_t chunk = SIZE_MAX, ParserLimits limits = {}) {
  MessageParser parser(role, limits);
  RecordingSink sink;
  std::string buffer;
  Result result;
  size_t pos = 0;
  do {
    const size_t n = std::min(chunk, wire.size() - pos);
    buffer.append(wire, pos, n);
    pos += n;
    size_t consumed = 12345;
    result.error = parser.parse(buffer.data(), buffer.size(), &consumed, sink);
    EXPECT_LE(consumed, buffer.size());
    buffer.erase(0, consumed);
    if (result.error) break;
  } while (pos < wire.size());
  result.events = sink.events;
  result.leftover = buffer.size();
  return result;
}

// Asserts that `wire` fails with `code`, both all at once and byte at a time, after delivering
// `before` events.
void expectError(Role role, const std::string& wire, uint16_t code,
                 const std::vector<Event>& before = {}, ParserLimits limits = {}) {
  for (size_t chunk : {SIZE_MAX, size_t{1}}) {
    SCOPED_TRACE(chunk == 1 ? "byte at a time" : "all at once");
    const Result r = feed(role, wire, chunk, limits);
    ASSERT_TRUE(r.error.has_value());
    EXPECT_EQ(r.error->closeCode, code) << r.error->reason;
    EXPECT_FALSE(r.error->reason.empty());
    EXPECT_LE(r.error->reason.size(), 123u);
    EXPECT_EQ(r.events, before);
  }
}

// --- RFC 6455 §5.7 examples -----------------------------------------------------------------

TEST(Parser, RfcSingleFrameUnmaskedText) {
  std::string wire = bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  MessageParser parser(Role::kClient);
  RecordingSink sink;
  size_t consumed = 0;
  EXPECT_FALSE(parser.parse(wire.data(), wire.size(), &consumed, sink));
  EXPECT_EQ(consumed, 7u);
  EXPECT_EQ(sink.events, std::vector<Event>{text("Hello")});
  EXPECT_EQ(sink.lastPayloadData, wire.data() + 2);  // zero copy
}

TEST(Parser, RfcSingleFrameMaskedTextIsUnmaskedInPlace) {
  std::string wire = bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  MessageParser parser(Role::kServer);
  RecordingSink sink;
  size_t consumed = 0;
  EXPECT_FALSE(parser.parse(wire.data(), wire.size(), &consumed, sink));
  EXPECT_EQ(consumed, 11u);
  EXPECT_EQ(sink.events, std::vector<Event>{text("Hello")});
  EXPECT_EQ(sink.lastPayloadData, wire.data() + 6);  // zero copy
  EXPECT_EQ(wire.substr(6), "Hello");
}

TEST(Parser, RfcFragmentedUnmaskedText) {
  const std::string wire = bytes({0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f});
  const Result r = feed(Role::kClient, wire);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.events, std::vector<Event>{text("Hello")});
  EXPECT_EQ(r.leftover, 0u);
}

TEST(Parser, RfcPingAndMaskedPong) {
  const Result unmaskedPing =
      feed(Role::kClient, bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f}));
  EXPECT_EQ(unmaskedPing.events, std::vector<Event>{ping("Hello")});
  const Result maskedPong = feed(
      Role::kServer, bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58}));
  EXPECT_EQ(maskedPong.events, std::vector<Event>{pong("Hello")});
}

TEST(Parser, RfcBinaryLengths256And64KiB) {
  std::string p256(256, '\0');
  for (size_t i = 0; i < p256.size(); ++i)
    p256[i] = static_cast<char>(i);
  const std::string w256 = bytes({0x82, 0x7E, 0x01, 0x00}) + p256;
  EXPECT_EQ(feed(Role::kClient, w256).events, std::vector<Event>{binary(p256)});

  std::string p64k(65536, '\0');
  for (size_t i = 0; i < p64k.size(); ++i)
    p64k[i] = static_cast<char>(i * 31);
  const std::string w64k =
      bytes({0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00}) + p64k;
  EXPECT_EQ(feed(Role::kClient, w64k).events, std::vector<Event>{binary(p64k)});
}

// --- Incremental feeding ----------------------------------------------------------------------

TEST(Parser, IncompleteFrameIsNotConsumed) {
  std::string wire = cf(Opcode::kText, "Hello") + cf(Opcode::kBinary, "abc");
  MessageParser parser(Role::kServer);
  RecordingSink sink;
  size_t consumed = 99;
  // Only part of the first frame.
  EXPECT_FALSE(parser.parse(wire.data(), 7, &consumed, sink));
  EXPECT_EQ(consumed, 0u);
  EXPECT_TRUE(sink.events.empty());
  // First frame complete, second one partial.
  EXPECT_FALSE(parser.parse(wire.data(), 11 + 3, &consumed, sink));
  EXPECT_EQ(consumed, 11u);
  EXPECT_EQ(sink.events, std::vector<Event>{text("Hello")});
  // The rest.
  std::string tail = wire.substr(11);
  EXPECT_FALSE(parser.parse(tail.data(), tail.size(), &consumed, sink));
  EXPECT_EQ(consumed, tail.size());
  EXPECT_EQ(sink.events, (std::vector<Event>{text("Hello"), binary("abc")}));
}

// A stream exercising every event kind, all length encodings and fragmentation.
std::string mixedStream(bool masked, std::vector<Event>* expected) {
  auto f = [masked](Opcode op, std::string_view p, bool fin = true) {
    return masked ? cf(op, p, fin) : sf(op, p, fin);
  };
  const std::string big(70000, 'B');
  const std::string mid(300, 'm');
  std::string wire;
  wire += f(Opcode::kText, "Hello");
  wire += f(Opcode::kBinary, "");
  wire += f(Opcode::kText, "\xE2\x82", false);  // "€" split across fragments
  wire += f(Opcode::kPing, "p1");
  wire += f(Opcode::kContinuation, "\xAC and more", false);
  wire += f(Opcode::kPong, "");
  wire += f(Opcode::kContinuation, "", true);
  wire += f(Opcode::kBinary, mid);
  wire += f(Opcode::kBinary, big.substr(0, 65536), false);
  wire += f(Opcode::kContinuation, big.substr(65536), true);
  wire += f(Opcode::kText, "");
  wire += f(Opcode::kClose, bytes({0x03, 0xE8}) + "bye");
  *expected = {text("Hello"),
               binary(""),
               ping("p1"),
               pong(""),
               text("\xE2\x82\xAC and more"),
               binary(mid),
               binary(big),
               text(""),
               closeEvent(1000, "bye")};
  return wire;
}

TEST(Parser, ByteAtATimeEqualsAllAtOnce) {
  for (Role role : {Role::kServer, Role::kClient}) {
    std::vector<Event> expected;
    const std::string wire = mixedStream(role == Role::kServer, &expected);
    const Result whole = feed(role, wire);
    EXPECT_FALSE(whole.error);
    EXPECT_EQ(whole.events, expected);
    EXPECT_EQ(whole.leftover, 0u);
    const Result bytewise = feed(role, wire, 1);
    EXPECT_FALSE(bytewise.error);
    EXPECT_EQ(bytewise.events, expected);
    EXPECT_EQ(bytewise.leftover, 0u);
  }
}

TEST(Parser, RandomChunkSizesEqualAllAtOnce) {
  std::vector<Event> expected;
  const std::string wire = mixedStream(true, &expected);
  for (size_t chunk : {2u, 3u, 7u, 13u, 126u, 1000u, 65537u}) {
    const Result r = feed(Role::kServer, wire, chunk);
    EXPECT_FALSE(r.error) << chunk;
    EXPECT_EQ(r.events, expected) << chunk;
  }
}

TEST(Parser, ControlFramesInterleavedInFragmentedMessageAreDeliveredImmediately) {
  MessageParser parser(Role::kServer);
  RecordingSink sink;
  size_t consumed = 0;
  std::string part1 = cf(Opcode::kBinary, "abc", false) + cf(Opcode::kPing, "now");
  EXPECT_FALSE(parser.parse(part1.data(), part1.size(), &consumed, sink));
  EXPECT_EQ(consumed, part1.size());
  EXPECT_EQ(sink.events, std::vector<Event>{ping("now")});  // before the message completes
  EXPECT_EQ(parser.pendingFragmentBytes(), 3u);

  std::string part2 = cf(Opcode::kContinuation, "de", false) + cf(Opcode::kPong, "") +
                      cf(Opcode::kContinuation, "f", true);
  EXPECT_FALSE(parser.parse(part2.data(), part2.size(), &consumed, sink));
  EXPECT_EQ(consumed, part2.size());
  EXPECT_EQ(sink.events, (std::vector<Event>{ping("now"), pong(""), binary("abcdef")}));
  EXPECT_EQ(parser.pendingFragmentBytes(), 0u);
}

TEST(Parser, NonMinimalLengthEncodingIsAccepted) {
  // "Hi" with a 16-bit length and with a 64-bit length.
  const std::string w16 = bytes({0x81, 0x7E, 0x00, 0x02}) + "Hi";
  const std::string w64 = bytes({0x82, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0x02}) + "Hi";
  EXPECT_EQ(feed(Role::kClient, w16 + w64).events, (std::vector<Event>{text("Hi"), binary("Hi")}));
}

// --- Errors ------------------------------------------------------------------------------------

TEST(ParserErrors, ReservedBits) {
  for (uint8_t rsv : {0x40, 0x20, 0x10, 0x70}) {
    SCOPED_TRACE(int(rsv));
    expectError(Role::kServer, buildFrame(0x81 | rsv, "x", kKey), 1002);
    expectError(Role::kClient, buildFrame(0x82 | rsv, "x", nullptr), 1002);
  }
}

TEST(ParserErrors, UnknownOpcodes) {
  for (uint8_t op : {3, 4, 5, 6, 7, 11, 12, 13, 14, 15}) {
    SCOPED_TRACE(int(op));
    expectError(Role::kServer, buildFrame(0x80 | op, "", kKey), 1002);
  }
}

TEST(ParserErrors, WrongMaskingForRole) {
  expectError(Role::kServer, sf(Opcode::kText, "unmasked"), 1002);
  expectError(Role::kServer, sf(Opcode::kPing, ""), 1002);
  expectError(Role::kClient, cf(Opcode::kText, "masked"), 1002);
  expectError(Role::kClient, cf(Opcode::kClose, ""), 1002);
}

TEST(ParserErrors, ControlFrameTooLong) {
  expectError(Role::kServer, cf(Opcode::kPing, std::string(126, 'p')), 1002);
  expectError(Role::kServer, cf(Opcode::kClose, bytes({0x03, 0xE8}) + std::string(124, 'r')), 1002);
  // Exactly 125 is fine.
  const std::string ok = std::string(125, 'p');
  EXPECT_EQ(feed(Role::kServer, cf(Opcode::kPong, ok)).events, std::vector<Event>{pong(ok)});
}

TEST(ParserErrors, FragmentedControlFrame) {
  expectError(Role::kServer, cf(Opcode::kPing, "a", false), 1002);
  expectError(Role::kServer, cf(Opcode::kClose, "", false), 1002);
}

TEST(ParserErrors, ContinuationWithoutMessage) {
  expectError(Role::kServer, cf(Opcode::kContinuation, "x"), 1002);
  expectError(Role::kServer, cf(Opcode::kText, "whole") + cf(Opcode::kContinuation, "x"), 1002,
              {text("whole")});
}

TEST(ParserErrors, NewDataFrameWhileFragmentedMessageInProgress) {
  expectError(Role::kServer, cf(Opcode::kText, "a", false) + cf(Opcode::kText, "b"), 1002);
  expectError(Role::kServer, cf(Opcode::kBinary, "a", false) + cf(Opcode::kBinary, "b", false),
              1002);
}

TEST(ParserErrors, LengthWithMostSignificantBitSet) {
  const std::string header = bytes({0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0x01}) +
                             std::string(reinterpret_cast<const char*>(kKey), 4);
  expectError(Role::kServer, header, 1002);
  // Only the 10 bytes of header+length are needed to see it.
  expectError(Role::kServer, header.substr(0, 10), 1002);
}

TEST(ParserErrors, OversizeDetectedFromHeaderAlone) {
  const ParserLimits limits{1000};
  // Header only (no payload at all): 16-bit and 64-bit length encodings.
  expectError(Role::kServer, cf(Opcode::kBinary, std::string(1001, 'x')).substr(0, 8), 1009, {},
              limits);
  expectError(Role::kServer, bytes({0x81, 0xFF, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00}),
              1009, {}, limits);
  // Exactly the limit is accepted.
  const std::string exact(1000, 'x');
  EXPECT_EQ(feed(Role::kServer, cf(Opcode::kBinary, exact), SIZE_MAX, limits).events,
            std::vector<Event>{binary(exact)});
}

TEST(ParserErrors, OversizeAcrossFragmentsDetectedFromHeader) {
  const ParserLimits limits{1000};
  const std::string first = cf(Opcode::kText, std::string(600, 'a'), false);
  const std::string second = cf(Opcode::kContinuation, std::string(401, 'b'), true);
  // The continuation's header alone (4 bytes + mask) suffices.
  expectError(Role::kServer, first + second.substr(0, 8), 1009, {}, limits);
  // 600 + 400 is exactly the limit.
  const std::string fits = cf(Opcode::kContinuation, std::string(400, 'b'), true);
  const Result r = feed(Role::kServer, first + fits, SIZE_MAX, limits);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.events, std::vector<Event>{text(std::string(600, 'a') + std::string(400, 'b'))});
}

TEST(ParserErrors, OversizeErrorReturnedBeforePayloadArrives) {
  MessageParser parser(Role::kServer, ParserLimits{100});
  RecordingSink sink;
  std::string header = cf(Opcode::kBinary, std::string(101, 'x')).substr(0, 8);
  size_t consumed = 99;
  const auto err = parser.parse(header.data(), header.size(), &consumed, sink);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->closeCode, 1009);
  EXPECT_EQ(consumed, 0u);
}

TEST(ParserErrors, InvalidUtf8InSingleFrame) {
  expectError(Role::kServer, cf(Opcode::kText, "bad \xC3\x28"), 1007);
  expectError(Role::kServer, cf(Opcode::kText, "\xED\xA0\x80"), 1007);  // surrogate
  // Binary messages are not checked.
  EXPECT_EQ(feed(Role::kServer, cf(Opcode::kBinary, "\xFF")).events,
            std::vector<Event>{binary("\xFF")});
}

TEST(ParserErrors, InvalidUtf8SplitAcrossFragmentsFailsOnTheOffendingFragment) {
  // "\xF4" then "\x90": the second fragment makes the sequence invalid; detected before FIN.
  const std::string wire =
      cf(Opcode::kText, "ok\xF4", false) + cf(Opcode::kContinuation, "\x90", false);
  expectError(Role::kServer, wire, 1007);
  // A sequence left unfinished at the end of the message.
  expectError(Role::kServer,
              cf(Opcode::kText, "ok\xE2", false) + cf(Opcode::kContinuation, "\x82", true), 1007);
}

TEST(ParserErrors, ValidMultiByteCharacterSplitAcrossFragments) {
  const std::string wire = cf(Opcode::kText, "\xF0\x9F", false) +
                           cf(Opcode::kContinuation, "\x98", false) +
                           cf(Opcode::kContinuation, "\x80!", true);
  for (size_t chunk : {SIZE_MAX, size_t{1}}) {
    const Result r = feed(Role::kServer, wire, chunk);
    EXPECT_FALSE(r.error);
    EXPECT_EQ(r.events, std::vector<Event>{text("\xF0\x9F\x98\x80!")});
  }
}

TEST(ParserErrors, CloseWithOneBytePayload) {
  expectError(Role::kServer, cf(Opcode::kClose, "\x03"), 1002);
}

TEST(ParserErrors, CloseWithInvalidCode) {
  for (uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}) {
    SCOPED_TRACE(code);
    std::string payload = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    expectError(Role::kServer, cf(Opcode::kClose, payload), 1002);
  }
}

TEST(ParserErrors, CloseReasonNotUtf8) {
  expectError(Role::kServer, cf(Opcode::kClose, bytes({0x03, 0xE8}) + "bad\xFF"), 1007);
}

TEST(ParserErrors, ErrorIsStickyAndStopsAfterEarlierEvents) {
  MessageParser parser(Role::kServer);
  RecordingSink sink;
  const std::string good = cf(Opcode::kText, "one");
  std::string wire = good + buildFrame(0xC1, "x", kKey) + cf(Opcode::kText, "never");
  size_t consumed = 0;
  auto err = parser.parse(wire.data(), wire.size(), &consumed, sink);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->closeCode, 1002);
  EXPECT_EQ(err->reason, "Invalid WebSocket frame: reserved bits set.");
  EXPECT_EQ(consumed, good.size());
  EXPECT_EQ(sink.events, std::vector<Event>{text("one")});
  // Further calls keep failing and deliver nothing.
  std::string more = cf(Opcode::kText, "later");
  err = parser.parse(more.data(), more.size(), &consumed, sink);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->closeCode, 1002);
  EXPECT_EQ(consumed, 0u);
  EXPECT_EQ(sink.events.size(), 1u);
  // reset() makes the parser usable again.
  parser.reset();
  EXPECT_FALSE(parser.parse(more.data(), more.size(), &consumed, sink));
  EXPECT_EQ(sink.events.back(), text("later"));
}

// --- Close handling -----------------------------------------------------------------------------

TEST(Parser, CloseVariants) {
  EXPECT_EQ(feed(Role::kServer, cf(Opcode::kClose, "")).events,
            std::vector<Event>{closeEvent(std::nullopt, "")});
  EXPECT_EQ(feed(Role::kServer, cf(Opcode::kClose, bytes({0x03, 0xE8}))).events,
            std::vector<Event>{closeEvent(1000, "")});
  for (uint16_t code : {1001, 1003, 1007, 1011, 1012, 1014, 3000, 4999}) {
    std::string payload = {static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
    EXPECT_EQ(feed(Role::kClient, sf(Opcode::kClose, payload + "r\xC3\xA4")).events,
              std::vector<Event>{closeEvent(code, "r\xC3\xA4")});
  }
}

TEST(Parser, StopsAfterClose) {
  MessageParser parser(Role::kServer);
  RecordingSink sink;
  const std::string close = cf(Opcode::kClose, bytes({0x03, 0xE8}) + "bye");
  std::string wire = cf(Opcode::kBinary, "a", false) + close + cf(Opcode::kText, "after");
  size_t consumed = 0;
  EXPECT_FALSE(parser.parse(wire.data(), wire.size(), &consumed, sink));
  EXPECT_EQ(consumed, wire.size() - cf(Opcode::kText, "after").size());
  EXPECT_EQ(sink.events, std::vector<Event>{closeEvent(1000, "bye")});
  EXPECT_TRUE(parser.closeReceived());
  EXPECT_EQ(parser.pendingFragmentBytes(), 0u);  // the unfinished message was dropped
  // Later bytes are discarded, even garbage.
  std::string garbage = "\xFF\xFF\xFF";
  EXPECT_FALSE(parser.parse(garbage.data(), garbage.size(), &consumed, sink));
  EXPECT_EQ(consumed, garbage.size());
  EXPECT_EQ(sink.events.size(), 1u);

  // An empty close frame in the middle of a fragmented message, too.
  MessageParser parser2(Role::kClient);
  std::string wire2 = sf(Opcode::kText, "abc", false) + sf(Opcode::kClose, "") + "\xFF";
  EXPECT_FALSE(parser2.parse(wire2.data(), wire2.size(), &consumed, sink));
  EXPECT_EQ(consumed, wire2.size() - 1);
  EXPECT_EQ(sink.events.back(), closeEvent(std::nullopt, ""));
  EXPECT_TRUE(parser2.closeReceived());
  EXPECT_EQ(parser2.pendingFragmentBytes(), 0u);
}

TEST(Parser, ResetForgetsMessageInProgress) {
  MessageParser parser(Role::kServer);
  RecordingSink sink;
  std::string first = cf(Opcode::kText, "abc", false);
  size_t consumed = 0;
  EXPECT_FALSE(parser.parse(first.data(), first.size(), &consumed, sink));
  EXPECT_EQ(parser.pendingFragmentBytes(), 3u);
  parser.reset();
  EXPECT_EQ(parser.pendingFragmentBytes(), 0u);
  // A continuation is now unexpected, and a new text frame is fine.
  std::string cont = cf(Opcode::kContinuation, "d");
  EXPECT_TRUE(parser.parse(cont.data(), cont.size(), &consumed, sink));
  parser.reset();
  std::string fresh = cf(Opcode::kText, "new");
  EXPECT_FALSE(parser.parse(fresh.data(), fresh.size(), &consumed, sink));
  EXPECT_EQ(sink.events, std::vector<Event>{text("new")});
}

// --- minimumBytesForNextFrame ---------------------------------------------------------------

TEST(Parser, MinimumBytesForNextFrame) {
  MessageParser parser(Role::kServer);
  const std::string small = cf(Opcode::kText, "Hello");                  // 2 + 4 + 5
  const std::string mid = cf(Opcode::kBinary, std::string(300, 'm'));    // 4 + 4 + 300
  const std::string big = cf(Opcode::kBinary, std::string(70000, 'b'));  // 10 + 4 + 70000
  EXPECT_EQ(parser.minimumBytesForNextFrame(small.data(), 0), 2u);
  EXPECT_EQ(parser.minimumBytesForNextFrame(small.data(), 1), 2u);
  EXPECT_EQ(parser.minimumBytesForNextFrame(small.data(), 2), 6u);  // masked header
  EXPECT_EQ(parser.minimumBytesForNextFrame(small.data(), 5), 6u);
  EXPECT_EQ(parser.minimumBytesForNextFrame(small.data(), 6), 11u);
  EXPECT_EQ(parser.minimumBytesForNextFrame(small.data(), 11), 11u);
  EXPECT_EQ(parser.minimumBytesForNextFrame(mid.data(), 2), 8u);  // header size only
  EXPECT_EQ(parser.minimumBytesForNextFrame(mid.data(), 3), 8u);
  EXPECT_EQ(parser.minimumBytesForNextFrame(mid.data(), 4), 8u);
  EXPECT_EQ(parser.minimumBytesForNextFrame(mid.data(), 8), 308u);
  EXPECT_EQ(parser.minimumBytesForNextFrame(big.data(), 9), 14u);
  EXPECT_EQ(parser.minimumBytesForNextFrame(big.data(), 14), 70014u);
  const std::string huge = bytes({0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF});
  EXPECT_EQ(parser.minimumBytesForNextFrame(huge.data(), huge.size()),
            size_t{0x7FFFFFFFFFFFFFFF} + 10);
}

TEST(Parser, MinimumBytesOfValidatedTailIsBoundedByLimit) {
  MessageParser parser(Role::kServer, ParserLimits{500});
  RecordingSink sink;
  std::string wire = cf(Opcode::kText, "a") + cf(Opcode::kBinary, std::string(500, 'x'));
  size_t consumed = 0;
  // Everything except the last payload byte.
  EXPECT_FALSE(parser.parse(wire.data(), wire.size() - 1, &consumed, sink));
  const size_t tail = wire.size() - 1 - consumed;
  EXPECT_EQ(parser.minimumBytesForNextFrame(wire.data() + consumed, tail), tail + 1);
  EXPECT_LE(parser.minimumBytesForNextFrame(wire.data() + consumed, tail),
            kMaxFrameHeaderBytes + 500);
}

// --- Round trip with the encoder ------------------------------------------------------------

TEST(Parser, EncodeParseRoundTrip) {
  for (size_t length : {0u, 1u, 125u, 126u, 127u, 65535u, 65536u, 100000u}) {
    std::string payload(length, '\0');
    for (size_t i = 0; i < length; ++i)
      payload[i] = static_cast<char>('a' + i % 26);
    for (Opcode op : {Opcode::kText, Opcode::kBinary}) {
      const Event expected = op == Opcode::kText ? text(payload) : binary(payload);
      // Client → server (masked).
      const std::string up = encodeFrame(op, payload, kKey);
      const Result server = feed(Role::kServer, up);
      EXPECT_FALSE(server.error) << length;
      EXPECT_EQ(server.events, std::vector<Event>{expected}) << length;
      EXPECT_EQ(server.leftover, 0u);
      // Server → client (unmasked).
      const std::string down = encodeFrame(op, payload);
      const Result client = feed(Role::kClient, down);
      EXPECT_FALSE(client.error) << length;
      EXPECT_EQ(client.events, std::vector<Event>{expected}) << length;
      EXPECT_EQ(client.leftover, 0u);
    }
  }
}

TEST(Parser, RoundTripFragmentedWithEncodeFrameHeader) {
  std::mt19937 rng(3);
  std::string payload(5000, '\0');
  for (char& c : payload)
    c = static_cast<char>(rng());
  std::string wire;
  size_t pos = 0;
  bool first = true;
  while (pos < payload.size()) {
    const size_t n = std::min<size_t>(1 + rng() % 700, payload.size() - pos);
    const bool fin = pos + n == payload.size();
    uint8_t header[kMaxFrameHeaderBytes];
    const size_t h =
        encodeFrameHeader(header, first ? Opcode::kBinary : Opcode::kContinuation, fin, n, kKey);
    std::string body = payload.substr(pos, n);
    applyMask(body.data(), body.size(), kKey);
    wire.append(reinterpret_cast<char*>(header), h);
    wire += body;
    pos += n;
    first = false;
  }
  for (size_t chunk : {SIZE_MAX, size_t{1}, size_t{333}}) {
    const Result r = feed(Role::kServer, wire, chunk);
    EXPECT_FALSE(r.error);
    EXPECT_EQ(r.events, std::vector<Event>{binary(payload)});
  }
}

}  // namespace
}  // namespace wps::ws
