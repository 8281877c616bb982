#include "upstream/user_event.h"

#include <boost/json.hpp>

#include "common/strings.h"
#include "common/utf8.h"

namespace wps::upstream {

std::string_view contentTypeFor(protocol::DataType type) {
  switch (type) {
    case protocol::DataType::kText:
      return "text/plain";
    case protocol::DataType::kJson:
      return "application/json";
    case protocol::DataType::kBinary:
      return "application/octet-stream";
    case protocol::DataType::kProtobuf:
      return "application/x-protobuf";
  }
  return "application/octet-stream";
}

StatusOr<std::optional<protocol::Payload>> interpretUserEventAnswer(
    const http::HttpResponse& response, bool forSimpleClient) {
  using protocol::DataType;
  if (response.status == 204 || response.body.empty()) return std::optional<protocol::Payload>();
  auto contentType = http::findHeader(response.headers, "Content-Type");
  std::string media = contentType ? http::mediaType(*contentType) : std::string();
  protocol::Payload p;
  if (media.empty() || media == "application/octet-stream") {
    p.type = DataType::kBinary;
  } else if (media == "text/plain") {
    p.type = DataType::kText;
    if (!isValidUtf8(response.body)) {
      return invalidArgument("the answer's text/plain body is not valid UTF-8");
    }
  } else if (media == "application/json") {
    p.type = DataType::kJson;
    if (!forSimpleClient) {
      // Validated, then passed through as written (numbers keep their exact text).
      boost::system::error_code ec;
      boost::json::parse(response.body, ec);
      if (ec) return invalidArgument("the answer's application/json body is not valid JSON");
      p.data = std::string(trim(response.body));
      return std::optional<protocol::Payload>(std::move(p));
    }
  } else if (media == "application/x-protobuf" && !forSimpleClient) {
    p.type = DataType::kProtobuf;
  } else {
    return invalidArgument("unsupported Content-Type in the event handler's answer: " + media);
  }
  p.data = response.body;
  return std::optional<protocol::Payload>(std::move(p));
}

}  // namespace wps::upstream
