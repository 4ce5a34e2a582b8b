#include "utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace edgestream::parquet {
namespace {

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii text, longer than eight bytes"));
  EXPECT_TRUE(is_valid_utf8("\xC3\xA9"));              // é U+00E9
  EXPECT_TRUE(is_valid_utf8("\xE2\x82\xAC"));          // € U+20AC
  EXPECT_TRUE(is_valid_utf8("\xF0\x9F\x98\x80"));      // 😀 U+1F600
  EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));      // U+10FFFF, the last code point
  EXPECT_TRUE(is_valid_utf8("\xEF\xBF\xBF"));          // U+FFFF
  EXPECT_TRUE(is_valid_utf8(std::string("nul\0inside", 10)));
  EXPECT_TRUE(is_valid_utf8("abcdefgh\xC3\xA9xyz"));   // non-ASCII after the 8-byte fast path
}

TEST(Utf8, RejectsMalformedText) {
  EXPECT_FALSE(is_valid_utf8("\xC0\x80"));              // overlong NUL
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xF0\x8F\xBF\xBF"));      // overlong U+FFFF
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));          // surrogate U+D800
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));      // U+110000
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));              // truncated €
  EXPECT_FALSE(is_valid_utf8("abcdefgh\xE2\x82"));      // truncated after the fast path
  EXPECT_FALSE(is_valid_utf8("\x80"));                  // stray continuation byte
  EXPECT_FALSE(is_valid_utf8("\xFF"));
  EXPECT_FALSE(is_valid_utf8("\xC3\x28"));              // bad continuation byte
}

}  // namespace
}  // namespace edgestream::parquet
