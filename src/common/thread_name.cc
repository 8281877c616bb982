#include "common/thread_name.h"

#include <pthread.h>

namespace wps {

void setCurrentThreadName(const std::string& name) {
  std::string cut = name.substr(0, 15);
  pthread_setname_np(pthread_self(), cut.c_str());
}

}  // namespace wps
