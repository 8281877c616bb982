// Fuzz target for decodeProtobufRequest (protobuf.webpubsub.azure.v1 UpstreamMessage). A decoded
// protobuf payload must also round-trip through the protobuf encoders for protobuf receivers.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "fuzz/request_fuzz_checks.h"
#include "protocol/frames.h"
#include "protocol/request_decoder.h"
#include "protocol/webpubsub.pb.h"

namespace {

using namespace wps::protocol;

void checkProtobufDelivery(const Payload& p, const Metadata& metadata) {
  DataMessage m;
  m.from = MessageSource::kGroup;
  m.group = "g";
  m.payload = p;
  m.metadata = metadata;
  OutFrame frame =
      makeProtobufDataFrame(std::make_shared<const std::string>(encodeProtobufDataBody(m)), 1);
  std::string bytes = frame.flatten();
  // The WebSocket header is 2, 4 or 10 bytes; the DownstreamMessage follows it.
  azure::webpubsub::DownstreamMessage down;
  size_t header = 2;
  uint8_t len7 = static_cast<uint8_t>(bytes[1]) & 0x7F;
  if (len7 == 126) header = 4;
  if (len7 == 127) header = 10;
  fuzz::check(down.ParseFromArray(bytes.data() + header, static_cast<int>(bytes.size() - header)));
  fuzz::check(down.has_data_message() && down.data_message().sequence_id() == 1);
  const auto& d = down.data_message().data();
  switch (p.type) {
    case DataType::kText:
      fuzz::check(d.has_text_data() && d.text_data() == p.data);
      break;
    case DataType::kBinary:
      fuzz::check(d.has_binary_data() && d.binary_data() == p.data);
      break;
    case DataType::kJson:
      fuzz::check(d.has_json_data() && d.json_data() == p.data);
      break;
    case DataType::kProtobuf:
      fuzz::check(d.has_protobuf_data() && d.protobuf_data().SerializeAsString() == p.data);
      break;
  }
  fuzz::check(static_cast<size_t>(down.data_message().metadata_size()) == metadata.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto r = decodeProtobufRequest(bytes);
  fuzz::checkRequest(r);
  if (r) {
    if (auto* s = std::get_if<SendToGroupRequest>(&*r))
      checkProtobufDelivery(s->payload, s->metadata);
    if (auto* e = std::get_if<EventRequest>(&*r)) checkProtobufDelivery(e->payload, e->metadata);
    auto* st = std::get_if<StreamRequest>(&*r);
    if (st && st->payload && !st->problem) checkProtobufDelivery(*st->payload, Metadata{});
  }
  return 0;
}
