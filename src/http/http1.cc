#include "http/http1.h"

#include <charconv>
#include <cstdint>

#include "common/strings.h"

namespace wps::http::http1 {
namespace {

// Byte classes, built once: bit 1 = token character (RFC 9110 tchar), bit 2 = may appear in an
// ASCII header value (visible ASCII, space, tab).
constexpr uint8_t kToken = 1;
constexpr uint8_t kAsciiValue = 2;

struct ByteClasses {
  uint8_t table[256] = {};
  constexpr ByteClasses() {
    for (int c = 0; c < 256; ++c) {
      bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      bool punct = false;
      for (char p : std::string_view("!#$%&'*+-.^_`|~"))
        punct = punct || c == p;
      if (alnum || punct) table[c] |= kToken;
      if ((c >= 0x20 && c < 0x7f) || c == '\t') table[c] |= kAsciiValue;
    }
  }
};
constexpr ByteClasses kClasses;

bool isToken(std::string_view s) {
  uint8_t all = kToken;
  for (char c : s)
    all &= kClasses.table[static_cast<uint8_t>(c)];
  return all && !s.empty();
}

bool isFramingHeader(std::string_view name) {
  switch (name.size()) {
    case 4:
      return iequals(name, "host");
    case 10:
      return iequals(name, "connection");
    case 14:
      return iequals(name, "content-length");
    case 17:
      return iequals(name, "transfer-encoding");
    default:
      return false;
  }
}

// Calls f(token) for each comma-separated, trimmed, non-empty element of a header value.
template <class F>
void forEachListElement(std::string_view value, F&& f) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view item = trim(value.substr(0, comma));
    if (!item.empty()) f(item);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

}  // namespace

Status validateRequest(const HttpRequest& request) {
  if (!isToken(request.method)) return invalidArgument("the method is not an HTTP token");
  for (const auto& h : request.headers) {
    if (!isToken(h.name)) return invalidArgument("header name '" + h.name + "' is not a token");
    uint8_t plain = kAsciiValue;  // visible ASCII, space and tab only: the common case
    for (char c : h.value)
      plain &= kClasses.table[static_cast<uint8_t>(c)];
    if (plain) continue;
    for (char c : h.value) {
      if (c == '\r' || c == '\n' || c == '\0') {
        return invalidArgument("header " + h.name + " has a value that cannot be sent");
      }
    }
    if (!iequals(h.name, "ce-userId") && !isAscii(h.value)) {
      return invalidArgument("header " + h.name + " has a value that cannot be sent");
    }
  }
  return Status::ok();
}

void serializeRequest(const HttpRequest& request, std::string_view target,
                      std::string_view hostHeader, std::string& out) {
  size_t size =
      request.method.size() + target.size() + hostHeader.size() + 64 + request.body.size();
  for (const auto& h : request.headers)
    size += h.name.size() + h.value.size() + 4;
  out.reserve(out.size() + size);
  out += request.method;
  out += ' ';
  out += target;
  out += " HTTP/1.1\r\nHost: ";
  out += hostHeader;
  out += "\r\n";
  for (const auto& h : request.headers) {
    if (isFramingHeader(h.name)) continue;
    out += h.name;
    out += ": ";
    out += h.value;
    out += "\r\n";
  }
  if (!request.body.empty() || request.method == "POST") {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, request.body.size());
    (void)ec;
    out += "Content-Length: ";
    out.append(digits, end);
    out += "\r\n";
  }
  out += "\r\n";
  out += request.body;
}

ResponseParser::ResponseParser(ParserLimits limits, bool bodiless)
    : limits_(limits), bodiless_(bodiless) {}

ResponseParser::Result ResponseParser::failBodyTooLarge() {
  return fail(StatusCode::kResourceExhausted, "the response body is larger than " +
                                                  std::to_string(limits_.maxBodyBytes) + " bytes");
}

ResponseParser::Result ResponseParser::fail(StatusCode code, std::string message) {
  state_ = State::kError;
  keepAlive_ = false;
  error_ = Status(code, std::move(message));
  return Result::kError;
}

bool ResponseParser::takeLine(std::string_view& data, size_t limit, bool& tooLong) {
  size_t nl = data.find('\n');
  std::string_view part = data.substr(0, nl);
  if (line_.size() + part.size() > limit + 1) {  // +1: the CR before LF
    tooLong = true;
    return false;
  }
  line_.append(part);
  if (nl == std::string_view::npos) {
    data = {};
    return false;
  }
  data.remove_prefix(nl + 1);
  if (!line_.empty() && line_.back() == '\r') line_.pop_back();
  return true;
}

