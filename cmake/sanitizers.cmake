# The test suite runs against this build: every unit and integration test
# exercises the binaries under ASan + UBSan, and any report fails the test.
if(EDGESTREAM_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
