#include "http/message.h"

#include "common/strings.h"

namespace wps::http {

std::optional<std::string_view> findHeader(const HttpHeaders& headers, std::string_view name) {
  for (const auto& h : headers) {
    if (iequals(h.name, name)) return std::string_view(h.value);
  }
  return std::nullopt;
}

std::optional<std::string_view> findLastHeader(const HttpHeaders& headers, std::string_view name) {
  std::optional<std::string_view> found;
  for (const auto& h : headers) {
    if (iequals(h.name, name)) found = std::string_view(h.value);
  }
  return found;
}

std::vector<std::string_view> findAllHeaders(const HttpHeaders& headers, std::string_view name) {
  std::vector<std::string_view> out;
  for (const auto& h : headers) {
    if (iequals(h.name, name)) out.emplace_back(h.value);
  }
  return out;
}

std::string mediaType(std::string_view contentType) {
  size_t semi = contentType.find(';');
  return toLowerAscii(trim(contentType.substr(0, semi)));
}

}  // namespace wps::http
