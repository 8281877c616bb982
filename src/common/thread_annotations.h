// Macros over clang's thread-safety attributes, so that `-Wthread-safety` can check which lock
// guards which data (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html). They expand to
// nothing on compilers without the attributes (g++), where they are documentation only.
// libstdc++'s std::mutex carries no attributes: annotated state uses wps::Mutex
// (common/mutex.h). Header only; no state.
#pragma once

#if defined(__clang__)
#define WPS_THREAD_ANNOTATION_(x) __attribute__((x))
#else
#define WPS_THREAD_ANNOTATION_(x)
#endif

// A type that is a lock (a "capability"), e.g. `class CAPABILITY("mutex") Mutex`.
#define CAPABILITY(x) WPS_THREAD_ANNOTATION_(capability(x))
// An RAII type that holds a capability for its lifetime, e.g. MutexLock.
#define SCOPED_CAPABILITY WPS_THREAD_ANNOTATION_(scoped_lockable)

// Data members: read or written only while holding `x` (the data itself / what it points to).
#define GUARDED_BY(x) WPS_THREAD_ANNOTATION_(guarded_by(x))
#define PT_GUARDED_BY(x) WPS_THREAD_ANNOTATION_(pt_guarded_by(x))

// Lock ordering between capabilities.
#define ACQUIRED_BEFORE(...) WPS_THREAD_ANNOTATION_(acquired_before(__VA_ARGS__))
#define ACQUIRED_AFTER(...) WPS_THREAD_ANNOTATION_(acquired_after(__VA_ARGS__))

// Functions: the caller must hold / must not hold the capabilities.
#define REQUIRES(...) WPS_THREAD_ANNOTATION_(requires_capability(__VA_ARGS__))
#define REQUIRES_SHARED(...) WPS_THREAD_ANNOTATION_(requires_shared_capability(__VA_ARGS__))
#define EXCLUDES(...) WPS_THREAD_ANNOTATION_(locks_excluded(__VA_ARGS__))

// Functions that take or give back a capability (no argument: `this`).
#define ACQUIRE(...) WPS_THREAD_ANNOTATION_(acquire_capability(__VA_ARGS__))
#define RELEASE(...) WPS_THREAD_ANNOTATION_(release_capability(__VA_ARGS__))
#define TRY_ACQUIRE(...) WPS_THREAD_ANNOTATION_(try_acquire_capability(__VA_ARGS__))
// Tells the analysis the capability is held (checked at run time by the function, if at all).
#define ASSERT_CAPABILITY(x) WPS_THREAD_ANNOTATION_(assert_capability(x))
// A getter returning the capability that guards something.
#define RETURN_CAPABILITY(x) WPS_THREAD_ANNOTATION_(lock_returned(x))

// Opts one function out of the analysis (say why next to it).
#define NO_THREAD_SAFETY_ANALYSIS WPS_THREAD_ANNOTATION_(no_thread_safety_analysis)
