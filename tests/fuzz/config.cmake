# Fuzz targets of src/config: the TOML configuration loader.
wps_fuzzer(config_loader_fuzz
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/config_loader_fuzz.cc
  DEPS wps_config)
