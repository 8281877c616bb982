// Fuzz target for the TOML configuration loader (config/loader). Operator input, but no file
// may crash or hang the loader. Invariants:
//   - loadSettings never throws; errors are kInvalidArgument with a message;
//   - loaded settings pass validateSettings, except for the keys that may still come from flags
//     (an empty access_keys);
//   - parseListen of the first line either fails or yields a host and port that print back to
//     an address it accepts again with the same result.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/loader.h"
#include "fuzz/fuzz_input.h"

namespace {

using wps::fuzz::check;

void checkListen(std::string_view text) {
  std::string host;
  uint16_t port = 0;
  if (!wps::config::parseListen(text, &host, &port)) return;
  bool v6 = host.find(':') != std::string::npos;
  std::string again = (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  std::string host2;
  uint16_t port2 = 0;
  check(wps::config::parseListen(again, &host2, &port2).isOk());
  check(host2 == host && port2 == port);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto settings = wps::config::loadSettings(text);
  if (!settings) {
    check(settings.status().code() == wps::StatusCode::kInvalidArgument);
    check(!settings.status().message().empty());
  } else if (!settings->accessKeys.empty()) {
    check(wps::config::validateSettings(*settings).isOk());
  }
  checkListen(text.substr(0, text.find('\n')));
  return 0;
}
