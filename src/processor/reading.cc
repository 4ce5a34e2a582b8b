#include "edgestream/processor/reading.h"

#include <chrono>
#include <string>

namespace edgestream::processor {

const char* to_string(FilterVerdict verdict) {
  switch (verdict) {
    case FilterVerdict::kKeep:
      return "keep";
    case FilterVerdict::kStatusNotOk:
      return "status_not_ok";
    case FilterVerdict::kTemperatureAboveLimit:
      return "temperature_above_limit";
  }
  return "unknown";
}

FilterVerdict filter(const Reading& reading) {
  if (reading.status != "OK") return FilterVerdict::kStatusNotOk;
  if (!(reading.temperature <= kMaxTemperatureCelsius)) {
    return FilterVerdict::kTemperatureAboveLimit;
  }
  return FilterVerdict::kKeep;
}

std::optional<std::string> check_event_time(const Reading& reading, EventTime received,
                                            Millis max_future_skew) {
  // Compared as a difference: `received + max_future_skew` could leave the
  // range of EventTime for a configured skew of centuries.
  if (reading.timestamp <= received || reading.timestamp - received <= max_future_skew) {
    return std::nullopt;
  }
  return "timestamp " + format_rfc3339(reading.timestamp) + " is " +
         std::to_string(std::chrono::duration_cast<std::chrono::seconds>(reading.timestamp - received).count()) +
         " s after the record reached Kafka (" + format_rfc3339(received) + "); more than " +
         std::to_string(std::chrono::duration_cast<std::chrono::seconds>(max_future_skew).count()) +
         " s ahead is a clock error: fix the device's clock and replay the record";
}

}  // namespace edgestream::processor
