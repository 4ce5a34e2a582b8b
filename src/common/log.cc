#include "edgestream/common/log.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>

#include "edgestream/common/timestamp.h"

namespace edgestream {
namespace {
std::atomic<LogLevel> g_level{LogLevel::kInfo};

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kWarn: return "WARN";
    case LogLevel::kError: return "ERROR";
  }
  return "?";
}

void append_hex_byte(std::string& out, unsigned char byte) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out += "\\x";
  out += kDigits[byte >> 4];
  out += kDigits[byte & 0xf];
}

void append_code_point(std::string& out, uint32_t code_point) {
  static constexpr char kDigits[] = "0123456789abcdef";
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) out += kDigits[(code_point >> shift) & 0xf];
}

// Length of the valid UTF-8 sequence starting at text[at] (2-4), with its code
// point, or 0 when the bytes there are not valid UTF-8 (stray continuation
// byte, truncated sequence, overlong form, surrogate, beyond U+10FFFF).
size_t utf8_sequence(std::string_view text, size_t at, uint32_t& code_point) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  size_t length = 0;
  uint32_t minimum = 0;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
    minimum = 0x80;
    code_point = lead & 0x1fu;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    minimum = 0x800;
    code_point = lead & 0x0fu;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    minimum = 0x10000;
    code_point = lead & 0x07u;
  } else {
    return 0;
  }
  if (at + length > text.size()) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xc0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(at + i) & 0x3fu);
  }
  const bool surrogate = code_point >= 0xd800 && code_point <= 0xdfff;
  if (code_point < minimum || surrogate || code_point > 0x10ffff) return 0;
  return length;
}

}  // namespace

std::string escape_for_log(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t at = 0;
  while (at < text.size()) {
    const auto byte = static_cast<unsigned char>(text[at]);
    if (byte >= 0x80) {
      uint32_t code_point = 0;
      const size_t length = utf8_sequence(text, at, code_point);
      if (length == 0) {
        append_hex_byte(out, byte);
        ++at;
        continue;
      }
      const bool c1_control = code_point >= 0x80 && code_point <= 0x9f;
      const bool line_separator = code_point == 0x2028 || code_point == 0x2029;
      if (c1_control || line_separator) {
        append_code_point(out, code_point);
      } else {
        out.append(text.substr(at, length));
      }
      at += length;
      continue;
    }
    switch (byte) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (byte < 0x20 || byte == 0x7f) {
          append_hex_byte(out, byte);
        } else {
          out += static_cast<char>(byte);
        }
    }
    ++at;
  }
  return out;
}

void Logger::set_level(LogLevel level) { g_level.store(level); }
LogLevel Logger::level() { return g_level.load(std::memory_order_relaxed); }

bool Logger::parse_level(std::string_view text, LogLevel& out) {
  if (text == "debug") out = LogLevel::kDebug;
  else if (text == "info") out = LogLevel::kInfo;
  else if (text == "warn") out = LogLevel::kWarn;
  else if (text == "error") out = LogLevel::kError;
  else return false;
  return true;
}

void Logger::write(LogLevel level, const std::string& text) const {
  auto now = std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
  std::string line;
  line.reserve(text.size() + 64);
  append_rfc3339(line, now);
  line += ' ';
  line += level_name(level);
  line += ' ';
  line += component_;
  line += ": ";
  line += escape_for_log(text);
  line += '\n';
  // One fwrite per line keeps lines whole when threads log concurrently.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace edgestream
