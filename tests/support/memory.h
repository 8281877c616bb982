// Memory held by the test process, for tests that attack the in-process server and assert that
// its memory stays bounded. Thread-safe.
#pragma once

namespace wps::test {

// Memory in kB: VmRSS from /proc/self/status; under AddressSanitizer the heap bytes in use
// instead, since ASan keeps freed memory resident (its quarantine). -1 when unknown.
long residentKb();

}  // namespace wps::test
