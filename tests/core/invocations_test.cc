// core/invocations: the invoke → user event mapping, the answer table of
// client-protocols-1.1.md §1.4 and the bookkeeping of pending calls.
#include "core/invocations.h"

#include <gtest/gtest.h>

namespace wps::core {
namespace {

using upstream::DispatchOutcome;

DispatchOutcome answered(int status, http::HttpHeaders headers = {}, std::string body = {}) {
  DispatchOutcome o;
  o.kind = DispatchOutcome::Kind::kCompleted;
  o.response = http::HttpResponse{status, std::move(headers), std::move(body)};
  return o;
}

DispatchOutcome failedWith(StatusCode code) {
  DispatchOutcome o;
  o.kind = DispatchOutcome::Kind::kCompleted;
  o.response = Status(code, "x");
  return o;
}

std::string errorName(const InvocationAnswer& a) {
  return a.error ? a.error->name : "(success)";
}

TEST(InvokeEvent, IsPostedAsACustomEvent) {
  protocol::InvokeRequest r;
  r.invocationId = "7";
  r.event = "calc";
  r.hasData = true;
  r.payload = {protocol::DataType::kJson, "[1]"};
  r.metadata = {{"Key", "v"}};
  auto ev = makeInvokeEvent(r, false);
  EXPECT_EQ(ev.kind, cloudevents::EventKind::kUser);
  EXPECT_EQ(ev.userEventName, "calc");
  EXPECT_EQ(ev.contentType, "application/json");
  EXPECT_EQ(ev.body, "[1]");
  ASSERT_EQ(ev.extraHeaders.size(), 1u);  // no ce-invocationId by default
  EXPECT_EQ(ev.extraHeaders[0].name, "X-WebPubSub-Metadata-key");
  r.hasData = false;
  r.metadata.clear();
  auto empty = makeInvokeEvent(r, true);
  EXPECT_EQ(empty.contentType, "text/plain");
  EXPECT_EQ(empty.body, "");
  ASSERT_EQ(empty.extraHeaders.size(), 1u);
  EXPECT_EQ(empty.extraHeaders[0].name, "ce-invocationId");
  EXPECT_EQ(empty.extraHeaders[0].value, "7");
}

TEST(InvokeEvent, TheInvocationIdHeaderCannotBreakTheHeader) {
  EXPECT_EQ(invocationIdHeaderValue("a b-1"), "a b-1");
  EXPECT_EQ(invocationIdHeaderValue("x\r\nSet-Cookie: y"), "x%0D%0ASet-Cookie: y");
  EXPECT_EQ(invocationIdHeaderValue("100%\x7f\xc3\xa9"), "100%25%7F%C3%A9");
}

TEST(InvocationAnswerTest, TwoHundredsCarryTheirDataByContentType) {
  struct Row {
    const char* contentType;
    protocol::DataType type;
  };
  for (Row row : {Row{"text/plain; charset=utf-8", protocol::DataType::kText},
                  Row{"application/json", protocol::DataType::kJson},
                  Row{"application/octet-stream", protocol::DataType::kBinary},
                  Row{nullptr, protocol::DataType::kBinary},
                  Row{"application/x-protobuf", protocol::DataType::kProtobuf}}) {
    http::HttpHeaders headers;
    if (row.contentType) headers.push_back({"Content-Type", row.contentType});
    auto a = answerFor(answered(200, headers, "1"), 1024);
    ASSERT_FALSE(a.error) << (row.contentType ? row.contentType : "none");
    ASSERT_TRUE(a.data);
    EXPECT_EQ(a.data->type, row.type);
    EXPECT_EQ(a.data->data, "1");
  }
  for (int status : {200, 201, 204}) {
    auto a = answerFor(answered(status, {{"Content-Type", "application/json"}}), 1024);
    EXPECT_FALSE(a.error);
    EXPECT_FALSE(a.data);
  }
  // JSON null: the SDKs would drop `"data":null` and wait forever.
  auto null = answerFor(answered(200, {{"Content-Type", "application/json"}}, " null "), 1024);
  EXPECT_FALSE(null.error);
  EXPECT_FALSE(null.data);
  auto noContent = answerFor(answered(204, {{"Content-Type", "text/plain"}}, "ignored"), 1024);
  EXPECT_FALSE(noContent.error);
  EXPECT_FALSE(noContent.data);
}

TEST(InvocationAnswerTest, BadTwoHundredsAreInternalServerErrors) {
  EXPECT_EQ(errorName(answerFor(answered(200, {{"Content-Type", "text/html"}}, "<p>"), 1024)),
            "InternalServerError");
  EXPECT_EQ(errorName(answerFor(answered(200, {{"Content-Type", "application/json"}}, "{"), 1024)),
            "InternalServerError");
  EXPECT_EQ(errorName(answerFor(answered(200, {{"Content-Type", "text/plain"}}, "\xff"), 1024)),
            "InternalServerError");
  // An invalid ce-connectionState fails the call.
  EXPECT_EQ(errorName(answerFor(answered(200, {{"ce-connectionState", std::string(9, 's')}}), 8)),
            "InternalServerError");
  auto state = answerFor(answered(204, {{"ce-connectionState", "st"}}), 8);
  EXPECT_FALSE(state.error);
  EXPECT_EQ(state.connectionState, "st");
  EXPECT_FALSE(answerFor(answered(204), 8).connectionState);
}

TEST(InvocationAnswerTest, FailuresMapToTheirNames) {
  EXPECT_EQ(errorName(answerFor(answered(400, {}, "secret detail"), 1024)), "BadRequest");
  EXPECT_EQ(errorName(answerFor(answered(401), 1024)), "Unauthorized");
  EXPECT_EQ(errorName(answerFor(answered(403), 1024)), "Forbidden");
  EXPECT_EQ(errorName(answerFor(answered(404), 1024)), "NotFound");
  for (int status : {302, 405, 408, 429, 500, 503}) {
    EXPECT_EQ(errorName(answerFor(answered(status), 1024)), "InternalServerError") << status;
  }
  auto timeout = answerFor(failedWith(StatusCode::kDeadlineExceeded), 1024);
  EXPECT_EQ(errorName(timeout), "Timeout");
  EXPECT_EQ(timeout.error->message, "The upstream did not answer in time.");
  EXPECT_EQ(errorName(answerFor(failedWith(StatusCode::kUnavailable), 1024)),
            "InternalServerError");
  DispatchOutcome none;  // no handler
  EXPECT_EQ(errorName(answerFor(none, 1024)), "InternalServerError");
  DispatchOutcome invalid;
  invalid.kind = DispatchOutcome::Kind::kValidationFailed;
  EXPECT_EQ(errorName(answerFor(invalid, 1024)), "InternalServerError");
  // The upstream's body is never forwarded; every error has a message.
  auto bad = answerFor(answered(400, {}, "secret detail"), 1024);
  EXPECT_EQ(bad.error->message, "The event handler answered the invocation with status 400.");
  EXPECT_FALSE(answerFor(answered(500), 1024).error->message.empty());
}

// A handle that records its cancellation (destruction).
class FlagHandle : public upstream::RequestHandle {
 public:
  explicit FlagHandle(bool* cancelled) : cancelled_(cancelled) {}
  ~FlagHandle() override { *cancelled_ = true; }

