#include "edgestream/common/log.h"

#include <gtest/gtest.h>

#include <string>

namespace edgestream {
namespace {

TEST(EscapeForLog, PlainTextIsUnchanged) {
  EXPECT_EQ(escape_for_log("raw-data/2 offset 17: temperature 21.5 °C"),
            "raw-data/2 offset 17: temperature 21.5 °C");
}

TEST(EscapeForLog, RecordTextCannotForgeASecondLogLine) {
  const std::string forged =
      "device\n2026-01-01T00:00:00.000Z ERROR archiver: forged\r\tend";
  const std::string escaped = escape_for_log(forged);
  EXPECT_EQ(escaped.find('\n'), std::string::npos);
  EXPECT_EQ(escaped.find('\r'), std::string::npos);
  EXPECT_EQ(escaped, "device\\n2026-01-01T00:00:00.000Z ERROR archiver: forged\\r\\tend");
}

TEST(EscapeForLog, BackslashIsEscapedSoEscapesStayUnambiguous) {
  EXPECT_EQ(escape_for_log("a\\nb"), "a\\\\nb");
}

TEST(EscapeForLog, ControlCharactersBecomeHex) {
  EXPECT_EQ(escape_for_log(std::string("\x1b[31mred\x7f\0end", 13)), "\\x1b[31mred\\x7f\\x00end");
}

TEST(EscapeForLog, C1ControlsAndLineSeparatorsBecomeCodePoints) {
  // U+0085 NEXT LINE, U+2028 LINE SEPARATOR, U+2029 PARAGRAPH SEPARATOR.
  EXPECT_EQ(escape_for_log("a\xc2\x85" "b\xe2\x80\xa8" "c\xe2\x80\xa9" "d"),
            "a\\u0085b\\u2028c\\u2029d");
}

TEST(EscapeForLog, InvalidUtf8BytesBecomeHex) {
  // A stray continuation byte, a truncated 3-byte sequence, an overlong "/"
  // (C0 AF), an encoded surrogate (ED A0 80) and a byte never valid (FF).
  EXPECT_EQ(escape_for_log("a\x80" "b\xe2\x82" "c\xc0\xaf" "d\xed\xa0\x80" "e\xff"),
            "a\\x80b\\xe2\\x82c\\xc0\\xafd\\xed\\xa0\\x80e\\xff");
}

TEST(EscapeForLog, ValidMultiByteUtf8IsKept) {
  EXPECT_EQ(escape_for_log("Zürich 東京 \xf0\x9f\x8c\xa1"), "Zürich 東京 \xf0\x9f\x8c\xa1");
}

TEST(LoggerWrite, EscapesTheMessage) {
  testing::internal::CaptureStderr();
  Logger("test").warn("record text: ", "line one\nline two\xff");
  const std::string written = testing::internal::GetCapturedStderr();
  ASSERT_FALSE(written.empty());
  EXPECT_EQ(written.find('\n'), written.size() - 1) << written;
  EXPECT_NE(written.find("record text: line one\\nline two\\xff\n"), std::string::npos) << written;
}

}  // namespace
}  // namespace edgestream
