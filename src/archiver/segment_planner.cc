#include "edgestream/archiver/segment_planner.h"

namespace edgestream::archiver {

const char* to_string(CutReason reason) {
  switch (reason) {
    case CutReason::kNone: return "none";
    case CutReason::kRowLimit: return "row_limit";
    case CutReason::kByteLimit: return "byte_limit";
    case CutReason::kPeriodOver: return "period_over";
    case CutReason::kQuiet: return "quiet";
  }
  return "unknown";
}

CutReason SegmentPlanner::decide(const SegmentView& segment, SteadyTime now) const {
  if (segment.files.empty()) return CutReason::kNone;
  for (const OpenFileView& file : segment.files) {
    if (file.rows >= config_.max_file_rows) return CutReason::kRowLimit;
  }
  for (const OpenFileView& file : segment.files) {
    if (file.bytes >= config_.max_file_bytes) return CutReason::kByteLimit;
  }
  if (segment.max_event_time) {
    for (const OpenFileView& file : segment.files) {
      if (*segment.max_event_time >= file.period_start + config_.period + config_.grace) {
        return CutReason::kPeriodOver;
      }
    }
  }
  if (now - segment.last_record >= config_.grace) return CutReason::kQuiet;
  return CutReason::kNone;
}

}  // namespace edgestream::archiver
