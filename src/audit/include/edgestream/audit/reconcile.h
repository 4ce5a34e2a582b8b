// The pure core of edgestream-audit: given what the data contract says must
// be archived (the offsets of the records of each stream, read from
// processed-data) and what S3 holds (each object's key, offset range and row
// count), decide per stream whether the archive is exact, and if not, what is
// missing, duplicated or out of place. No Kafka, no S3, no clock here: the
// scanners (kafka_scan.h, s3_scan.h) fill the inputs, main.cc prints the
// result.
//
// A *stream* is (kind, Kafka partition, period), as in docs/archiver.md: each
// object holds one stream's records whose offsets lie in its range
// [first, end). The archive of a stream is exact when its objects' ranges do
// not overlap, every expected offset lies in exactly one range, and each
// object's row count equals the number of expected offsets in its range.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "edgestream/archiver/layout.h"
#include "edgestream/archiver/record.h"
#include "edgestream/common/timestamp.h"

namespace edgestream::audit {

struct StreamKey {
  archiver::RecordKind kind = archiver::RecordKind::kReading;
  std::int32_t partition = 0;
  EventTime period_start;

  friend auto operator<=>(const StreamKey&, const StreamKey&) = default;
};

// Offsets of the records each stream must hold, ascending (the Kafka scan
// reads each partition in offset order, so appending keeps them sorted).
// Eight bytes per record: an hour of 1.8 M readings is 14 MiB.
using ExpectedOffsets = std::map<StreamKey, std::vector<std::int64_t>>;

// One object found under the layout's prefixes whose key the layout could
// have written (the scanner puts every other key in StrayObject).
struct FoundObject {
  std::string key;
  archiver::FileIdentity identity;  // parsed from the key
  // From the object's metadata (x-amz-meta-edgestream-{first,end}-offset);
  // nullopt when absent or not a number.
  std::optional<std::int64_t> first_offset;
  std::optional<std::int64_t> end_offset;
  // FileMetaData.num_rows; nullopt when the footer could not be read.
  std::optional<std::int64_t> rows;
  // Why a field above is missing (unreadable footer, …); empty otherwise.
  std::string read_error;
};

// An object under the layout's prefixes that the layout does not write: a
// name it never produces, a date path that is not its period's, a period
// start that is not a period boundary.
struct StrayObject {
  std::string key;
  std::string reason;
};

// A stream's verdict. Counts are records (rows).
struct StreamReport {
  StreamKey stream;
  std::int64_t expected = 0;    // records the contract says this stream holds
  std::int64_t found_rows = 0;  // rows of its objects (footers)
  std::int64_t objects = 0;
  // Expected records in no object's range, plus rows an object lacks against
  // the expected records of its range.
  std::int64_t missing = 0;
  // Records in more than one object's range (counted once per extra copy),
  // plus rows an object has beyond the expected records of its range.
  std::int64_t duplicated = 0;
  std::vector<std::int64_t> first_missing_offsets;  // at most kListedOffsets, ascending
  std::vector<std::int64_t> first_duplicated_offsets;
  // "<key> [a,b) overlaps <key> [c,d)" for each overlapping pair.
  std::vector<std::string> overlaps;
  // Per-object findings: row count against its range, no offset metadata,
  // unreadable footer, key offset differing from metadata.
  std::vector<std::string> problems;

  bool exact() const {
    return missing == 0 && duplicated == 0 && overlaps.empty() && problems.empty();
  }
};

struct AuditReport {
  std::vector<StreamReport> streams;  // ordered by period, partition, kind
  std::vector<StrayObject> strays;
  // Conditions that make the audit incomplete (records deleted by retention,
  // a partition whose scan could not cover an object's range); each is a
  // sentence for the operator.
  std::vector<std::string> unverifiable;

  bool exact() const;
};

// How many offsets a report lists per finding ("the first few").
inline constexpr std::size_t kListedOffsets = 5;

// Reconciles the two sides for the streams whose period starts in
// [from, to). Objects and expected offsets of other periods are ignored
// (the scanners may see neighbouring periods).
AuditReport reconcile(const ExpectedOffsets& expected, const std::vector<FoundObject>& objects,
                      std::vector<StrayObject> strays, EventTime from, EventTime to);

// The report as an aligned text table (one line per stream, then the
// findings), and as one JSON object for drills (docs/operations.md).
std::string format_table(const AuditReport& report);
std::string format_json(const AuditReport& report);

}  // namespace edgestream::audit
