#include "protocol/client_kind.h"

#include "common/strings.h"

namespace wps::protocol {

std::optional<ClientKind> webPubSubKind(std::string_view subprotocol) {
  if (iequals(subprotocol, kJsonSubprotocol)) return ClientKind::kJson;
  if (iequals(subprotocol, kJsonReliableSubprotocol)) return ClientKind::kJsonReliable;
  if (iequals(subprotocol, kProtobufSubprotocol)) return ClientKind::kProtobuf;
  if (iequals(subprotocol, kProtobufReliableSubprotocol)) return ClientKind::kProtobufReliable;
  return std::nullopt;
}

std::string_view subprotocolName(ClientKind kind) {
  switch (kind) {
    case ClientKind::kSimple:
      return {};
    case ClientKind::kJson:
      return kJsonSubprotocol;
    case ClientKind::kJsonReliable:
      return kJsonReliableSubprotocol;
    case ClientKind::kProtobuf:
      return kProtobufSubprotocol;
    case ClientKind::kProtobufReliable:
      return kProtobufReliableSubprotocol;
  }
  return {};
}

}  // namespace wps::protocol
