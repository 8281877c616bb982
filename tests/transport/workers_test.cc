#include "transport/workers.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdlib>
#include <future>
#include <new>
#include <stdexcept>
#include <thread>

#include "common/log.h"

namespace wps::transport {
namespace {

// An exception escaping a handler on a worker ends the process with a non-zero status and a
// critical log line naming the worker and the exception (instead of std::terminate, silently).
TEST(WorkerLoopDeathTest, AnEscapingExceptionIsLoggedWithTheWorkerAndExitsNonZero) {
  EXPECT_EXIT(
      {
        initLogging("info");
        boost::asio::io_context io;
        boost::asio::post(io, [] { throw std::bad_alloc(); });
        runWorkerLoop(io, 7);
      },
      ::testing::ExitedWithCode(kWorkerCrashExitCode), "critical.*worker 7 crashed.*bad_alloc");
}

TEST(WorkerLoopDeathTest, ANonStandardExceptionIsFatalToo) {
  EXPECT_EXIT(
      {
        initLogging("error");  // critical lines pass every level but "off"
        boost::asio::io_context io;
        boost::asio::post(io, [] { throw 42; });
        runWorkerLoop(io, 3);
      },
      ::testing::ExitedWithCode(kWorkerCrashExitCode), "worker 3 crashed.*not a std::exception");
}

// Through the pool: a task posted to worker 1 that throws kills the process naming worker 1.
TEST(WorkerLoopDeathTest, AThrowingTaskOnAPoolWorkerEndsTheProcess) {
  EXPECT_EXIT(
      {
        initLogging("info");
        config::ServerSettings settings;
        settings.workers = 2;
        WorkerPool pool(settings);
        pool.start();
        boost::asio::post(pool.at(1).io, [] { throw std::runtime_error("boom"); });
        std::this_thread::sleep_for(std::chrono::seconds(10));
        std::exit(0);  // not reached
      },
      ::testing::ExitedWithCode(kWorkerCrashExitCode), "worker 1 crashed.*boom");
}

// A loop that is simply stopped returns normally.
TEST(WorkerLoopTest, AStoppedLoopReturns) {
  boost::asio::io_context io;
  bool ran = false;
  boost::asio::post(io, [&] { ran = true; });
  runWorkerLoop(io, 0);
  EXPECT_TRUE(ran);
}

// The outbox thread: one more loop and upstream client after the workers, started on its own
// (no worker runs here) and stopped with the pool.
TEST(WorkerPoolTest, TheOutboxThreadRunsItsOwnLoop) {
  config::ServerSettings settings;
  settings.workers = 2;
  WorkerPool pool(settings);
  ASSERT_EQ(pool.size(), 2u);
  EXPECT_EQ(pool.outbox().index, 2u);
  ASSERT_NE(pool.outbox().upstream, nullptr);
  EXPECT_NE(pool.outbox().upstream.get(), pool.at(0).upstream.get());
  pool.startOutbox();
  std::promise<std::pair<bool, std::thread::id>> ran;
  pool.outbox().loop.post([&] {
    ran.set_value({pool.outbox().loop.isInLoopThread(), std::this_thread::get_id()});
  });
  auto [inLoop, id] = ran.get_future().get();
  EXPECT_TRUE(inLoop);
  EXPECT_NE(id, std::this_thread::get_id());
  EXPECT_FALSE(pool.at(0).thread.joinable());  // the workers were not started
  pool.stop();
  EXPECT_FALSE(pool.outbox().thread.joinable());
}

// Every thread of the pool is named for `top -H` and perf (docs/architecture.md, "Thread names").
TEST(WorkerPoolTest, ThreadsAreNamedByRole) {
  config::ServerSettings settings;
  settings.workers = 2;
  WorkerPool pool(settings);
  pool.startOutbox();
  pool.start();
  auto nameOn = [](EventLoop& loop) {
    std::promise<std::string> name;
    loop.post([&] {
      char buf[16] = {};
      pthread_getname_np(pthread_self(), buf, sizeof buf);
      name.set_value(buf);
    });
    return name.get_future().get();
  };
  EXPECT_EQ(nameOn(pool.at(0).loop), "wps-worker-0");
  EXPECT_EQ(nameOn(pool.at(1).loop), "wps-worker-1");
  EXPECT_EQ(nameOn(pool.outbox().loop), "wps-outbox");
  pool.stop();
}

}  // namespace
}  // namespace wps::transport
