#include "upstream/connect_event.h"

#include <boost/json.hpp>

#include "common/strings.h"
#include "protocol/names.h"

namespace wps::upstream {
namespace {

void appendMultiMap(std::string& out, const MultiMap& map) {
  out.push_back('{');
  bool first = true;
  for (const auto& [name, values] : map) {
    if (!first) out.push_back(',');
    first = false;
    appendJsonString(out, name);
    out += ":[";
    for (size_t i = 0; i < values.size(); ++i) {
      if (i) out.push_back(',');
      appendJsonString(out, values[i]);
    }
    out.push_back(']');
  }
  out.push_back('}');
}

StatusOr<std::vector<std::string>> stringArray(const boost::json::value& v, const char* field) {
  const auto* arr = v.if_array();
  if (!arr) return invalidArgument(std::string("'") + field + "' must be an array of strings");
  std::vector<std::string> out;
  for (const auto& item : *arr) {
    const auto* s = item.if_string();
    if (!s) return invalidArgument(std::string("'") + field + "' must be an array of strings");
    out.emplace_back(s->data(), s->size());
  }
  return out;
}

}  // namespace

std::string buildConnectBody(const ConnectBodyInput& in) {
  std::string out;
  out.reserve(512);
  out += "{\"claims\":";
  appendMultiMap(out, in.claims);
  out += ",\"query\":";
  appendMultiMap(out, in.query);
  out += ",\"headers\":";
  appendMultiMap(out, in.headers);
  out += ",\"subprotocols\":[";
  for (size_t i = 0; i < in.subprotocols.size(); ++i) {
    if (i) out.push_back(',');
    appendJsonString(out, in.subprotocols[i]);
  }
  out += "],\"clientCertificates\":[]}";
  return out;
}

StatusOr<std::optional<std::string>> connectionStateUpdate(const http::HttpResponse& response,
                                                           size_t maxBytes) {
  auto value = http::findLastHeader(response.headers, "ce-connectionState");
  if (!value) return std::optional<std::string>();
  if (!isAscii(*value)) return invalidArgument("ce-connectionState must be ASCII");
  if (value->size() > maxBytes) {
    return invalidArgument("ce-connectionState is larger than " + std::to_string(maxBytes) +
                           " bytes");
  }
  return std::optional<std::string>(std::string(*value));
}

StatusOr<ConnectDecision> parseConnectAnswer(const http::HttpResponse& response,
                                             size_t maxConnectionStateBytes) {
  ConnectDecision d;
  auto state = connectionStateUpdate(response, maxConnectionStateBytes);
  if (!state) return state.status();
  d.connectionState = std::move(state.value());

  std::string_view body = trim(response.body);
  if (body.empty()) return d;
  boost::system::error_code ec;
  boost::json::value root = boost::json::parse(body, ec);
  if (ec) return invalidArgument("the connect answer is not valid JSON");
  if (root.is_null()) return d;
  const auto* obj = root.if_object();
  if (!obj) return invalidArgument("the connect answer must be a JSON object");
  for (const auto& [rawKey, v] : *obj) {
    std::string_view key(rawKey.data(), rawKey.size());
    if (iequals(key, "userId")) {
      if (v.is_null()) continue;
      const auto* s = v.if_string();
      if (!s) return invalidArgument("'userId' must be a string");
      d.userId = std::string(s->data(), s->size());
    } else if (iequals(key, "roles")) {
      if (v.is_null()) continue;
      auto roles = stringArray(v, "roles");
      if (!roles) return roles.status();
      d.roles = std::move(roles.value());
    } else if (iequals(key, "groups")) {
      if (v.is_null()) continue;
      auto groups = stringArray(v, "groups");
      if (!groups) return groups.status();
      for (const auto& g : *groups) {
        if (!protocol::isValidGroupName(g)) {
          return invalidArgument("'groups' holds an invalid group name");
        }
      }
      d.groups = std::move(groups.value());
    } else if (iequals(key, "subprotocol")) {
      if (v.is_null()) continue;
      const auto* s = v.if_string();
      if (!s) return invalidArgument("'subprotocol' must be a string");
      if (!s->empty()) d.subprotocol = std::string(s->data(), s->size());
    }
  }
  return d;
}

}  // namespace wps::upstream
