// Raw HTTP exchanges over a plain socket for tests that send what no well-behaved client sends
// (oversized heads, huge tokens). Blocking; each call owns its socket.
#pragma once

#include <cstdint>
#include <string>

namespace wps::test {

struct RawAnswer {
  int status = 0;    // 0: no HTTP answer (the socket was closed or timed out first)
  std::string text;  // everything the server sent before closing
};

// Sends `bytes` to 127.0.0.1:port and reads until the server closes (or 5 s pass), or only up
// to the end of the answer's head when `headOnly`. A send that fails (the server answered and
// closed before reading everything) stops sending; what arrived is still read.
RawAnswer rawExchange(uint16_t port, const std::string& bytes, bool headOnly = false);

}  // namespace wps::test
