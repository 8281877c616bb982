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

# Boost.Asio and Boost.Beast are compiled once (src/asio/boost_impl.cc), not in every file.
add_compile_definitions(
  BOOST_ASIO_SEPARATE_COMPILATION
  BOOST_BEAST_SEPARATE_COMPILATION
  BOOST_ASIO_NO_DEPRECATED
  BOOST_BEAST_USE_STD_STRING_VIEW
)
