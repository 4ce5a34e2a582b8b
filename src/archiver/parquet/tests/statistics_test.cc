#include "statistics.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "value_traits.h"

namespace edgestream::parquet {
namespace {

std::string le64(std::uint64_t bits) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));
  return out;
}

TEST(Statistics, Int64UsesSignedOrderAndLittleEndianBytes) {
  MinMax<Int64Traits> stats;
  for (std::int64_t v : {std::int64_t{5}, std::int64_t{-1}, std::int64_t{300}, std::numeric_limits<std::int64_t>::min()}) {
    stats.update(v);
  }
  const EncodedStatistics encoded = stats.encode();
  ASSERT_TRUE(encoded.min_value && encoded.max_value);
  EXPECT_EQ(*encoded.min_value, le64(0x8000000000000000ULL));
  EXPECT_EQ(*encoded.max_value, le64(300));
  EXPECT_EQ(encoded.null_count, 0);
  EXPECT_FALSE(encoded.nan_count.has_value());
}

TEST(Statistics, StringsUseUnsignedByteOrder) {
  MinMax<StringTraits> stats;
  // "é" starts with byte 0xC3: above every ASCII byte in unsigned order,
  // below in signed-char order. "" is below everything, "a" below "ab".
  for (std::string_view v : {"z", "é", "a", "ab", "\x7F"}) stats.update(v);
  EXPECT_EQ(stats.min(), "a");
  EXPECT_EQ(stats.max(), "é");
  stats.update("");
  const EncodedStatistics encoded = stats.encode();
  EXPECT_EQ(*encoded.min_value, "");
  EXPECT_EQ(*encoded.max_value, "é");  // raw bytes, no length prefix
}

TEST(Statistics, StringOrderIsLexicographicOnPrefixes) {
  EXPECT_TRUE(StringTraits::less("ab", "abc"));
  EXPECT_FALSE(StringTraits::less("abc", "ab"));
  EXPECT_TRUE(StringTraits::less("abc", "abd"));
  EXPECT_TRUE(StringTraits::less(std::string_view("a\0", 2), "a\x01"));
  EXPECT_FALSE(StringTraits::less("same", "same"));
}

TEST(Statistics, DoublesSkipNaNAndCountIt) {
  MinMax<DoubleTraits> stats;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (double v : {nan, 2.5, -1e300, nan, std::numeric_limits<double>::infinity()}) stats.update(v);
  const EncodedStatistics encoded = stats.encode();
  EXPECT_EQ(encoded.nan_count, 2);
  EXPECT_EQ(*encoded.min_value, le64(std::bit_cast<std::uint64_t>(-1e300)));
  EXPECT_EQ(*encoded.max_value, le64(0x7FF0000000000000ULL));  // +inf
}

TEST(Statistics, AllNaNHasNoMinMax) {
  MinMax<DoubleTraits> stats;
  stats.update(std::numeric_limits<double>::quiet_NaN());
  const EncodedStatistics encoded = stats.encode();
  EXPECT_FALSE(encoded.min_value.has_value());
  EXPECT_FALSE(encoded.max_value.has_value());
  EXPECT_EQ(encoded.nan_count, 1);
}

TEST(Statistics, ZeroBoundsFollowTheSpecSignRule) {
  // A zero min is written -0.0 (sign bit set), a zero max +0.0.
  MinMax<DoubleTraits> only_positive_zero;
  only_positive_zero.update(0.0);
  EncodedStatistics encoded = only_positive_zero.encode();
  EXPECT_EQ(*encoded.min_value, le64(0x8000000000000000ULL));
  EXPECT_EQ(*encoded.max_value, le64(0));

  MinMax<DoubleTraits> only_negative_zero;
  only_negative_zero.update(-0.0);
  encoded = only_negative_zero.encode();
  EXPECT_EQ(*encoded.min_value, le64(0x8000000000000000ULL));
  EXPECT_EQ(*encoded.max_value, le64(0));
}

TEST(Statistics, MergeCombinesBoundsAndNaNCounts) {
  MinMax<DoubleTraits> a;
  MinMax<DoubleTraits> b;
  MinMax<DoubleTraits> empty;
  a.update(1.0);
  a.update(std::numeric_limits<double>::quiet_NaN());
  b.update(-3.0);
  b.update(0.5);
  a.merge(b);
  a.merge(empty);
  EXPECT_EQ(a.min(), -3.0);
  EXPECT_EQ(a.max(), 1.0);
  EXPECT_EQ(a.nan_count(), 1);
}

TEST(Statistics, OverlongStringBoundsAreOmitted) {
  MinMax<StringTraits> stats;
  const std::string long_value(kMaxStatisticsValueBytes + 1, 'x');
  stats.update("a");
  stats.update(long_value);
  const EncodedStatistics encoded = stats.encode();
  EXPECT_FALSE(encoded.min_value.has_value());
  EXPECT_FALSE(encoded.max_value.has_value());
  EXPECT_EQ(encoded.null_count, 0);
}

}  // namespace
}  // namespace edgestream::parquet
