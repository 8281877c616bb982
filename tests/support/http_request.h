// A blocking one-shot HTTP/1.1 request for tests (Connection: close). Not thread-safe.
#pragma once

#include <string>

#include "http/message.h"

namespace wps::test {

// Sends `method target` to 127.0.0.1:port and returns the answer; status 0 when the connection
// failed or the answer was not HTTP.
http::HttpResponse httpRequest(uint16_t port, const std::string& method, const std::string& target,
                               const http::HttpHeaders& headers = {}, const std::string& body = {});

}  // namespace wps::test
