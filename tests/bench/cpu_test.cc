#include "bench/cpu.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>

namespace wps::bench {
namespace {

// A real line of /proc/PID/stat (utime 1234, stime 567 at fields 14 and 15).
constexpr const char* kStat =
    "4242 (webpubsubd) S 1 4242 4242 0 -1 4194560 1500 0 0 0 1234 567 0 0 20 0 3 0 100 "
    "123456789 2048 18446744073709551615 1 1 0 0 0 0 0 4096 17384 0 0 0 17 1 0 0 0 0 0";

TEST(CpuTicks, ParsesUtimePlusStime) {
  EXPECT_EQ(parseStatCpuTicks(kStat), 1234u + 567u);
}

TEST(CpuTicks, CommandNameWithSpacesAndParentheses) {
  EXPECT_EQ(parseStatCpuTicks("7 (a b) c)) R 1 7 7 0 -1 0 0 0 0 0 10 20 0 0 20 0 1 0 5"), 30u);
}

TEST(CpuTicks, MalformedLinesAreRejected) {
  EXPECT_FALSE(parseStatCpuTicks(""));
  EXPECT_FALSE(parseStatCpuTicks("4242 webpubsubd S 1 2 3"));          // no parentheses
  EXPECT_FALSE(parseStatCpuTicks("4242 (x) S 1 4242 4242 0 -1 0 0"));  // ends before utime
  EXPECT_FALSE(parseStatCpuTicks("1 (x) S 1 1 1 0 -1 0 0 0 0 0 1x 2 0"));
}

TEST(CpuTicks, DifferenceNeedsBothEdgesInOrder) {
  const double tick = secondsPerTick();
  ASSERT_GT(tick, 0);
  EXPECT_DOUBLE_EQ(*ticksToSeconds(100, 350), 250 * tick);
  EXPECT_FALSE(ticksToSeconds(std::nullopt, 5));
  EXPECT_FALSE(ticksToSeconds(5, std::nullopt));
  EXPECT_FALSE(ticksToSeconds(6, 5));
}

// Burns CPU in this thread for about `ms` milliseconds of thread CPU time.
void burn(int ms) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  volatile uint64_t x = 0;
  while (std::chrono::steady_clock::now() < end)
    x = x + 1;
}

TEST(CpuWatch, MeasuresThisProcess) {
  ASSERT_TRUE(processCpuTicks(::getpid()).has_value());
  CpuWatch watch({::getpid()}, ::getpid());
  watch.start();
  burn(300);
  const CpuUse used = watch.stop();
  ASSERT_TRUE(used.server.has_value());
  ASSERT_TRUE(used.upstream.has_value());
  // At least a third of the wall time (a loaded machine may deschedule us), at most the wall
  // time plus two ticks of rounding.
  EXPECT_GE(*used.server, 0.1);
  EXPECT_LE(*used.server, 0.3 + 2 * secondsPerTick() + 0.2);
}

TEST(CpuWatch, ServerSumsEveryNode) {
  CpuWatch one({::getpid()}, 0), twice({::getpid(), ::getpid()}, 0);
  one.start();
  twice.start();
  burn(200);
  const CpuUse a = one.stop(), b = twice.stop();
  ASSERT_TRUE(a.server && b.server);
  EXPECT_FALSE(a.upstream);  // no upstream PID
  // The same process counted twice: about twice the CPU (both read within the same ticks ±1).
  EXPECT_NEAR(*b.server, 2 * *a.server, 4 * secondsPerTick());
}

TEST(CpuWatch, UnknownProcessesGiveNothing) {
  CpuWatch none({0, -1}, 0);
  none.start();
  const CpuUse used = none.stop();
  EXPECT_FALSE(used.server);
  EXPECT_FALSE(used.upstream);
}

}  // namespace
}  // namespace wps::bench
