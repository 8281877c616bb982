#include "bench/ws_client.h"

#include <cstring>

#include "common/strings.h"
#include "protocol/websocket/handshake.h"

namespace wps::bench {

namespace {
constexpr size_t kMaxResponseHead = 16 * 1024;

// Value of header `name` (lower-case) in an HTTP head, trimmed; empty if absent.
std::string_view headerValue(std::string_view head, std::string_view name) {
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    const size_t start = pos + 2;
    const size_t end = head.find("\r\n", start);
    std::string_view line = head.substr(start, end == std::string_view::npos ? end : end - start);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos && iequals(line.substr(0, colon), name))
      return trim(line.substr(colon + 1));
    pos = end;
  }
  return {};
}
}  // namespace

WsClient::WsClient(asio::io_context& io, WsListener& listener, uint64_t seed)
    : io_(io),
      listener_(listener),
      socket_(io),
      writer_(socket_),
      reader_(socket_),
      parser_(ws::Role::kClient, ws::ParserLimits{16 * 1024 * 1024}),
      random_(seed) {}

WsClient::~WsClient() {
  error_code ec;
  socket_.close(ec);
}

void WsClient::start(const WsTarget& target, const std::string& pathAndQuery,
                     const std::string& subprotocol, uint32_t source, bool linger0) {
  close();
  stop_ = false;
  subprotocolClient_ = !subprotocol.empty();
  connectionId_.clear();
  const std::string key = ws::makeClientKey();
  expectedAccept_ = ws::computeAcceptKey(key);
  request_.clear();
  request_ += "GET ";
  request_ += pathAndQuery;
  request_ += " HTTP/1.1\r\nHost: ";
  request_ += target.hostHeader;
  request_ +=
      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Key: ";
  request_ += key;
  if (subprotocolClient_) {
    request_ += "\r\nSec-WebSocket-Protocol: ";
    request_ += subprotocol;
  }
  request_ += "\r\n\r\n";
  if (target.tls) {
    if (tls_) {  // an ssl::stream is not reusable, and a closed one may still have handlers
      state_ = State::kConnecting;
      asio::post(io_, [this, gen = generation_] {
        if (gen == generation_) fail("a TLS client cannot be restarted");
      });
      return;
    }
    tls_ = std::make_unique<TlsSocket>(socket_, *target.tls);
    tlsHost_ = target.tlsHost;
    writer_.setTls(tls_.get());
    reader_.setTls(tls_.get());
  }
  error_code ec = prepareSocket(socket_, source, linger0);
  if (ec) {
    state_ = State::kConnecting;
    asio::post(io_, [this, gen = generation_, why = "socket: " + ec.message()] {
      if (gen == generation_) fail(why);
    });
    return;
  }
  state_ = State::kConnecting;
  socket_.async_connect(target.server, [this, gen = generation_](const error_code& e) {
    if (gen == generation_) onConnected(e);
  });
}

void WsClient::onConnected(const error_code& ec) {
  if (state_ != State::kConnecting) return;  // closed meanwhile (or a stale completion)
  if (ec) {
    fail("connect: " + ec.message());
    return;
  }
  if (!tls_) {
    sendUpgrade();
    return;
  }
  startTlsHandshake(*tls_, tlsHost_, [this, gen = generation_](const error_code& e) {
    if (gen != generation_) return;
    if (e) {
      fail("TLS handshake: " + e.message());
      return;
    }
    sendUpgrade();
  });
}

void WsClient::sendUpgrade() {
  state_ = State::kHandshake;
  writer_.buffer() += request_;
  flush();
  reader_.start(
      [this](char* data, size_t len) { return consume(data, len); },
      [this](const error_code& e) {
        fail(e == asio::error::eof ? "connection closed by the server" : "read: " + e.message());
      });
}

void WsClient::flush() {
  writer_.flush([this](const error_code& ec) { fail("write: " + ec.message()); });
}

void WsClient::appendFrame(ws::Opcode op, std::string_view payload) {
  std::string& out = writer_.buffer();
  uint8_t header[ws::kMaxFrameHeaderBytes];
  const uint64_t r = random_.next();
  uint8_t key[4];
  std::memcpy(key, &r, 4);
  const size_t n = ws::encodeFrameHeader(header, op, true, payload.size(), key);
  const size_t start = out.size();
  out.append(reinterpret_cast<const char*>(header), n);
  out.append(payload.data(), payload.size());
  ws::applyMask(out.data() + start + n, payload.size(), key, 0);
}

