# Fuzz targets of the auth layer (src/auth).
wps_fuzzer(jwt_fuzz
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/jwt_fuzz.cc
  DEPS wps_auth)
wps_fuzzer(group_pattern_fuzz
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/group_pattern_fuzz.cc
  DEPS wps_auth)
