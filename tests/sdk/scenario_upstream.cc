// sdk-scenario-upstream: the C++ SDK twin of the Express upstream in
// tests/conformance/sdk/crosscheck.mjs (keep the two in sync). Prints "listening <port>", then
// reads webpubsubd's connection string from stdin, then serves hub "scenario" at /eventhandler
// until SIGTERM/SIGINT or stdin's end.
//
//   connect       ?deny=N -> deny(N); ?nick -> userId; ?room -> groups; state counter = 1
//   connected     "connected:<user>:<counter>" to group "watch" (service client)
//   disconnected  "disconnected:<user>:<reason>:<counter>" to group "watch"
//   gp.joined     "joined:<user>:<group>:<counter>" to group "watch" (gp.left: "left:...")
//   user events   counter += 1; binary -> echo; "json" -> {"hello":"world"}; "nothing" -> 204;
//                 "fail" -> 400; "broadcast:X" -> X to group "watch", reply "sent";
//                 else "echo:<data>:<counter>"
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <iostream>
#include <string>

#include "webpubsub/service_client.h"
#include "webpubsub/upstream.h"
#include "webpubsub/upstream_server.h"

using namespace webpubsub;

namespace {

int64_t counterOf(const upstream::ConnectionContext& c) {
  const auto* v = c.states.if_contains("counter");
  return v && v->is_int64() ? v->get_int64() : 0;
}

}  // namespace

int main() {
  boost::asio::io_context io;
  auto server = upstream::UpstreamServer::listen(io);
  if (!server) {
    std::cerr << server.error().message << "\n";
    return 1;
  }
  std::cout << "listening " << (*server)->port() << std::endl;
  std::string connectionString;
  if (!std::getline(std::cin, connectionString)) return 1;
  auto created = service::ServiceClient::create(io, connectionString, "scenario");
  if (!created) {
    std::cerr << created.error().message << "\n";
    return 1;
  }
  std::shared_ptr<service::ServiceClient> svc = std::move(created.value());
  auto notify = [svc](std::string text) {
    svc->sendToGroup("watch", service::Message::text(std::move(text)), {}, [](Result<void> r) {
      if (!r) std::cerr << "notify failed: " << r.error().message << "\n";
    });
  };

  upstream::Handlers h;
  h.onConnect = [](upstream::ConnectRequest req, upstream::ConnectResponder res) {
    if (auto deny = req.queryValue("deny")) {
      res.deny(std::stoi(*deny), "denied");
      return;
    }
    res.setState("counter", 1);
    upstream::ConnectResponse answer;
    if (auto nick = req.queryValue("nick")) answer.userId = *nick;
    if (auto room = req.queryValue("room")) answer.groups = std::vector<std::string>{*room};
    res.approve(answer);
  };
  h.onConnected = [notify](upstream::ConnectedRequest req) {
    notify("connected:" + req.context.userId.value_or("") + ":" +
           std::to_string(counterOf(req.context)));
  };
  h.onDisconnected = [notify](upstream::DisconnectedRequest req) {
    notify("disconnected:" + req.context.userId.value_or("") + ":" + req.reason + ":" +
           std::to_string(counterOf(req.context)));
  };
  h.onGroupJoined = [notify](upstream::GroupJoinedRequest req) {
    notify("joined:" + req.context.userId.value_or("") + ":" + req.group + ":" +
           std::to_string(counterOf(req.context)));
  };
  h.onGroupLeft = [notify](upstream::GroupLeftRequest req) {
    notify("left:" + req.context.userId.value_or("") + ":" + req.group + ":" +
           std::to_string(counterOf(req.context)));
  };
  h.onNotificationError = [](const Error& e, const upstream::HttpRequest&) {
    std::cerr << "presence event not handled: " << e.code << " " << e.message << "\n";
  };
  h.onUserEvent = [svc](upstream::UserEventRequest req, upstream::UserEventResponder res) {
    int64_t counter = counterOf(req.context);
    res.setState("counter", counter + 1);
    const std::string& data = req.data;
    if (req.dataType == upstream::DataType::kBinary) {
      res.replyBinary(data);
    } else if (data == "json") {
      res.replyJson(R"({"hello":"world"})");
    } else if (data == "nothing") {
      res.reply();
    } else if (data == "fail") {
      res.fail(400, "scenario failure");
    } else if (data.rfind("broadcast:", 0) == 0) {
      svc->sendToGroup("watch", service::Message::text(data.substr(10)), {},
                       [res = std::move(res)](Result<void> r) mutable {
                         if (r) {
                           res.replyText("sent");
                         } else {
                           res.fail(500, r.error().message);
                         }
                       });
    } else {
      res.replyText("echo:" + data + ":" + std::to_string(counter));
    }
  };
  auto handler = std::make_shared<upstream::EventHandler>(
      upstream::EventHandlerOptions{"scenario", {svc->connection().accessKey}, {}}, std::move(h));
  (*server)->mount("/eventhandler", handler);
  (*server)->start();

  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    (*server)->stop();
    io.stop();
  });
  io.run();
  return 0;
}
