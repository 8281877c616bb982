// The live-trace web page (GET /trace): one self-contained HTML document (inline CSS and
// JavaScript, no CDN, no build step) that reads the events of GET /trace/events (Server-Sent
// Events) with the page's own access_token and shows them in a table filterable by hub,
// connection id, user and category, with pause and clear. Pure; thread-safe.
#pragma once

#include <string_view>

namespace wps::server {

std::string_view tracePageHtml();

}  // namespace wps::server
