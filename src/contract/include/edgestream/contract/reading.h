// A telemetry reading: what devices write to raw-data and what the processor
// republishes to processed-data with "type":"reading". Parse validates one
// raw-data payload; encode writes either topic's form.
//
// Contract: one ReadingParser per consumer thread (it owns simdjson's parser
// and a padded buffer), reused for every record. parse() never throws and
// never crashes on any input; what it cannot accept comes back with a reason
// and a human-readable detail.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "edgestream/common/timestamp.h"
#include "edgestream/contract/invalid_reason.h"

namespace edgestream::contract {

namespace detail {
class JsonObjectReader;
}

// Physically impossible below this; rejecting it also bounds every kept
// temperature from below, so window sums cannot overflow a double.
inline constexpr double kAbsoluteZeroCelsius = -273.15;
// Relative humidity in percent: [0, 100].
inline constexpr double kMinHumidity = 0.0;
inline constexpr double kMaxHumidity = 100.0;

// A validated reading. Views point into the parser's buffer (or the writer's
// storage): valid until the next parse() on the same ReadingParser.
struct Reading {
  std::string_view device_id;
  EventTime timestamp;
  double temperature = 0;
  double humidity = 0;
  std::string_view status;
};

struct ReadingParseResult {
  bool ok = false;
  Reading reading;                                     // set when ok
  InvalidReason reason = InvalidReason::kInvalidJson;  // set when !ok
  std::string detail;                                  // human-readable: which field and why (when !ok)
};

// Parses one raw-data payload: an object with device_id, timestamp (RFC
// 3339), temperature, humidity and status. Unknown extra fields are ignored;
// when a known field appears twice, the first occurrence wins. When several
// fields are wrong, the first problem in document order is reported, and
// broken JSON anywhere wins over any field problem.
class ReadingParser {
 public:
  ReadingParser();
  ~ReadingParser();
  ReadingParser(ReadingParser&&) noexcept;
  ReadingParser& operator=(ReadingParser&&) noexcept;

  ReadingParseResult parse(std::string_view payload);

 private:
  std::unique_ptr<detail::JsonObjectReader> reader_;
};

// Where an encoded reading goes: raw-data records have no "type" field,
// processed-data records start with "type":"reading".
enum class ReadingTopic : std::uint8_t { kRawData, kProcessedData };

// Appends {["type":"reading",]"device_id":…,"timestamp":…,"temperature":…,
// "humidity":…,"status":…} with the timestamp normalised to UTC and strings
// JSON-escaped. Numbers use the shortest text that round-trips.
void encode_reading(std::string& out, const Reading& reading, ReadingTopic topic);

}  // namespace edgestream::contract
