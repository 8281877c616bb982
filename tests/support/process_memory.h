// How much memory this test process holds, for tests that attack the in-process server and
// assert that its memory stays bounded. Thread-safe (reads /proc or the sanitizer allocator).
#pragma once

#include <sys/types.h>

namespace wps::test {

// Memory held by this process in kB: VmRSS from /proc/self/status; under AddressSanitizer the
// heap bytes in use instead, since ASan keeps freed memory resident (its quarantine). -1 when it
// cannot be read.
long residentKb();

// VmRSS of process `pid` in kB (from /proc/PID/status); -1 when it cannot be read.
long processRssKb(pid_t pid);

// True when built with a sanitizer (ASan, TSan): timing budgets of the attack tests are scaled.
bool underSanitizer();

}  // namespace wps::test
