// Parsing and validation of processed-data records: the pure, per-record part
// of the archiver. No Kafka, no files here.
//
// Contract: one RecordParser per consumer thread (it owns simdjson's parser
// and a padded buffer), reused for every record. parse() never throws and
// never crashes on any input; what it cannot accept comes back with a reason
// (the dead-letter header and metric label) and a human-readable detail.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "edgestream/common/timestamp.h"

namespace edgestream::archiver {

// What a record is; decides its Parquet schema and its file.
// kAggregateCorrection is the share of one input partition that a published
// fleet aggregate lacks (docs/data-contract.md): archived in files of its
// own, never merged into the aggregate's row, so the archive holds what the
// stream holds. New kinds go at the end: the values are array indices.
enum class RecordKind : std::uint8_t { kReading, kAggregate, kDeviceAggregate, kAggregateCorrection };
inline constexpr RecordKind kAllKinds[] = {RecordKind::kReading, RecordKind::kAggregate,
                                           RecordKind::kDeviceAggregate,
                                           RecordKind::kAggregateCorrection};
// The `type` field value and the `kind` metrics label: "reading", "aggregate",
// "device_aggregate", "aggregate_correction".
const char* to_string(RecordKind kind);
// The kind part of S3 object names: "readings", "aggregates", "device-aggregates",
// "aggregate-corrections".
const char* object_kind_name(RecordKind kind);

// Records larger than this are not processed-data records (they are ~200
// bytes) and are dead-lettered before parsing.
inline constexpr std::size_t kMaxRecordBytes = 64 * 1024;
// Same bound as the processor's: device ids are Kafka keys and dictionary entries.
inline constexpr std::size_t kMaxDeviceIdBytes = 256;

// Why a record is dead-lettered. Each value is the edgestream.reason header of
// the dead-letter record and the `reason` label of the dead-letter counter.
enum class InvalidReason : std::uint8_t {
  kTooLarge,          // payload above kMaxRecordBytes
  kInvalidUtf8,       // bytes are not UTF-8
  kInvalidJson,       // not parseable JSON
  kNotAnObject,       // JSON, but not an object
  kUnknownType,       // "type" is not reading / aggregate / device_aggregate / aggregate_correction
  kMissingField,      // a field the type requires is absent
  kWrongType,         // a field has the wrong JSON type (count must be an integer)
  kInvalidDeviceId,   // empty or longer than kMaxDeviceIdBytes
  kInvalidTimestamp,  // not RFC 3339
  kNonFiniteNumber,   // a number outside the range of a double
  kInvalidCount,      // an aggregate's count below 1
  kInvalidWindow,     // window_end not after window_start
  kRejectedByWriter,  // valid JSON the Parquet writer cannot store (defensive; not expected)
  // The event time is further ahead of the archiver's clock than
  // PlannerConfig::max_future_skew: decided by the archiver, not the parser,
  // so that one bad clock cannot stop files from being cut by event time.
  kTimestampInFuture,
  // The dead-letter topic refused the record itself (too large for it, say):
  // a replacement without the value was dead-lettered in its place.
  kDeadLetterRejected,
};
inline constexpr InvalidReason kAllInvalidReasons[] = {
    InvalidReason::kTooLarge,        InvalidReason::kInvalidUtf8,
    InvalidReason::kInvalidJson,     InvalidReason::kNotAnObject,
    InvalidReason::kUnknownType,     InvalidReason::kMissingField,
    InvalidReason::kWrongType,       InvalidReason::kInvalidDeviceId,
    InvalidReason::kInvalidTimestamp, InvalidReason::kNonFiniteNumber,
    InvalidReason::kInvalidCount,    InvalidReason::kInvalidWindow,
    InvalidReason::kRejectedByWriter, InvalidReason::kTimestampInFuture,
    InvalidReason::kDeadLetterRejected};
const char* to_string(InvalidReason reason);

// A validated record. Only the fields of its kind are meaningful. Views point
// into the parser's buffer: valid until the next parse() on the same parser.
struct ArchiveRecord {
  RecordKind kind = RecordKind::kReading;
  std::string_view device_id;  // reading, device_aggregate
  // The event time that decides the record's period: `timestamp` of a
  // reading, `window_start` of an aggregate or a correction.
  EventTime event_time;
  double temperature = 0;  // reading: temperature; aggregate, device_aggregate: temperature_avg
  double humidity = 0;     // reading
  std::string_view status; // reading
  std::int64_t count = 0;  // aggregates and corrections
  double min = 0;          // aggregates and corrections: temperature_min
  double max = 0;          // aggregates and corrections: temperature_max
  // aggregate_correction: temperature_sum. A sum, not an average, so that a
  // reader adds it to the aggregate exactly (docs/data-contract.md).
  double temperature_sum = 0;
};

struct ParseResult {
  bool ok = false;
  ArchiveRecord record;                                 // when ok
  InvalidReason reason = InvalidReason::kInvalidJson;  // when !ok
  std::string detail;                                   // when !ok: which field and why
};

class RecordParser {
 public:
  // Unknown fields are checked to be well-formed JSON and otherwise ignored;
  // when a known field appears twice, the first occurrence wins.
  ParseResult parse(std::string_view payload);

 private:
  simdjson::ondemand::parser parser_;
  simdjson::padded_string buffer_;
};

}  // namespace edgestream::archiver
