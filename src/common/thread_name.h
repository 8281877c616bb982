// Names the calling thread, as `top -H`, `ps -L`, gdb and perf show it.
// Owner: each thread names itself, first thing after it starts.
#pragma once

#include <string>

namespace wps {

// Sets the calling thread's name to `name`, cut to the 15 bytes Linux keeps. The names the
// server uses are listed in docs/operations.md ("Threads"). Failure is ignored: a name is
// a diagnostic aid, never needed for correctness.
void setCurrentThreadName(const std::string& name);

}  // namespace wps
