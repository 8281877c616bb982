#include "api/rest_errors.h"

#include "common/errors.h"
#include "common/strings.h"

namespace wps::api {

http::HttpResponse emptyResponse(int status) {
  return {status, {}, {}};
}

http::HttpResponse errorResponse(int status, std::string_view code, std::string_view message,
                                 std::string_view target) {
  http::HttpResponse r;
  r.status = status;
  r.headers.push_back({"Content-Type", "application/json; charset=utf-8"});
  r.headers.push_back({"x-ms-error-code", std::string(code)});
  r.body = "{\"code\":";
  appendJsonString(r.body, code);
  r.body += ",\"message\":";
  appendJsonString(r.body, message);
  if (!target.empty()) {
    r.body += ",\"target\":";
    appendJsonString(r.body, target);
  }
  r.body += "}";
  return r;
}

http::HttpResponse badRequest(std::string_view message, std::string_view target) {
  return errorResponse(400, "Error.BadRequest", message, target);
}

http::HttpResponse groupLimitReached(size_t limit) {
  return badRequest(errors::groupLimitMessage(limit), "connection");
}

http::HttpResponse unauthorized(std::string_view description) {
  http::HttpResponse r;
  r.status = 401;
  std::string value = "Bearer error=\"invalid_token\", error_description=\"";
  for (char c : description)
    value.push_back(c == '"' ? '\'' : c);
  value += "\"";
  r.headers.push_back({"WWW-Authenticate", std::move(value)});
  return r;
}

http::HttpResponse notFoundHead(std::string_view code) {
  http::HttpResponse r;
  r.status = 404;
  if (!code.empty()) r.headers.push_back({"x-ms-error-code", std::string(code)});
  return r;
}

http::HttpResponse brokerFailure(const Status& status) {
  if (status.code() == StatusCode::kUnavailable || status.code() == StatusCode::kDeadlineExceeded) {
    return errorResponse(503, "Error.ServiceUnavailable", status.message(), "");
  }
  return errorResponse(500, "Error.InternalServerError", status.message(), "");
}

}  // namespace wps::api
