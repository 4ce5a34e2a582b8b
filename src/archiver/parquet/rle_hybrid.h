// The RLE / bit-packing hybrid encoding of Parquet (Encodings.md, "RLE"),
// used for dictionary indices in RLE_DICTIONARY data pages. A stateless policy.
//
//   encoded   := run*
//   run       := rle-run | bit-packed-run
//   rle-run   := varint(count << 1) value   (value in ceil(bit_width/8) bytes, LE)
//   bit-packed-run := varint(groups << 1 | 1) then groups*8 values packed
//                     LSB first, bit_width bits each
//
// Policy: a value repeated at least 8 times becomes an RLE run (after
// completing the current bit-packed group of 8 with the run's first values),
// everything else is bit-packed; the final group is padded with zeros, which
// readers ignore because the page header carries the value count.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace edgestream::parquet {

// Bits needed to represent max_value (0 for 0).
int bit_width_for(std::uint32_t max_value);

struct RleHybridEncoder {
  // Appends the encoding of values to out. Every value must fit in bit_width
  // bits; 0 <= bit_width <= 32.
  static void encode(std::span<const std::uint32_t> values, int bit_width, std::string& out);

  // Upper bound of the bytes encode() appends, for sizing pages.
  static std::size_t max_encoded_size(std::size_t count, int bit_width);
};

}  // namespace edgestream::parquet
