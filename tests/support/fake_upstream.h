// A scripted event handler for tests: an HTTP/1.1 server on 127.0.0.1 (port 0) on its own
// thread that records every request and answers with a replaceable handler. The default handler
// passes abuse-protection probes (WebHook-Allowed-Origin: *) and answers 200 with no body.
// A switchable mode (setMode) overrides the handler for durable-delivery tests: down
// (connections reset), a status for the unblocking events (503, 429 with Retry-After, 410,
// 400) or slow answers. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http/message.h"

namespace wps::test {

struct RecordedRequest {
  std::string method;
  std::string target;
  http::HttpHeaders headers;
  std::string body;
  std::chrono::steady_clock::time_point at;
  int status = 0;  // the status answered (0: not decided yet, or no answer: hung, closed, garbage)

  // First header value (case-insensitive name) or "".
  std::string header(std::string_view name) const;
  bool hasHeader(std::string_view name) const;
  // The last path segment, e.g. "connect" for /upstream/chat/connect.
  std::string event() const;
};

struct Reply {
  enum class Action {
    kRespond,          // send `response` after `delay`
    kHang,             // never answer (the connection stays open)
    kCloseConnection,  // close the TCP connection without answering
    kGarbage,          // answer bytes that are not HTTP
  };
  Action action = Action::kRespond;
  http::HttpResponse response{200, {}, {}};
  std::chrono::milliseconds delay{0};

  static Reply status(int code) { return Reply{Action::kRespond, {code, {}, {}}, {}}; }
  static Reply text(std::string body, std::string contentType = "text/plain") {
    return Reply{
        Action::kRespond, {200, {{"Content-Type", std::move(contentType)}}, std::move(body)}, {}};
  }
};

// One attempt of an unblocking event (connected, disconnected) as the upstream saw it.
struct DeliveryAttempt {
  std::string eventName;     // ce-eventName
  std::string connectionId;  // ce-connectionId
  std::string ceId;          // ce-id
  std::string ceTime;        // ce-time
  std::string body;
  int status = 0;  // the status answered
  std::chrono::steady_clock::time_point at;

  bool delivered() const { return status >= 200 && status < 300; }
};

// How the upstream treats requests, whatever the handler says.
struct UpstreamMode {
  enum class Kind {
    kNormal,  // the handler answers
    kDown,    // every connection, open or new, is reset at once (the port stays ours)
    kStatus,  // POSTs of connected/disconnected get `status` (+ Retry-After); others: handler
    kSlow,    // every answer of the handler is delayed by `delay`
  };
  Kind kind = Kind::kNormal;
  int status = 200;
  std::string retryAfter;  // kStatus: the Retry-After value; "" = none
  std::chrono::milliseconds delay{0};

  static UpstreamMode normal() { return {}; }
  static UpstreamMode down() { return {Kind::kDown, 0, {}, {}}; }
  static UpstreamMode failWith(int status, std::string retryAfter = {}) {
    return {Kind::kStatus, status, std::move(retryAfter), {}};
  }
  static UpstreamMode slow(std::chrono::milliseconds delay) {
    return {Kind::kSlow, 200, {}, delay};
  }
};

class FakeUpstream {
 public:
  using Handler = std::function<Reply(const RecordedRequest&)>;

  FakeUpstream();
  ~FakeUpstream();
  FakeUpstream(const FakeUpstream&) = delete;
  FakeUpstream& operator=(const FakeUpstream&) = delete;

  uint16_t port() const;
  // "http://127.0.0.1:<port><path>"
  std::string url(std::string_view path) const;

  void setHandler(Handler handler);
  static Reply defaultReply(const RecordedRequest& r);

  std::vector<RecordedRequest> requests() const;
  // Requests whose event() equals `event` (POSTs only unless event == "validate").
  std::vector<RecordedRequest> requestsFor(std::string_view event) const;
  // Waits until `count` requests satisfy `pred` or `timeout` passes; returns whether they did.
  bool waitFor(const std::function<bool(const RecordedRequest&)>& pred, size_t count,
               std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) const;
  bool waitForEvent(std::string_view event, size_t count = 1,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) const;
  void clear();

  // Switches the mode; returns once it applies (kDown: every open connection is reset, and so
  // is every new one until the mode changes).
  void setMode(UpstreamMode mode);
  // Every attempt of a connected/disconnected event so far, in arrival order.
  std::vector<DeliveryAttempt> deliveryAttempts() const;
  // Waits until `count` attempts answered 2xx arrived (or `timeout` passes).
  bool waitForDelivered(size_t count, std::chrono::milliseconds timeout) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wps::test
