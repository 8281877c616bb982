#include "metrics/blocking_stages.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "metrics/metrics.h"

namespace wps::metrics {
namespace {

using std::chrono::microseconds;

TEST(BlockingStages, BucketsStartAtFiftyMicroseconds) {
  EXPECT_EQ(stageBucket(microseconds(-5)), 0u);
  EXPECT_EQ(stageBucket(microseconds(50)), 0u);  // bounds are inclusive
  EXPECT_EQ(stageBucket(microseconds(51)), 1u);
  EXPECT_EQ(stageBucket(microseconds(300)), 3u);             // le=0.0005
  EXPECT_EQ(stageBucket(std::chrono::milliseconds(3)), 6u);  // le=0.005
  EXPECT_EQ(stageBucket(std::chrono::seconds(11)), kStageBounds.size());
}

TEST(BlockingStages, EachStageIsItsOwnFamilyByKind) {
  Metrics metrics;
  CounterBlock block(metrics);
  Metrics::observeStage(block, BlockingStage::kRequest, BlockingKind::kEvent, microseconds(80));
  Metrics::observeStage(block, BlockingStage::kUpstream, BlockingKind::kEvent, microseconds(400));
  Metrics::observeStage(block, BlockingStage::kUpstream, BlockingKind::kEvent, microseconds(600));
  Metrics::observeStage(block, BlockingStage::kReply, BlockingKind::kInvoke, microseconds(-3));
  const std::string text = metrics.render();
  const std::string request = "webpubsubd_blocking_stage_request_duration_seconds";
  const std::string upstream = "webpubsubd_blocking_stage_upstream_duration_seconds";
  const std::string reply = "webpubsubd_blocking_stage_reply_duration_seconds";
  for (const std::string& name : {request, upstream, reply}) {
    EXPECT_NE(text.find("# TYPE " + name + " histogram\n"), std::string::npos) << name;
    for (const char* kind : {"event", "invoke"}) {
      EXPECT_NE(text.find(name + "_count{kind=\"" + kind + "\"} "), std::string::npos) << name;
    }
  }
  // Cumulative buckets on the stage bounds; sums in seconds; a negative duration counts as 0.
  EXPECT_NE(text.find(request + "_bucket{kind=\"event\",le=\"0.00005\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find(request + "_bucket{kind=\"event\",le=\"0.0001\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find(upstream + "_bucket{kind=\"event\",le=\"0.0005\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find(upstream + "_bucket{kind=\"event\",le=\"0.001\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find(upstream + "_sum{kind=\"event\"} 0.001\n"), std::string::npos);
  EXPECT_NE(text.find(upstream + "_count{kind=\"invoke\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find(reply + "_bucket{kind=\"invoke\",le=\"0.00005\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find(reply + "_sum{kind=\"invoke\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find(reply + "_count{kind=\"event\"} 0\n"), std::string::npos);
}

}  // namespace
}  // namespace wps::metrics
