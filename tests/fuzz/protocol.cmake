# Fuzz targets of the PubSub request decoders (src/protocol).
wps_fuzzer(json_request_fuzz
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/json_request_fuzz.cc
  DEPS wps_protocol Boost::json)
wps_fuzzer(protobuf_request_fuzz
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/protobuf_request_fuzz.cc
  DEPS wps_protocol wps_protocol_proto Boost::json)