 private:
  bool* cancelled_;
};

TEST(InvocationsTest, AdmitRefusesDuplicatesAndCallsBeyondTheLimit) {
  Invocations calls;
  uint64_t a = 0, b = 0, c = 0;
  EXPECT_EQ(calls.admit("1", 2, &a), Invocations::Admission::kAccepted);
  EXPECT_EQ(calls.admit("1", 2, &c), Invocations::Admission::kDuplicate);
  EXPECT_EQ(calls.admit("2", 2, &b), Invocations::Admission::kAccepted);
  EXPECT_EQ(calls.admit("3", 2, &c), Invocations::Admission::kTooMany);
  EXPECT_NE(a, b);
  EXPECT_EQ(calls.pending(), 2u);
  std::unique_ptr<upstream::RequestHandle> kept;
  EXPECT_TRUE(calls.complete("1", a, &kept));
  EXPECT_FALSE(calls.complete("1", a, &kept));  // forgotten after its answer
  EXPECT_EQ(calls.admit("1", 2, &c), Invocations::Admission::kAccepted);  // reuse: a new call
}

TEST(InvocationsTest, CancelStopsTheRequestAndDropsTheLateAnswer) {
  Invocations calls;
  uint64_t first = 0, second = 0;
  ASSERT_EQ(calls.admit("1", 10, &first), Invocations::Admission::kAccepted);
  bool cancelled = false;
  calls.setRequest("1", first, std::make_unique<FlagHandle>(&cancelled));
  EXPECT_TRUE(calls.cancel("1"));
  EXPECT_TRUE(cancelled);
  EXPECT_FALSE(calls.cancel("1"));
  EXPECT_FALSE(calls.cancel("unknown"));
  // The same id again: the first call's answer cannot complete the second.
  ASSERT_EQ(calls.admit("1", 10, &second), Invocations::Admission::kAccepted);
  std::unique_ptr<upstream::RequestHandle> kept;
  EXPECT_FALSE(calls.complete("1", first, &kept));
  bool secondCancelled = false;
  calls.setRequest("1", second, std::make_unique<FlagHandle>(&secondCancelled));
  EXPECT_TRUE(calls.complete("1", second, &kept));
  EXPECT_FALSE(secondCancelled);  // handed over, released by the caller
  kept.reset();
  EXPECT_TRUE(secondCancelled);
}

TEST(InvocationsTest, HeldCallsAreTakenInOrderAndClearCancelsEverything) {
  Invocations calls;
  uint64_t t1 = 0, t2 = 0, t3 = 0;
  calls.admit("b", 10, &t1);
  calls.admit("a", 10, &t2);
  calls.admit("c", 10, &t3);
  calls.hold("b", t1, {}, "1");
  calls.hold("a", t2, {}, "2");
  calls.hold("c", t3, {}, "3");
  calls.cancel("a");
  auto held = calls.takeHeld();
  ASSERT_EQ(held.size(), 2u);
  EXPECT_EQ(held[0].invocationId, "b");
  EXPECT_EQ(held[0].ceId, "1");
  EXPECT_EQ(held[1].invocationId, "c");
  EXPECT_TRUE(calls.takeHeld().empty());
  EXPECT_EQ(calls.pending(), 2u);  // still pending, now without an event
  bool cancelled = false;
  calls.setRequest("b", t1, std::make_unique<FlagHandle>(&cancelled));
  calls.setRequest("b", t3, std::make_unique<FlagHandle>(&cancelled));  // wrong token: dropped
  EXPECT_TRUE(cancelled);
  cancelled = false;
  calls.clear();
  EXPECT_TRUE(cancelled);
  EXPECT_EQ(calls.pending(), 0u);
}

}  // namespace
}  // namespace wps::core
