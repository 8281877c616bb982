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

Invocations::Admission Invocations::admit(const std::string& invocationId, size_t limit,
                                          uint64_t* token) {
  if (calls_.count(invocationId)) return Admission::kDuplicate;
  if (calls_.size() >= limit) return Admission::kTooMany;
  *token = nextToken_++;
  calls_[invocationId].token = *token;
  return Admission::kAccepted;
}

void Invocations::hold(const std::string& invocationId, uint64_t token,
                       upstream::UpstreamEvent event, std::string ceId, TimePoint arrived) {
  auto it = calls_.find(invocationId);
  if (it == calls_.end() || it->second.token != token) return;
  it->second.held =
      std::make_unique<Held>(Held{invocationId, token, std::move(event), std::move(ceId), arrived});
  heldOrder_.push_back(invocationId);
}

std::vector<Invocations::Held> Invocations::takeHeld() {
  std::vector<Held> out;
  for (const auto& id : heldOrder_) {
    auto it = calls_.find(id);
    if (it == calls_.end() || !it->second.held) continue;  // cancelled meanwhile
    out.push_back(std::move(*it->second.held));
    it->second.held.reset();
  }
  heldOrder_.clear();
  return out;
}

void Invocations::setRequest(const std::string& invocationId, uint64_t token,
                             std::unique_ptr<upstream::RequestHandle> request) {
  auto it = calls_.find(invocationId);
  if (it == calls_.end() || it->second.token != token) return;
  it->second.request = std::move(request);
}

bool Invocations::complete(const std::string& invocationId, uint64_t token,
                           std::unique_ptr<upstream::RequestHandle>* request) {
  auto it = calls_.find(invocationId);
  if (it == calls_.end() || it->second.token != token) return false;
  *request = std::move(it->second.request);
  calls_.erase(it);
  return true;
}

bool Invocations::cancel(const std::string& invocationId) {
  return calls_.erase(invocationId) > 0;
}

void Invocations::clear() {
  calls_.clear();
  heldOrder_.clear();
}

}  // namespace wps::core
