# Fuzz targets of src/common: UTF-8 validation, decoding and encoding against a reference decoder.
wps_fuzzer(utf8_fuzz
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/utf8_fuzz.cc
  DEPS wps_common)
# Percent decoding, query strings and REST request targets against a reference decoder.
wps_fuzzer(query_string_fuzz
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/query_string_fuzz.cc
  DEPS wps_api)
