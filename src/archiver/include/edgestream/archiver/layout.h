// Where records go: the UTC period of an event time, and the S3 key of a file.
//
// Keys are a pure function of (prefix, kind, Kafka partition, first offset,
// period start), so that a replay after a crash meets the keys the crashed
// run uploaded: objects are written once, and a replay that finds its key
// taken adopts the existing object's offset range instead of adding a
// duplicate (docs/archiver.md, "Exactly once").
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "edgestream/archiver/record.h"
#include "edgestream/common/timestamp.h"

namespace edgestream::archiver {

// Start of the period that holds `time`: periods are [k·length, (k+1)·length)
// counted from the Unix epoch (so whole hours for 3600 s), floored also before
// 1970. `length` must be positive (config validation guarantees it).
EventTime period_start_of(EventTime time, std::chrono::seconds length);

// Identifies one Parquet file: its kind, Kafka partition, the offset of its
// first record and the start of its period.
struct FileIdentity {
  RecordKind kind = RecordKind::kReading;
  std::int32_t partition = 0;
  std::int64_t first_offset = 0;
  EventTime period_start;

  friend bool operator==(const FileIdentity&, const FileIdentity&) = default;
};

// "<kind>-p<partition>-o<first offset>_<yyyymmdd>T<hhmmss>Z.parquet", e.g.
// "readings-p2-o1500_20241226T100000Z.parquet".
std::string object_file_name(const FileIdentity& file);

// The inverse of object_file_name(): nullopt for any name it does not write.
std::optional<FileIdentity> parse_object_file_name(std::string_view name);

// "[<prefix>/]<yyyy>/<mm>/<dd>/<file name>": the date path is the period
// start's UTC date. Slashes at either end of the prefix are ignored, so
// "archive", "archive/" and "/archive/" give the same keys; an empty prefix
// gives keys that start with the year.
std::string object_key(std::string_view prefix, const FileIdentity& file);

// Object metadata (x-amz-meta-…) naming the offset range an object holds:
// every record of its kind and period with an offset in [first, end). Written
// by the uploader, read by it on adoption and by edgestream-audit.
inline constexpr const char* kFirstOffsetMetadata = "edgestream-first-offset";
inline constexpr const char* kEndOffsetMetadata = "edgestream-end-offset";
// The value of one of those metadata entries: a non-negative decimal offset
// and nothing else; nullopt when absent or malformed.
std::optional<std::int64_t> parse_offset_metadata(const std::optional<std::string>& text);

}  // namespace edgestream::archiver
