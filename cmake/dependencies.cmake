# Every library comes from a Debian 12 package; docs/dependencies.md says why
# each one is here. scripts/install-deps.sh installs the pinned versions.
find_package(PkgConfig REQUIRED)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka>=2.0.2)
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl>=7.88)
find_package(prometheus-cpp REQUIRED COMPONENTS core pull)
find_package(simdjson 3.0 REQUIRED)
find_package(zstd REQUIRED)
find_package(Snappy REQUIRED)
find_package(CLI11 2.1 REQUIRED)
find_package(GTest 1.12 REQUIRED)
find_package(benchmark 1.7 REQUIRED)
find_package(Threads REQUIRED)
