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

using SteadyTime = std::chrono::steady_clock::time_point;

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
};

enum class CutReason : std::uint8_t {
  kNone,        // keep the segment open
  kRowLimit,    // a file reached max_file_rows
  kByteLimit,   // a file reached max_file_bytes
  kPeriodOver,  // max event time >= max(end of an open file's period, max event time
                //   when that file was opened) + grace
  kQuiet,       // no record for `grace` of wall time
};
const char* to_string(CutReason reason);

class SegmentPlanner {
 public:
  explicit SegmentPlanner(PlannerConfig config) : config_(config) {}

  // The first rule that holds, in the order of CutReason; kNone for a segment
  // without files (there is nothing to cut).
  CutReason decide(const SegmentView& segment, SteadyTime now) const;

  const PlannerConfig& config() const { return config_; }

 private:
  PlannerConfig config_;
};

}  // namespace edgestream::archiver
