#include "support/ws_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <deque>

#include "common/strings.h"
#include "protocol/websocket/frame.h"
#include "protocol/websocket/handshake.h"
#include "protocol/websocket/parser.h"

namespace wps::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

class WsClient::Impl : public ws::MessageSink {
 public:
  Impl() : socket(io), parser(ws::Role::kClient, ws::ParserLimits{64 * 1024 * 1024}) {}

  asio::io_context io;
  tcp::socket socket;
  ws::MessageParser parser;
  std::string buffer;
  std::deque<WsMessage> ready;
  bool tcpClosed = false;

  void onMessage(bool binary, std::string_view payload) override {
    ready.push_back({binary ? WsMessage::Kind::kBinary : WsMessage::Kind::kText,
                     std::string(payload), std::nullopt});
  }
  void onPing(std::string_view payload) override {
    ready.push_back({WsMessage::Kind::kPing, std::string(payload), std::nullopt});
  }
  void onPong(std::string_view payload) override {
    ready.push_back({WsMessage::Kind::kPong, std::string(payload), std::nullopt});
  }
  void onClose(std::optional<uint16_t> code, std::string_view reason) override {
    ready.push_back({WsMessage::Kind::kClose, std::string(reason), code});
  }

  // Reads more bytes with a timeout; false on timeout or EOF.
  bool readMore(std::chrono::milliseconds timeout) {
    if (tcpClosed) return false;
    char tmp[65536];
    boost::system::error_code result = asio::error::would_block;
    size_t got = 0;
    socket.async_read_some(asio::buffer(tmp), [&](const boost::system::error_code& ec, size_t n) {
      result = ec;
      got = n;
    });
    io.restart();
    io.run_for(timeout);
    if (result == asio::error::would_block) {
      socket.cancel();
      io.restart();
      io.run();
      if (got > 0) buffer.append(tmp, got);
      return got > 0;
    }
    if (result) {
      tcpClosed = true;
      return false;
    }
    buffer.append(tmp, got);
    return true;
  }

  void parse() {
    size_t consumed = 0;
    auto err = parser.parse(buffer.data(), buffer.size(), &consumed, *this);
    if (err) {
      ready.push_back({WsMessage::Kind::kClosedTcp, "client parser error: " + err->reason, {}});
      buffer.clear();
      return;
    }
    buffer.erase(0, consumed);
  }

  void write(std::string_view bytes) {
    boost::system::error_code ec;
    asio::write(socket, asio::buffer(bytes.data(), bytes.size()), ec);
  }

  void sendFrame(uint8_t opcode, std::string_view payload, bool fin) {
    uint8_t key[4];
    std::string k = ws::makeClientKey();  // random bytes source
    for (int i = 0; i < 4; ++i)
      key[i] = static_cast<uint8_t>(k[i]);
    uint8_t header[ws::kMaxFrameHeaderBytes];
    size_t n =
        ws::encodeFrameHeader(header, static_cast<ws::Opcode>(opcode), fin, payload.size(), key);
    std::string frame(reinterpret_cast<char*>(header), n);
    std::string masked(payload);
    ws::applyMask(masked.data(), masked.size(), key, 0);
    frame += masked;
    write(frame);
  }
};

WsClient::WsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WsClient::~WsClient() = default;

