// TEMPORARY placeholder replaced by the protobuf decoder (being written now).
#include "protocol/request_decoder.h"

namespace wps::protocol {
StatusOr<ClientRequest> decodeProtobufRequest(std::string_view) {
  return invalidArgument("protobuf decoding is not available yet");
}
}  // namespace wps::protocol
