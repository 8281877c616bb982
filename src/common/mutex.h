// A std::mutex that clang's thread-safety analysis understands (common/thread_annotations.h):
// members declared `GUARDED_BY(mu_)` may only be touched while a MutexLock on `mu_` is alive,
// and `-Wthread-safety` (clang builds) reports every access that is not.
// Thread-safe, like std::mutex; not recursive.
#pragma once

#include <mutex>

#include "common/thread_annotations.h"

namespace wps {

class CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  // Blocks until this thread holds the mutex. The caller must not hold it already.
  void lock() ACQUIRE() { mu_.lock(); }
  // Releases the mutex, which this thread must hold.
  void unlock() RELEASE() { mu_.unlock(); }
  // Takes the mutex if it is free; returns whether it did.
  bool tryLock() TRY_ACQUIRE(true) { return mu_.try_lock(); }

 private:
  std::mutex mu_;
};

// Holds `mu` from construction to the end of the scope (std::lock_guard for Mutex). Used only
// on the thread that created it.
class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ACQUIRE(mu) : mu_(mu) { mu_.lock(); }
  ~MutexLock() RELEASE() { mu_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

}  // namespace wps
