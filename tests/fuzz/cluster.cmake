wps_fuzzer(bus_message_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/bus_message_fuzz.cc DEPS wps_bus_message)