std::unique_ptr<WsClient> WsClient::connect(uint16_t port, const std::string& target,
                                            const std::vector<std::string>& subprotocols,
                                            HandshakeOutcome* outcome,
                                            const http::HttpHeaders& extraHeaders,
                                            int receiveBufferBytes) {
  HandshakeOutcome local;
  HandshakeOutcome& out = outcome ? *outcome : local;
  out = {};
  auto impl = std::make_unique<Impl>();
  boost::system::error_code ec;
  if (receiveBufferBytes > 0) {
    impl->socket.open(tcp::v4(), ec);
    impl->socket.set_option(asio::socket_base::receive_buffer_size(receiveBufferBytes), ec);
  }
  impl->socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), ec);
  if (ec) return nullptr;
  std::string key = ws::makeClientKey();
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    "Sec-WebSocket-Key: " +
                    key + "\r\n";
  if (!subprotocols.empty()) {
    req += "Sec-WebSocket-Protocol: ";
    for (size_t i = 0; i < subprotocols.size(); ++i) {
      if (i) req += ", ";
      req += subprotocols[i];
    }
    req += "\r\n";
  }
  for (const auto& h : extraHeaders)
    req += h.name + ": " + h.value + "\r\n";
  req += "\r\n";
  impl->write(req);
  // Read the answer head (and a body when Content-Length says so).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  size_t headEnd;
  while ((headEnd = impl->buffer.find("\r\n\r\n")) == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline ||
        !impl->readMore(std::chrono::milliseconds(30000))) {
      return nullptr;
    }
  }
  std::string head = impl->buffer.substr(0, headEnd);
  impl->buffer.erase(0, headEnd + 4);
  auto lines = split(head, '\n');
  std::string_view statusLine = trim(lines[0]);
  if (statusLine.size() >= 12) out.status = std::atoi(std::string(statusLine.substr(9, 3)).c_str());
  size_t contentLength = 0;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::string_view line = trim(lines[i]);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(trim(line.substr(0, colon)));
    std::string value(trim(line.substr(colon + 1)));
    if (iequals(name, "Content-Length")) contentLength = std::stoul(value);
    if (iequals(name, "Sec-WebSocket-Protocol")) out.subprotocol = value;
    out.headers.push_back({name, value});
  }
  if (out.status != 101) {
    while (impl->buffer.size() < contentLength && impl->readMore(std::chrono::milliseconds(5000))) {
    }
    out.body = impl->buffer.substr(0, contentLength);
    return nullptr;
  }
  auto accept = http::findHeader(out.headers, "Sec-WebSocket-Accept");
  if (!accept || *accept != ws::computeAcceptKey(key)) {
    out.status = -1;  // a broken 101
    return nullptr;
  }
  auto client = std::unique_ptr<WsClient>(new WsClient(std::move(impl)));
  client->subprotocol_ = out.subprotocol;
  return client;
}

void WsClient::sendText(std::string_view text) {
  impl_->sendFrame(1, text, true);
}
void WsClient::sendBinary(std::string_view bytes) {
  impl_->sendFrame(2, bytes, true);
}
void WsClient::sendFrame(uint8_t opcode, std::string_view payload, bool fin) {
  impl_->sendFrame(opcode, payload, fin);
}
void WsClient::sendClose(std::optional<uint16_t> code, std::string_view reason) {
  impl_->sendFrame(8, code ? ws::encodeClosePayload(*code, reason) : std::string(), true);
}
void WsClient::sendRaw(std::string_view bytes) {
  impl_->write(bytes);
}

size_t WsClient::sendRawFor(std::string_view bytes, std::chrono::milliseconds timeout) {
  size_t written = 0;
  bool done = false;
  asio::async_write(impl_->socket, asio::buffer(bytes.data(), bytes.size()),
                    [&](const boost::system::error_code&, size_t n) {
                      written = n;
                      done = true;
                    });
  impl_->io.restart();
  impl_->io.run_for(timeout);
  if (!done) {
    impl_->socket.cancel();  // the handler still runs, with the bytes written so far
    impl_->io.restart();
    impl_->io.run();
  }
  return written;
}

WsMessage WsClient::next(std::chrono::milliseconds timeout, bool returnPings) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    impl_->parse();
    while (!impl_->ready.empty()) {
      WsMessage m = std::move(impl_->ready.front());
      impl_->ready.pop_front();
      if (m.kind == WsMessage::Kind::kPing && !returnPings) {
        impl_->sendFrame(10, m.data, true);
        continue;
      }
      return m;
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return {WsMessage::Kind::kTimeout, {}, {}};
    if (!impl_->readMore(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now))) {
      impl_->parse();
      if (!impl_->ready.empty()) continue;
      if (impl_->tcpClosed) return {WsMessage::Kind::kClosedTcp, {}, {}};
    }
  }
}

WsMessage WsClient::nextData(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return {WsMessage::Kind::kTimeout, {}, {}};
    WsMessage m = next(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
    if (m.kind == WsMessage::Kind::kPong || m.kind == WsMessage::Kind::kPing) continue;
    return m;
  }
}

WsMessage WsClient::waitForClose(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return {WsMessage::Kind::kTimeout, {}, {}};
    WsMessage m = next(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
    if (m.kind == WsMessage::Kind::kClose) {
      sendClose(m.closeCode);
      return m;
    }
    if (m.kind == WsMessage::Kind::kClosedTcp || m.kind == WsMessage::Kind::kTimeout) return m;
  }
}

bool WsClient::waitForTcpClose(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!impl_->readMore(std::chrono::milliseconds(100)) && impl_->tcpClosed) return true;
    impl_->buffer.clear();
  }
  return false;
}

void WsClient::dropTcp() {
  boost::system::error_code ec;
  impl_->socket.set_option(asio::socket_base::linger(true, 0), ec);
  impl_->socket.close(ec);
  impl_->tcpClosed = true;
}

}  // namespace wps::test
