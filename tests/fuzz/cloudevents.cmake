# Fuzz targets of src/cloudevents: event handler URL templates and URL splitting.
wps_fuzzer(url_template_fuzz
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/url_template_fuzz.cc
  DEPS wps_cloudevents)
