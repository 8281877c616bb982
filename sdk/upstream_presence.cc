// Group presence events in webpubsub::upstream: parsing and the EventHandler's answer-first
// dispatch (the routing of @azure/web-pubsub-express 1.1.0, cloudEventsDispatcher.js).
#include "upstream_presence.h"

#include <boost/json/parse.hpp>

namespace webpubsub::upstream {
namespace json = boost::json;

namespace detail {

Result<Event> parseGroupPresence(ConnectionContext ctx, const std::string& body, bool joined) {
  std::error_code ec;
  json::value doc = json::parse(body, ec);
  if (ec || !doc.is_object()) {
    return Error{400, "InvalidBody",
                 "Invalid group presence request body: expected a JSON object."};
  }
  json::object& fields = doc.get_object();
  const json::value* group = fields.if_contains("group");
  if (!group || !group->is_string()) {
    return Error{400, "InvalidBody",
                 "Invalid group presence request body: 'group' must be a string."};
  }
  std::string name(group->get_string());
  if (joined) return Event(GroupJoinedRequest{std::move(ctx), std::move(name), std::move(fields)});
  return Event(GroupLeftRequest{std::move(ctx), std::move(name), std::move(fields)});
}

}  // namespace detail

bool isGroupPresenceRequest(const HttpRequest& request) {
  auto type = request.header("ce-type");
  return type && (*type == detail::kGroupJoinedType || *type == detail::kGroupLeftType);
}

bool EventHandler::handleGroupPresence(const HttpRequest& request, Respond& respond) const {
  // Express 1.1.0 takes only requests with WebHook-Request-Origin and its hub in ce-hub (the hub
  // was compared by handle() when this handler has one).
  if (!request.header("WebHook-Request-Origin") || !request.header("ce-hub")) return false;
  // Unblocking: the service gets an empty 200 at once, before the body is read, handler or not.
  auto answer = std::exchange(respond, nullptr);
  answer(HttpResponse{});
  const bool joined = *request.header("ce-type") == detail::kGroupJoinedType;
  if (joined ? !handlers_.onGroupJoined : !handlers_.onGroupLeft) return true;
  auto report = [this, &request](const Error& error) {
    if (handlers_.onNotificationError) handlers_.onNotificationError(error, request);
  };
  auto event = parseEvent(request, ParseOptions{options_.accessKeys, {}});
  if (!event) {
    report(event.error());
    return true;
  }
  try {
    if (auto* j = std::get_if<GroupJoinedRequest>(&event.value())) {
      handlers_.onGroupJoined(std::move(*j));
    } else if (auto* l = std::get_if<GroupLeftRequest>(&event.value())) {
      handlers_.onGroupLeft(std::move(*l));
    }
  } catch (const std::exception& e) {
    report(
        Error{500, "HandlerFailed", std::string("The group presence callback threw: ") + e.what()});
  } catch (...) {
    report(Error{500, "HandlerFailed", "The group presence callback threw."});
  }
  return true;
}

}  // namespace webpubsub::upstream
