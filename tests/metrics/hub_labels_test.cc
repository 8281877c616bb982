// The bounded hub label (metrics/hub_labels.h) and the connection-level gauges it labels.
#include "metrics/hub_labels.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "metrics/metrics.h"

namespace wps::metrics {
namespace {

TEST(HubLabels, ConfiguredHubsFirstThenAtMostOneHundredOthersThenOther) {
  HubLabels labels;
  labels.configure({"chat", "_default", "news"});
  EXPECT_EQ(labels.slotOf("chat"), 0u);
  EXPECT_EQ(labels.slotOf("news"), 1u);
  for (size_t i = 0; i < kMaxDynamicHubs; ++i)
    EXPECT_EQ(labels.slotOf("dyn" + std::to_string(i)), 2 + i);
  EXPECT_EQ(labels.slotOf("dyn0"), 2u);  // a given slot stays
  EXPECT_EQ(labels.slotOf("late"), kOtherHubSlot);
  EXPECT_EQ(labels.slotOf("late2"), kOtherHubSlot);
  EXPECT_EQ(labels.slotOf("news"), 1u);  // configured hubs keep theirs past the cap
  auto names = labels.names();
  ASSERT_EQ(names.size(), 2 + kMaxDynamicHubs);
  EXPECT_EQ(names[0], "chat");
  EXPECT_EQ(names[1], "news");
  EXPECT_EQ(names.back(), "dyn99");
}

TEST(HubLabels, ConfiguredHubsBeyondTheCapacityShareOther) {
  HubLabels labels;
  std::vector<std::string> many;
  for (size_t i = 0; i < kHubSlots + 10; ++i)
    many.push_back("h" + std::to_string(i));
  labels.configure(many);
  EXPECT_EQ(labels.slotOf("h0"), 0u);
  EXPECT_EQ(labels.slotOf("h" + std::to_string(kOtherHubSlot - 1)), kOtherHubSlot - 1);
  EXPECT_EQ(labels.slotOf("h" + std::to_string(kOtherHubSlot)), kOtherHubSlot);
  EXPECT_EQ(labels.slotOf("unconfigured"), kOtherHubSlot);
  EXPECT_EQ(labels.names().size(), kOtherHubSlot);
}

// Every named hub has a series per protocol, plus `_other`; the gauges of every block add up.
TEST(HubLabels, ConnectionLevelsAreRenderedPerHubAndProtocolAndPassPromtool) {
  Metrics metrics;
  metrics.hubLabels.configure({"chat"});
  CounterBlock a(metrics);
  CounterBlock b(metrics);
  Metrics::add(Metrics::hubConnections(a, metrics.hubLabels.slotOf("chat"), ClientProtocol::kJson),
               2);
  Metrics::add(Metrics::hubConnections(b, metrics.hubLabels.slotOf("chat"), ClientProtocol::kJson),
               1);
  Metrics::add(Metrics::hubConnections(b, metrics.hubLabels.slotOf("x\"y"),
                                       ClientProtocol::kProtobufReliable),
               1);
  Metrics::add(Metrics::hubConnections(a, kOtherHubSlot, ClientProtocol::kSimple), 4);
  Metrics::add(a.detachedSessions, 2);
  Metrics::add(b.detachedSessions, -1);
  Metrics::add(a.groups, 3);
  Metrics::set(b.outboundQueuedBytes, 4096);
  std::string text = metrics.render();
  auto has = [&](const std::string& line) {
    return text.find("\n" + line + "\n") != std::string::npos;
  };
  EXPECT_TRUE(has("webpubsubd_hub_connections{hub=\"chat\",protocol=\"json\"} 3"));
  EXPECT_TRUE(has("webpubsubd_hub_connections{hub=\"chat\",protocol=\"simple\"} 0"));
  EXPECT_TRUE(has("webpubsubd_hub_connections{hub=\"x\\\"y\",protocol=\"protobuf.reliable\"} 1"));
  EXPECT_TRUE(has("webpubsubd_hub_connections{hub=\"_other\",protocol=\"simple\"} 4"));
  EXPECT_TRUE(has("webpubsubd_hub_connections{hub=\"_other\",protocol=\"json.reliable\"} 0"));
  EXPECT_TRUE(has("webpubsubd_detached_sessions 1"));
  EXPECT_TRUE(has("webpubsubd_groups 3"));
  EXPECT_TRUE(has("webpubsubd_outbound_queued_bytes 4096"));
  size_t series = 0;
  for (size_t at = 0; (at = text.find("\nwebpubsubd_hub_connections{", at)) != std::string::npos;
       ++at)
    ++series;
  EXPECT_EQ(series, 3 * kClientProtocols);  // chat, x"y, _other
  std::string path = ::testing::TempDir() + "hub_labels_promtool.txt";
  {
    std::ofstream out(path);
    out << text;
  }
  EXPECT_EQ(std::system(("promtool check metrics < " + path + " 2>&1").c_str()), 0);
}

}  // namespace
}  // namespace wps::metrics
