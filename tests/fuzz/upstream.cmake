# Fuzz targets of src/upstream: what turns an upstream HTTP answer into a decision.
wps_fuzzer(cookie_jar_fuzz
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/cookie_jar_fuzz.cc
  DEPS wps_upstream)
wps_fuzzer(connect_answer_fuzz
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/connect_answer_fuzz.cc
  DEPS wps_upstream Boost::json)
wps_fuzzer(user_event_answer_fuzz
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/user_event_answer_fuzz.cc
  DEPS wps_upstream Boost::json)
