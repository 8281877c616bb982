// Plain HTTP request/response values exchanged with the upstream. No I/O; thread-safe to copy.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wps::http {

struct HttpHeader {
  std::string name;
  std::string value;
};

using HttpHeaders = std::vector<HttpHeader>;

// First header named `name` (case-insensitive), if any.
std::optional<std::string_view> findHeader(const HttpHeaders& headers, std::string_view name);
// Last header named `name` (case-insensitive), if any.
std::optional<std::string_view> findLastHeader(const HttpHeaders& headers, std::string_view name);
// Every value of headers named `name`, in order.
std::vector<std::string_view> findAllHeaders(const HttpHeaders& headers, std::string_view name);

struct HttpRequest {
  std::string method = "POST";
  std::string url;  // absolute http:// or https:// URL
  HttpHeaders headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;
  // When the request was written and this answer read completely, by a client that measures
  // it (the upstream HTTP client; the blocking-event stage histograms); zero otherwise.
  std::chrono::steady_clock::time_point requestWritten{}, answerRead{};

  bool isSuccess() const { return status >= 200 && status < 300; }
};

// The media type of a Content-Type value: parameters dropped, trimmed, lower-cased.
std::string mediaType(std::string_view contentType);

}  // namespace wps::http
