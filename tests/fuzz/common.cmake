# Fuzz targets of src/common: UTF-8 validation, decoding and encoding against a reference decoder.
wps_fuzzer(utf8_fuzz
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/utf8_fuzz.cc
  DEPS wps_common)
