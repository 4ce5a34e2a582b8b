#include "edgestream/common/timestamp.h"

#include <array>

namespace edgestream {
namespace {

bool read_digits(std::string_view text, size_t pos, size_t count, int& out) {
  if (pos + count > text.size()) return false;
  int value = 0;
  for (size_t i = 0; i < count; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  out = value;
  return true;
}

void append_digits(std::string& out, int value, int width) {
  std::array<char, 8> buffer{};
  for (int i = width - 1; i >= 0; --i) {
    buffer[static_cast<size_t>(i)] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  out.append(buffer.data(), static_cast<size_t>(width));
}

}  // namespace

std::optional<EventTime> parse_rfc3339(std::string_view text) {
  using namespace std::chrono;
  // Fixed part: YYYY-MM-DDTHH:MM:SS (19 characters).
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (text.size() < 20) return std::nullopt;
  if (!read_digits(text, 0, 4, year) || text[4] != '-' || !read_digits(text, 5, 2, month) ||
      text[7] != '-' || !read_digits(text, 8, 2, day) || (text[10] != 'T' && text[10] != 't') ||
      !read_digits(text, 11, 2, hour) || text[13] != ':' || !read_digits(text, 14, 2, minute) ||
      text[16] != ':' || !read_digits(text, 17, 2, second)) {
    return std::nullopt;
  }
  if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
  year_month_day date{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                      std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok()) return std::nullopt;

  size_t pos = 19;
  int64_t millis = 0;
  if (text[pos] == '.') {
    ++pos;
    size_t digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0 || digits > 9) return std::nullopt;
    for (size_t i = digits; i < 3; ++i) millis *= 10;
  }
  if (pos >= text.size()) return std::nullopt;

  int offset_minutes = 0;
  char zone = text[pos];
  if (zone == 'Z' || zone == 'z') {
    ++pos;
  } else if (zone == '+' || zone == '-') {
    int offset_hour = 0, offset_minute = 0;
    if (!read_digits(text, pos + 1, 2, offset_hour) || pos + 3 >= text.size() ||
        text[pos + 3] != ':' || !read_digits(text, pos + 4, 2, offset_minute) ||
        offset_hour > 23 || offset_minute > 59) {
      return std::nullopt;
    }
    offset_minutes = offset_hour * 60 + offset_minute;
    if (zone == '-') offset_minutes = -offset_minutes;
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;

  auto local = sys_days{date} + hours{hour} + minutes{minute} + seconds{second} + Millis{millis};
  EventTime utc = time_point_cast<Millis>(local - minutes{offset_minutes});
  // Normalisation (a leap second, a zone offset) can leave the span RFC 3339
  // can write: "9999-12-31T23:30:00-01:00" is in year 10000, and
  // "0001-01-01T00:00:00+01:00" in year 0. Such a time could never be written
  // back, so it is not a valid timestamp.
  if (utc < kMinRfc3339Time || utc > kMaxRfc3339Time) return std::nullopt;
  return utc;
}

void append_rfc3339(std::string& out, EventTime time) {
  using namespace std::chrono;
  auto day_point = floor<days>(time);
  year_month_day date{day_point};
  hh_mm_ss<Millis> clock{time - day_point};
  append_digits(out, static_cast<int>(date.year()), 4);
  out += '-';
  append_digits(out, static_cast<int>(static_cast<unsigned>(date.month())), 2);
  out += '-';
  append_digits(out, static_cast<int>(static_cast<unsigned>(date.day())), 2);
  out += 'T';
  append_digits(out, static_cast<int>(clock.hours().count()), 2);
  out += ':';
  append_digits(out, static_cast<int>(clock.minutes().count()), 2);
  out += ':';
  append_digits(out, static_cast<int>(clock.seconds().count()), 2);
  auto millis = clock.subseconds().count();
  if (millis != 0) {
    out += '.';
    append_digits(out, static_cast<int>(millis), 3);
  }
  out += 'Z';
}

std::string format_rfc3339(EventTime time) {
  std::string out;
  out.reserve(24);
  append_rfc3339(out, time);
  return out;
}

}  // namespace edgestream
