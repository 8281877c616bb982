// Durable delivery across a 60 s upstream outage (issue 12): 1,000 clients connect and
// disconnect while the event handler refuses connections; once it is back every `connected`
// and `disconnected` arrives, in order per connection, with few duplicates. In memory mode
// (no data_dir): the outbox keeps the events, not the disk. Runs about 75 s (label `long`), in
// parallel with the other delivery tests.
#include <gtest/gtest.h>

#include "integration/delivery_helpers.h"

namespace wps::test::delivery {
namespace {

constexpr int kWaves = 20;
constexpr int kClientsPerWave = 50;  // 1,000 connections in all
constexpr auto kOutage = 60s;

TEST(DeliveryOutageTest, SixtySecondOutageLosesNoEventAndKeepsPerConnectionOrder) {
  FakeUpstream upstream;
  auto settings = TestServer::defaultSettings();
  settings.hubs["chat"] = TestServer::hubWithHandler(upstream.url("/upstream/{hub}/{event}"), "",
                                                     {"connected", "disconnected"});
  settings.delivery.maxRetryDelay = std::chrono::seconds(2);
  TestServer server(std::move(settings));
  warmUp(server.port(), upstream);
  ASSERT_FALSE(HasFatalFailure());
  upstream.setMode(UpstreamMode::down());
  const auto downAt = Clock::now();

  // Spread the 1,000 connections over the outage: a wave connects, then disconnects.
  std::set<std::string> ids;
  for (int wave = 0; wave < kWaves; ++wave) {
    auto clients = connectMany(server.port(), "w" + std::to_string(wave), kClientsPerWave);
    ASSERT_EQ(clients.size(), static_cast<size_t>(kClientsPerWave));
    for (const auto& c : clients)
      ids.insert(c.connectionId);
    closeAll(clients);
    std::this_thread::sleep_until(downAt + (kOutage - 5s) * (wave + 1) / kWaves);
  }
  ASSERT_EQ(ids.size(), static_cast<size_t>(kWaves * kClientsPerWave));
  std::this_thread::sleep_until(downAt + kOutage);

  // Every event is pending and has been retried; none reached the upstream.
  EXPECT_EQ(scrapeMetric(server.port(), "webpubsubd_delivery_pending_events"), 2.0 * ids.size());
  EXPECT_GT(scrapeMetric(server.port(), "webpubsubd_delivery_attempts_total{result=\"retry\"}"), 0);
  EXPECT_TRUE(upstream.deliveryAttempts().empty());

  upstream.setMode(UpstreamMode::normal());
  EXPECT_TRUE(upstream.waitForDelivered(2 * ids.size(), 30s))
      << upstream.deliveryAttempts().size() << " attempts";
  EXPECT_TRUE(waitUntil(
      [&] { return scrapeMetric(server.port(), "webpubsubd_delivery_pending_events") == 0; }, 10s))
      << "pending: " << scrapeMetric(server.port(), "webpubsubd_delivery_pending_events");
  EXPECT_EQ(scrapeMetric(server.port(), "webpubsubd_delivery_dropped_total{reason=\"overflow\"}"),
            0);

  DeliveryReport report = checkDeliveries(upstream.deliveryAttempts(), ids);
  expectComplete(report);
  EXPECT_EQ(report.unexpected, 0u);
  for (const auto& [id, body] : report.disconnectedBody)
    EXPECT_NE(reasonOf(body), "The server restarted.") << id;
}

}  // namespace
}  // namespace wps::test::delivery
