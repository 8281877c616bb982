// Invocations of one PubSub connection (client-protocols-1.1.md §1): the bookkeeping of the
// calls awaiting their upstream answer, the user event an `invoke` becomes, and the mapping of
// the upstream's answer to the `invokeResponse`. Unlike a custom `event`, invocations do not
// block the connection's other messages; several may be pending at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/time.h"
#include "protocol/client_requests.h"
#include "protocol/service_messages.h"
#include "upstream/event_dispatcher.h"

namespace wps::core {

// The user event an invoke is posted as: exactly a custom `event` (UP §9.5; no data →
// text/plain, empty body; metadata → X-WebPubSub-Metadata-*), plus `ce-invocationId` when
// `invocationIdHeader` (upstream.invocation_id_header) is set. Pure.
upstream::UpstreamEvent makeInvokeEvent(protocol::InvokeRequest request, bool invocationIdHeader);

// The value of the optional ce-invocationId header: the id with every byte outside printable
// ASCII, and `%`, percent-encoded (%XX, upper case), so that no id can break the header. Pure.
std::string invocationIdHeaderValue(std::string_view invocationId);

// What the client gets for a finished invocation (spec §1.4).
struct InvocationAnswer {
  std::optional<protocol::AckError> error;     // set: success:false with this error
  std::optional<protocol::Payload> data;       // success with dataType and data
  std::optional<std::string> connectionState;  // a 2xx answer's ce-connectionState ("" clears)
};

// Maps a dispatch outcome to the invokeResponse: 2xx with a supported Content-Type → its data;
// 2xx empty or 204, or a JSON `null` → success without data; another type, JSON that does not
// parse, an invalid ce-connectionState → InternalServerError; 400/401/403/404 →
// BadRequest/Unauthorized/Forbidden/NotFound, any other status → InternalServerError; the event's
// budget spent → Timeout; no handler, failed validation, transport error → InternalServerError.
// Pure.
InvocationAnswer answerFor(const upstream::DispatchOutcome& outcome, size_t maxStateBytes);

// The pending invocations of one connection, by invocationId. Each call gets a token, so that
// the answer of a cancelled call can never complete a later call with the same id. Owned by its
// ClientSession; loop-thread only.
class Invocations {
 public:
  enum class Admission { kAccepted, kDuplicate, kTooMany };

  // An invocation held until the connection's `connected` event settled.
  struct Held {
    std::string invocationId;
    uint64_t token;
    upstream::UpstreamEvent event;
    std::string ceId;
    TimePoint arrived{};  // when the invoke frame arrived (blocking-latency histogram)
  };

  // Registers a new call of `invocationId`: kDuplicate when that id is pending (nothing is
  // registered), kTooMany when `limit` calls are pending, else kAccepted with `*token` set.
  Admission admit(const std::string& invocationId, size_t limit, uint64_t* token);
  // Keeps the call's event until takeHeld(); the call stays pending (and counted).
  void hold(const std::string& invocationId, uint64_t token, upstream::UpstreamEvent event,
            std::string ceId, TimePoint arrived = {});
  // Every held event, in the order they were held; they stay pending without a request.
  std::vector<Held> takeHeld();
  // The call was dispatched: keeps its request (destroying it cancels the request). Ignored
  // when the call is no longer pending (a dispatch that completed synchronously).
  void setRequest(const std::string& invocationId, uint64_t token,
                  std::unique_ptr<upstream::RequestHandle> request);
  // The call's answer arrived: true when it is still pending (it is then forgotten and its
  // request handed to `*request`, to be released after the callback), false when it was
  // cancelled (the answer must be dropped).
  bool complete(const std::string& invocationId, uint64_t token,
                std::unique_ptr<upstream::RequestHandle>* request);
  // cancelInvocation: forgets the call and cancels its request. False for an unknown id.
  bool cancel(const std::string& invocationId);
  // The session ended: cancels every call.
  void clear();

  size_t pending() const { return state_ ? state_->calls.size() : 0; }

 private:
  struct Call {
    uint64_t token = 0;
    std::unique_ptr<upstream::RequestHandle> request;
    std::unique_ptr<Held> held;
  };
  // Made by the first invocation: a connection that never invokes does not pay for it.
  struct State {
    std::unordered_map<std::string, Call> calls;
    std::vector<std::string> heldOrder;
    uint64_t nextToken = 1;
  };
  // The pending call `invocationId` with `token`, or null.
  Call* find(const std::string& invocationId, uint64_t token);
  std::unique_ptr<State> state_;
};

}  // namespace wps::core
