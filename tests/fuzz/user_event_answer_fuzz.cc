// Fuzz target for the mapping of the upstream's answer to a user event onto the client's reply
// (upstream/user_event), for simple clients and subprotocol clients. Input: see
// fuzz::responseFromInput. Invariants:
//   - errors are kInvalidArgument; nothing to send exactly for 204 or an empty body;
//   - the payload type follows the media type: no type or octet-stream → binary, text/plain →
//     valid UTF-8 text, application/json → JSON (valid and trimmed for subprotocol clients),
//     application/x-protobuf → protobuf for subprotocol clients only;
//   - the data is the body unchanged (trimmed for validated JSON).
#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/strings.h"
#include "common/utf8.h"
#include "fuzz/fuzz_input.h"
#include "upstream/user_event.h"

namespace {

using wps::fuzz::check;
using wps::protocol::DataType;

void checkAnswer(const wps::http::HttpResponse& response, bool simple) {
  auto reply = wps::upstream::interpretUserEventAnswer(response, simple);
  if (!reply) {
    check(reply.status().code() == wps::StatusCode::kInvalidArgument);
    return;
  }
  bool nothing = response.status == 204 || response.body.empty();
  check(reply->has_value() != nothing);
  if (nothing) return;
  const wps::protocol::Payload& p = **reply;
  auto type = wps::http::findHeader(response.headers, "Content-Type");
  std::string media = type ? wps::http::mediaType(*type) : "";
  switch (p.type) {
    case DataType::kBinary:
      check(media.empty() || media == "application/octet-stream");
      break;
    case DataType::kText:
      check(media == "text/plain" && wps::isValidUtf8(p.data));
      break;
    case DataType::kJson:
      check(media == "application/json");
      break;
    case DataType::kProtobuf:
      check(media == "application/x-protobuf" && !simple);
      break;
  }
  if (p.type == DataType::kJson && !simple) {
    boost::system::error_code ec;
    boost::json::parse(p.data, ec);
    check(!ec && p.data == wps::trim(response.body));
  } else {
    check(p.data == response.body);
  }
  // The simple-client table is the narrower one for everything but JSON validation.
  if (p.type != DataType::kJson && simple)
    check(wps::upstream::interpretUserEventAnswer(response, false).isOk());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  wps::http::HttpResponse response = wps::fuzz::responseFromInput(data, size);
  checkAnswer(response, true);
  checkAnswer(response, false);
  return 0;
}
