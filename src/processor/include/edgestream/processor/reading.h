// Parsing, validation, filtering and encoding of telemetry readings: the
// pure, per-record part of the processor. No Kafka here.
#pragma once

#include <simdjson.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "edgestream/common/timestamp.h"

namespace edgestream::processor {

// device_id longer than this is rejected: it is a Kafka key and a Parquet
// dictionary entry, and real device identifiers are short.
inline constexpr size_t kMaxDeviceIdBytes = 256;
// Readings are ~120 bytes; anything this large is not a reading and is
// dead-lettered before parsing.
inline constexpr size_t kMaxRecordBytes = 64 * 1024;
// A reading is kept iff status == "OK" exactly and temperature <= this (°C).
inline constexpr double kMaxTemperatureCelsius = 100.0;
// Physically impossible below this; rejecting it also bounds every kept
// temperature to [-273.15, 100], so window sums cannot overflow a double.
inline constexpr double kAbsoluteZeroCelsius = -273.15;

// Why a record is dead-lettered. Each value is also the `reason` header of the
// dead-letter record and the `reason` label of the dead-letter counter.
enum class InvalidReason {
  kTooLarge,            // payload above kMaxRecordBytes
  kInvalidUtf8,         // bytes are not UTF-8
  kInvalidJson,         // not parseable JSON
  kNotAnObject,         // JSON, but not an object
  kMissingField,        // one of the five fields is absent
  kWrongType,           // a field has the wrong JSON type
  kInvalidDeviceId,     // empty or longer than kMaxDeviceIdBytes
  kInvalidTimestamp,    // not RFC 3339
  kNonFiniteNumber,     // temperature/humidity NaN, ±inf or out of double range
  kHumidityOutOfRange,  // humidity outside [0, 100]
  kTemperatureBelowAbsoluteZero,  // temperature below -273.15 °C: no sensor reads that
  // Not a raw-data record: a `processor-partials` record the merger cannot
  // decode (foreign writer, incompatible version, out-of-range values).
  kPartialBatchUndecodable,
  // Stamped more than the allowed skew after the record reached Kafka: a
  // device clock running ahead. Checked by check_event_time(), not parse().
  kTimestampInFuture,
};
const char* to_string(InvalidReason reason);

// A validated reading. Views point into the parser's buffer: valid until the
// next parse() on the same RecordParser.
struct Reading {
  std::string_view device_id;
  EventTime timestamp;
  double temperature = 0;
  double humidity = 0;
  std::string_view status;
};

struct ParseResult {
  bool ok = false;
  Reading reading;                                   // set when ok
  InvalidReason reason = InvalidReason::kInvalidJson;  // set when !ok
  std::string detail;  // human-readable: which field and why (when !ok)
};

// Parses one raw-data payload. Not thread-safe; one per consumer thread,
// reused for every record (it owns the padded buffer and the simdjson parser).
// Unknown extra fields are ignored; when a known field appears twice, the
// first occurrence wins (documented in docs/data-contract.md).
class RecordParser {
 public:
  ParseResult parse(std::string_view payload);

 private:
  simdjson::ondemand::parser parser_;
  simdjson::padded_string buffer_;
};

// How far a reading's timestamp may be ahead of the time its record reached
// Kafka before it is dead-lettered as timestamp_in_future (--max-future-skew-seconds).
// A device clock ahead by more than this would otherwise push its partition's
// watermark ahead and make every other device in the partition late.
inline constexpr Millis kDefaultMaxFutureSkew = std::chrono::minutes(5);

// The processing-clock bound on event time. `received` is the clock the
// reading is judged against: the record's Kafka timestamp, so that the
// verdict is the same on every replay and on every instance. Returns the
// dead-letter detail when the reading is stamped more than `max_future_skew`
// after `received`, nullopt when it may go on. Pure; no clock is read here.
std::optional<std::string> check_event_time(const Reading& reading, EventTime received,
                                            Millis max_future_skew);

enum class FilterVerdict { kKeep, kStatusNotOk, kTemperatureAboveLimit };
// Metric label for a rejected verdict ("status_not_ok", "temperature_above_limit").
const char* to_string(FilterVerdict verdict);
// status is checked first: a reading with a bad status and a high temperature
// counts as status_not_ok.
FilterVerdict filter(const Reading& reading);

// Appends {"type":"reading","device_id":…,"timestamp":…,"temperature":…,
// "humidity":…,"status":"OK"} with the timestamp normalised to UTC and strings
// JSON-escaped. Numbers use the shortest text that round-trips.
void encode_reading(std::string& out, const Reading& reading);
// JSON text helpers (append_json_string, append_json_number) live in
// edgestream/common/json_text.h: the simulator writes the same format.

}  // namespace edgestream::processor
