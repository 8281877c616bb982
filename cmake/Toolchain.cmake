# Compiler launcher, linker and warning flags shared by every target.

find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
  set(CMAKE_C_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()

find_program(MOLD_PROGRAM mold)
if(MOLD_PROGRAM AND NOT WPS_BUILD_FUZZERS)
  add_link_options(-fuse-ld=mold)
endif()

set(WPS_WARNINGS -Wall -Wextra -Wno-missing-field-initializers)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12 false positives: std::string concatenation (GCC bug 105329) and the frame
  # allocator of Asio coroutines (operator new/delete of awaitable frames).
  list(APPEND WPS_WARNINGS -Wno-restrict -Wno-mismatched-new-delete)
  if(WPS_SANITIZE)
    # Sanitizer instrumentation at -O1 makes GCC's flow analysis report false positives.
    list(APPEND WPS_WARNINGS -Wno-maybe-uninitialized)
  endif()
endif()
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  # Checks the lock annotations (src/common/thread_annotations.h); g++ has no such analysis.
  list(APPEND WPS_WARNINGS -Wthread-safety)
endif()
if(WPS_WERROR)
  list(APPEND WPS_WARNINGS -Werror)
endif()

if(WPS_BUILD_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "WPS_BUILD_FUZZERS needs clang: CC=clang CXX=clang++")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=address,undefined)
endif()

if(WPS_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

option(WPS_TSAN "Build with ThreadSanitizer (not with WPS_SANITIZE or WPS_BUILD_FUZZERS)" OFF)
if(WPS_TSAN)
  if(WPS_SANITIZE OR WPS_BUILD_FUZZERS)
    message(FATAL_ERROR "WPS_TSAN cannot be combined with AddressSanitizer (WPS_SANITIZE, WPS_BUILD_FUZZERS)")
  endif()
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC warns that TSan does not model std::atomic_thread_fence (used inside Boost/libstdc++),
    # and its flow analysis at -O1 with instrumentation reports false maybe-uninitialized.
    list(APPEND WPS_WARNINGS -Wno-tsan -Wno-maybe-uninitialized)
  endif()
endif()

# Clang builds: `thread_safety_check` compiles every library that holds mutex-guarded state
# (GUARDED_BY & co: metrics, upstream, core), so -Wthread-safety sees all of it; scripts/test
# builds it with the fuzzers. (The cluster code has no locks: its state is confined to the
# cluster thread.)
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  add_custom_target(thread_safety_check)
  add_dependencies(thread_safety_check wps_common wps_metrics wps_upstream wps_core)
endif()

# Fuzz builds: `fuzzers`, the default of the fuzz build preset, is every fuzz target plus
# thread_safety_check. Not `all`: with clang 14 src/transport does not build here (a lambda
# capturing a structured binding in runtime.cc, and Asio coroutines under -fsanitize=undefined:
# "Cannot represent a difference across sections", LLVM issue 49689).
function(wps_add_fuzzers_target)
  get_directory_property(fuzz_targets DIRECTORY ${PROJECT_SOURCE_DIR}/tests/fuzz
                         BUILDSYSTEM_TARGETS)
  add_custom_target(fuzzers)
  add_dependencies(fuzzers ${fuzz_targets} thread_safety_check)
endfunction()
if(WPS_BUILD_FUZZERS AND WPS_BUILD_TESTS)
  cmake_language(DEFER DIRECTORY ${PROJECT_SOURCE_DIR} CALL wps_add_fuzzers_target)
endif()

# Boost.Asio and Boost.Beast are compiled once (src/asio/boost_impl.cc), not in every file.
add_compile_definitions(
  BOOST_ASIO_SEPARATE_COMPILATION
  BOOST_BEAST_SEPARATE_COMPILATION
  BOOST_ASIO_NO_DEPRECATED
  BOOST_BEAST_USE_STD_STRING_VIEW
)
