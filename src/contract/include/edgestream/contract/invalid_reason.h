// Why a record is dead-lettered: one list for both topics. Each value's
// to_string() is the `edgestream.reason` header of the dead-letter record and
// the `reason` label of the dead-letter counters, so the strings are part of
// the wire contract and never change.
#pragma once

#include <cstddef>
#include <cstdint>

namespace edgestream::contract {

enum class InvalidReason : std::uint8_t {
  // --- any record, before its fields are looked at ---
  kTooLarge,     // payload above kMaxRecordBytes
  kInvalidUtf8,  // bytes are not UTF-8
  kInvalidJson,  // not parseable JSON
  kNotAnObject,  // JSON, but not an object
  // --- fields ---
  kMissingField,      // a field the record's kind requires is absent
  kWrongType,         // a field has the wrong JSON type (count must be an integer)
  kInvalidDeviceId,   // empty or longer than kMaxDeviceIdBytes
  kInvalidTimestamp,  // not RFC 3339
  kNonFiniteNumber,   // a number outside the range of a double
  // --- raw-data readings ---
  kHumidityOutOfRange,            // humidity outside [0, 100]
  kTemperatureBelowAbsoluteZero,  // temperature below -273.15 °C: no sensor reads that
  // A `processor-partials` record the merger cannot decode (foreign writer,
  // incompatible version, out-of-range values).
  kPartialBatchUndecodable,
  // --- processed-data records ---
  kUnknownType,    // "type" is not one of contract::type
  kInvalidCount,   // an aggregate's count below 1
  kInvalidWindow,  // window_end not after window_start
  // --- decided by a component, not by a parser ---
  // Event time further ahead than the component allows (the processor: of
  // the record's Kafka timestamp; the archiver: of its clock).
  kTimestampInFuture,
  // Valid JSON the archiver's Parquet writer cannot store (defensive; not expected).
  kRejectedByWriter,
  // The dead-letter topic refused the record itself (too large for it, say):
  // a replacement without the value was dead-lettered in its place.
  kDeadLetterRejected,
};
const char* to_string(InvalidReason reason);
// One more than the largest value: the size of an array indexed by reason.
inline constexpr std::size_t kInvalidReasonCount =
    static_cast<std::size_t>(InvalidReason::kDeadLetterRejected) + 1;

// The reasons each component can dead-letter with, in the order their
// counters are registered (every label exists from start-up, at zero).
inline constexpr InvalidReason kRawDataInvalidReasons[] = {
    InvalidReason::kTooLarge,
    InvalidReason::kInvalidUtf8,
    InvalidReason::kInvalidJson,
    InvalidReason::kNotAnObject,
    InvalidReason::kMissingField,
    InvalidReason::kWrongType,
    InvalidReason::kInvalidDeviceId,
    InvalidReason::kInvalidTimestamp,
    InvalidReason::kNonFiniteNumber,
    InvalidReason::kHumidityOutOfRange,
    InvalidReason::kTemperatureBelowAbsoluteZero,
    InvalidReason::kPartialBatchUndecodable,
    InvalidReason::kTimestampInFuture,
};
inline constexpr InvalidReason kProcessedDataInvalidReasons[] = {
    InvalidReason::kTooLarge,         InvalidReason::kInvalidUtf8,       InvalidReason::kInvalidJson,
    InvalidReason::kNotAnObject,      InvalidReason::kUnknownType,       InvalidReason::kMissingField,
    InvalidReason::kWrongType,        InvalidReason::kInvalidDeviceId,   InvalidReason::kInvalidTimestamp,
    InvalidReason::kNonFiniteNumber,  InvalidReason::kInvalidCount,      InvalidReason::kInvalidWindow,
    InvalidReason::kRejectedByWriter, InvalidReason::kTimestampInFuture, InvalidReason::kDeadLetterRejected,
};

}  // namespace edgestream::contract
