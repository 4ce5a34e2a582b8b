// RFC 3339 timestamps, the wire format of every event time in edgestream.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace edgestream {

using Millis = std::chrono::milliseconds;
// Event and window times: UTC, millisecond precision (Parquet stores millis).
using EventTime = std::chrono::sys_time<Millis>;
// Processing time: the steady clock, for timeouts, idleness and pacing. Never
// written to a record and never compared with an EventTime.
using SteadyTime = std::chrono::steady_clock::time_point;

// The span of UTC times edgestream accepts and writes: years 0001–9999, the
// four-digit years of RFC 3339 without year 0 (which ISO 8601 readers such as
// Python's datetime reject). Every time inside it formats and parses back to
// itself.
inline constexpr EventTime kMinRfc3339Time{
    std::chrono::sys_days{std::chrono::year{1} / std::chrono::January / 1}};
inline constexpr EventTime kMaxRfc3339Time{
    std::chrono::sys_days{std::chrono::year{9999} / std::chrono::December / 31} +
    std::chrono::days{1} - Millis{1}};

// Parses "2024-12-26T10:00:00Z", "2024-12-26T12:00:00.250+02:00", … into UTC.
// Accepts 'T'/'t' as separator, 'Z'/'z' or ±HH:MM offsets, 0–9 fractional
// digits (truncated to milliseconds). Rejects anything else, including
// out-of-range fields (Feb 30th, hour 24). A leap second (:60) is accepted
// and lands on the following second, as UTC clocks without leap seconds do.
// The result, after the offset and a leap second are applied, must lie in
// [kMinRfc3339Time, kMaxRfc3339Time]: "9999-12-31T23:59:60Z" and
// "0001-01-01T00:00:00+01:00" are rejected.
std::optional<EventTime> parse_rfc3339(std::string_view text);

// Formats as "2024-12-26T10:00:00Z", or "2024-12-26T10:00:00.250Z" when the
// time has a sub-second part. Always UTC. For times in [kMinRfc3339Time,
// kMaxRfc3339Time] parse_rfc3339 gives the time back; outside it the year has
// no four-digit form and the text is not a timestamp (callers keep times in range).
std::string format_rfc3339(EventTime time);
// Appends the same text to out without allocating a temporary.
void append_rfc3339(std::string& out, EventTime time);

}  // namespace edgestream
