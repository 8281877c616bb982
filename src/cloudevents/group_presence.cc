#include "cloudevents/group_presence.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "common/strings.h"

namespace wps::cloudevents {

std::string groupPresenceBody(std::string_view group) {
  std::string body = "{\"group\":";
  appendJsonString(body, group);
  body += '}';
  return body;
}

std::optional<std::string> groupOfPresenceBody(std::string_view body) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const boost::json::value* g = v.as_object().if_contains("group");
  if (g == nullptr || !g->is_string()) return std::nullopt;
  return std::string(g->as_string());
}

}  // namespace wps::cloudevents
