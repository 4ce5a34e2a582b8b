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

// Parses "2024-12-26T10:00:00Z", "2024-12-26T12:00:00.250+02:00", … into UTC.
// Accepts 'T'/'t' as separator, 'Z'/'z' or ±HH:MM offsets, 0–9 fractional
// digits (truncated to milliseconds). Rejects anything else, including
// out-of-range fields (Feb 30th, hour 24). A leap second (:60) is accepted
// and lands on the following second, as UTC clocks without leap seconds do.
std::optional<EventTime> parse_rfc3339(std::string_view text);

// Formats as "2024-12-26T10:00:00Z", or "2024-12-26T10:00:00.250Z" when the
// time has a sub-second part. Always UTC.
std::string format_rfc3339(EventTime time);
// Appends the same text to out without allocating a temporary.
void append_rfc3339(std::string& out, EventTime time);

}  // namespace edgestream
