// RFC 6455 §4 opening-handshake helpers: Sec-WebSocket-Key / Sec-WebSocket-Accept,
// Sec-WebSocket-Protocol lists and comma-separated header tokens. The HTTP exchange itself is
// done by the transport layer. All functions are pure except makeClientKey() (randomness) and
// all are thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace wps::ws {

// The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key:
// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")). `secWebSocketKey` is used exactly
// as given (the caller trims the header value). Never fails.
std::string computeAcceptKey(std::string_view secWebSocketKey);

// True when `key` is the padded standard base64 encoding of exactly 16 bytes (24 characters),
// as RFC 6455 §4.1 requires of Sec-WebSocket-Key. No surrounding whitespace allowed.
bool isValidClientKey(std::string_view key);

// The subprotocols a client offers, in order: every Sec-WebSocket-Protocol header value (one
// element per header line) split on commas, each item trimmed of ASCII whitespace, empty items
// dropped. Duplicates are kept. The returned strings are copies.
std::vector<std::string> parseSubprotocols(const std::vector<std::string_view>& headerValues);

// True when the comma-separated header value contains `token`, compared ASCII
// case-insensitively after trimming each item, e.g. Connection: "keep-alive, Upgrade" contains
// "upgrade". An empty token is never found.
bool headerHasToken(std::string_view headerValue, std::string_view token);

// A fresh random Sec-WebSocket-Key (base64 of 16 bytes from the system CSPRNG) for our own test
// and benchmark clients.
std::string makeClientKey();

}  // namespace wps::ws