void WsClient::close() {
  if (state_ == State::kIdle || state_ == State::kClosed) {
    state_ = state_ == State::kIdle ? State::kIdle : State::kClosed;
    return;
  }
  state_ = State::kClosed;
  stop_ = true;
  ++generation_;
  error_code ec;
  socket_.close(ec);
  writer_.clear();
  reader_.clear();
  parser_.reset();
}

void WsClient::fail(std::string_view why) {
  if (state_ == State::kClosed || state_ == State::kIdle) return;
  close();
  listener_.onClosed(*this, why);
}

ptrdiff_t WsClient::consume(char* data, size_t len) {
  if (state_ == State::kHandshake) {
    std::string_view view(data, len);
    const size_t end = view.find("\r\n\r\n");
    if (end == std::string_view::npos) {
      if (len > kMaxResponseHead) {
        fail("handshake response head too large");
        return -1;
      }
      return 0;
    }
    std::string_view head = view.substr(0, end + 2);
    if (!startsWith(head, "HTTP/1.1 101")) {
      fail("handshake answered: " + std::string(head.substr(0, head.find("\r\n"))));
      return -1;
    }
    if (headerValue(head, "sec-websocket-accept") != expectedAccept_) {
      fail("handshake: wrong Sec-WebSocket-Accept");
      return -1;
    }
    std::string().swap(request_);  // idle connections keep no handshake text
    std::string().swap(expectedAccept_);
    if (subprotocolClient_) {
      state_ = State::kWaitConnected;
    } else {
      state_ = State::kOpen;
      listener_.onOpen(*this);
      if (stop_) return -1;
    }
    const size_t headBytes = end + 4;
    ptrdiff_t used = consumeFrames(data + headBytes, len - headBytes);
    if (used < 0) return -1;
    return static_cast<ptrdiff_t>(headBytes) + used;
  }
  return consumeFrames(data, len);
}

ptrdiff_t WsClient::consumeFrames(char* data, size_t len) {
  size_t consumed = 0;
  auto err = parser_.parse(data, len, &consumed, *this);
  if (stop_) return -1;
  if (err) {
    // Show the bytes where parsing stopped (diagnosing a broken stream).
    std::string hex;
    static const char kHex[] = "0123456789abcdef";
    for (size_t i = consumed; i < len && i < consumed + 16; ++i) {
      hex += kHex[static_cast<uint8_t>(data[i]) >> 4];
      hex += kHex[static_cast<uint8_t>(data[i]) & 15];
      hex += ' ';
    }
    fail("protocol error from the server: " + err->reason + " at byte " + std::to_string(consumed) +
         " of " + std::to_string(len) + ": " + hex);
    return -1;
  }
  return static_cast<ptrdiff_t>(consumed);
}

void WsClient::onMessage(bool binary, std::string_view payload) {
  if (stop_) return;
  if (state_ == State::kWaitConnected) {
    // {"type":"system","event":"connected","userId":...,"connectionId":"..."}
    if (payload.find("\"event\":\"connected\"") == std::string_view::npos) {
      fail("expected the connected system message first");
      return;
    }
    const std::string_view key = "\"connectionId\":\"";
    const size_t at = payload.find(key);
    if (at != std::string_view::npos) {
      const size_t from = at + key.size();
      const size_t to = payload.find('"', from);
      if (to != std::string_view::npos)
        connectionId_ = std::string(payload.substr(from, to - from));
    }
    state_ = State::kOpen;
    listener_.onOpen(*this);
    return;
  }
  listener_.onMessage(*this, binary, payload);
}

void WsClient::onPing(std::string_view payload) {
  if (stop_) return;
  appendFrame(ws::Opcode::kPong, payload);
  flush();
}

void WsClient::onClose(std::optional<uint16_t> code, std::string_view reason) {
  if (stop_) return;
  fail("closed by the server: " + (code ? std::to_string(*code) : std::string("no code")) + " " +
       std::string(reason));
}

}  // namespace wps::bench
