// WsConnection's control frames: at most one pending pong (the latest ping's payload) and
// control frames counted against the outbound limits. A real socket pair on one WorkerIo,
// driven by the test thread; the connection has no session.
#include "transport/ws_connection.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <string>

#include "common/errors.h"
#include "protocol/frames.h"
#include "protocol/websocket/frame.h"
#include "transport/worker_io.h"

namespace wps::transport {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

std::string maskedPing(std::string_view payload) {
  static const uint8_t kKey[4] = {1, 2, 3, 4};
  return ws::encodeFrame(ws::Opcode::kPing, payload, kKey);
}

class WsConnectionTest : public ::testing::Test {
 protected:
  // Opens a connection whose first bytes are `initial` (parsed before any write happens).
  void open(WsLimits limits, std::string initial) {
    asio::ip::tcp::acceptor acceptor(worker.io, {asio::ip::make_address("127.0.0.1"), 0});
    client.connect(acceptor.local_endpoint());
    asio::ip::tcp::socket server(worker.io);
    acceptor.accept(server);
    conn = std::make_shared<WsConnection>(worker, std::move(server), limits, 20s);
    conn->start(nullptr, std::move(initial));
    worker.io.run_for(100ms);
  }
  // Everything the server wrote so far.
  std::string received() {
    std::string out;
    boost::system::error_code ec;
    client.non_blocking(true, ec);
    char buf[4096];
    for (;;) {
      size_t n = client.read_some(asio::buffer(buf), ec);
      if (ec || n == 0) break;
      out.append(buf, n);
    }
    return out;
  }
  void TearDown() override {
    if (conn) conn->abandon();
    conn.reset();
  }

