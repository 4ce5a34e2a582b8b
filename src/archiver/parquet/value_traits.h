// Per-type policies shared by the dictionary, the statistics and the column
// writer: PLAIN encoding, the column order readers assume for statistics,
// hashing and identity. Stateless; one struct per column type.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <variant>

#include "edgestream/parquet/schema.h"
#include "metadata.h"

namespace edgestream::parquet {

static_assert(std::endian::native == std::endian::little,
              "PLAIN encoding below copies host bytes; Parquet is little-endian");

// Hash mixing: a multiply-xorshift finaliser. The constant is the 64-bit
// golden ratio; any odd constant with well-spread bits works.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 31;
  x *= 0x9E3779B97F4A7C15ULL;
  x ^= x >> 29;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 32;
  return x;
}

inline std::uint64_t load64(const char* p) {
  std::uint64_t word;
  std::memcpy(&word, p, 8);
  return word;
}

inline std::uint64_t load32(const char* p) {
  std::uint32_t word;
  std::memcpy(&word, p, 4);
  return word;
}

// Hashes short strings (ids, statuses: the common case) with two possibly
// overlapping loads and no loop; longer ones 16 bytes per round.
inline std::uint64_t hash_bytes(std::string_view bytes) {
  const char* p = bytes.data();
  const std::size_t n = bytes.size();
  std::uint64_t a;
  std::uint64_t b;
  if (n >= 8) {
    std::uint64_t h = 0x243F6A8885A308D3ULL ^ n;  // fractional digits of pi
    std::size_t i = 0;
    for (; i + 16 < n; i += 16) {
      h = std::rotl((h ^ load64(p + i)) * 0x9E3779B97F4A7C15ULL, 29) ^ load64(p + i + 8);
    }
    a = h ^ load64(p + i);
    b = load64(p + n - 8);
  } else if (n >= 4) {
    a = load32(p);
    b = load32(p + n - 4) << 32;
  } else if (n > 0) {
    a = static_cast<unsigned char>(p[0]) | (std::uint64_t{static_cast<unsigned char>(p[n / 2])} << 8) |
        (std::uint64_t{static_cast<unsigned char>(p[n - 1])} << 16);
    b = 0;
  } else {
    a = 0;
    b = 0;
  }
  return mix64((a ^ (n * 0x9E3779B97F4A7C15ULL)) * 0xC2B2AE3D27D4EB4FULL ^ std::rotl(b, 23));
}

template <typename T>
struct FixedWidthTraits {
  using Stored = T;
  static constexpr std::size_t kWidth = sizeof(T);

  static std::size_t plain_size(T) { return kWidth; }
  static void append_plain(std::string& out, T value) {
    out.append(reinterpret_cast<const char*>(&value), kWidth);
  }
  // Reads the value at p and advances p past it.
  static T read_plain(const char*& p) {
    T value;
    std::memcpy(&value, p, kWidth);
    p += kWidth;
    return value;
  }
  // Statistics bytes: PLAIN encoding (little-endian).
  static std::string statistics_bytes(T value) {
    std::string out;
    append_plain(out, value);
    return out;
  }
  static std::uint64_t hash(T value) { return mix64(std::bit_cast<std::uint64_t>(value)); }
  // Dictionary identity is bitwise, so -0.0 and +0.0 stay distinct values and
  // NaN payloads survive the round trip.
  static bool same(T a, T b) { return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b); }
};

struct Int64Traits : FixedWidthTraits<std::int64_t> {
  static constexpr PhysicalType kPhysical = PhysicalType::kInt64;
  static std::int64_t from_value(const Value& value) { return std::get<std::int64_t>(value); }
  static bool is_nan(std::int64_t) { return false; }
  static bool less(std::int64_t a, std::int64_t b) { return a < b; }  // signed order
  static constexpr bool kCountsNan = false;
};

struct TimestampTraits : Int64Traits {
  static std::int64_t from_value(const Value& value) {
    return std::get<EventTime>(value).time_since_epoch().count();
  }
};

struct DoubleTraits : FixedWidthTraits<double> {
  static constexpr PhysicalType kPhysical = PhysicalType::kDouble;
  static double from_value(const Value& value) { return std::get<double>(value); }
  static bool is_nan(double value) { return std::isnan(value); }
  // Numeric order; callers keep NaN out (statistics skip it).
  static bool less(double a, double b) { return a < b; }
  static constexpr bool kCountsNan = true;
};

struct StringTraits {
  using Stored = std::string_view;
  static constexpr PhysicalType kPhysical = PhysicalType::kByteArray;
  static constexpr bool kCountsNan = false;

  static std::string_view from_value(const Value& value) { return std::get<std::string_view>(value); }
  // PLAIN BYTE_ARRAY: 4-byte little-endian length, then the bytes.
  static std::size_t plain_size(std::string_view value) { return 4 + value.size(); }
  static void append_plain(std::string& out, std::string_view value) {
    const auto length = static_cast<std::uint32_t>(value.size());
    out.append(reinterpret_cast<const char*>(&length), 4);
    out.append(value);
  }
  static std::string_view read_plain(const char*& p) {
    std::uint32_t length;
    std::memcpy(&length, p, 4);
    std::string_view value(p + 4, length);
    p += 4 + length;
    return value;
  }
  // Statistics bytes: the raw bytes, without the length prefix.
  static std::string statistics_bytes(std::string_view value) { return std::string(value); }
  static std::uint64_t hash(std::string_view value) { return hash_bytes(value); }
  static bool same(std::string_view a, std::string_view b) { return a == b; }
  static bool is_nan(std::string_view) { return false; }
  // UTF8's column order: unsigned byte-wise lexicographic comparison.
  static bool less(std::string_view a, std::string_view b) {
    const std::size_t common = a.size() < b.size() ? a.size() : b.size();
    const int c = common == 0 ? 0 : std::memcmp(a.data(), b.data(), common);
    return c < 0 || (c == 0 && a.size() < b.size());
  }
};

}  // namespace edgestream::parquet
