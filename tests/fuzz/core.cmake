# Fuzz targets of src/core: the full access-token check (signature, time claims, audience).
wps_fuzzer(token_verify_fuzz
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/token_verify_fuzz.cc
  DEPS wps_core Boost::json)
