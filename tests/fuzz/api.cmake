# Fuzz targets of the REST API (src/api): routing, authentication and validation end to end.
wps_fuzzer(rest_route_fuzz
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/rest_route_fuzz.cc
  DEPS wps_api Boost::json)
