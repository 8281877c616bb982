// A REST request as the API layer sees it, and its parsed target. Value types.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/message.h"

namespace wps::api {

struct RestRequest {
  std::string method;
  std::string target;  // raw: path and query, undecoded
  http::HttpHeaders headers;
  std::string body;
  std::string host;  // Host header
  bool secure = false;
  size_t worker = 0;  // the worker that received it (replies are delivered there)
};

// The target split per rest-api.md §2.2: the path is split on '/' BEFORE decoding and each
// segment is decoded once ('+' stays '+'); the query is form-decoded ('+' is a space).
struct ParsedTarget {
  std::string rawPath;
  std::vector<std::string> segments;                       // auth::decodePathSegments(rawPath)
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  bool valid = true;  // false: a malformed escape, or over kMaxQueryParameters parameters
};

ParsedTarget parseTarget(std::string_view target);

// Every value of query parameter `name` (exact name match), in order.
std::vector<std::string> queryValues(const ParsedTarget& t, std::string_view name);
// How often `name` occurs.
size_t queryCount(const ParsedTarget& t, std::string_view name);
// The only value of `name`: nullopt when absent. `*duplicate` is set when it occurs more than
// once.
std::optional<std::string> querySingle(const ParsedTarget& t, std::string_view name,
                                       bool* duplicate = nullptr);

}  // namespace wps::api
