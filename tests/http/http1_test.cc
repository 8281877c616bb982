#include "http/http1.h"

#include <gtest/gtest.h>

namespace wps::http::http1 {
namespace {

using Result = ResponseParser::Result;

// Feeds `wire` in pieces of `step` bytes; returns the last result.
Result feedInSteps(ResponseParser& p, std::string_view wire, size_t step) {
  Result r = Result::kNeedMore;
  while (!wire.empty()) {
    size_t n = std::min(step, wire.size());
    r = p.feed(wire.substr(0, n));
    wire.remove_prefix(n);
    if (r == Result::kError) break;
  }
  return r;
}

TEST(Http1Request, SerializesRequestLineHostHeadersLengthAndBody) {
  HttpRequest r;
  r.method = "POST";
  r.headers = {{"ce-type", "azure.webpubsub.user.message"}, {"Content-Type", "text/plain"}};
  r.body = "hello";
  std::string out;
  serializeRequest(r, "/upstream?x=1", "example.com:8080", out);
  EXPECT_EQ(out,
            "POST /upstream?x=1 HTTP/1.1\r\nHost: example.com:8080\r\n"
            "ce-type: azure.webpubsub.user.message\r\nContent-Type: text/plain\r\n"
            "Content-Length: 5\r\n\r\nhello");
}

TEST(Http1Request, FramingHeadersFromTheCallerAreDropped) {
  HttpRequest r;
  r.method = "POST";
  r.headers = {{"Host", "evil"},
               {"Content-Length", "99"},
               {"Transfer-Encoding", "chunked"},
               {"connection", "close"},
               {"X-Ok", "1"}};
  std::string out;
  serializeRequest(r, "/", "h", out);
  EXPECT_EQ(out, "POST / HTTP/1.1\r\nHost: h\r\nX-Ok: 1\r\nContent-Length: 0\r\n\r\n");
}

TEST(Http1Request, OptionsWithoutBodyHasNoContentLength) {
  HttpRequest r;
  r.method = "OPTIONS";
  r.headers = {{"WebHook-Request-Origin", "localhost"}};
  std::string out;
  serializeRequest(r, "/x", "h", out);
  EXPECT_EQ(out, "OPTIONS /x HTTP/1.1\r\nHost: h\r\nWebHook-Request-Origin: localhost\r\n\r\n");
}

TEST(Http1Request, ValidationRejectsInjectionAndNonAscii) {
  HttpRequest r;
  r.headers = {{"ce-subject", "a\r\nX-Injected: 1"}};
  EXPECT_EQ(validateRequest(r).code(), StatusCode::kInvalidArgument);
  r.headers = {{"ce-subject", "caf\xc3\xa9"}};
  EXPECT_EQ(validateRequest(r).code(), StatusCode::kInvalidArgument);
  r.headers = {{"ce-userId", "caf\xc3\xa9"}};  // the service sends user ids as UTF-8
  EXPECT_TRUE(validateRequest(r).isOk());
  r.headers = {{"bad name", "x"}};
  EXPECT_EQ(validateRequest(r).code(), StatusCode::kInvalidArgument);
  r.headers = {};
  r.method = "PO ST";
  EXPECT_EQ(validateRequest(r).code(), StatusCode::kInvalidArgument);
}

TEST(Http1Response, ContentLengthInAnySplit) {
  const std::string wire =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nce-userId: u1\r\nContent-Length: 11\r\n"
      "\r\nhello world";
  for (size_t step : {1u, 2u, 3u, 7u, 1000u}) {
    ResponseParser p;
    EXPECT_FALSE(p.started());
    ASSERT_EQ(feedInSteps(p, wire, step), Result::kComplete) << step;
    EXPECT_TRUE(p.started());
    EXPECT_TRUE(p.keepAlive());
    HttpResponse res = p.take();
    EXPECT_EQ(res.status, 200);
    EXPECT_EQ(res.body, "hello world");
    ASSERT_EQ(res.headers.size(), 3u);
    EXPECT_EQ(res.headers[1].name, "ce-userId");
    EXPECT_EQ(res.headers[1].value, "u1");
  }
}

TEST(Http1Response, ChunkedWithExtensionsAndTrailersInAnySplit) {
  const std::string wire =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
      "5;name=value\r\nhello\r\nA\r\n, chunked!\r\n0\r\nX-Trailer: t\r\n\r\n";
  for (size_t step : {1u, 4u, 1000u}) {
    ResponseParser p;
    ASSERT_EQ(feedInSteps(p, wire, step), Result::kComplete) << step;
    EXPECT_TRUE(p.keepAlive());
    EXPECT_EQ(p.take().body, "hello, chunked!");
  }
}

TEST(Http1Response, BodyUntilCloseCompletesOnEofOnly) {
  ResponseParser p;
  EXPECT_EQ(p.feed("HTTP/1.1 200 OK\r\n\r\npart one, "), Result::kNeedMore);
  EXPECT_EQ(p.feed("part two"), Result::kNeedMore);
  EXPECT_EQ(p.finishOnEof(), Result::kComplete);
  EXPECT_FALSE(p.keepAlive());
  EXPECT_EQ(p.take().body, "part one, part two");
}

TEST(Http1Response, UnknownTransferCodingIsReadUntilClose) {
  ResponseParser p;
  EXPECT_EQ(p.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz"), Result::kNeedMore);
  EXPECT_EQ(p.finishOnEof(), Result::kComplete);
  EXPECT_FALSE(p.keepAlive());
}

TEST(Http1Response, KeepAliveRules) {
  struct Case {
    const char* wire;
    bool keepAlive;
  } cases[] = {
      {"HTTP/1.1 204 No Content\r\n\r\n", true},
      {"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false},
      {"HTTP/1.1 200 OK\r\nConnection: Upgrade, Close\r\nContent-Length: 0\r\n\r\n", false},
      {"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false},
      {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", true},
      {"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       false},
      {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nEXTRA", false},
  };
  for (const auto& c : cases) {
    ResponseParser p;
    ASSERT_EQ(p.feed(c.wire), Result::kComplete) << c.wire;
    EXPECT_EQ(p.keepAlive(), c.keepAlive) << c.wire;
  }
}

TEST(Http1Response, InterimResponsesAreSkipped) {
  ResponseParser p;
  ASSERT_EQ(p.feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n"
                   "HTTP/1.1 401 Unauthorized\r\nContent-Length: 4\r\n\r\nnope"),
            Result::kComplete);
  HttpResponse res = p.take();
  EXPECT_EQ(res.status, 401);
  EXPECT_EQ(res.body, "nope");
  ASSERT_EQ(res.headers.size(), 1u);
  EXPECT_EQ(res.headers[0].name, "Content-Length");
}

TEST(Http1Response, BareLineFeedsAreTolerated) {
  ResponseParser p;
  ASSERT_EQ(p.feed("HTTP/1.1 200 OK\nContent-Length: 2\n\nok"), Result::kComplete);
  EXPECT_EQ(p.take().body, "ok");
}

TEST(Http1Response, NoContentAndNotModifiedHaveNoBody) {
  ResponseParser p;
  ASSERT_EQ(p.feed("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"), Result::kComplete);
  EXPECT_EQ(p.take().body, "");
}

TEST(Http1Response, MalformedInputIsAnUnavailableError) {
  const char* bad[] = {
      "HTTP/2 200 OK\r\n\r\n",
      "HTTP/1.1 20 OK\r\n\r\n",
      "HTTP/1.1 2x0 OK\r\n\r\n",
      "HTTP/1.1 200OK\r\n\r\n",
      "SSH-2.0-OpenSSH\r\n\r\n",
      "HTTP/1.1 101 Switching Protocols\r\n\r\n",
      "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
      "HTTP/1.1 200 OK\r\nbad name: x\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 12x\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
  };
  for (const char* wire : bad) {
    ResponseParser p;
    EXPECT_EQ(p.feed(wire), Result::kError) << wire;
    EXPECT_EQ(p.error().code(), StatusCode::kUnavailable) << wire;
    EXPECT_FALSE(p.keepAlive());
    EXPECT_EQ(p.feed("more"), Result::kError);  // sticky
  }
}

TEST(Http1Response, DuplicateEqualContentLengthIsAccepted) {
  ResponseParser p;
  ASSERT_EQ(p.feed("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok"),
            Result::kComplete);
}

TEST(Http1Response, BodyLimitIsEnforcedForEveryFraming) {
  ParserLimits limits;
  limits.maxBodyBytes = 8;
  {
    ResponseParser p(limits);
    EXPECT_EQ(p.feed("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n"), Result::kError);
    EXPECT_EQ(p.error().code(), StatusCode::kResourceExhausted);
  }
  {
    ResponseParser p(limits);
    EXPECT_EQ(p.feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "5\r\nhello\r\n4\r\n"),
              Result::kError);
    EXPECT_EQ(p.error().code(), StatusCode::kResourceExhausted);
  }
  {
    ResponseParser p(limits);
    EXPECT_EQ(p.feed("HTTP/1.1 200 OK\r\n\r\n12345"), Result::kNeedMore);
    EXPECT_EQ(p.feed("6789"), Result::kError);
    EXPECT_EQ(p.error().code(), StatusCode::kResourceExhausted);
  }
  {
    ResponseParser p(limits);
    EXPECT_EQ(p.feed("HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n12345678"), Result::kComplete);
  }
}

TEST(Http1Response, HeaderLimitIsEnforcedWithoutWaitingForTheLineEnd) {
  ParserLimits limits;
  limits.maxHeaderBytes = 100;
  ResponseParser p(limits);
  EXPECT_EQ(p.feed("HTTP/1.1 200 OK\r\nX: "), Result::kNeedMore);
  EXPECT_EQ(p.feed(std::string(200, 'a')), Result::kError);
  EXPECT_EQ(p.error().code(), StatusCode::kInvalidArgument);
}

TEST(Http1Response, EofBeforeCompletionIsAnError) {
  {
    ResponseParser p;
    EXPECT_EQ(p.finishOnEof(), Result::kError);
    EXPECT_FALSE(p.started());
    EXPECT_EQ(p.error().code(), StatusCode::kUnavailable);
  }
  {
    ResponseParser p;
    EXPECT_EQ(p.feed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab"), Result::kNeedMore);
    EXPECT_EQ(p.finishOnEof(), Result::kError);
    EXPECT_TRUE(p.started());
  }
}

TEST(Http1Response, AnswerToHeadHasNoBody) {
  ResponseParser p({}, /*bodiless=*/true);
  EXPECT_EQ(p.feed("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"), Result::kComplete);
  EXPECT_TRUE(p.keepAlive());
  const HttpResponse r = p.take();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(findHeader(r.headers, "Content-Length").value_or(""), "5");
  EXPECT_TRUE(r.body.empty());
}

TEST(Http1Response, UnconsumedBytesStartThePipelinedNextResponse) {
  const std::string first = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  const std::string second = "HTTP/1.1 204 No Content\r\n\r\n";
  for (size_t split = 0; split <= first.size(); ++split) {
    ResponseParser p;
    const std::string wire = first + second;
    Result r = p.feed(std::string_view(wire).substr(0, split));
    if (r != Result::kComplete) r = p.feed(std::string_view(wire).substr(split));
    ASSERT_EQ(r, Result::kComplete) << split;
    const size_t rest = split == first.size() ? 0 : second.size();
    EXPECT_EQ(p.unconsumed(), rest) << split;
    EXPECT_EQ(p.take().body, "ok");
  }
}

}  // namespace
}  // namespace wps::http::http1
