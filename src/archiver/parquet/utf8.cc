#include "utf8.h"

#include <cstdint>
#include <cstring>

namespace edgestream::parquet {

bool is_valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char* const end = p + text.size();
  while (p < end) {
    // Telemetry strings are mostly ASCII: skip 8 bytes at a time while no
    // byte has its high bit set.
    while (end - p >= 8) {
      std::uint64_t word;
      std::memcpy(&word, p, sizeof word);
      if ((word & 0x8080808080808080ULL) != 0) break;
      p += 8;
    }
    if (p >= end) break;
    const unsigned char lead = *p;
    if (lead < 0x80) {
      ++p;
      continue;
    }
    // Allowed range of the first continuation byte depends on the lead byte
    // (this is what excludes overlongs, surrogates and > U+10FFFF).
    int continuation = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      continuation = 1;
    } else if (lead == 0xE0) {
      continuation = 2;
      low = 0xA0;
    } else if (lead == 0xED) {
      continuation = 2;
      high = 0x9F;
    } else if (lead >= 0xE1 && lead <= 0xEF) {
      continuation = 2;
    } else if (lead == 0xF0) {
      continuation = 3;
      low = 0x90;
    } else if (lead >= 0xF1 && lead <= 0xF3) {
      continuation = 3;
    } else if (lead == 0xF4) {
      continuation = 3;
      high = 0x8F;
    } else {
      return false;  // 0x80..0xC1 (stray continuation, overlong 2-byte) or 0xF5..0xFF
    }
    if (end - p <= continuation) return false;
    if (p[1] < low || p[1] > high) return false;
    for (int i = 2; i <= continuation; ++i) {
      if (p[i] < 0x80 || p[i] > 0xBF) return false;
    }
    p += continuation + 1;
  }
  return true;
}

}  // namespace edgestream::parquet
