// What the processor decides about one reading once the contract has parsed
// it: the event-time bound and the filter. Pure; no Kafka here.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "edgestream/common/timestamp.h"
#include "edgestream/contract/fields.h"
#include "edgestream/contract/invalid_reason.h"
#include "edgestream/contract/reading.h"

namespace edgestream::processor {

// A reading is kept iff status == "OK" exactly and temperature <= this (°C).
inline constexpr double kMaxTemperatureCelsius = 100.0;

// The reading, its parser, the dead-letter reasons and the limits are the
// data contract's (edgestream/contract): the processor names them as it
// always has.
using contract::InvalidReason;
using contract::kMaxDeviceIdBytes;
using contract::kMaxRecordBytes;
using contract::Reading;
using contract::to_string;
using ParseResult = contract::ReadingParseResult;
using RecordParser = contract::ReadingParser;

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

}  // namespace edgestream::processor
