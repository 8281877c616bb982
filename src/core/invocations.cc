#include "core/invocations.h"

#include "common/errors.h"
#include "common/strings.h"
#include "upstream/connect_event.h"
#include "upstream/user_event.h"

namespace wps::core {

namespace {

protocol::AckError failure(std::string_view name, std::string message) {
  return protocol::AckError{std::string(name), std::move(message)};
}

protocol::AckError internalError() {
  return failure(errors::kAckInternalServerError, std::string(errors::kInvokeFailedMessage));
}

// A non-2xx answer: its status mapped to an error name (UP §9.6).
protocol::AckError refused(int status) {
  switch (status) {
    case 400:
      return failure(errors::kAckBadRequest, errors::invokeRefusedMessage(status));
    case 401:
      return failure(errors::kInvokeUnauthorized, errors::invokeRefusedMessage(status));
    case 403:
      return failure(errors::kAckForbidden, errors::invokeRefusedMessage(status));
    case 404:
      return failure(errors::kInvokeNotFound, errors::invokeRefusedMessage(status));
    default:
      return internalError();
  }
}

// A 2xx answer: its connection state and data, or InternalServerError when either is invalid.
InvocationAnswer successAnswer(const http::HttpResponse& response, size_t maxStateBytes) {
  InvocationAnswer answer;
  auto state = upstream::connectionStateUpdate(response, maxStateBytes);
  auto data = upstream::interpretUserEventAnswer(response, /*forSimpleClient=*/false);
  if (!state || !data) {
    answer.error = internalError();
    return answer;
  }
  answer.connectionState = std::move(*state);
  answer.data = std::move(*data);
  // The SDKs drop an invokeResponse whose json data is null, and the call then never ends: a
  // `null` answer is a success without data.
  if (answer.data && answer.data->type == protocol::DataType::kJson &&
      answer.data->data == "null") {
    answer.data.reset();
  }
  return answer;
}

}  // namespace

upstream::UpstreamEvent makeInvokeEvent(protocol::InvokeRequest request, bool invocationIdHeader) {
  upstream::UpstreamEvent ev;
  ev.kind = cloudevents::EventKind::kUser;
  ev.userEventName = std::move(request.event);
  if (request.hasData) {
    ev.contentType = std::string(upstream::contentTypeFor(request.payload.type));
    ev.body = std::move(request.payload.data);
  } else {
    ev.contentType = "text/plain";
  }
  for (auto& [k, v] : request.metadata) {
    ev.extraHeaders.push_back({"X-WebPubSub-Metadata-" + toLowerAscii(k), std::move(v)});
  }
  if (invocationIdHeader) {
    ev.extraHeaders.push_back({"ce-invocationId", invocationIdHeaderValue(request.invocationId)});
  }
  return ev;
}

std::string invocationIdHeaderValue(std::string_view invocationId) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(invocationId.size());
  for (unsigned char c : invocationId) {
    if (c >= 0x20 && c < 0x7F && c != '%') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

InvocationAnswer answerFor(const upstream::DispatchOutcome& outcome, size_t maxStateBytes) {
  using Kind = upstream::DispatchOutcome::Kind;
  InvocationAnswer answer;
  if (outcome.kind != Kind::kCompleted) {
    answer.error = internalError();  // no handler, or abuse-protection validation failed
  } else if (!outcome.response) {
    answer.error = outcome.response.status().code() == StatusCode::kDeadlineExceeded
                       ? failure(errors::kInvokeTimeout, std::string(errors::kInvokeTimeoutMessage))
                       : internalError();
  } else if (!outcome.response->isSuccess()) {
    answer.error = refused(outcome.response->status);
  } else {
    answer = successAnswer(*outcome.response, maxStateBytes);
  }
  return answer;
}

Invocations::Call* Invocations::find(const std::string& invocationId, uint64_t token) {
  if (!state_) return nullptr;
  auto it = state_->calls.find(invocationId);
  if (it == state_->calls.end() || it->second.token != token) return nullptr;
  return &it->second;
}

Invocations::Admission Invocations::admit(const std::string& invocationId, size_t limit,
                                          uint64_t* token) {
  if (!state_) state_ = std::make_unique<State>();
  if (state_->calls.count(invocationId)) return Admission::kDuplicate;
  if (state_->calls.size() >= limit) return Admission::kTooMany;
  *token = state_->nextToken++;
  state_->calls[invocationId].token = *token;
  return Admission::kAccepted;
}

void Invocations::hold(const std::string& invocationId, uint64_t token,
                       upstream::UpstreamEvent event, std::string ceId, TimePoint arrived) {
  Call* call = find(invocationId, token);
  if (!call) return;
  call->held =
      std::make_unique<Held>(Held{invocationId, token, std::move(event), std::move(ceId), arrived});
  state_->heldOrder.push_back(invocationId);
}

std::vector<Invocations::Held> Invocations::takeHeld() {
  std::vector<Held> out;
  if (!state_) return out;
  for (const auto& id : state_->heldOrder) {
    auto it = state_->calls.find(id);
    if (it == state_->calls.end() || !it->second.held) continue;  // cancelled meanwhile
    out.push_back(std::move(*it->second.held));
    it->second.held.reset();
  }
  state_->heldOrder.clear();
  return out;
}

void Invocations::setRequest(const std::string& invocationId, uint64_t token,
                             std::unique_ptr<upstream::RequestHandle> request) {
  if (Call* call = find(invocationId, token)) call->request = std::move(request);
}

bool Invocations::complete(const std::string& invocationId, uint64_t token,
                           std::unique_ptr<upstream::RequestHandle>* request) {
  Call* call = find(invocationId, token);
  if (!call) return false;
  *request = std::move(call->request);
  state_->calls.erase(invocationId);
  return true;
}

bool Invocations::cancel(const std::string& invocationId) {
  return state_ && state_->calls.erase(invocationId) > 0;
}

void Invocations::clear() {
  if (!state_) return;
  // Only the calls: tokens keep counting up, so a late answer never matches a newer call.
  state_->calls.clear();
  state_->heldOrder.clear();
}

}  // namespace wps::core
