# Warnings are errors for the project's own targets. Third-party headers come
# in as SYSTEM includes (Debian packages), so they do not trip these.
add_library(edgestream_warnings INTERFACE)
target_compile_options(edgestream_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
  -Wnull-dereference -Wimplicit-fallthrough -Werror)
# GCC 12 at -O3 reports impossible -Wrestrict overlaps inside libstdc++'s
# std::string concatenation (GCC bugs 105329 and 105651), in code that is
# correct; the warning stays on for other compilers.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(edgestream_warnings INTERFACE -Wno-restrict)
endif()
