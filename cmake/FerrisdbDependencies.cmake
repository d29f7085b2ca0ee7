# Finds the Debian 12 packages FerrisDB builds against. Nothing is downloaded:
# scripts/install_deps.sh installs what is missing with apt-get.
find_package(Threads REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(zstd CONFIG REQUIRED)
find_package(PkgConfig REQUIRED)
# xxhash ships only a pkg-config file on Debian 12.
pkg_check_modules(XXHASH REQUIRED IMPORTED_TARGET libxxhash)


if(FERRISDB_BUILD_TESTS)
  find_package(GTest CONFIG REQUIRED)
endif()
if(FERRISDB_BUILD_BENCHMARKS)
  find_package(benchmark CONFIG REQUIRED)
endif()
