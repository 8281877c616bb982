# The REST API's OData filter: parse arbitrary bytes, evaluate what parses.
wps_fuzzer(filter_fuzz
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/filter_fuzz.cc
  DEPS wps_filter)
