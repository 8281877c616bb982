# The Debian package (scripts/package): `cpack -G DEB` in the release build directory makes
# webpubsubd_<version>_<arch>.deb with the binary, /etc/webpubsubd/webpubsubd.toml (a
# conffile), the systemd unit, the manual page and the docs. The maintainer scripts and the
# Debian metadata are in packaging/debian/.
set(WPS_PKG ${PROJECT_SOURCE_DIR}/packaging)
set(WPS_PKG_OUT ${CMAKE_BINARY_DIR}/packaging)

# Debian wants the changelog and the manual page compressed with gzip -9n (no timestamp).
add_custom_command(
  OUTPUT ${WPS_PKG_OUT}/changelog.gz ${WPS_PKG_OUT}/webpubsubd.1.gz
  COMMAND ${CMAKE_COMMAND} -E make_directory ${WPS_PKG_OUT}
  COMMAND sh -c "gzip -9n -c '${WPS_PKG}/debian/changelog' > '${WPS_PKG_OUT}/changelog.gz'"
  COMMAND sh -c "gzip -9n -c '${WPS_PKG}/debian/webpubsubd.1' > '${WPS_PKG_OUT}/webpubsubd.1.gz'"
  DEPENDS ${WPS_PKG}/debian/changelog ${WPS_PKG}/debian/webpubsubd.1
  COMMENT "Debian package files"
  VERBATIM)
add_custom_target(package_files ALL
  DEPENDS ${WPS_PKG_OUT}/changelog.gz ${WPS_PKG_OUT}/webpubsubd.1.gz)

include(GNUInstallDirs)
install(TARGETS webpubsubd RUNTIME DESTINATION bin COMPONENT server)
install(FILES ${WPS_PKG}/webpubsubd.toml DESTINATION /etc/webpubsubd COMPONENT server)
install(FILES ${WPS_PKG}/webpubsubd.service DESTINATION /lib/systemd/system COMPONENT server)
install(FILES ${WPS_PKG_OUT}/webpubsubd.1.gz DESTINATION share/man/man1 COMPONENT server)
install(FILES ${WPS_PKG}/debian/copyright ${WPS_PKG_OUT}/changelog.gz README.md
        DESTINATION share/doc/webpubsubd COMPONENT server)
install(DIRECTORY docs/ DESTINATION share/doc/webpubsubd/docs COMPONENT server
        FILES_MATCHING PATTERN "*.md" PATTERN "*.json" PATTERN "*.yaml")
install(FILES examples/webpubsubd.toml DESTINATION share/doc/webpubsubd/examples
        COMPONENT server)

set(CPACK_GENERATOR DEB)
set(CPACK_COMPONENTS_ALL server)
set(CPACK_DEB_COMPONENT_INSTALL OFF)
set(CPACK_PACKAGE_NAME webpubsubd)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_CONTACT "webpubsubd maintainers <maintainers@webpubsubd.invalid>")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
# CPack indents every line after the first; an empty line becomes the " ." paragraph break.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "self-hosted Azure Web PubSub-compatible real-time messaging server
webpubsubd accepts WebSocket clients, speaks the Azure Web PubSub client
subprotocols and REST data plane, and posts every client event to a
configured webhook as a signed CloudEvents request. The official Azure Web
PubSub SDKs work against it unchanged.

This package runs it as a systemd service under its own user, with a durable
event outbox in /var/lib/webpubsubd.")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${WPS_PKG}/debian/postinst ${WPS_PKG}/debian/prerm ${WPS_PKG}/debian/postrm
    ${WPS_PKG}/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CMAKE_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
include(CPack)
