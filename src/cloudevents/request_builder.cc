#include "cloudevents/request_builder.h"

#include "common/strings.h"

namespace wps::cloudevents {

http::HttpRequest buildEventRequest(std::string url, const EventAttributes& a,
                                    std::string_view contentType, std::string body,
                                    http::HttpHeaders extra) {
  http::HttpRequest req;
  req.method = "POST";
  req.url = std::move(url);
  auto& h = req.headers;
  h.reserve(16 + extra.size());
  h.push_back({"WebHook-Request-Origin", std::string(a.origin)});
  h.push_back({"Content-Type", std::string(contentType)});
  h.push_back({"ce-specversion", std::string(kSpecVersion)});
  h.push_back({"ce-awpsversion", std::string(kAwpsVersion)});
  h.push_back({"ce-type", ceType(a.kind, a.userEventName)});
  std::string source = "/hubs/";
  source += a.hub;
  source += "/client/";
  source += a.connectionId;
  h.push_back({"ce-source", std::move(source)});
  h.push_back({"ce-id", std::string(a.id)});
  h.push_back({"ce-time", formatRfc3339(a.time)});
  if (!a.signature.empty()) h.push_back({"ce-signature", std::string(a.signature)});
  if (a.userId && !a.userId->empty()) h.push_back({"ce-userId", std::string(*a.userId)});
  h.push_back({"ce-connectionId", std::string(a.connectionId)});
  h.push_back({"ce-hub", std::string(a.hub)});
  h.push_back({"ce-eventName", std::string(ceEventName(a.kind, a.userEventName))});
  if (a.kind != EventKind::kConnect) {
    if (a.subprotocol && !a.subprotocol->empty()) {
      h.push_back({"ce-subprotocol", std::string(*a.subprotocol)});
    }
    if (!a.connectionState.empty()) {
      h.push_back({"ce-connectionState", std::string(a.connectionState)});
    }
  }
  for (auto& e : extra)
    h.push_back(std::move(e));
  req.body = std::move(body);
  return req;
}

http::HttpRequest buildValidationRequest(std::string url, std::string_view method,
                                         std::string_view origin, std::string_view hub,
                                         http::HttpHeaders extra) {
  http::HttpRequest req;
  req.method = std::string(method);
  req.url = std::move(url);
  req.headers.push_back({"WebHook-Request-Origin", std::string(origin)});
  req.headers.push_back({"ce-awpsversion", std::string(kAwpsVersion)});
  req.headers.push_back({"ce-hub", std::string(hub)});
  for (auto& e : extra)
    req.headers.push_back(std::move(e));
  return req;
}

static std::string_view stripPort(std::string_view item) {
  // "host:port" → "host"; leaves IPv6 literals without a port alone.
  size_t colon = item.rfind(':');
  if (colon == std::string_view::npos) return item;
  if (item.find(':') != colon && item.front() != '[') return item;  // bare IPv6
  std::string_view port = item.substr(colon + 1);
  if (port.empty() || !parseUint64(port)) return item;
  return item.substr(0, colon);
}

bool validationAllows(const http::HttpResponse& response, std::string_view origin) {
  if (!response.isSuccess()) return false;
  for (auto line : http::findAllHeaders(response.headers, "WebHook-Allowed-Origin")) {
    for (auto raw : split(line, ',')) {
      std::string_view item = trim(raw);
      if (item == "*") return true;
      if (iequals(item, origin) || iequals(stripPort(item), origin)) return true;
    }
  }
  return false;
}

}  // namespace wps::cloudevents
