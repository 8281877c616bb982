// What `webpubsubd --version` prints: the project version (CMake's project(VERSION)) and the git
// commit of the source tree the binary was built from ("unknown" without git, "-dirty" when the
// tree had uncommitted changes). Defined in a file generated at build time
// (cmake/BuildInfo.cmake). Thread-safe: constant strings.
#pragma once

namespace wps::app {

const char* buildVersion();
const char* buildCommit();

}  // namespace wps::app
