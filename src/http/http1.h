// HTTP/1.1 client codec for upstream delivery (RFC 9112): request serialization and an
// incremental response parser. No I/O. Values and one-exchange objects: not thread-safe, owned
// by the worker that performs the exchange.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"
#include "http/message.h"

namespace wps::http::http1 {

// Checks that every header of `request` can be written: a token name, and a value without
// CR, LF or NUL that is ASCII (ce-userId may carry UTF-8, as the service sends it).
// Errors: kInvalidArgument naming the header.
Status validateRequest(const HttpRequest& request);

// Appends the wire form of `request` to `out`: request line with `target`, Host `hostHeader`,
// the request's headers (any Host, Content-Length, Transfer-Encoding or Connection header in it
// is dropped: framing is the codec's job), Content-Length when there is a body or the method is
// POST, then the body. Call validateRequest() first.
void serializeRequest(const HttpRequest& request, std::string_view target,
                      std::string_view hostHeader, std::string& out);

// Limits of one ResponseParser. Plain value; no thread affinity.
struct ParserLimits {
  size_t maxHeaderBytes = 64 * 1024;       // status line + headers (and chunked trailers)
  size_t maxBodyBytes = 16 * 1024 * 1024;  // decoded body
};

// Parses one response from the bytes of a connection, fed as they arrive. Interim 1xx
// responses are skipped. Body framing: chunked, Content-Length, or until the peer closes.
// Not thread-safe: owned by the worker thread that performs the exchange.
class ResponseParser {
 public:
  enum class Result { kNeedMore, kComplete, kError };

  // A parser waiting for the status line of a response, enforcing `limits`. `bodiless`: the
  // response answers a HEAD request, so it has no body whatever its headers announce
  // (RFC 9110 §9.3.2).
  explicit ResponseParser(ParserLimits limits = {}, bool bodiless = false);

  // Consumes `data`. kComplete once a final response is complete (later calls return it
  // again); kError on malformed or oversized input, with error() set:
  //   kUnavailable        protocol violation (the message says which)
  //   kResourceExhausted  the body is larger than maxBodyBytes
  //   kInvalidArgument    the header section is larger than maxHeaderBytes
  Result feed(std::string_view data);

  // The peer closed the connection: completes a close-delimited body; any other incomplete
  // response becomes an error (kUnavailable).
  Result finishOnEof();

  // Whether any byte has been fed (a reused connection that fails before this is "stale").
  bool started() const { return started_; }
  // After kComplete: whether the connection may carry another request (HTTP/1.1 without
  // "Connection: close", or HTTP/1.0 with keep-alive; never for close-delimited bodies or when
  // extra bytes followed the response).
  bool keepAlive() const { return keepAlive_; }
  // After kError: why the response was rejected (see feed() and finishOnEof()); OK before.
  const Status& error() const { return error_; }
  // After feed() returned kComplete: how many bytes at the end of the data given to that call
  // are not part of the response (the start of a pipelined next response).
  size_t unconsumed() const { return unconsumed_; }
  // After kComplete: moves the response out.
  HttpResponse take() { return std::move(response_); }

 private:
  enum class State {
    kStatusLine,
    kHeaders,
    kBodyLength,
    kChunkSize,
    kChunkData,
    kChunkDataEnd,
    kTrailers,
    kBodyUntilClose,
    kComplete,
    kError,
  };

  // Enters kError with error() = {code, message}; never reuses the connection. Returns kError.
  Result fail(StatusCode code, std::string message);
  // fail() with kResourceExhausted naming limits_.maxBodyBytes.
  Result failBodyTooLarge();
  // Extracts one line (without CR LF) from `data` into line_, consuming it; false when the line
  // is not complete yet. Enforces `limit` on the line length.
  bool takeLine(std::string_view& data, size_t limit, bool& tooLong);
  // The steps of feed() that read a line from `data` (non-empty), in the states kStatusLine /
  // kHeaders / kTrailers, kChunkSize and kChunkDataEnd: consume the line's bytes (all of `data`
  // while the line is incomplete) and act on a complete line. kError once failed, else kNeedMore.
  // Defined in http1.cc and inlined into feed().
  inline Result consumeHeaderLine(std::string_view& data);
  inline Result consumeChunkSize(std::string_view& data);
  inline Result consumeChunkDataEnd(std::string_view& data);
  // Handlers of a complete line_ (status line, header line, chunk-size line) and of the blank
  // line ending the headers (picks the body framing). kError once failed, else kNeedMore.
  Result onStatusLine();
  Result onHeaderLine();
  Result onHeadersDone();
  Result onChunkSizeLine();
  // Appends decoded body bytes, failing when the body would exceed limits_.maxBodyBytes.
  Result appendBody(std::string_view bytes);

  ParserLimits limits_;
  bool bodiless_ = false;
  State state_ = State::kStatusLine;
  Status error_;
  HttpResponse response_;
  std::string line_;
  size_t headerBytes_ = 0;
  size_t remaining_ = 0;  // body bytes left (Content-Length) or in the current chunk
  size_t unconsumed_ = 0;
  int minorVersion_ = 1;
  bool started_ = false;
  bool keepAlive_ = true;
  bool chunked_ = false;
  bool hasLength_ = false;
  bool connectionClose_ = false;
  bool connectionKeepAlive_ = false;
  bool otherCoding_ = false;
};

}  // namespace wps::http::http1
