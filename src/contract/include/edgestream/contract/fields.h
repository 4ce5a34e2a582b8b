// The data contract's vocabulary: the topics' field names, the `type` values
// of processed-data records and the size limits every reader and writer of
// the topics applies. docs/data-contract.md is the prose of the same contract;
// a change here is a change of the wire format and belongs there too.
#pragma once

#include <cstddef>
#include <string_view>

namespace edgestream::contract {

// Records this large are not records of either topic (readings are ~120
// bytes, processed-data records ~200): they are dead-lettered before parsing.
inline constexpr std::size_t kMaxRecordBytes = 64 * 1024;
// device_id longer than this is rejected: it is a Kafka key and a Parquet
// dictionary entry, and real device identifiers are short.
inline constexpr std::size_t kMaxDeviceIdBytes = 256;

// Field names. raw-data readings carry device_id, timestamp, temperature,
// humidity and status; processed-data records add `type` and the window fields.
namespace field {
inline constexpr std::string_view kType = "type";
inline constexpr std::string_view kDeviceId = "device_id";
inline constexpr std::string_view kTimestamp = "timestamp";
inline constexpr std::string_view kTemperature = "temperature";
inline constexpr std::string_view kHumidity = "humidity";
inline constexpr std::string_view kStatus = "status";
inline constexpr std::string_view kWindowStart = "window_start";
inline constexpr std::string_view kWindowEnd = "window_end";
inline constexpr std::string_view kTemperatureAvg = "temperature_avg";
inline constexpr std::string_view kCount = "count";
inline constexpr std::string_view kTemperatureMin = "temperature_min";
inline constexpr std::string_view kTemperatureMax = "temperature_max";
inline constexpr std::string_view kTemperatureSum = "temperature_sum";
}  // namespace field

// The `type` values of processed-data records.
namespace type {
inline constexpr std::string_view kReading = "reading";
inline constexpr std::string_view kAggregate = "aggregate";
inline constexpr std::string_view kDeviceAggregate = "device_aggregate";
inline constexpr std::string_view kAggregateCorrection = "aggregate_correction";
}  // namespace type

}  // namespace edgestream::contract
