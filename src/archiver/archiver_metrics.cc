#include "archiver_metrics.h"

#include "edgestream/common/metrics.h"

namespace edgestream::archiver {

ArchiverMetrics::ArchiverMetrics(prometheus::Registry& registry, std::uint64_t spool_limit_bytes)
    : records_in_family_(prometheus::BuildCounter()
                             .Name("edgestream_archiver_records_in_total")
                             .Help("Valid records consumed from processed-data, by kind")
                             .Register(registry)),
      files_uploaded_family_(prometheus::BuildCounter()
                                 .Name("edgestream_archiver_files_uploaded_total")
                                 .Help("Parquet objects acknowledged by S3, by kind")
                                 .Register(registry)),
      retries_family_(prometheus::BuildCounter()
                          .Name("edgestream_archiver_upload_retries_total")
                          .Help("Upload attempts retried after a failed attempt, by cause")
                          .Register(registry)),
      errors_family_(prometheus::BuildCounter()
                         .Name("edgestream_archiver_upload_errors_total")
                         .Help("Failed upload attempts, by cause")
                         .Register(registry)),
      dead_lettered_family_(prometheus::BuildCounter()
                                .Name("edgestream_archiver_records_dead_lettered_total")
                                .Help("Invalid records sent to the dead-letter topic, by reason")
                                .Register(registry)),
      lag_family_(prometheus::BuildGauge()
                      .Name("edgestream_archiver_consumer_lag_records")
                      .Help("High watermark minus position, per assigned partition")
                      .Register(registry)),
      dead_letter_failures_family_(prometheus::BuildCounter()
                                       .Name("edgestream_archiver_dead_letter_failures_total")
                                       .Help("Dead letters the producer could not deliver, by "
                                             "outcome (retried, replaced)")
                                       .Register(registry)),
      existing_objects_family_(prometheus::BuildCounter()
                                   .Name("edgestream_archiver_existing_objects_total")
                                   .Help("Write-once uploads that found their key taken, by "
                                         "outcome (identical, adopted)")
                                   .Register(registry)),
      already_archived_(prometheus::BuildCounter()
                            .Name("edgestream_archiver_records_already_archived_total")
                            .Help("Records skipped because an object already in S3 holds them")
                            .Register(registry)
                            .Add({})),
      uploaded_bytes_(prometheus::BuildCounter()
                          .Name("edgestream_archiver_uploaded_bytes_total")
                          .Help("Bytes of the Parquet objects acknowledged by S3")
                          .Register(registry)
                          .Add({})),
      upload_duration_(prometheus::BuildHistogram()
                           .Name("edgestream_archiver_upload_duration_seconds")
                           .Help("One object's upload, all attempts included")
                           .Register(registry)
                           .Add({}, latency_buckets_seconds())),
      spool_bytes_(prometheus::BuildGauge()
                       .Name("edgestream_archiver_spool_bytes")
                       .Help("Bytes in the local spool not yet in S3 (open and closed files)")
                       .Register(registry)
                       .Add({})),
      spool_limit_(prometheus::BuildGauge()
                       .Name("edgestream_archiver_spool_limit_bytes")
                       .Help("Configured spool bound; consumption pauses above it")
                       .Register(registry)
                       .Add({})),
      oldest_unarchived_(prometheus::BuildGauge()
                             .Name("edgestream_archiver_oldest_unarchived_age_seconds")
                             .Help("Now minus the oldest event time among records consumed but "
                                   "not yet in S3; 0 when none")
                             .Register(registry)
                             .Add({})) {
  for (RecordKind kind : kAllKinds) {
    const auto index = static_cast<std::size_t>(kind);
    records_in_[index] = &records_in_family_.Add({{"kind", to_string(kind)}});
    files_uploaded_[index] = &files_uploaded_family_.Add({{"kind", to_string(kind)}});
  }
  for (InvalidReason reason : kAllInvalidReasons) {
    dead_lettered_[static_cast<std::size_t>(reason)] =
        &dead_lettered_family_.Add({{"reason", to_string(reason)}});
  }
  for (const char* cause : kUploadCauses) {
    retries_family_.Add({{"cause", cause}});
    errors_family_.Add({{"cause", cause}});
  }
  for (const char* outcome : {"retried", "replaced"}) dead_letter_failures_family_.Add({{"outcome", outcome}});
  for (const char* outcome : {"identical", "adopted"}) existing_objects_family_.Add({{"outcome", outcome}});
  spool_limit_.Set(static_cast<double>(spool_limit_bytes));
}

void ArchiverMetrics::file_uploaded(RecordKind kind, std::uint64_t bytes, double seconds) {
  files_uploaded_[static_cast<std::size_t>(kind)]->Increment();
  uploaded_bytes_.Increment(static_cast<double>(bytes));
  upload_duration_.Observe(seconds);
}

void ArchiverMetrics::upload_retry(const std::string& cause) {
  retries_family_.Add({{"cause", cause}}).Increment();
}

void ArchiverMetrics::upload_error(const std::string& cause) {
  errors_family_.Add({{"cause", cause}}).Increment();
}

void ArchiverMetrics::set_lag(const std::string& topic, std::int32_t partition, std::int64_t lag) {
  lag_family_.Add({{"topic", topic}, {"partition", std::to_string(partition)}})
      .Set(static_cast<double>(lag));
}

void ArchiverMetrics::forget_lag(const std::string& topic, std::int32_t partition) {
  auto& gauge = lag_family_.Add({{"topic", topic}, {"partition", std::to_string(partition)}});
  lag_family_.Remove(&gauge);
}

}  // namespace edgestream::archiver
