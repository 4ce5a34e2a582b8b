#include "edgestream/common/json_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>

namespace edgestream {
namespace {

std::string json_string(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

TEST(AppendJsonString, PlainTextIsQuoted) { EXPECT_EQ(json_string("device123"), "\"device123\""); }

TEST(AppendJsonString, EscapesQuoteBackslashAndControls) {
  EXPECT_EQ(json_string("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(json_string("\n\t\r\b\f"), R"("\n\t\r\b\f")");
  EXPECT_EQ(json_string(std::string_view("\x01\x1f", 2)), R"("\u0001\u001f")");
  EXPECT_EQ(json_string(std::string_view("\0", 1)), R"("\u0000")");
}

TEST(AppendJsonString, Utf8PassesThrough) { EXPECT_EQ(json_string("température °C ✓"), "\"température °C ✓\""); }

TEST(AppendJsonNumber, ShortestRoundTrip) {
  std::string out;
  append_json_number(out, 72.5);
  EXPECT_EQ(out, "72.5");
  out.clear();
  append_json_number(out, 0.1 + 0.2);
  EXPECT_EQ(std::strtod(out.c_str(), nullptr), 0.1 + 0.2);
}

TEST(AppendJsonNumber, RandomDoublesRoundTripExactly) {
  std::mt19937_64 random(42);
  std::uniform_real_distribution<double> values(-1e6, 1e6);
  for (int i = 0; i < 10000; ++i) {
    double value = values(random);
    std::string out;
    append_json_number(out, value);
    EXPECT_EQ(std::strtod(out.c_str(), nullptr), value) << out;
  }
}

TEST(AppendJsonNumber, NonFiniteBecomesNull) {
  std::string out;
  append_json_number(out, std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(out, "null");
}

TEST(AppendJsonInt, Extremes) {
  std::string out;
  append_json_int(out, std::numeric_limits<long long>::min());
  EXPECT_EQ(out, "-9223372036854775808");
}

}  // namespace
}  // namespace edgestream
