#include "edgestream/archiver/segment_planner.h"

namespace edgestream::archiver {

const char* to_string(CutReason reason) {
  switch (reason) {
    case CutReason::kNone: return "none";
    case CutReason::kRowLimit: return "row_limit";
    case CutReason::kByteLimit: return "byte_limit";
    case CutReason::kPeriodOver: return "period_over";
    case CutReason::kQuiet: return "quiet";
    case CutReason::kAdopted: return "adopted";
  }
  return "unknown";
}

CutReason SegmentPlanner::decide(const SegmentView& segment, SteadyTime now) const {
  if (segment.files.empty()) return CutReason::kNone;
  if (segment.adopt_end) {
    return segment.next_offset >= *segment.adopt_end ? CutReason::kAdopted : CutReason::kNone;
  }
  for (const OpenFileView& file : segment.files) {
    if (file.rows >= config_.max_file_rows) return CutReason::kRowLimit;
  }
  for (const OpenFileView& file : segment.files) {
    if (file.bytes >= config_.max_file_bytes) return CutReason::kByteLimit;
  }
  if (segment.max_event_time) {
    for (const OpenFileView& file : segment.files) {
      // A record more than `grace` late opens a file for a period that is
      // already over. Counting grace from the period's end would cut at once,
      // after every such record: one file per late record. Counting from the
      // event time at which the file was opened lets late records of the same
      // period gather for `grace` of event-time progress (or until the
      // partition is quiet), as on-time records do after a period's end.
      EventTime end = file.period_start + config_.period;
      if (file.max_event_time_at_open && *file.max_event_time_at_open > end) {
        end = *file.max_event_time_at_open;
      }
      if (*segment.max_event_time >= end + config_.grace) return CutReason::kPeriodOver;
    }
  }
  if (now - segment.last_record >= config_.grace) return CutReason::kQuiet;
  return CutReason::kNone;
}

}  // namespace edgestream::archiver
