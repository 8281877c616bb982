#include "api/message_body.h"

#include <boost/json.hpp>

#include "common/strings.h"
#include "common/utf8.h"
#include "protocol/metadata.h"

namespace wps::api {
namespace {

// Splits "type/subtype; a=b; charset=x" into media type and charset; false when malformed.
bool parseContentType(std::string_view value, std::string* media, std::string* charset) {
  auto parts = split(value, ';');
  *media = toLowerAscii(trim(parts[0]));
  size_t slash = media->find('/');
  if (media->empty() || slash == std::string::npos || slash == 0 || slash + 1 == media->size()) {
    return false;
  }
  for (size_t i = 1; i < parts.size(); ++i) {
    std::string_view p = trim(parts[i]);
    if (p.empty()) continue;
    size_t eq = p.find('=');
    if (eq == std::string_view::npos) return false;
    std::string_view name = trim(p.substr(0, eq));
    std::string_view v = trim(p.substr(eq + 1));
    if (!v.empty() && v.front() == '"') {
      if (v.size() < 2 || v.back() != '"') return false;
      v = v.substr(1, v.size() - 2);
    }
    if (iequals(name, "charset")) *charset = toLowerAscii(v);
  }
  return true;
}

Status unsupported(std::string m) {
  return Status(StatusCode::kUnsupported, std::move(m));
}

}  // namespace

StatusOr<protocol::Payload> payloadFromBody(const http::HttpHeaders& headers, std::string body) {
  protocol::Payload p;
  auto ct = http::findHeader(headers, "Content-Type");
  if (!ct || trim(*ct).empty()) {
    p.type = protocol::DataType::kBinary;
    p.data = std::move(body);
    return p;
  }
  std::string media, charset;
  if (!parseContentType(*ct, &media, &charset)) {
    return unsupported("The Content-Type header is malformed.");
  }
  if (media == "application/octet-stream") {
    p.type = protocol::DataType::kBinary;
    p.data = std::move(body);
    return p;
  }
  if (media == "application/json") {
    if (!charset.empty() && charset != "utf-8" && charset != "utf8") {
      return unsupported("Unsupported charset: " + charset);
    }
    boost::system::error_code ec;
    boost::json::parse(body, ec);
    if (ec) return invalidArgument("The request body is not a valid JSON.");
    p.type = protocol::DataType::kJson;
    p.data = std::move(body);
    return p;
  }
  if (media == "text/plain") {
    p.type = protocol::DataType::kText;
    if (charset.empty() || charset == "utf-8" || charset == "utf8") {
      if (!isValidUtf8(body)) return invalidArgument("The request body is not valid UTF-8.");
      p.data = std::move(body);
    } else if (charset == "us-ascii" || charset == "ascii") {
      if (!isAscii(body)) return invalidArgument("The request body is not valid US-ASCII.");
      p.data = std::move(body);
    } else if (charset == "iso-8859-1" || charset == "latin1" || charset == "latin-1") {
      for (char c : body) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x80) {
          p.data.push_back(c);
        } else {
          p.data.push_back(static_cast<char>(0xC0 | (u >> 6)));
          p.data.push_back(static_cast<char>(0x80 | (u & 0x3F)));
        }
      }
    } else {
      return unsupported("Unsupported charset: " + charset);
    }
    return p;
  }
  return unsupported("Unsupported Content-Type: " + media);
}

StatusOr<protocol::Metadata> metadataFromHeaders(const http::HttpHeaders& headers) {
  static constexpr std::string_view kPrefix = "x-webpubsub-metadata-";
  protocol::Metadata m;
  for (const auto& h : headers) {
    if (!istartsWith(h.name, kPrefix)) continue;
    std::string key = toLowerAscii(std::string_view(h.name).substr(kPrefix.size()));
    auto items = split(h.value, ',');
    std::string value(trim(items.back()));
    auto it = std::find_if(m.begin(), m.end(), [&](const auto& e) { return e.first == key; });
    if (it == m.end()) {
      m.emplace_back(std::move(key), std::move(value));
    } else {
      it->second = std::move(value);
    }
  }
  Status st = protocol::validateMetadata(m);
  if (!st) return st;
  return m;
}

}  // namespace wps::api
