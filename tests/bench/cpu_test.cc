#include "bench/cpu.h"

#include <gtest/gtest.h>

#include <time.h>
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

// This process's CPU time (every thread) in seconds, at nanosecond resolution.
double processCpuSeconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Burns CPU in this thread until the process used `ms` more milliseconds of it (however loaded
// the machine is), or 20 s passed.
void burn(int ms) {
  const double until = processCpuSeconds() + ms / 1000.0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  volatile uint64_t x = 0;
  while (processCpuSeconds() < until && std::chrono::steady_clock::now() < deadline)
    x = x + 1;
}

TEST(CpuWatch, MeasuresThisProcess) {
  ASSERT_TRUE(processCpuTicks(::getpid()).has_value());
  CpuWatch watch({::getpid()}, ::getpid());
  const double before = processCpuSeconds();
  watch.start();
  burn(300);
  const CpuUse used = watch.stop();
  const double exact = processCpuSeconds() - before;
  ASSERT_TRUE(used.server.has_value());
  ASSERT_TRUE(used.upstream.has_value());
  // The kernel's own count at tick resolution: within a few ticks of the exact CPU time.
  EXPECT_GE(exact, 0.3);
  EXPECT_NEAR(*used.server, exact, 3 * secondsPerTick());
  EXPECT_NEAR(*used.upstream, exact, 3 * secondsPerTick());
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
