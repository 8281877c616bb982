#include "core/outbound_message.h"

namespace wps::core {

const protocol::SharedBytes& OutboundMessage::raw() const {
  std::call_once(rawOnce_,
                 [this] { raw_ = std::make_shared<const std::string>(message_.payload.data); });
  return raw_;
}

const protocol::SharedBytes& OutboundMessage::json() const {
  std::call_once(jsonOnce_, [this] {
    json_ = std::make_shared<const std::string>(protocol::encodeJsonDataBody(message_));
  });
  return json_;
}

const protocol::SharedBytes& OutboundMessage::protobuf() const {
  std::call_once(protobufOnce_, [this] {
    protobuf_ = std::make_shared<const std::string>(
        protocol::encodeProtobufDataBody(message_, jsonAsText_));
  });
  return protobuf_;
}

protocol::OutFrame OutboundMessage::frameFor(protocol::ClientKind kind,
                                             std::optional<uint64_t> sequenceId) const {
  protocol::OutFrame frame = encodedFrameFor(kind, sequenceId);
  frame.expiresAt = deadline_;
  return frame;
}

protocol::OutFrame OutboundMessage::encodedFrameFor(protocol::ClientKind kind,
                                                    std::optional<uint64_t> sequenceId) const {
  using protocol::ClientKind;
  switch (kind) {
    case ClientKind::kSimple:
      return protocol::makeSharedFrame(!protocol::isTextFrameFor(message_.payload.type), raw());
    case ClientKind::kJson:
    case ClientKind::kJsonReliable:
      return protocol::makeJsonDataFrame(json(), sequenceId);
    case ClientKind::kProtobuf:
    case ClientKind::kProtobufReliable:
      return protocol::makeProtobufDataFrame(protobuf(), sequenceId);
  }
  return protocol::makeSharedFrame(true, raw());
}

}  // namespace wps::core