  WorkerIo worker{0};
  asio::ip::tcp::socket client{worker.io};
  std::shared_ptr<WsConnection> conn;
};

TEST_F(WsConnectionTest, TwoPingsBeforeAWriteGetOnePongWithTheLatestPayload) {
  open(WsLimits{}, maskedPing("first") + maskedPing("second"));
  EXPECT_EQ(received(), ws::encodeFrame(ws::Opcode::kPong, "second"));
  EXPECT_EQ(conn->queuedBytes(), 0u);
}

TEST_F(WsConnectionTest, APingAfterThePongWasWrittenIsAnsweredAgain) {
  open(WsLimits{}, maskedPing("first"));
  EXPECT_EQ(received(), ws::encodeFrame(ws::Opcode::kPong, "first"));
  std::string next = maskedPing("again");
  asio::write(client, asio::buffer(next));
  worker.io.run_for(100ms);
  EXPECT_EQ(received(), ws::encodeFrame(ws::Opcode::kPong, "again"));
}

TEST_F(WsConnectionTest, APongThatDoesNotFitTheLimitsClosesAsASlowClient) {
  WsLimits limits;
  limits.maxQueuedBytes = 16;  // a pong of 20 payload bytes does not fit
  open(limits, maskedPing(std::string(20, 'p')));
  std::string close = ws::encodeFrame(
      ws::Opcode::kClose,
      ws::encodeClosePayload(errors::kOutboundQueueFull.code, errors::kOutboundQueueFull.reason));
  EXPECT_EQ(received(), close);  // no pong before the close frame
}

TEST_F(WsConnectionTest, AFrameLimitCountsControlFrames) {
  WsLimits limits;
  limits.maxQueuedFrames = 0;
  open(limits, maskedPing("x"));
  std::string out = received();
  ASSERT_GE(out.size(), 4u);
  EXPECT_EQ(static_cast<uint8_t>(out[0]), 0x88);  // close, not pong
  EXPECT_EQ((static_cast<uint8_t>(out[2]) << 8) | static_cast<uint8_t>(out[3]), 1008);
}

// framesQueued() numbers every frame, control frames included, so a session can name its reply
// to watchFrame() (the blocking-event reply stage; without a session nothing is reported).
TEST_F(WsConnectionTest, FramesQueuedNumbersEveryFrameIncludingPongs) {
  open(WsLimits{}, maskedPing("p"));
  EXPECT_EQ(conn->framesQueued(), 1u);  // the pong
  EXPECT_EQ(conn->send(protocol::makeTextFrame("a")), core::SendStatus::kQueued);
  EXPECT_EQ(conn->framesQueued(), 2u);
  conn->watchFrame(1);
  worker.io.run_for(100ms);
  EXPECT_EQ(received(),
            ws::encodeFrame(ws::Opcode::kPong, "p") + ws::encodeFrame(ws::Opcode::kText, "a"));
  EXPECT_EQ(conn->framesQueued(), 2u);  // a count of frames ever queued, not of those waiting
}

// --- Message TTL (spec client-protocols-1.1 §5) -------------------------------------------------

TEST_F(WsConnectionTest, DataFramesWhoseTtlPassedBeforeTheWriteAreDroppedTheOthersWritten) {
  open(WsLimits{}, "");
  auto text = [](std::string s, TimePoint expiresAt) {
    protocol::OutFrame f = protocol::makeTextFrame(std::move(s));
    f.expiresAt = expiresAt;
    return f;
  };
  TimePoint now = Clock::now();
  // Queued in one loop turn, written by the next flush: the expired ones never reach the socket.
  EXPECT_EQ(conn->send(text("gone-1", now - 1ms)), core::SendStatus::kQueued);
  EXPECT_EQ(conn->send(text("kept-1", TimePoint::max())), core::SendStatus::kQueued);
  EXPECT_EQ(conn->send(text("kept-2", now + 60s)), core::SendStatus::kQueued);
  EXPECT_EQ(conn->send(text("gone-2", now)), core::SendStatus::kQueued);
  worker.io.run_for(100ms);
  EXPECT_EQ(received(), ws::encodeFrame(ws::Opcode::kText, "kept-1") +
                            ws::encodeFrame(ws::Opcode::kText, "kept-2"));
  EXPECT_EQ(conn->queuedBytes(), 0u) << "the dropped frames' bytes are released";
  // A batch of nothing but expired frames leaves the connection writable.
  EXPECT_EQ(conn->send(text("gone-3", now)), core::SendStatus::kQueued);
  worker.io.run_for(50ms);
  EXPECT_EQ(conn->send(text("kept-3", TimePoint::max())), core::SendStatus::kQueued);
  worker.io.run_for(100ms);
  EXPECT_EQ(received(), ws::encodeFrame(ws::Opcode::kText, "kept-3"));
}

TEST_F(WsConnectionTest, ExpiredQueuedFramesMakeRoomInsteadOfClosingASlowClient) {
  WsLimits limits;
  limits.maxQueuedFrames = 3;
  open(limits, "");
  auto text = [](std::string s, TimePoint expiresAt) {
    protocol::OutFrame f = protocol::makeTextFrame(std::move(s));
    f.expiresAt = expiresAt;
    return f;
  };
  TimePoint past = Clock::now() - 1ms;
  // Queued within one loop turn, before any write: the queue is full with two expired frames.
  EXPECT_EQ(conn->send(text("gone-1", past)), core::SendStatus::kQueued);
  EXPECT_EQ(conn->send(text("kept-1", TimePoint::max())), core::SendStatus::kQueued);
  EXPECT_EQ(conn->send(text("gone-2", past)), core::SendStatus::kQueued);
  EXPECT_EQ(conn->send(text("kept-2", TimePoint::max())), core::SendStatus::kQueued);
  EXPECT_EQ(conn->send(text("kept-3", TimePoint::max())), core::SendStatus::kQueued);
  EXPECT_EQ(conn->send(text("kept-4", TimePoint::max())), core::SendStatus::kOverflow)
      << "nothing expired left to drop";
  worker.io.run_for(100ms);
  EXPECT_EQ(received(), ws::encodeFrame(ws::Opcode::kText, "kept-1") +
                            ws::encodeFrame(ws::Opcode::kText, "kept-2") +
                            ws::encodeFrame(ws::Opcode::kText, "kept-3"));
}

// --- Paused reading (inbound backpressure) ---------------------------------------------------

class PausedWsConnectionTest : public WsConnectionTest {
 protected:
  // A connection paused before the client's data arrived: that data stays unread. The test
  // keeps only a weak reference: the connection lives (owning itself) until its socket closes.
  void openPaused() {
    open(WsLimits{}, "");
    conn->pauseReading(true);
    static const uint8_t kKey[4] = {5, 6, 7, 8};
    std::string data = ws::encodeFrame(ws::Opcode::kText, std::string(1000, 'x'), kKey);
    asio::write(client, asio::buffer(data));
    worker.io.run_for(50ms);
    weak = conn;
    conn.reset();
  }
  // Runs the worker until the connection is gone or `timeout` passed; whether it is gone.
  bool runUntilGone(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!weak.expired() && std::chrono::steady_clock::now() < deadline)
      worker.io.run_for(10ms);
    return weak.expired();
  }
  void TearDown() override {
    if (auto alive = weak.lock()) alive->abandon();
    WsConnectionTest::TearDown();
  }

  std::weak_ptr<WsConnection> weak;
};

TEST_F(PausedWsConnectionTest, AResetIsNoticedWhileReadingIsPaused) {
  openPaused();
  worker.io.run_for(50ms);
  ASSERT_FALSE(weak.expired());  // a live client keeps its paused connection
  client.set_option(asio::socket_base::linger(true, 0));
  client.close();  // RST
  EXPECT_TRUE(runUntilGone(2s));
}

TEST_F(PausedWsConnectionTest, AHalfCloseIsNoticedByTheKeepAliveTick) {
  openPaused();
  client.shutdown(asio::ip::tcp::socket::shutdown_send);  // FIN: Asio does not watch RDHUP
  worker.io.run_for(50ms);
  if (auto alive = weak.lock()) alive->tick(Clock::now());
  EXPECT_TRUE(runUntilGone(1s));
}

TEST_F(PausedWsConnectionTest, APausedConnectionIsNotIdle) {
  openPaused();
  // Three keep-alive intervals (20 s) without reading: a paused client is waiting for us.
  if (auto alive = weak.lock()) alive->tick(Clock::now() + 61s);
  worker.io.run_for(50ms);
  EXPECT_EQ(received(), ws::encodeFrame(ws::Opcode::kPing, ""));  // a keep-alive ping, no 1001
  EXPECT_FALSE(weak.expired());
}

}  // namespace
}  // namespace wps::transport
