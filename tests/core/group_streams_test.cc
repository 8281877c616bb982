#include "core/group_streams.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace wps::core {
namespace {

using protocol::StreamRequest;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Records what GroupStreams decides, one line per call.
class RecordingSink : public StreamSink {
 public:
  std::vector<std::string> out;

  void publishStream(const std::string& group, bool noEcho, protocol::StreamInfo info,
                     protocol::Payload payload) override {
    std::string line = "pub " + group + (noEcho ? " noEcho " : " ") + info.streamId + "#" +
                       std::to_string(info.sequenceId);
    if (info.endOfStream) line += " end";
    if (info.error) {
      line += " " + info.error->name;
      if (info.error->userErrorCode) line += "/" + *info.error->userErrorCode;
    }
    if (!payload.data.empty()) line += " " + payload.data;
    out.push_back(line);
  }
  void sendStreamAck(const std::string& id, uint64_t expected) override {
    out.push_back("ack " + id + " " + std::to_string(expected));
  }
  void sendStreamNack(const std::string& id, uint64_t expected,
                      const protocol::AckError& error) override {
    out.push_back("nack " + id + " " + std::to_string(expected) + " " + error.name);
  }
  void sendStreamClosed(const std::string& id,
                        const std::optional<protocol::AckError>& error) override {
    out.push_back("closed " + id + (error ? " " + error->name : ""));
  }
  bool maySendTo(const std::string&) const override { return !forbidden; }
  bool forbidden = false;
  std::vector<std::string> take() { return std::exchange(out, {}); }
};

StreamRequest startOf(std::string id, std::string group = "g") {
  StreamRequest r;
  r.kind = StreamRequest::Kind::kStart;
  r.streamId = std::move(id);
  r.group = std::move(group);
  return r;
}

StreamRequest dataOf(std::string id, std::optional<uint64_t> seq, std::string text = "x") {
  StreamRequest r;
  r.kind = StreamRequest::Kind::kData;
  r.streamId = std::move(id);
  r.sequenceId = seq;
  if (seq) r.payload = protocol::Payload{protocol::DataType::kText, std::move(text)};
  return r;
}

StreamRequest endOf(std::string id) {
  StreamRequest r;
  r.kind = StreamRequest::Kind::kEnd;
  r.streamId = std::move(id);
  return r;
}

class GroupStreamsTest : public ::testing::Test {
 protected:
  RecordingSink sink;
  GroupStreams streams{sink, GroupStreams::Limits{3, 300000, 3600000}};
  TimePoint t0{};
};

TEST_F(GroupStreamsTest, StartDataEnd) {
  streams.start(t0, startOf("s"), true);
  streams.data(t0, dataOf("s", 1, "a"));
  streams.data(t0, dataOf("s", 2, "b"));
  streams.end(t0, endOf("s"));
  EXPECT_EQ(sink.take(), (std::vector<std::string>{"ack s 1", "pub g s#1 a", "pub g s#2 b",
                                                   "ack s 3", "pub g s#3 end", "closed s"}));
  EXPECT_EQ(streams.activeCount(), 0u);
  EXPECT_FALSE(streams.nextDeadline());
}

TEST_F(GroupStreamsTest, AcksEvery16FragmentsOrAfter100Ms) {
  streams.start(t0, startOf("s"), true);
  sink.take();
  for (uint64_t i = 1; i <= 16; ++i)
    streams.data(t0, dataOf("s", i));
  auto out = sink.take();
  ASSERT_EQ(out.size(), 17u);  // the 16th fragment brings the ack, without waiting
  EXPECT_EQ(out.back(), "ack s 17");
  streams.data(t0, dataOf("s", 17));
  streams.data(t0, dataOf("s", 18));
  sink.take();
  EXPECT_EQ(streams.nextDeadline(), t0 + milliseconds(100));
  streams.tick(t0 + milliseconds(99));
  EXPECT_TRUE(sink.take().empty());
  streams.tick(t0 + milliseconds(100));
  EXPECT_EQ(sink.take(), (std::vector<std::string>{"ack s 19"}));
}

TEST_F(GroupStreamsTest, DuplicatesAreReackedGapsNacked) {
  streams.start(t0, startOf("s"), true);
  streams.data(t0, dataOf("s", 1));
  sink.take();
  streams.data(t0, dataOf("s", 1));  // duplicate: not published, re-acked
  streams.data(t0, dataOf("s", 3));  // gap
  streams.data(t0, dataOf("s", 2, "two"));
  EXPECT_EQ(sink.take(),
            (std::vector<std::string>{"ack s 2", "nack s 2 InvalidSequenceId", "pub g s#2 two"}));
}

TEST_F(GroupStreamsTest, AcksNeverDecreaseNorExceedReceivedPlusOne) {
  streams.start(t0, startOf("s"), true);
  uint64_t last = 0;
  for (uint64_t i : {1, 2, 2, 5, 3, 1, 4, 9, 5}) {
    streams.data(t0 + milliseconds(200 * i), dataOf("s", i));
    streams.tick(t0 + milliseconds(200 * i + 100));
  }
  uint64_t highestAccepted = 5;
  for (const auto& line : sink.take()) {
    if (line.rfind("ack ", 0) != 0 && line.rfind("nack ", 0) != 0) continue;
    uint64_t v = std::stoull(line.substr(line.find(' ', line.find(' ') + 1) + 1));
    EXPECT_GE(v, last) << line;
    EXPECT_LE(v, highestAccepted + 1) << line;
    last = v;
  }
  EXPECT_EQ(last, 6u);
}

TEST_F(GroupStreamsTest, UnfilledGapEndsTheStreamAfter10s) {
  streams.start(t0, startOf("s"), true);
  streams.data(t0, dataOf("s", 2));
  streams.data(t0 + seconds(5), dataOf("s", 3));  // still the same gap
  sink.take();
  EXPECT_EQ(streams.nextDeadline(), t0 + seconds(10));
  streams.tick(t0 + seconds(10));
  EXPECT_EQ(sink.take(),
            (std::vector<std::string>{"pub g s#1 end Cancelled", "closed s BadRequest"}));
}

TEST_F(GroupStreamsTest, IdleTimeoutClampedAndRestartedByActivity) {
  auto r = startOf("s");
  r.idleTimeoutMs = 99999999;  // clamped to 3600000
  streams.start(t0, r, true);
  EXPECT_EQ(streams.nextDeadline(), t0 + seconds(3600));
  streams.data(t0 + seconds(100), dataOf("s", std::nullopt));  // keep-alive
  EXPECT_EQ(streams.nextDeadline(), t0 + seconds(3700));
  streams.data(t0 + seconds(200), dataOf("s", 7));  // nacked: no activity
  sink.take();
  streams.tick(t0 + seconds(3700));
  EXPECT_EQ(sink.take(),
            (std::vector<std::string>{"pub g s#1 end IdleTimeout", "closed s IdleTimeout"}));
}

TEST_F(GroupStreamsTest, DefaultIdleTimeout) {
  streams.start(t0, startOf("s"), true);
  EXPECT_EQ(streams.nextDeadline(), t0 + seconds(300));
}

TEST_F(GroupStreamsTest, AbortIsAUserErrorAndTheClosedHasNoError) {
  streams.start(t0, startOf("s"), true);
  auto e = endOf("s");
  e.error = protocol::StreamEndError{"db failed", "E42"};
  streams.end(t0, e);
  EXPECT_EQ(sink.take(),
            (std::vector<std::string>{"ack s 1", "pub g s#1 end UserError/E42", "closed s"}));
}

TEST_F(GroupStreamsTest, RefusedStarts) {
  streams.start(t0, startOf("f"), false);
  auto bad = startOf("b");
  bad.problem = "idleTimeoutMs must be a positive integer";
  streams.start(t0, bad, true);
  EXPECT_EQ(sink.take(), (std::vector<std::string>{"closed f Forbidden", "closed b BadRequest"}));
  for (auto id : {"1", "2", "3"})
    streams.start(t0, startOf(id), true);
  sink.take();
  streams.start(t0, startOf("4"), true);  // over the cap of 3
  EXPECT_EQ(sink.take(), (std::vector<std::string>{"closed 4 BadRequest"}));
}

TEST_F(GroupStreamsTest, DuplicateStart) {
  streams.start(t0, startOf("s"), true);
  streams.start(t0, startOf("s"), true);  // no fragment yet, same group: the ack again
  EXPECT_EQ(sink.take(), (std::vector<std::string>{"ack s 1", "ack s 1"}));
  streams.data(t0, dataOf("s", 1));
  sink.take();
  streams.start(t0, startOf("s"), true);  // conflicting: ends the old stream
  EXPECT_EQ(sink.take(),
            (std::vector<std::string>{"pub g s#2 end Cancelled", "closed s BadRequest"}));
  streams.start(t0, startOf("s"), true);  // the id is reusable
  EXPECT_EQ(sink.take(), (std::vector<std::string>{"ack s 1"}));
}

TEST_F(GroupStreamsTest, UnknownAndRecentlyClosedIds) {
  streams.data(t0, dataOf("nope", 1));
  streams.end(t0, endOf("nope"));
  EXPECT_EQ(sink.take(),
            (std::vector<std::string>{"closed nope StreamNotFound", "closed nope StreamNotFound"}));
  streams.start(t0, startOf("s"), true);
  streams.end(t0, endOf("s"));
  sink.take();
  streams.end(t0, endOf("s"));  // a resent end: the same streamClosed again
  EXPECT_EQ(sink.take(), (std::vector<std::string>{"closed s"}));
}

TEST_F(GroupStreamsTest, InvalidFragmentAndRevokedPermission) {
  streams.start(t0, startOf("a"), true);
  streams.start(t0, startOf("b"), true);
  sink.take();
  auto bad = dataOf("a", std::nullopt);
  bad.problem = "streamSequenceId, dataType and data go together";
  streams.data(t0, bad);
  sink.forbidden = true;
  streams.data(t0, dataOf("b", 1));
  EXPECT_EQ(sink.take(),
            (std::vector<std::string>{"pub g a#1 end Cancelled", "closed a BadRequest",
                                      "pub g b#1 end Forbidden", "closed b Forbidden"}));
}

TEST_F(GroupStreamsTest, SessionEndCancelsWithoutStreamClosed) {
  auto r = startOf("s", "h");
  r.noEcho = true;
  streams.start(t0, r, true);
  sink.take();
  streams.cancelAll();
  EXPECT_EQ(sink.take(), (std::vector<std::string>{"pub h noEcho s#1 end Cancelled"}));
}

TEST_F(GroupStreamsTest, ResendsTheClosedSentSinceTheLastResume) {
  streams.start(t0, startOf("old"), true);
  streams.end(t0, endOf("old"));
  streams.resendClosedSinceLastResume();
  EXPECT_EQ(sink.take().back(), "closed old");
  streams.start(t0, startOf("s"), true);
  streams.end(t0, endOf("s"));
  sink.take();
  streams.resendClosedSinceLastResume();  // only "s": "old" went out on the previous transport
  EXPECT_EQ(sink.take(), (std::vector<std::string>{"closed s"}));
}

TEST_F(GroupStreamsTest, RemembersTheLast100ClosedIds) {
  GroupStreams many{sink, GroupStreams::Limits{1000, 300000, 3600000}};
  for (int i = 0; i < 101; ++i) {
    many.start(t0, startOf(std::to_string(i)), true);
    many.end(t0, endOf(std::to_string(i)));
  }
  sink.take();
  many.end(t0, endOf("0"));
  many.end(t0, endOf("1"));
  EXPECT_EQ(sink.take(), (std::vector<std::string>{"closed 0 StreamNotFound", "closed 1"}));
}

// The stream metrics (docs/metrics.md): starts, ends by reason, published fragments and the
// active gauge, counted in the owner's block.
TEST(GroupStreamsMetrics, CountsStartsEndsByReasonAndFragments) {
  using metrics::StreamEndReason;
  metrics::Metrics registry;
  metrics::CounterBlock block(registry);
  RecordingSink sink;
  GroupStreams streams(sink, GroupStreams::Limits{10, 300000, 3600000}, &block);
  TimePoint t0{};
  auto ended = [&](StreamEndReason r) {
    return registry.totals().streamsEnded[static_cast<size_t>(r)];
  };
  for (auto id : {"done", "abort", "idle", "gap", "forbid", "conflict", "bad", "cancel"}) {
    auto start = startOf(id);
    if (std::string_view(id) == "idle") start.idleTimeoutMs = 1000;
    streams.start(t0, start, true);
  }
  streams.start(t0, startOf("refused"), false);  // refused: neither started nor ended
  EXPECT_EQ(registry.totals().streamsStarted, 8u);
  EXPECT_EQ(registry.totals().streamsActive, 8);
  streams.data(t0, dataOf("done", 1));
  streams.data(t0, dataOf("done", 1));  // a duplicate: not published again
  streams.data(t0, dataOf("done", 3));  // after a gap: not published
  streams.data(t0, dataOf("done", 2));
  streams.data(t0, dataOf("done", std::nullopt));  // keep-alive
  EXPECT_EQ(registry.totals().streamFragments, 2u);
  streams.end(t0, endOf("done"));
  auto abort = endOf("abort");
  abort.error = protocol::StreamEndError{};
  streams.end(t0, abort);
  streams.data(t0, dataOf("gap", 2));
  streams.data(t0, dataOf("conflict", 1));
  streams.start(t0, startOf("conflict"), true);
  auto bad = dataOf("bad", std::nullopt);
  bad.problem = "streamSequenceId, dataType and data go together";
  streams.data(t0, bad);
  sink.forbidden = true;
  streams.data(t0, dataOf("forbid", 1));
  streams.tick(t0 + seconds(10));  // "idle" (1 s) and "gap" (10 s)
  EXPECT_EQ(registry.totals().streamsActive, 1);
  streams.cancelAll();
  for (StreamEndReason r :
       {StreamEndReason::kCompleted, StreamEndReason::kAborted, StreamEndReason::kIdleTimeout,
        StreamEndReason::kSequenceGap, StreamEndReason::kForbidden, StreamEndReason::kConflict,
        StreamEndReason::kInvalid, StreamEndReason::kSessionEnd}) {
    EXPECT_EQ(ended(r), 1u) << metrics::labelOf(r);
  }
  EXPECT_EQ(registry.totals().streamsActive, 0);
  EXPECT_EQ(registry.totals().streamFragments, 3u);  // "conflict" published one
}

}  // namespace
}  // namespace wps::core
