// Memory of a server under attack, for the tests that assert it stays bounded. Header-only, so
// that each test binary sees its own sanitizer configuration.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <cstddef>
#include <fstream>
#include <string>

#if defined(__SANITIZE_ADDRESS__)
// From the sanitizer runtime's allocator interface (its header is not installed with g++).
extern "C" size_t __sanitizer_get_current_allocated_bytes();
#endif

namespace wps::test {

// VmRSS of process `pid` in kB (from /proc/PID/status); -1 when it cannot be read.
inline long processRssKb(pid_t pid) {
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

// Memory held by this process (an in-process server) in kB: VmRSS; under AddressSanitizer the
// heap bytes in use instead, since ASan keeps freed memory resident (its quarantine).
inline long residentKb() {
#if defined(__SANITIZE_ADDRESS__)
  return static_cast<long>(__sanitizer_get_current_allocated_bytes() / 1024);
#else
  return processRssKb(::getpid());
#endif
}

}  // namespace wps::test
