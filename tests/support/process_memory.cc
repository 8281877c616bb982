#include "support/process_memory.h"

#include <unistd.h>

#include <cstddef>
#include <fstream>
#include <string>

#if defined(__SANITIZE_ADDRESS__)
#define WPS_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WPS_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define WPS_TEST_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WPS_TEST_TSAN 1
#endif
#endif

#if defined(WPS_TEST_ASAN)
// From the sanitizer runtime's allocator interface (its header is not installed with g++).
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace wps::test {

long processRssKb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      long kb = 0;
      status >> kb;
      return kb;
    }
  }
  return -1;
}

long residentKb() {
#if defined(WPS_TEST_ASAN)
  return static_cast<long>(__sanitizer_get_current_allocated_bytes() / 1024);
#else
  return processRssKb(::getpid());
#endif
}

bool underSanitizer() {
#if defined(WPS_TEST_ASAN) || defined(WPS_TEST_TSAN)
  return true;
#else
  return false;
#endif
}

}  // namespace wps::test
