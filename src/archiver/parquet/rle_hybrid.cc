#include "rle_hybrid.h"

#include <bit>
#include <cassert>

#include "thrift_compact.h"

namespace edgestream::parquet {
namespace {

// Runs shorter than this are cheaper as part of a bit-packed group.
constexpr std::size_t kMinRleRun = 8;
constexpr std::size_t kGroup = 8;  // bit-packed runs are whole groups of 8 values

void append_rle_run(std::uint32_t value, std::size_t count, int bit_width, std::string& out) {
  thrift::append_varint(out, static_cast<std::uint64_t>(count) << 1);
  const int value_bytes = (bit_width + 7) / 8;
  for (int i = 0; i < value_bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

void append_bit_packed(std::span<const std::uint32_t> values, int bit_width, std::string& out) {
  const std::size_t groups = (values.size() + kGroup - 1) / kGroup;
  thrift::append_varint(out, (static_cast<std::uint64_t>(groups) << 1) | 1);
  // groups * 8 values of bit_width bits are exactly groups * bit_width bytes.
  const std::size_t start = out.size();
  out.resize(start + groups * static_cast<std::size_t>(bit_width));
  char* dst = out.data() + start;
  std::uint64_t buffer = 0;
  int buffered_bits = 0;
  const std::size_t padded = groups * kGroup;
  for (std::size_t i = 0; i < padded; ++i) {
    const std::uint64_t value = i < values.size() ? values[i] : 0;
    buffer |= value << buffered_bits;
    buffered_bits += bit_width;
    while (buffered_bits >= 8) {
      *dst++ = static_cast<char>(buffer & 0xFF);
      buffer >>= 8;
      buffered_bits -= 8;
    }
  }
  assert(buffered_bits == 0 && dst == out.data() + out.size());
}

}  // namespace

int bit_width_for(std::uint32_t max_value) { return static_cast<int>(std::bit_width(max_value)); }

void RleHybridEncoder::encode(std::span<const std::uint32_t> values, int bit_width, std::string& out) {
  assert(bit_width >= 0 && bit_width <= 32);
  const std::size_t n = values.size();
  std::size_t literal_start = 0;  // values[literal_start, i) await bit-packing
  std::size_t i = 0;
  while (i < n) {
    std::size_t run_end = i + 1;
    while (run_end < n && values[run_end] == values[i]) ++run_end;
    const std::size_t run = run_end - i;
    if (run >= kMinRleRun) {
      // Bit-packed runs other than the last must hold whole groups: lend the
      // pending literals the first values of this run to complete theirs.
      const std::size_t pending = i - literal_start;
      const std::size_t lend = (kGroup - pending % kGroup) % kGroup;
      if (run - lend >= kMinRleRun) {
        if (pending + lend > 0) append_bit_packed(values.subspan(literal_start, pending + lend), bit_width, out);
        append_rle_run(values[i], run - lend, bit_width, out);
        literal_start = run_end;
      }
    }
    i = run_end;
  }
  if (literal_start < n) append_bit_packed(values.subspan(literal_start), bit_width, out);
}

std::size_t RleHybridEncoder::max_encoded_size(std::size_t count, int bit_width) {
  // Worst case: alternating literal groups and minimal RLE runs; bounded by
  // one bit-packed run of everything plus a header per group.
  const std::size_t groups = (count + kGroup - 1) / kGroup;
  return groups * (static_cast<std::size_t>(bit_width) + 10) + 10;
}

}  // namespace edgestream::parquet
