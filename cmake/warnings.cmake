# Warnings are errors for the project's own targets. Third-party headers come
# in as SYSTEM includes (Debian packages), so they do not trip these.
add_library(edgestream_warnings INTERFACE)
target_compile_options(edgestream_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
  -Wnull-dereference -Wimplicit-fallthrough -Werror)
