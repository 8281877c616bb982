# Fuzz targets of the CloudEvents layer (src/cloudevents).
wps_fuzzer(http1_response_fuzz
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/http1_response_fuzz.cc
  DEPS wps_cloudevents)
