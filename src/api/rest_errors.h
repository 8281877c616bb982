// REST responses: exact success statuses and the error shape of rest-api.md §4.2
// ({"code","message","target"} plus the x-ms-error-code header). Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "http/message.h"

namespace wps::api {

// A success response with an empty body (Content-Length: 0).
http::HttpResponse emptyResponse(int status);
// An error: JSON body and x-ms-error-code (body omitted for HEAD requests by the server).
http::HttpResponse errorResponse(int status, std::string_view code, std::string_view message,
                                 std::string_view target = "Request");
// 400 Error.BadRequest.
http::HttpResponse badRequest(std::string_view message, std::string_view target = "Request");
// 400 Error.BadRequest naming limits.max_groups_per_connection (`limit`): adding one connection
// that is already in `limit` groups to another.
http::HttpResponse groupLimitReached(size_t limit);
// 401 with an empty body and WWW-Authenticate: Bearer error="invalid_token", ...
http::HttpResponse unauthorized(std::string_view description);
// 404 for HEAD existence checks: no body, x-ms-error-code only.
http::HttpResponse notFoundHead(std::string_view code);
// A Broker operation that failed (`status` is not OK): 503 Error.ServiceUnavailable when the
// cluster could not answer (kUnavailable, kDeadlineExceeded), else 500 Error.InternalServerError;
// the message is the status message.
http::HttpResponse brokerFailure(const Status& status);

}  // namespace wps::api
