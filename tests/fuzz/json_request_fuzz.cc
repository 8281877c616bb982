// Fuzz target for decodeJsonRequest (json.webpubsub.azure.v1 client requests).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz/request_fuzz_checks.h"
#include "protocol/request_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  wps::protocol::fuzz::checkRequest(wps::protocol::decodeJsonRequest(text));
  return 0;
}
