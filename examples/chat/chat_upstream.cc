// chat-upstream: the demo chat's event handler ("upstream"), built only on the webpubsub C++ SDK.
//
//  - GET /            the chat page (static/index.html), GET /chat.js its script
//  - GET /negotiate   {"url": "<client access URL>"} minted from the connection string
//  - /eventhandler    Web PubSub events of hub "chat":
//      connect        the user name comes from the query (?name=...), the room (?room=...,
//                     default "lobby") is stored in the connection state and joined
//      connected      "<name> joined" is broadcast to the room
//      disconnected   "<name> left" is broadcast to the room
//      message        {"text": "..."} is broadcast to the room through the service client
//      gp.joined/left group presence (webpubsubd: group_presence_events in the hub's event
//                     handler, see scripts/run): the upstream keeps who is in each room and
//                     broadcasts {"type": "presence", "room": ..., "members": [...]} to the room
//                     on every change; the page shows the list
//
// Usage: chat-upstream [--host H] [--port P] [--hub chat] [--static DIR]
//                      [--connection-string CS | --connection-string -]
// The connection string also comes from WEBPUBSUB_CONNECTION_STRING. With "-" it is read as one
// line from stdin after the listener is bound, so a script can start the upstream first (port 0,
// the chosen port is printed), then webpubsubd, then hand over webpubsubd's connection string.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>

#include "webpubsub/service_client.h"
#include "webpubsub/upstream.h"
#include "webpubsub/upstream_server.h"

namespace {

namespace json = boost::json;
using namespace webpubsub;

struct Args {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string hub = "chat";
  std::string staticDir = CHAT_STATIC_DIR;
  std::string connectionString;
};

bool parseArgs(int argc, char** argv, Args& args) {
  if (const char* env = std::getenv("WEBPUBSUB_CONNECTION_STRING")) args.connectionString = env;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&](std::string& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    std::string v;
    if (a == "--host" && next(v)) {
      args.host = v;
    } else if (a == "--port" && next(v)) {
      args.port = std::atoi(v.c_str());
    } else if (a == "--hub" && next(v)) {
      args.hub = v;
    } else if (a == "--static" && next(v)) {
      args.staticDir = v;
    } else if (a == "--connection-string" && next(v)) {
      args.connectionString = v;
    } else {
      std::cerr << "usage: chat-upstream [--host H] [--port P] [--hub HUB] [--static DIR] "
                   "[--connection-string CS|-]\n";
      return false;
    }
  }
  if (args.connectionString.empty()) args.connectionString = "-";
  return args.port >= 0 && args.port <= 65535;
}

