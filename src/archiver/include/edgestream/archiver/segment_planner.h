// When to cut a partition's segment: the pure decision, with time passed in.
//
// A *segment* of a Kafka partition is the set of Parquet files the archiver
// has open for it: one per (kind, period) seen since the last cut. A *cut*
// closes all of them at once at the partition's next offset D, making a batch
// that is uploaded and then committed at D (docs/archiver.md). This class only
// decides whether to cut now; it owns no files. Deterministic: same input,
// same answer, so the rules are tested without Kafka, disks or sleeping.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>

#include "edgestream/common/timestamp.h"

namespace edgestream::archiver {

struct PlannerConfig {
  // Length of the UTC periods files are grouped by (an hour in production).
  std::chrono::seconds period{3600};
  // How long after a period's end records of it may still arrive before its
  // files are cut (event time), and how long a partition may be quiet before
  // its open files are cut anyway (wall time).
  std::chrono::seconds grace{60};
  // A file reaching either limit cuts its partition. A million readings is
  // about 10–20 MB of Parquet: large enough for efficient queries, small
  // enough to upload in one or a few requests.
  std::int64_t max_file_rows = 1'000'000;
  // 256 MiB keeps every file well inside what one multipart upload and one
  // reader task handle comfortably.
  std::int64_t max_file_bytes = std::int64_t{256} << 20;
  // A record whose event time is further ahead of the archiver's clock than
  // this is dead-lettered (timestamp_in_future) instead of archived: one
  // record from a device with a broken clock would otherwise move the
  // partition's event time so far ahead that no file is cut by event time
  // again (every later file would count as opened late). Five minutes covers
  // ordinary clock drift between devices and nodes.
  std::chrono::seconds max_future_skew{300};
};

// One open file as the planner sees it.
struct OpenFileView {
  EventTime period_start;
  std::int64_t rows = 0;
  std::int64_t bytes = 0;  // on disk so far
  // The partition's largest event time when the file was opened (before its
  // first record). For a file opened late — its period already over — the
  // period-over rule counts grace from here, not from the period's end.
  std::optional<EventTime> max_event_time_at_open{};
};

// One partition's open segment.
struct SegmentView {
  std::span<const OpenFileView> files;
  // Largest event time of any record consumed from the partition so far
  // (not only this segment's): event time only moves the cut forward.
  std::optional<EventTime> max_event_time;
  // When the partition's newest record was consumed.
  SteadyTime last_record;
  // The offset after the last record consumed, and the offset at which the
  // segment must be cut because it rebuilds the offset range of an object
  // found in S3 (docs/archiver.md, "Write-once objects"); nullopt otherwise.
  std::int64_t next_offset = 0;
  std::optional<std::int64_t> adopt_end{};
};

enum class CutReason : std::uint8_t {
  kNone,        // keep the segment open
  kRowLimit,    // a file reached max_file_rows
  kByteLimit,   // a file reached max_file_bytes
  kPeriodOver,  // max event time >= max(end of an open file's period, max event time
                //   when that file was opened) + grace
  kQuiet,       // no record for `grace` of wall time
  kAdopted,     // the segment reached the end offset of an existing object's range
};
const char* to_string(CutReason reason);

class SegmentPlanner {
 public:
  explicit SegmentPlanner(PlannerConfig config) : config_(config) {}

  // The first rule that holds, in the order of CutReason; kNone for a segment
  // without files (there is nothing to cut). While the segment rebuilds an
  // existing object's range (adopt_end set) no other rule applies: it is cut
  // exactly when next_offset reaches adopt_end, so that its files have the
  // same offset ranges as the objects already in S3.
  CutReason decide(const SegmentView& segment, SteadyTime now) const;

  // True when `event_time` is more than max_future_skew ahead of `now` (the
  // archiver's clock): such a record must not reach a segment.
  bool too_far_in_future(EventTime event_time, EventTime now) const {
    return event_time > now + config_.max_future_skew;
  }

  const PlannerConfig& config() const { return config_; }

 private:
  PlannerConfig config_;
};

}  // namespace edgestream::archiver
