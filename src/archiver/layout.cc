#include "edgestream/archiver/layout.h"

#include <cassert>
#include <cstdio>

namespace edgestream::archiver {

EventTime period_start_of(EventTime time, std::chrono::seconds length) {
  assert(length.count() > 0 && "period length must be positive; config validation guarantees it");
  const std::int64_t ms = time.time_since_epoch().count();
  const std::int64_t width = std::chrono::duration_cast<Millis>(length).count();
  std::int64_t quotient = ms / width;
  // Integer division truncates towards zero; periods floor, also before 1970.
  if (ms % width < 0) --quotient;
  return EventTime{Millis{quotient * width}};
}

namespace {

struct Civil {
  int year;
  unsigned month, day, hour, minute, second;
};

Civil civil_of(EventTime time) {
  const auto day_point = std::chrono::floor<std::chrono::days>(time);
  const std::chrono::year_month_day date{day_point};
  const std::chrono::hh_mm_ss<Millis> clock{time - day_point};
  return Civil{static_cast<int>(date.year()), static_cast<unsigned>(date.month()),
               static_cast<unsigned>(date.day()), static_cast<unsigned>(clock.hours().count()),
               static_cast<unsigned>(clock.minutes().count()),
               static_cast<unsigned>(clock.seconds().count())};
}

}  // namespace

std::string object_file_name(const FileIdentity& file) {
  const Civil at = civil_of(file.period_start);
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%04d%02u%02uT%02u%02u%02uZ", at.year, at.month, at.day,
                at.hour, at.minute, at.second);
  std::string name = object_kind_name(file.kind);
  name += "-p";
  name += std::to_string(file.partition);
  name += "-o";
  name += std::to_string(file.first_offset);
  name += '_';
  name += stamp;
  name += ".parquet";
  return name;
}

std::string object_key(std::string_view prefix, const FileIdentity& file) {
  while (!prefix.empty() && prefix.front() == '/') prefix.remove_prefix(1);
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  const Civil at = civil_of(file.period_start);
  char date[32];
  std::snprintf(date, sizeof date, "%04d/%02u/%02u/", at.year, at.month, at.day);
  std::string key;
  if (!prefix.empty()) {
    key.append(prefix);
    key += '/';
  }
  key += date;
  key += object_file_name(file);
  return key;
}

}  // namespace edgestream::archiver