std::optional<std::string> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A user name: 1..32 bytes, no control characters.
bool validName(const std::string& name) {
  if (name.empty() || name.size() > 32) return false;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

std::string roomOf(const upstream::ConnectionContext& context) {
  if (const auto* room = context.states.if_contains("room"); room && room->is_string()) {
    return std::string(room->get_string());
  }
  return "lobby";
}

// Broadcasts {"type": type, "from": from, "text": text} to `room`; `done` gets the result.
template <class Done>
void broadcast(service::ServiceClient& service, const std::string& room, std::string_view type,
               const std::string& from, const std::string& text, Done&& done) {
  json::object m{{"type", type}, {"from", from}, {"text", text}};
  service.sendToGroup(room, service::Message::json(json::serialize(m)), {},
                      std::forward<Done>(done));
}

void logFailure(const char* what, const Result<void>& r) {
  if (!r) {
    std::cerr << "chat-upstream: " << what << " failed: " << r.error().status << " "
              << r.error().code << " " << r.error().message << "\n";
  }
}

// Who is in which room, from the group presence events (a group is a room). A user with several
// connections counts once and stays until the last one left. Thread-safe (the SDK may run
// callbacks concurrently when the io_context runs on several threads).
class RoomPresence {
 public:
  // Applies one event and returns the room's members afterwards (sorted).
  std::vector<std::string> change(const std::string& room, const std::string& user, bool joined) {
    std::lock_guard<std::mutex> lock(mu_);
    auto& members = rooms_[room];
    if (joined) {
      ++members[user];
    } else if (auto it = members.find(user); it != members.end() && --it->second <= 0) {
      members.erase(it);
    }
    std::vector<std::string> names;
    for (const auto& [name, connections] : members)
      names.push_back(name);
    if (members.empty()) rooms_.erase(room);
    return names;
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::map<std::string, int>> rooms_;  // room -> user -> connections
};

// onGroupJoined / onGroupLeft: update `presence` and send the room its member list.
void handlePresence(upstream::Handlers& handlers, std::shared_ptr<service::ServiceClient> service) {
  auto presence = std::make_shared<RoomPresence>();
  auto update = [service, presence](const upstream::ConnectionContext& context,
                                    const std::string& room, bool joined) {
    std::string user = context.userId.value_or(context.connectionId);
    json::array members;
    for (auto& name : presence->change(room, user, joined))
      members.emplace_back(name);
    json::object m{{"type", "presence"}, {"room", room}, {"members", std::move(members)}};
    service->sendToGroup(room, service::Message::json(json::serialize(m)), {},
                         [](Result<void> r) { logFailure("presence", r); });
  };
  handlers.onGroupJoined = [update](upstream::GroupJoinedRequest request) {
    update(request.context, request.group, true);
  };
  handlers.onGroupLeft = [update](upstream::GroupLeftRequest request) {
    update(request.context, request.group, false);
  };
  handlers.onNotificationError = [](const Error& error, const upstream::HttpRequest&) {
    std::cerr << "chat-upstream: presence event ignored: " << error.code << " " << error.message
              << "\n";
  };
}

upstream::HttpResponse staticResponse(const std::string& body, const char* type) {
  upstream::HttpResponse r;
  r.headers = {{"Content-Type", type}, {"Cache-Control", "no-store"}};
  r.body = body;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parseArgs(argc, argv, args)) return 2;
  auto page = readFile(args.staticDir + "/index.html");
  auto script = readFile(args.staticDir + "/chat.js");
  if (!page || !script) {
    std::cerr << "chat-upstream: cannot read index.html and chat.js in " << args.staticDir << "\n";
    return 1;
  }

  boost::asio::io_context io;
  upstream::ServerOptions serverOptions;
  serverOptions.host = args.host;
  serverOptions.port = static_cast<uint16_t>(args.port);
  auto server = upstream::UpstreamServer::listen(io, serverOptions);
  if (!server) {
    std::cerr << "chat-upstream: " << server.error().message << "\n";
    return 1;
  }
  std::cout << "chat-upstream listening on " << (*server)->url() << std::endl;

  if (args.connectionString == "-" && !std::getline(std::cin, args.connectionString)) {
    std::cerr << "chat-upstream: no connection string on stdin\n";
    return 1;
  }
  auto created = service::ServiceClient::create(io, args.connectionString, args.hub);
  if (!created) {
    std::cerr << "chat-upstream: " << created.error().message << "\n";
    return 1;
  }
  std::shared_ptr<service::ServiceClient> service = std::move(created.value());

  upstream::Handlers handlers;
  handlers.onConnect = [](upstream::ConnectRequest request, upstream::ConnectResponder res) {
    std::string name = request.queryValue("name").value_or("");
    if (!validName(name)) {
      res.deny(400, "A name of 1 to 32 characters is required.");
      return;
    }
    std::string room = request.queryValue("room").value_or("lobby");
    if (room.empty()) room = "lobby";
    res.setState("room", json::value(room));
    upstream::ConnectResponse answer;
    answer.userId = name;
    answer.groups = std::vector<std::string>{room};
    res.approve(answer);
  };
  handlers.onConnected = [service](upstream::ConnectedRequest request) {
    broadcast(*service, roomOf(request.context), "system", "",
              request.context.userId.value_or("?") + " joined",
              [](Result<void> r) { logFailure("join notice", r); });
  };
  handlers.onDisconnected = [service](upstream::DisconnectedRequest request) {
    broadcast(*service, roomOf(request.context), "system", "",
              request.context.userId.value_or("?") + " left",
              [](Result<void> r) { logFailure("leave notice", r); });
  };
  handlers.onUserEvent = [service](upstream::UserEventRequest request,
                                   upstream::UserEventResponder res) {
    if (request.context.eventName != "message") {
      res.fail(400, "Unknown event.");
      return;
    }
    std::string text = request.data;
    if (request.dataType == upstream::DataType::kJson) {
      std::error_code ec;
      json::value v = json::parse(request.data, ec);
      const json::value* t = !ec && v.is_object() ? v.get_object().if_contains("text") : nullptr;
      if (!t || !t->is_string()) {
        res.fail(400, "Expected {\"text\": \"...\"}.");
        return;
      }
      text = std::string(t->get_string());
    }
    // The client's ack (success or error) reflects whether the broadcast was accepted.
    broadcast(*service, roomOf(request.context), "chat", request.context.userId.value_or("?"), text,
              [res = std::move(res)](Result<void> r) mutable {
                if (r) {
                  res.reply();
                } else {
                  logFailure("broadcast", r);
                  res.fail(500, r.error().message);
                }
              });
  };

  handlePresence(handlers, service);

  upstream::EventHandlerOptions handlerOptions;
  handlerOptions.hub = args.hub;
  handlerOptions.accessKeys = {service->connection().accessKey};  // verify ce-signature
  auto handler = std::make_shared<upstream::EventHandler>(handlerOptions, std::move(handlers));

  upstream::UpstreamServer& http = **server;
  http.mount("/eventhandler", handler);
  http.route("GET", "/", [html = *page](upstream::HttpRequest, upstream::Respond respond) {
    respond(staticResponse(html, "text/html; charset=utf-8"));
  });
  http.route("GET", "/chat.js", [js = *script](upstream::HttpRequest, upstream::Respond respond) {
    respond(staticResponse(js, "text/javascript; charset=utf-8"));
  });
  http.route("GET", "/negotiate", [service](upstream::HttpRequest, upstream::Respond respond) {
    auto access = service->getClientAccess();
    json::object body{{"url", access.url}};
    upstream::HttpResponse r;
    r.headers = {{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}};
    r.body = json::serialize(body);
    respond(std::move(r));
  });
  http.start();

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    http.stop();
    io.stop();
  });
  std::cout << "chat-upstream ready for hub '" << args.hub << "' of "
            << service->connection().endpoint << std::endl;
  io.run();
  return 0;
}
