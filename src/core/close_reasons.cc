#include "core/close_reasons.h"

#include <utility>

#include "common/errors.h"

namespace wps::core {

metrics::CloseReason closeReasonOf(uint16_t code, std::string_view reason) {
  using metrics::CloseReason;
  static constexpr std::pair<const errors::CloseSpec*, CloseReason> kCatalogue[] = {
      {&errors::kServerShutdown, CloseReason::kShutdown},
      {&errors::kIdleTimeout, CloseReason::kIdleTimeout},
      {&errors::kInvalidJsonMessage, CloseReason::kInvalidMessage},
      {&errors::kInvalidProtobufMessage, CloseReason::kInvalidMessage},
      {&errors::kJsonRequiresText, CloseReason::kUnsupportedData},
      {&errors::kProtobufRequiresBinary, CloseReason::kUnsupportedData},
      {&errors::kMessageTooLarge, CloseReason::kMessageTooLarge},
      {&errors::kRecoveryFailed, CloseReason::kRecoveryFailed},
      {&errors::kReliableBufferFull, CloseReason::kReliableBufferFull},
      {&errors::kOutboundQueueFull, CloseReason::kOutboundQueueFull},
      {&errors::kTooManyMessages, CloseReason::kTooManyMessages},
      {&errors::kSendToGroupForbidden, CloseReason::kSendToGroupForbidden},
      {&errors::kUpstreamFailed, CloseReason::kUpstreamFailed},
      {&errors::kInvalidFrame, CloseReason::kInvalidFrame},
      {&errors::kInvalidUtf8, CloseReason::kInvalidUtf8},
  };
  for (const auto& [spec, label] : kCatalogue) {
    if (spec->code == code && spec->reason == reason) return label;
  }
  // The WebSocket parser's own texts: a protocol violation, bad UTF-8, a message too large.
  switch (code) {
    case errors::kCloseNormal:
      return reason.empty() ? CloseReason::kAppServer : CloseReason::kOther;
    case errors::kCloseProtocolError:
      return CloseReason::kInvalidFrame;
    case errors::kCloseInvalidPayload:
      return CloseReason::kInvalidUtf8;
    case errors::kCloseTooBig:
      return CloseReason::kMessageTooLarge;
    default:
      return CloseReason::kOther;
  }
}

}  // namespace wps::core
