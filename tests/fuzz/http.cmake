# Fuzz targets of the HTTP codec (src/http).
wps_fuzzer(http1_response_fuzz
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/http1_response_fuzz.cc
  DEPS wps_http)
