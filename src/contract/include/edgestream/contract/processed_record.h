// processed-data records: what the processor writes and the archiver and the
// audit read. Four kinds, told apart by the `type` field (contract::type):
// reading, aggregate, device_aggregate and aggregate_correction. The encoders
// here are the only writers, the parser the only reader.
//
// Contract: one ProcessedRecordParser per consumer thread (it owns simdjson's
// parser and a padded buffer), reused for every record. parse() never throws
// and never crashes on any input; what it cannot accept comes back with a
// reason (the dead-letter header and metric label) and a human-readable detail.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "edgestream/common/timestamp.h"
#include "edgestream/contract/aggregate.h"
#include "edgestream/contract/invalid_reason.h"

namespace edgestream::contract {

namespace detail {
class JsonObjectReader;
}

// What a record is; decides its Parquet schema and its file.
// kAggregateCorrection is the share of one input partition that a published
// fleet aggregate lacks (docs/data-contract.md): archived in files of its
// own, never merged into the aggregate's row, so the archive holds what the
// stream holds. New kinds go at the end: the values are array indices.
enum class RecordKind : std::uint8_t { kReading, kAggregate, kDeviceAggregate, kAggregateCorrection };
inline constexpr RecordKind kAllKinds[] = {RecordKind::kReading, RecordKind::kAggregate,
                                           RecordKind::kDeviceAggregate, RecordKind::kAggregateCorrection};
// The `type` field value and the `kind` metrics label: "reading", "aggregate",
// "device_aggregate", "aggregate_correction".
const char* to_string(RecordKind kind);

// A validated record. Only the fields of its kind are meaningful. Views point
// into the parser's buffer: valid until the next parse() on the same parser.
struct ProcessedRecord {
  RecordKind kind = RecordKind::kReading;
  std::string_view device_id;  // reading, device_aggregate
  // The event time that decides the record's period: `timestamp` of a
  // reading, `window_start` of an aggregate or a correction.
  EventTime event_time;
  double temperature = 0;   // reading: temperature; aggregate, device_aggregate: temperature_avg
  double humidity = 0;      // reading
  std::string_view status;  // reading
  std::int64_t count = 0;   // aggregates and corrections
  double min = 0;           // aggregates and corrections: temperature_min
  double max = 0;           // aggregates and corrections: temperature_max
  // aggregate_correction: temperature_sum. A sum, not an average, so that a
  // reader adds it to the aggregate exactly (docs/data-contract.md).
  double temperature_sum = 0;
};

struct ProcessedRecordParseResult {
  bool ok = false;
  ProcessedRecord record;                              // when ok
  InvalidReason reason = InvalidReason::kInvalidJson;  // when !ok
  std::string detail;                                  // when !ok: which field and why
};

class ProcessedRecordParser {
 public:
  ProcessedRecordParser();
  ~ProcessedRecordParser();
  ProcessedRecordParser(ProcessedRecordParser&&) noexcept;
  ProcessedRecordParser& operator=(ProcessedRecordParser&&) noexcept;

  // Unknown fields are checked to be well-formed JSON and otherwise ignored;
  // when a known field appears twice, the first occurrence wins. Every
  // missing field the kind requires is reported before any bad value.
  ProcessedRecordParseResult parse(std::string_view payload);

 private:
  std::unique_ptr<detail::JsonObjectReader> reader_;
};

// Appends {"type":"aggregate","window_start":…,"window_end":…,
// "temperature_avg":…,"count":…,"temperature_min":…,"temperature_max":…}.
void encode_aggregate(std::string& out, const Aggregate& aggregate, Millis window_size);
// Same with "type":"device_aggregate" and "device_id" after the type.
void encode_device_aggregate(std::string& out, std::string_view device_id, const Aggregate& aggregate,
                             Millis window_size);
// Appends {"type":"aggregate_correction","window_start":…,"window_end":…,
// "count":n,"temperature_sum":s,"temperature_min":a,"temperature_max":b}: the
// share of one input partition that the published aggregate of the window
// lacks (its partial arrived after the minute was final). A reader adds it:
// count and sum add up, min and max combine.
void encode_aggregate_correction(std::string& out, const Aggregate& late_partial, Millis window_size);
// Readings: encode_reading(out, reading, ReadingTopic::kProcessedData) in reading.h.

}  // namespace edgestream::contract
