#include "edgestream/archiver/layout.h"

#include <cassert>
#include <charconv>
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

std::optional<FileIdentity> parse_object_file_name(std::string_view name) {
  for (RecordKind kind : kAllKinds) {
    const std::string lead = std::string(object_kind_name(kind)) + "-p";
    if (!name.starts_with(lead)) continue;
    const std::string rest(name.substr(lead.size()));
    int partition = 0, year = 0;
    long long first = 0;
    unsigned month = 0, day = 0, hour = 0, minute = 0, second = 0;
    int consumed = 0;
    if (std::sscanf(rest.c_str(), "%d-o%lld_%4d%2u%2uT%2u%2u%2uZ.parquet%n", &partition, &first,
                    &year, &month, &day, &hour, &minute, &second, &consumed) != 8 ||
        static_cast<std::size_t>(consumed) != rest.size()) {
      return std::nullopt;
    }
    const std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(month),
                                           std::chrono::day(day)};
    if (!date.ok()) return std::nullopt;
    FileIdentity identity{kind, partition, first,
                          EventTime{std::chrono::sys_days(date).time_since_epoch() +
                                    std::chrono::hours(hour) + std::chrono::minutes(minute) +
                                    std::chrono::seconds(second)}};
    // Only names this module writes: anything else is not ours.
    if (object_file_name(identity) != name) return std::nullopt;
    return identity;
  }
  return std::nullopt;
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

std::optional<std::int64_t> parse_offset_metadata(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (error != std::errc() || end != text->data() + text->size() || value < 0) return std::nullopt;
  return value;
}

}  // namespace edgestream::archiver
