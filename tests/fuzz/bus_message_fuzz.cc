// Bus messages come from other nodes through Redis: decoding must never crash, and whatever
// decodes must re-encode to something that decodes to the same message.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "cluster/bus_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto m = wps::cluster::decodeBusMessage(in);
  if (!m) return 0;
  std::string again = wps::cluster::encodeBusMessage(*m);
  auto m2 = wps::cluster::decodeBusMessage(again);
  if (!m2 || wps::cluster::encodeBusMessage(*m2) != again) __builtin_trap();
  return 0;
}