// The line-reading steps of feed(), one per state. Forced inline: feed() is a hot path of the
// upstream client, and a call per line measurably slows small reads.
[[gnu::always_inline]] inline ResponseParser::Result ResponseParser::consumeHeaderLine(
    std::string_view& data) {
  size_t before = data.size();
  bool tooLong = false;
  size_t doneBytes = headerBytes_ - line_.size();  // bytes of the completed lines
  size_t budget = limits_.maxHeaderBytes > doneBytes ? limits_.maxHeaderBytes - doneBytes : 0;
  bool complete = takeLine(data, budget, tooLong);
  if (tooLong) {
    return fail(StatusCode::kInvalidArgument, "the response header section is larger than " +
                                                  std::to_string(limits_.maxHeaderBytes) +
                                                  " bytes");
  }
  headerBytes_ += before - data.size();
  if (!complete) return Result::kNeedMore;
  Result r = Result::kNeedMore;
  if (state_ == State::kStatusLine) {
    r = onStatusLine();
  } else if (state_ == State::kHeaders) {
    r = onHeaderLine();
  } else if (line_.empty()) {
    state_ = State::kComplete;  // end of trailers (their content is ignored)
  }
  line_.clear();
  return r;
}

[[gnu::always_inline]] inline ResponseParser::Result ResponseParser::consumeChunkSize(
    std::string_view& data) {
  bool tooLong = false;
  bool complete = takeLine(data, 4096, tooLong);
  if (tooLong) return fail(StatusCode::kUnavailable, "a chunk-size line is too long");
  if (!complete) return Result::kNeedMore;
  Result r = onChunkSizeLine();
  line_.clear();
  return r;
}

[[gnu::always_inline]] inline ResponseParser::Result ResponseParser::consumeChunkDataEnd(
    std::string_view& data) {
  bool tooLong = false;
  bool complete = takeLine(data, 2, tooLong);
  if (tooLong || (complete && !line_.empty())) {
    return fail(StatusCode::kUnavailable, "chunk data is not followed by CRLF");
  }
  if (complete) state_ = State::kChunkSize;
  return Result::kNeedMore;
}

ResponseParser::Result ResponseParser::feed(std::string_view data) {
  if (!data.empty()) started_ = true;
  while (true) {
    switch (state_) {
      case State::kComplete:
        if (!data.empty()) keepAlive_ = false;  // bytes after the response: do not reuse
        unconsumed_ = data.size();
        return Result::kComplete;
      case State::kError:
        return Result::kError;
      case State::kStatusLine:
      case State::kHeaders:
      case State::kTrailers:
        if (data.empty()) return Result::kNeedMore;
        if (consumeHeaderLine(data) == Result::kError) return Result::kError;
        break;
      case State::kBodyLength: {
        if (data.empty()) return Result::kNeedMore;
        size_t n = std::min(remaining_, data.size());
        response_.body.append(data.data(), n);
        data.remove_prefix(n);
        remaining_ -= n;
        if (remaining_ == 0) state_ = State::kComplete;
        break;
      }
      case State::kChunkSize:
        if (data.empty()) return Result::kNeedMore;
        if (consumeChunkSize(data) == Result::kError) return Result::kError;
        break;
      case State::kChunkData: {
        if (data.empty()) return Result::kNeedMore;
        size_t n = std::min(remaining_, data.size());
        if (appendBody(data.substr(0, n)) == Result::kError) return Result::kError;
        data.remove_prefix(n);
        remaining_ -= n;
        if (remaining_ == 0) state_ = State::kChunkDataEnd;
        break;
      }
      case State::kChunkDataEnd:
        if (data.empty()) return Result::kNeedMore;
        if (consumeChunkDataEnd(data) == Result::kError) return Result::kError;
        break;
      case State::kBodyUntilClose:
        if (data.empty()) return Result::kNeedMore;
        if (appendBody(data) == Result::kError) return Result::kError;
        data = {};
        break;
    }
  }
}

ResponseParser::Result ResponseParser::finishOnEof() {
  if (state_ == State::kBodyUntilClose) {
    state_ = State::kComplete;
    keepAlive_ = false;
    return Result::kComplete;
  }
  if (state_ == State::kComplete) {
    keepAlive_ = false;
    return Result::kComplete;
  }
  if (state_ == State::kError) return Result::kError;
  return fail(StatusCode::kUnavailable,
              started_ ? "the connection closed before the response was complete"
                       : "the connection closed without a response");
}

ResponseParser::Result ResponseParser::onStatusLine() {
  // HTTP/1.x SP 3DIGIT [SP reason]
  std::string_view l = line_;
  if (l.empty() && response_.status == 0 && headerBytes_ <= 2) {
    return Result::kNeedMore;  // tolerate a leading empty line
  }
  if (l.size() < 12 || l.substr(0, 7) != "HTTP/1." || (l[7] != '0' && l[7] != '1') || l[8] != ' ' ||
      (l.size() > 12 && l[12] != ' ')) {
    return fail(StatusCode::kUnavailable,
                "the response does not start with an HTTP/1.x status line");
  }
  int status = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (l[i] < '0' || l[i] > '9') {
      return fail(StatusCode::kUnavailable, "the response status code is not three digits");
    }
    status = status * 10 + (l[i] - '0');
  }
  if (status < 100) return fail(StatusCode::kUnavailable, "the response status code is invalid");
  minorVersion_ = l[7] - '0';
  response_.status = status;
  response_.headers.clear();
  state_ = State::kHeaders;
  return Result::kNeedMore;
}

