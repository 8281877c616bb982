# Fuzz targets of the WebSocket codec (src/protocol/websocket).
wps_fuzzer(websocket_parser_fuzz
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/websocket_parser_fuzz.cc
  DEPS wps_websocket)
