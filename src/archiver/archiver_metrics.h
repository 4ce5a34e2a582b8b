// The archiver's metrics holder: every family registered once, with help
// text; every series whose labels are known up front created at 0
// (docs/metrics.md). Counters and histograms are safe to update from the
// uploader thread (prometheus-cpp updates them atomically); gauges are set by
// the main thread only.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <cstdint>
#include <string>

#include "edgestream/archiver/record.h"

namespace edgestream::archiver {

// The `cause` label of upload retries and errors: the S3 library's retry
// causes, plus "fatal" for errors no retry of the same request can fix
// (permissions, missing bucket, wrong region...), which the archiver retries
// at the backoff cap anyway so an operator can fix them without data loss.
inline constexpr std::array<const char*, 7> kUploadCauses{
    "network", "timeout", "server_error", "throttled", "auth", "corruption", "fatal"};

class ArchiverMetrics {
 public:
  ArchiverMetrics(prometheus::Registry& registry, std::uint64_t spool_limit_bytes);

  void record_in(RecordKind kind) { records_in_[static_cast<std::size_t>(kind)]->Increment(); }
  void dead_lettered(InvalidReason reason) {
    dead_lettered_[static_cast<std::size_t>(reason)]->Increment();
  }
  void file_uploaded(RecordKind kind, std::uint64_t bytes, double seconds);
  void upload_retry(const std::string& cause);
  void upload_error(const std::string& cause);
  // A dead letter the producer could not deliver: "retried" (sent again, the
  // commit waits for it) or "replaced" (the topic refused it for good; a
  // replacement without the value was sent instead).
  void dead_letter_failed(const char* outcome) { dead_letter_failures_family_.Add({{"outcome", outcome}}).Increment(); }
  // A write-once upload found its key taken: "identical" (same offset range:
  // the object is ours or equal to ours) or "adopted" (another range: the
  // partition is rebuilt to continue after it).
  void existing_object(const char* outcome) { existing_objects_family_.Add({{"outcome", outcome}}).Increment(); }
  // Records skipped because an existing object already holds them.
  void already_archived() { already_archived_.Increment(); }
  void set_spool_bytes(std::uint64_t bytes) { spool_bytes_.Set(static_cast<double>(bytes)); }
  void set_oldest_unarchived_age(double seconds) { oldest_unarchived_.Set(seconds); }
  void set_lag(const std::string& topic, std::int32_t partition, std::int64_t lag);
  void forget_lag(const std::string& topic, std::int32_t partition);

 private:
  prometheus::Family<prometheus::Counter>& records_in_family_;
  prometheus::Family<prometheus::Counter>& files_uploaded_family_;
  prometheus::Family<prometheus::Counter>& retries_family_;
  prometheus::Family<prometheus::Counter>& errors_family_;
  prometheus::Family<prometheus::Counter>& dead_lettered_family_;
  prometheus::Family<prometheus::Gauge>& lag_family_;
  prometheus::Family<prometheus::Counter>& dead_letter_failures_family_;
  prometheus::Family<prometheus::Counter>& existing_objects_family_;
  prometheus::Counter& already_archived_;
  std::array<prometheus::Counter*, std::size(kAllKinds)> records_in_{};
  std::array<prometheus::Counter*, std::size(kAllKinds)> files_uploaded_{};
  std::array<prometheus::Counter*, contract::kInvalidReasonCount> dead_lettered_{};
  prometheus::Counter& uploaded_bytes_;
  prometheus::Histogram& upload_duration_;
  prometheus::Gauge& spool_bytes_;
  prometheus::Gauge& spool_limit_;
  prometheus::Gauge& oldest_unarchived_;
};

}  // namespace edgestream::archiver