ResponseParser::Result ResponseParser::onHeaderLine() {
  if (line_.empty()) return onHeadersDone();
  std::string_view l = line_;
  if (l.front() == ' ' || l.front() == '\t') {
    return fail(StatusCode::kUnavailable, "obsolete header line folding in the response");
  }
  size_t colon = l.find(':');
  if (colon == std::string_view::npos || !isToken(l.substr(0, colon))) {
    return fail(StatusCode::kUnavailable, "a response header line is malformed");
  }
  std::string_view name = l.substr(0, colon);
  std::string_view value = trim(l.substr(colon + 1));
  if (iequals(name, "content-length")) {
    size_t length = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
    if (ec != std::errc() || end != value.data() + value.size() || value.empty()) {
      return fail(StatusCode::kUnavailable, "the response Content-Length is invalid");
    }
    if (hasLength_ && length != remaining_) {
      return fail(StatusCode::kUnavailable, "the response has conflicting Content-Length values");
    }
    hasLength_ = true;
    remaining_ = length;
  } else if (iequals(name, "transfer-encoding")) {
    forEachListElement(value, [&](std::string_view coding) {
      // Only the last coding decides the framing.
      chunked_ = iequals(coding, "chunked");
      otherCoding_ = !chunked_;
    });
  } else if (iequals(name, "connection")) {
    forEachListElement(value, [&](std::string_view option) {
      if (iequals(option, "close")) connectionClose_ = true;
      if (iequals(option, "keep-alive")) connectionKeepAlive_ = true;
    });
  }
  response_.headers.push_back({std::string(name), std::string(value)});
  return Result::kNeedMore;
}

ResponseParser::Result ResponseParser::onHeadersDone() {
  int status = response_.status;
  if (status >= 100 && status < 200) {
    if (status == 101) {
      return fail(StatusCode::kUnavailable, "the upstream switched protocols unexpectedly");
    }
    // Interim response: forget it and parse the next one.
    state_ = State::kStatusLine;
    response_.headers.clear();
    hasLength_ = chunked_ = otherCoding_ = connectionClose_ = connectionKeepAlive_ = false;
    remaining_ = 0;
    headerBytes_ = 0;
    return Result::kNeedMore;
  }
  keepAlive_ = minorVersion_ == 1 ? !connectionClose_ : (connectionKeepAlive_ && !connectionClose_);
  if (status == 204 || status == 304 || bodiless_) {
    state_ = State::kComplete;
    return Result::kNeedMore;
  }
  if (chunked_) {
    if (hasLength_) keepAlive_ = false;  // both framings: trust chunked, never reuse
    state_ = State::kChunkSize;
    return Result::kNeedMore;
  }
  if (otherCoding_) {
    keepAlive_ = false;
    state_ = State::kBodyUntilClose;
    return Result::kNeedMore;
  }
  if (hasLength_) {
    if (remaining_ > limits_.maxBodyBytes) {
      return failBodyTooLarge();
    }
    response_.body.reserve(remaining_);
    state_ = remaining_ == 0 ? State::kComplete : State::kBodyLength;
    return Result::kNeedMore;
  }
  keepAlive_ = false;
  state_ = State::kBodyUntilClose;
  return Result::kNeedMore;
}

ResponseParser::Result ResponseParser::onChunkSizeLine() {
  std::string_view l = line_;
  size_t semi = l.find(';');
  std::string_view digits = trim(l.substr(0, semi));
  if (digits.empty() || digits.size() > 15) {
    return fail(StatusCode::kUnavailable, "a chunk size is invalid");
  }
  size_t size = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size, 16);
  if (ec != std::errc() || end != digits.data() + digits.size()) {
    return fail(StatusCode::kUnavailable, "a chunk size is invalid");
  }
  if (size == 0) {
    state_ = State::kTrailers;
    headerBytes_ = 0;
    return Result::kNeedMore;
  }
  if (size > limits_.maxBodyBytes || response_.body.size() + size > limits_.maxBodyBytes) {
    return failBodyTooLarge();
  }
  remaining_ = size;
  state_ = State::kChunkData;
  return Result::kNeedMore;
}

ResponseParser::Result ResponseParser::appendBody(std::string_view bytes) {
  if (response_.body.size() + bytes.size() > limits_.maxBodyBytes) {
    return failBodyTooLarge();
  }
  response_.body.append(bytes);
  return Result::kNeedMore;
}

}  // namespace wps::http::http1
