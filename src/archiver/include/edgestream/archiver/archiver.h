// The archiver service: consumes processed-data and delivers it to S3 as
// Parquet files grouped by UTC period, exactly once, through outages.
//
// One instance runs one consumer (main thread: Kafka, the spool, cut
// decisions, commits) and one uploader thread (blocking S3 calls). Per Kafka
// partition it writes a segment of open files, cuts it into a batch, uploads
// the batch and only then commits the batch's end offset; at most one batch
// per partition is uploading or awaiting its commit (docs/archiver.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "edgestream/archiver/segment_planner.h"
#include "edgestream/common/kafka.h"
#include "edgestream/common/status.h"
#include "edgestream/parquet/file_writer.h"
#include "edgestream/s3/curl_client.h"

namespace edgestream::archiver {

struct ArchiverConfig {
  std::string bootstrap_servers = "127.0.0.1:9092";
  std::string input_topic = "processed-data";
  std::string dead_letter_topic = "processed-data-dlq";
  std::string group_id = "edgestream-archiver";
  kafka::Properties kafka_overrides;

  // Local disk for files being written and files waiting for upload. Files
  // are deleted once uploaded and committed. At start, closed files a
  // previous run left are uploaded (write-once, so they can never replace an
  // object) and then deleted; files still being written are deleted (their
  // records are consumed again from Kafka).
  std::filesystem::path spool_dir;
  // Above this many bytes in the spool (open files + closed files not yet in
  // S3), consumption pauses; it resumes below 90 % of it. Beyond the spool,
  // Kafka's retention is the buffer.
  std::uint64_t spool_max_bytes = std::uint64_t{1} << 30;

  PlannerConfig planner;
  // Row groups of 65,536 rows (the writer's default is 262,144): each open
  // file buffers one row group in memory, and a partition has up to three
  // kinds and two periods open, so this is what keeps the archiver within
  // its memory target; 65,536-row groups are still large for readers.
  parquet::WriterOptions parquet = [] {
    parquet::WriterOptions options;
    options.row_group_rows = 65'536;
    return options;
  }();

  s3::S3ClientConfig s3;
  std::string s3_prefix;  // key prefix; empty: keys start with the year

  // Retries of one file's upload never end; each round of attempts shares one
  // deadline, and backoff (full jitter) is capped at this.
  std::chrono::milliseconds upload_backoff_cap{std::chrono::seconds(30)};
  std::chrono::milliseconds upload_round_deadline{std::chrono::minutes(5)};
  // On SIGTERM and on a rebalance that revokes a partition: how long to wait
  // for the partition's running upload to finish so its offset can be
  // committed. What is not finished is not committed (and is redone by
  // whoever consumes the partition next).
  std::chrono::milliseconds drain_timeout{std::chrono::seconds(30)};
  std::chrono::milliseconds startup_timeout{std::chrono::seconds(10)};
  std::string metrics_address = "0.0.0.0:19466";
};

// Checks every field and the combinations; errors are kInvalidConfig and name
// the flag to change.
Status validate(const ArchiverConfig& config);

// Runs until shutdown is requested (then finishes the running uploads within
// drain_timeout, commits them and returns success) or a fatal error occurs
// (returned; the caller exits non-zero and the restarted process resumes from
// the last committed offsets). kInvalidConfig: bad settings, unwritable spool.
Status run(const ArchiverConfig& config);

}  // namespace edgestream::archiver
