#include "dictionary.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "value_traits.h"

namespace edgestream::parquet {
namespace {

std::string plain_string(std::string_view value) {
  std::string out;
  const auto n = static_cast<std::uint32_t>(value.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  out.append(value);
  return out;
}

TEST(DictionaryBuilder, AssignsIndicesInFirstSeenOrder) {
  DictionaryBuilder<StringTraits> dictionary(1 << 20);
  EXPECT_EQ(dictionary.find_or_insert("b"), 0u);
  EXPECT_EQ(dictionary.find_or_insert("a"), 1u);
  EXPECT_EQ(dictionary.find_or_insert("b"), 0u);
  EXPECT_EQ(dictionary.find_or_insert(""), 2u);
  EXPECT_EQ(dictionary.find_or_insert("a"), 1u);
  EXPECT_EQ(dictionary.size(), 3u);
  EXPECT_EQ(dictionary.at(0), "b");
  EXPECT_EQ(dictionary.at(2), "");
}

TEST(DictionaryBuilder, PageIsPlainEncodingOfEntriesInIndexOrder) {
  DictionaryBuilder<StringTraits> dictionary(1 << 20);
  for (std::string_view v : {"dev-1", "é😀", "dev-1", ""}) ASSERT_TRUE(dictionary.find_or_insert(v));
  EXPECT_EQ(dictionary.page(), plain_string("dev-1") + plain_string("é😀") + plain_string(""));

  DictionaryBuilder<Int64Traits> numbers(1 << 20);
  ASSERT_TRUE(numbers.find_or_insert(-2));
  ASSERT_TRUE(numbers.find_or_insert(1));
  const std::string expected("\xFE\xFF\xFF\xFF\xFF\xFF\xFF\xFF\x01\x00\x00\x00\x00\x00\x00\x00", 16);
  EXPECT_EQ(numbers.page(), expected);
}

TEST(DictionaryBuilder, RefusesAnEntryThatWouldExceedTheLimitAndStaysUsable) {
  // Limit 20 bytes: "0123456789" takes 14, "abc" 7 more would make 21.
  DictionaryBuilder<StringTraits> dictionary(20);
  EXPECT_EQ(dictionary.find_or_insert("0123456789"), 0u);
  EXPECT_EQ(dictionary.find_or_insert("abc"), std::nullopt);
  EXPECT_EQ(dictionary.size(), 1u);
  EXPECT_EQ(dictionary.find_or_insert("0123456789"), 0u);  // existing entries still found
  EXPECT_EQ(dictionary.find_or_insert("ab"), 1u);          // 14 + 6 = 20 fits exactly
  EXPECT_EQ(dictionary.page().size(), 20u);
}

TEST(DictionaryBuilder, DoublesAreDistinctByBitPattern) {
  DictionaryBuilder<DoubleTraits> dictionary(1 << 20);
  EXPECT_EQ(dictionary.find_or_insert(0.0), 0u);
  EXPECT_EQ(dictionary.find_or_insert(-0.0), 1u);  // -0.0 == 0.0 numerically, but not the same value
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(dictionary.find_or_insert(nan), 2u);
  EXPECT_EQ(dictionary.find_or_insert(nan), 2u);  // NaN != NaN numerically, yet one entry
  EXPECT_TRUE(std::signbit(dictionary.at(1)));
}

TEST(DictionaryBuilder, ManyEntriesSurviveTableGrowth) {
  DictionaryBuilder<Int64Traits> dictionary(std::size_t{64} << 20);
  constexpr std::int64_t kEntries = 200'000;
  for (std::int64_t i = 0; i < kEntries; ++i) {
    ASSERT_EQ(dictionary.find_or_insert(i * 7919), static_cast<std::uint32_t>(i));
  }
  for (std::int64_t i = kEntries - 1; i >= 0; i -= 997) {
    ASSERT_EQ(dictionary.find_or_insert(i * 7919), static_cast<std::uint32_t>(i));
  }
  EXPECT_EQ(dictionary.size(), static_cast<std::uint32_t>(kEntries));
}

TEST(DictionaryBuilder, ClearForgetsEntries) {
  DictionaryBuilder<StringTraits> dictionary(1 << 20);
  ASSERT_TRUE(dictionary.find_or_insert("x"));
  ASSERT_TRUE(dictionary.find_or_insert("y"));
  dictionary.clear();
  EXPECT_TRUE(dictionary.empty());
  EXPECT_EQ(dictionary.page(), "");
  EXPECT_EQ(dictionary.find_or_insert("y"), 0u);
}

}  // namespace
}  // namespace edgestream::parquet
