// Expected bytes come from the examples in parquet-format's Encodings.md and
// from working the bit layout out by hand.
#include "rle_hybrid.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace edgestream::parquet {
namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

std::string encode(const std::vector<std::uint32_t>& values, int bit_width) {
  std::string out;
  RleHybridEncoder::encode(values, bit_width, out);
  return out;
}

// An independent decoder written from the grammar in Encodings.md, for the
// property test below.
std::vector<std::uint32_t> decode(const std::string& data, int bit_width, std::size_t count) {
  std::vector<std::uint32_t> out;
  std::size_t pos = 0;
  auto next_byte = [&]() -> std::uint32_t { return static_cast<unsigned char>(data.at(pos++)); };
  while (out.size() < count) {
    std::uint64_t header = 0;
    int shift = 0;
    std::uint32_t b;
    do {
      b = next_byte();
      header |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      shift += 7;
    } while (b & 0x80);
    if (header & 1) {
      const std::size_t values = (header >> 1) * 8;
      std::uint64_t bits = 0;
      int available = 0;
      for (std::size_t i = 0; i < values; ++i) {
        while (available < bit_width) {
          bits |= static_cast<std::uint64_t>(next_byte()) << available;
          available += 8;
        }
        const std::uint32_t v = static_cast<std::uint32_t>(bits & ((std::uint64_t{1} << bit_width) - 1));
        bits >>= bit_width;
        available -= bit_width;
        if (out.size() < count) out.push_back(v);
      }
    } else {
      const std::size_t run = header >> 1;
      std::uint32_t v = 0;
      for (int i = 0; i < (bit_width + 7) / 8; ++i) v |= next_byte() << (8 * i);
      out.insert(out.end(), run, v);
    }
  }
  EXPECT_EQ(pos, data.size()) << "trailing bytes after " << count << " values";
  return out;
}

TEST(BitWidth, IsBitsOfTheMaximum) {
  EXPECT_EQ(bit_width_for(0), 0);
  EXPECT_EQ(bit_width_for(1), 1);
  EXPECT_EQ(bit_width_for(7), 3);
  EXPECT_EQ(bit_width_for(8), 4);
  EXPECT_EQ(bit_width_for(0xFFFFFFFFu), 32);
}

TEST(RleHybrid, SpecBitPackingExample) {
  // Encodings.md: 0..7 with bit width 3 pack to 10001000 11000110 11111010.
  EXPECT_EQ(encode({0, 1, 2, 3, 4, 5, 6, 7}, 3), bytes({0x03, 0x88, 0xC6, 0xFA}));
}

TEST(RleHybrid, LongRunBecomesOneRleRun) {
  // header varint(100 << 1) = C8 01, value in ceil(3/8) = 1 byte.
  EXPECT_EQ(encode(std::vector<std::uint32_t>(100, 5), 3), bytes({0xC8, 0x01, 0x05}));
}

TEST(RleHybrid, RleValueUsesCeilBitWidthBytesLittleEndian) {
  EXPECT_EQ(encode(std::vector<std::uint32_t>(8, 0x2AB), 10), bytes({0x10, 0xAB, 0x02}));
  EXPECT_EQ(encode(std::vector<std::uint32_t>(9, 0x01020304), 32), bytes({0x12, 0x04, 0x03, 0x02, 0x01}));
}

TEST(RleHybrid, ShortTailIsPaddedToAGroupOfEight) {
  // 1,2,3 at width 2: 01 10 11 then zeros -> byte 0b00111001 = 0x39, byte 2 = 0.
  EXPECT_EQ(encode({1, 2, 3}, 2), bytes({0x03, 0x39, 0x00}));
}

TEST(RleHybrid, RunLendsValuesToCompleteThePendingGroup) {
  // 1,2,3 then twenty 4s at width 3: the group 1,2,3,4,4,4,4,4 is bit-packed
  // (D1 48 92, worked out bit by bit), then an RLE run of the remaining 15 4s.
  std::vector<std::uint32_t> values = {1, 2, 3};
  values.insert(values.end(), 20, 4);
  EXPECT_EQ(encode(values, 3), bytes({0x03, 0xD1, 0x48, 0x92, 0x1E, 0x04}));
}

TEST(RleHybrid, RunTooShortAfterLendingStaysBitPacked) {
  // 1,2,3 then ten 4s: lending 5 leaves 5 < 8, so all 13 are bit-packed in
  // two groups: D1 48 92 | 24 49 00.
  std::vector<std::uint32_t> values = {1, 2, 3};
  values.insert(values.end(), 10, 4);
  EXPECT_EQ(encode(values, 3), bytes({0x05, 0xD1, 0x48, 0x92, 0x24, 0x49, 0x00}));
}

TEST(RleHybrid, EmptyInputEncodesToNothing) { EXPECT_EQ(encode({}, 5), ""); }

TEST(RleHybrid, RandomInputsRoundTripThroughIndependentDecoder) {
  std::mt19937_64 random(20241226);
  for (int trial = 0; trial < 400; ++trial) {
    const int bit_width = 1 + trial % 24;
    const std::uint32_t max = bit_width == 32 ? 0xFFFFFFFFu : (std::uint32_t{1} << bit_width) - 1;
    std::vector<std::uint32_t> values;
    const std::size_t count = random() % 2000;
    while (values.size() < count) {
      const std::uint32_t v = static_cast<std::uint32_t>(random()) & max;
      // Mix runs of every length with literals.
      const std::size_t run = (random() % 3 == 0) ? 1 + random() % 40 : 1;
      values.insert(values.end(), std::min(run, count - values.size()), v);
    }
    const std::string encoded = encode(values, bit_width);
    EXPECT_LE(encoded.size(), RleHybridEncoder::max_encoded_size(values.size(), bit_width));
    ASSERT_EQ(decode(encoded, bit_width, values.size()), values) << "trial " << trial;
  }
}

}  // namespace
}  // namespace edgestream::parquet
