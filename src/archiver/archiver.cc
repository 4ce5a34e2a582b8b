#include "edgestream/archiver/archiver.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

#include "archiver_metrics.h"
#include "edgestream/archiver/batch_sequencer.h"
#include "edgestream/archiver/layout.h"
#include "edgestream/archiver/record.h"
#include "edgestream/common/log.h"
#include "edgestream/common/metrics.h"
#include "edgestream/common/shutdown.h"
#include "edgestream/common/timestamp.h"
#include "edgestream/common/tracing.h"
#include "edgestream/parquet/schemas.h"
#include "edgestream/s3/credentials.h"
#include "fetch_wakeup.h"
#include "uploader.h"

namespace edgestream::archiver {
namespace {

const Logger kLog("archiver");

// Upper bound on blocking broker calls (commit, seek, flush).
constexpr int kBrokerCallTimeoutMs = 30'000;
// Messages handled per loop turn before the periodic work runs.
constexpr int kPollBatch = 2000;
// How often quiet/period cut rules, gauges and lag are evaluated: well below
// any sensible grace period, and cheap (a few files per partition).
constexpr std::chrono::milliseconds kHousekeepingInterval{200};
constexpr std::chrono::milliseconds kGaugeInterval{1000};
// After a failed commit, wait this long before trying again.
constexpr std::chrono::milliseconds kCommitRetryInterval{1000};
// Backoff after a spool write failure (full or unwritable disk), doubling up to the cap.
constexpr std::chrono::milliseconds kDiskBackoffInitial{1000};
constexpr std::chrono::milliseconds kDiskBackoffCap{30'000};
// Consumption resumes once the spool is below this share of its limit, so
// that it does not flap between paused and running on every file.
constexpr double kSpoolResumeShare = 0.9;
constexpr std::int64_t kNoOffset = -1;
// The uploader's partition for jobs of leftover spool files: never assigned,
// so no revoke cancels them.
constexpr std::int32_t kLeftoverPartition = -1;

// Sampled readings remembered per file for their "archive" spans. The span
// queue holds 2048 spans by default, so more from one upload would mostly be
// dropped there anyway; the bound keeps an hour-long file's memory small at
// high sampling ratios. Readings past it get no archive span (docs/tracing.md).
constexpr size_t kMaxTracedReadingsPerFile = 1000;

const char* const kSpoolSuffix = ".parquet";
const char* const kInProgressSuffix = ".inprogress";
// A file cut into a batch is renamed "<object file name>.<end offset>.closed":
// complete, with the offset range its object must carry, so that a restart
// can upload it (the Helm chart retains spool volumes for that).
const char* const kClosedSuffix = ".closed";
// After a failed dead-letter delivery, wait this long before sending it again.
constexpr std::chrono::milliseconds kDeadLetterRetryInterval{1000};

// A sampled reading waiting for its file's upload, which ends its span.
struct TracedReading {
  tracing::SpanContext context;  // of the archive span
  tracing::SpanId parent;        // the processor's span, from the record's traceparent
  std::string device_id;
  EventTime event_time;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::chrono::system_clock::time_point consumed;
};

struct OpenFile {
  FileIdentity identity;
  std::filesystem::path path;  // final name in the spool
  std::unique_ptr<parquet::FileWriter> writer;
  std::int64_t rows = 0;
  std::int64_t bytes = 0;  // on disk, measured at row-group boundaries
  EventTime min_event_time = EventTime::max();
  std::vector<TracedReading> traced{};
  std::optional<EventTime> max_event_time_at_open{};  // the partition's, before the first record
};

struct PartitionState {
  // Open files of the current segment, by (kind, period start).
  std::map<std::pair<RecordKind, EventTime>, OpenFile> open;
  // Learned from objects found in S3 under this partition's keys: records of
  // (kind, period) below the offset are in an existing object and are
  // skipped. Entries at or below the committed offset are forgotten.
  std::map<std::pair<RecordKind, EventTime>, std::int64_t> covered;
  // The segment being rebuilt must be cut exactly here: the largest end offset
  // of the existing objects found, so that no commit falls inside an
  // object's range (docs/archiver.md, "Write-once objects").
  std::optional<std::int64_t> adopt_end;
  std::optional<EventTime> max_event_time;
  SteadyTime last_record{};
  // Offset of the first record of the open segment: where to rewind to when
  // the spool disk fails. kNoOffset until the segment's first record.
  std::int64_t segment_start = kNoOffset;
  std::int64_t next_offset = kNoOffset;  // after the last record consumed
  std::int64_t committed = kNoOffset;    // last offset this instance committed
  // Spool disk failure: the partition stays paused until then.
  std::optional<SteadyTime> retry_after;
  std::chrono::milliseconds disk_backoff = kDiskBackoffInitial;
  bool paused = false;
};

struct Batch {
  std::int32_t partition = 0;
  BatchId id = 0;
  std::int64_t start_offset = 0;  // where the segment began: a rebuild consumes again from here
  std::int64_t end_offset = 0;  // commit this when every file is in S3
  std::vector<UploadFile> files;
  std::uint64_t bytes = 0;
  std::optional<EventTime> oldest_event_time;
  // Per file with sampled readings: its key and row count, and the readings.
  struct TracedFile {
    std::string key;
    std::int64_t rows = 0;
    std::vector<TracedReading> readings;
  };
  std::vector<TracedFile> traced;
};

std::string inprogress_path(const std::filesystem::path& path) {
  return path.string() + kInProgressSuffix;
}

std::filesystem::path closed_path(const std::filesystem::path& path, std::int64_t end_offset) {
  return path.string() + "." + std::to_string(end_offset) + kClosedSuffix;
}

// A closed spool file of a previous run: its identity and end offset, from its name.
struct Leftover {
  std::filesystem::path path;
  FileIdentity identity;
  std::int64_t end_offset = 0;
};

std::optional<Leftover> parse_closed_name(const std::filesystem::path& path) {
  std::string name = path.filename().string();
  if (!name.ends_with(kClosedSuffix)) return std::nullopt;
  name.resize(name.size() - std::strlen(kClosedSuffix));
  const auto dot = name.rfind('.');
  if (dot == std::string::npos) return std::nullopt;
  const std::string end_text = name.substr(dot + 1);
  if (end_text.empty() || end_text.find_first_not_of("0123456789") != std::string::npos ||
      end_text.size() > 18) {
    return std::nullopt;
  }
  auto identity = parse_object_file_name(name.substr(0, dot));
  if (!identity) return std::nullopt;
  return Leftover{path, *identity, std::stoll(end_text)};
}

// Checks the spool directory is usable: creates it, writes, syncs and
// deletes a probe file.
Status check_spool(const std::filesystem::path& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return Error(ErrorKind::kInvalidConfig,
                 "spool directory " + dir.string() + " cannot be created: " + error.message() +
                     "; point --spool-dir (EDGESTREAM_ARCHIVER_SPOOL_DIR) at a writable volume");
  }
  const std::filesystem::path probe = dir / ".edgestream-archiver-probe";
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Error(ErrorKind::kInvalidConfig,
                 "spool directory " + dir.string() + " is not writable: " + std::strerror(errno) +
                     "; point --spool-dir (EDGESTREAM_ARCHIVER_SPOOL_DIR) at a writable volume");
  }
  const char byte = 0;
  const bool written = ::write(fd, &byte, 1) == 1 && ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  ::unlink(probe.c_str());
  if (!written) {
    return Error(ErrorKind::kInvalidConfig,
                 "spool directory " + dir.string() + " cannot be written: " + std::strerror(saved) +
                     "; free space or point --spool-dir at another volume");
  }
  return Status::success();
}

// Files of a previous run. Closed ones (cut into a batch, complete) are
// returned to be uploaded: objects are written once, so uploading them late
// can only create keys nobody wrote, and whoever consumes their offsets
// adopts them (docs/archiver.md). Files still being written, and closed ones
// named the old way (without their end offset), are incomplete or cannot say
// which records they hold: deleted, their records are consumed again.
std::vector<Leftover> collect_leftovers(const std::filesystem::path& dir) {
  std::error_code error;
  int deleted = 0;
  std::vector<Leftover> closed;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_regular_file()) {
      if (auto leftover = parse_closed_name(entry.path())) {
        closed.push_back(std::move(*leftover));
        continue;
      }
    }
    const bool ours = std::any_of(std::begin(kAllKinds), std::end(kAllKinds), [&](RecordKind kind) {
      return name.rfind(std::string(object_kind_name(kind)) + "-p", 0) == 0;
    });
    const bool parquet = name.ends_with(kSpoolSuffix) ||
                         name.ends_with(std::string(kSpoolSuffix) + kInProgressSuffix);
    if (ours && parquet && entry.is_regular_file()) {
      std::error_code remove_error;
      if (std::filesystem::remove(entry.path(), remove_error)) ++deleted;
    }
  }
  if (deleted > 0) {
    kLog.info("deleted ", deleted, " unfinished spool files left by a previous run in ", dir.string(),
              "; their records are consumed again from the last committed offsets");
  }
  return closed;
}

// librdkafka 2.0.2 can hang for good in rd_kafka_destroy (joining a broker
// thread) after the consumed topic was deleted under a running consumer. By
// then every offset that can be committed is committed, so a bounded wait and
// a hard exit lose nothing; without it, a SIGTERM would not end the process.
class ShutdownWatchdog {
 public:
  explicit ShutdownWatchdog(std::chrono::seconds limit)
      : thread_([this, limit] {
          std::unique_lock lock(mutex_);
          if (!done_changed_.wait_for(lock, limit, [this] { return done_; })) {
            kLog.error("the Kafka client did not shut down within ", limit.count(),
                       " s (librdkafka 2.0.2 can hang after the consumed topic was deleted); "
                       "offsets are committed, exiting now with code 1");
            std::_Exit(1);
          }
        }) {}
  ShutdownWatchdog(const ShutdownWatchdog&) = delete;
  ShutdownWatchdog& operator=(const ShutdownWatchdog&) = delete;
  ~ShutdownWatchdog() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    done_changed_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_changed_;
  bool done_ = false;
  std::thread thread_;  // last: starts after the members it uses exist
};

// Leaving the group, destroying the handles and flushing dead letters take
// well under this; it only bounds the librdkafka hang above.
constexpr std::chrono::seconds kShutdownWatchdogLimit{60};

class Archiver {
 public:
  explicit Archiver(const ArchiverConfig& config)
      : config_(config), planner_(config.planner) {}

  Status start();
  Status run_loop();
  void shut_down();

  void on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);
  void on_delivery(const rd_kafka_message_t& message);

 private:
  // A dead letter the producer could not deliver, kept to be sent again (or
  // replaced) so that the commit never passes a record that is in neither output.
  struct FailedDeadLetter {
    std::string key;
    std::string value;
    kafka::Headers headers;
    rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
  };
  Status produce_dead_letter(std::string_view key, std::string_view value, kafka::Headers headers);
  // Sends failed dead letters again; replaces those the topic refuses for good.
  Status retry_failed_dead_letters();
  // A key of `partition` was taken by an object with another offset range:
  // forget the partition's batches and open files, and consume again from the
  // batch's start, skipping what the object holds and cutting at its end.
  void adopt(std::int32_t partition, BatchId id, const ExistingRange& existing);
  void upload_leftovers(std::vector<Leftover> leftovers);
  Status handle_message(const rd_kafka_message_t& message);
  Status dead_letter(const rd_kafka_message_t& message, InvalidReason reason,
                     const std::string& detail);
  enum class Appended : std::uint8_t { kWritten, kRejected, kRewound };
  // Writes the record into its open file (opening one when needed). kRejected:
  // the writer refused the row (detail in rejected_detail_); kRewound: the
  // spool failed and the partition was rewound.
  Appended append(std::int32_t partition, PartitionState& state, const ArchiveRecord& record,
                  std::int64_t offset);
  void maybe_cut(std::int32_t partition, PartitionState& state, SteadyTime now);
  void cut(std::int32_t partition, PartitionState& state, CutReason reason);
  // A spool write failed: forget the open segment, rewind to its start and
  // pause the partition for a while.
  void rewind(std::int32_t partition, PartitionState& state, const Error& error);
  // The rewind's backoff is over: seek to the segment's start (still paused).
  void seek_back(std::int32_t partition, PartitionState& state);
  void dispatch();
  void handle_completions();
  // Commits batches whose files are all in S3, and partitions whose consumed
  // records since the last commit all went to the dead-letter topic.
  Status commit_ready(bool force);
  Status commit_offset(std::int32_t partition, std::int64_t offset);
  // The consumer's position (next offset it will fetch for the application), or kNoOffset.
  std::int64_t position(std::int32_t partition);
  Status flush_dead_letters();
  void drop_partition(std::int32_t partition);
  // Remembers a sampled reading (parent-based sampling on its traceparent)
  // for the archive span that its file's upload ends.
  void trace_reading(const rd_kafka_message_t& message, PartitionState& state, const ArchiveRecord& record);
  void record_archive_spans(const Batch& batch);
  void delete_batch(BatchId id);
  void update_flow_control(SteadyTime now);
  void update_gauges();
  // Waits for the running upload of `partition` (bounded) and commits it.
  void drain_partition(std::int32_t partition);
  // Tells fetch_wakeup_ the current assignment.
  void update_fetch_wakeup();
  std::uint64_t spool_bytes() const;

  // First member, so destroyed last: it bounds the destruction of the
  // Kafka handles below too.
  std::optional<ShutdownWatchdog> watchdog_;
  ArchiverConfig config_;
  SegmentPlanner planner_;
  std::unique_ptr<MetricsServer> metrics_server_;
  std::unique_ptr<ArchiverMetrics> metrics_;
  std::unique_ptr<tracing::Tracer> tracer_ = tracing::Tracer::disabled();
  std::unique_ptr<Uploader> uploader_;
  // The producer outlives the consumer: dead letters are flushed in the
  // revoke callback that runs while the consumer closes.
  kafka::Handle producer_;
  kafka::Handle consumer_;
  // Both refer to consumer_ and go before it: declared after it, destroyed first.
  kafka::Queue consumer_queue_;
  std::unique_ptr<FetchWakeup> fetch_wakeup_;
  double mean_message_bytes_ = 0;
  RecordParser parser_;
  std::map<std::int32_t, PartitionState> partitions_;
  std::map<BatchId, Batch> batches_;
  BatchSequencer sequencer_;
  BatchId next_batch_id_ = 1;
  std::vector<OpenFileView> views_;  // reused by maybe_cut
  std::uint64_t dead_letters_unflushed_ = 0;
  // Filled by the delivery callback (main thread, inside rd_kafka_poll/flush).
  std::vector<FailedDeadLetter> failed_dead_letters_;
  SteadyTime next_dead_letter_retry_{};
  // Uploads of closed spool files of a previous run: job id -> files.
  std::map<BatchId, std::vector<UploadFile>> leftover_jobs_;
  std::string rejected_detail_;
  bool spool_full_ = false;
  bool received_assignment_ = false;
  bool closing_ = false;
  std::optional<Error> rebalance_error_;
  SteadyTime next_commit_attempt_{};
};

extern "C" void rebalance_trampoline(rd_kafka_t* /*consumer*/, rd_kafka_resp_err_t err,
                                     rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  static_cast<Archiver*>(opaque)->on_rebalance(err, partitions);
}

extern "C" void delivery_trampoline(rd_kafka_t* /*producer*/, const rd_kafka_message_t* message,
                                    void* opaque) {
  static_cast<Archiver*>(opaque)->on_delivery(*message);
}

Status Archiver::start() {
  if (auto status = check_spool(config_.spool_dir); !status) return status;
  std::vector<Leftover> leftovers = collect_leftovers(config_.spool_dir);

  auto server = MetricsServer::start(config_.metrics_address);
  if (!server) return server.error();
  metrics_server_ = std::move(server).value();
  metrics_ = std::make_unique<ArchiverMetrics>(metrics_server_->registry(), config_.spool_max_bytes);
  auto tracer_config = tracing::config_from_env("archiver");
  if (!tracer_config) return tracer_config.error();
  auto tracer = tracing::Tracer::create(std::move(tracer_config).value(), "archiver", &metrics_server_->registry());
  if (!tracer) return tracer.error();
  tracer_ = std::move(tracer).value();

  s3::CredentialsChainOptions credential_options;
  credential_options.region = config_.s3.endpoint.region;
  auto credentials = s3::make_default_credentials_chain(credential_options);
  if (!credentials.ok()) {
    return Error(ErrorKind::kInvalidConfig, "S3 credentials: " + credentials.error().message());
  }
  std::shared_ptr<s3::CredentialsProvider> provider = std::move(credentials).value();
  auto client = s3::create_curl_s3_client(config_.s3, provider);
  if (!client.ok()) {
    const auto& error = client.error();
    return Error(error.kind() == ErrorKind::kRetriable ? ErrorKind::kFatal : error.kind(),
                 "S3 client: " + error.message());
  }
  UploadPolicy policy;
  policy.round.max_backoff = config_.upload_backoff_cap;
  policy.round.deadline = config_.upload_round_deadline;
  uploader_ = std::make_unique<Uploader>(std::move(client).value(), policy, *metrics_);
  upload_leftovers(std::move(leftovers));

  kafka::Properties producer_properties{
      {"bootstrap.servers", config_.bootstrap_servers},
      {"client.id", "edgestream-archiver-dlq"},
      // Idempotent: a retried send never duplicates a dead letter.
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"linger.ms", "5"},
  };
  // Overrides apply to both clients; librdkafka ignores (with a warning) a
  // consumer-only key on the producer and vice versa.
  producer_properties.insert(producer_properties.end(), config_.kafka_overrides.begin(),
                             config_.kafka_overrides.end());
  auto producer_conf = kafka::make_conf(producer_properties);
  if (!producer_conf) return producer_conf.error();
  rd_kafka_conf_set_dr_msg_cb(producer_conf.value().get(), delivery_trampoline);
  rd_kafka_conf_set_opaque(producer_conf.value().get(), this);
  auto producer = kafka::make_client(RD_KAFKA_PRODUCER, std::move(producer_conf).value());
  if (!producer) return producer.error();
  producer_ = std::move(producer).value();

  for (const std::string& topic : {config_.input_topic, config_.dead_letter_topic}) {
    auto count = kafka::partition_count(producer_.get(), topic,
                                        static_cast<int>(config_.startup_timeout.count()));
    if (!count) {
      return count.error().with_context("cannot use Kafka at " + config_.bootstrap_servers);
    }
  }

  kafka::Properties consumer_properties{
      {"bootstrap.servers", config_.bootstrap_servers},
      {"client.id", "edgestream-archiver"},
      {"group.id", config_.group_id},
      // processed-data is written in transactions: archive only committed ones.
      {"isolation.level", "read_committed"},
      // Offsets move only when a batch is in S3 (commit_offset).
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},
      {"partition.assignment.strategy", "cooperative-sticky"},
      // Prefetch bounds, in bytes. librdkafka's defaults (64 MiB and
      // 100,000 messages queued, 1 MiB per partition and 50 MiB per fetch)
      // alone would blow the archiver's memory target of 64 MiB: each queued
      // message also costs an op of a few hundred bytes, and a fetched batch
      // stays in memory until its last message is consumed. The queue is
      // bounded by its payload bytes alone (queued.min.messages at its
      // maximum never binds), so the bound holds whatever the record size;
      // FetchWakeup keeps fetching going while the queue drains
      // (docs/archiver.md, "Memory and catch-up speed").
      {"queued.max.messages.kbytes", "4096"},
      {"queued.min.messages", "10000000"},
      {"fetch.max.bytes", "1048576"},
      {"max.partition.fetch.bytes", "262144"},
  };
  consumer_properties.insert(consumer_properties.end(), config_.kafka_overrides.begin(),
                             config_.kafka_overrides.end());
  auto consumer_conf = kafka::make_conf(consumer_properties);
  if (!consumer_conf) return consumer_conf.error();
  rd_kafka_conf_set_rebalance_cb(consumer_conf.value().get(), rebalance_trampoline);
  rd_kafka_conf_set_opaque(consumer_conf.value().get(), this);
  // The effective bound (an override may have changed it), for FetchWakeup.
  std::array<char, 32> queue_kbytes{};
  size_t queue_kbytes_size = queue_kbytes.size();
  if (rd_kafka_conf_get(consumer_conf.value().get(), "queued.max.messages.kbytes", queue_kbytes.data(),
                        &queue_kbytes_size) != RD_KAFKA_CONF_OK) {
    return Error(ErrorKind::kFatal, "reading the consumer's queued.max.messages.kbytes back failed");
  }
  const std::size_t queue_bound_bytes = std::strtoull(queue_kbytes.data(), nullptr, 10) * 1024;
  auto consumer = kafka::make_client(RD_KAFKA_CONSUMER, std::move(consumer_conf).value());
  if (!consumer) return consumer.error();
  consumer_ = std::move(consumer).value();
  rd_kafka_poll_set_consumer(consumer_.get());
  consumer_queue_.reset(rd_kafka_queue_get_consumer(consumer_.get()));
  fetch_wakeup_ = std::make_unique<FetchWakeup>(consumer_.get(), config_.input_topic, queue_bound_bytes);

  kafka::PartitionList topics(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(topics.get(), config_.input_topic.c_str(), RD_KAFKA_PARTITION_UA);
  if (auto err = rd_kafka_subscribe(consumer_.get(), topics.get()); err) {
    return Error(ErrorKind::kFatal, std::string("subscribing to ") + config_.input_topic + ": " +
                                        rd_kafka_err2str(err));
  }
  kLog.info("consuming ", config_.input_topic, " in group ", config_.group_id, " at ",
            config_.bootstrap_servers, "; archiving to ",
            s3::s3_uri(config_.s3.endpoint.bucket, config_.s3_prefix), " (endpoint ",
            config_.s3.endpoint.endpoint_url.empty() ? "AWS regional"
                                                     : config_.s3.endpoint.endpoint_url,
            ", region ", config_.s3.endpoint.region, ", credentials from ", provider->describe(),
            "); period ", config_.planner.period.count(), " s, grace ",
            config_.planner.grace.count(), " s, spool ", config_.spool_dir.string(), " (limit ",
            config_.spool_max_bytes, " bytes), dead letters to ", config_.dead_letter_topic);
  return Status::success();
}

void Archiver::on_delivery(const rd_kafka_message_t& message) {
  if (message.err == RD_KAFKA_RESP_ERR_NO_ERROR) return;
  FailedDeadLetter failed;
  if (message.key != nullptr) failed.key.assign(static_cast<const char*>(message.key), message.key_len);
  if (message.payload != nullptr) {
    failed.value.assign(static_cast<const char*>(message.payload), message.len);
  }
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(&message, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR && headers != nullptr) {
    failed.headers.reset(rd_kafka_headers_copy(headers));
  } else {
    failed.headers.reset(rd_kafka_headers_new(0));
  }
  failed.error = message.err;
  failed_dead_letters_.push_back(std::move(failed));
}

void Archiver::upload_leftovers(std::vector<Leftover> leftovers) {
  if (leftovers.empty()) return;
  kLog.info("uploading ", leftovers.size(), " closed spool files left by a previous run in ",
            config_.spool_dir.string(), " (write-once: a key already taken is left as it is)");
  // One job per file: a key found taken ends its job, not the others'.
  for (Leftover& leftover : leftovers) {
    std::error_code error;
    const auto bytes = std::filesystem::file_size(leftover.path, error);
    UploadJob job;
    job.partition = kLeftoverPartition;
    job.id = next_batch_id_++;
    job.files.push_back(UploadFile{leftover.path, object_key(config_.s3_prefix, leftover.identity),
                                   leftover.identity.kind, error ? 0 : static_cast<std::uint64_t>(bytes),
                                   leftover.identity, leftover.end_offset});
    leftover_jobs_.emplace(job.id, job.files);
    uploader_->submit(std::move(job));
  }
}

void Archiver::on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) {
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    received_assignment_ = true;
    for (int i = 0; i < partitions->cnt; ++i) {
      const auto& element = partitions->elems[i];
      partitions_.insert_or_assign(element.partition, PartitionState{});
      metrics_->set_lag(config_.input_topic, element.partition, 0);
      kLog.info(config_.input_topic, "/", element.partition,
                ": assigned; resuming at the committed offset");
    }
    kafka::KafkaError error{rd_kafka_incremental_assign(consumer_.get(), partitions)};
    if (error) rebalance_error_ = kafka::classify(error.get(), "assigning partitions");
    update_fetch_wakeup();
    return;
  }
  const bool lost = rd_kafka_assignment_lost(consumer_.get());
  for (int i = 0; i < partitions->cnt; ++i) {
    const std::int32_t partition = partitions->elems[i].partition;
    if (!lost && !closing_) {
      // The next owner starts at our last commit. Let the running upload
      // finish and commit it, so that nothing we uploaded stays uncommitted
      // (which the next owner would redo, perhaps cut differently).
      drain_partition(partition);
    }
    drop_partition(partition);
    metrics_->forget_lag(config_.input_topic, partition);
    kLog.info(config_.input_topic, "/", partition, lost ? ": lost" : ": revoked",
              "; its uncommitted records are redone by the next owner");
  }
  kafka::KafkaError error{rd_kafka_incremental_unassign(consumer_.get(), partitions)};
  if (error && !rebalance_error_) {
    rebalance_error_ = kafka::classify(error.get(), "unassigning partitions");
  }
  update_fetch_wakeup();
}

void Archiver::update_fetch_wakeup() {
  std::vector<std::int32_t> assigned;
  for (const auto& [partition, state] : partitions_) assigned.push_back(partition);
  fetch_wakeup_->set_partitions(std::move(assigned));
}

void Archiver::drain_partition(std::int32_t partition) {
  auto in_flight = sequencer_.in_flight(partition);
  if (in_flight && in_flight->stage == BatchSequencer::Stage::kUploading) {
    if (!uploader_->wait_idle(partition, config_.drain_timeout)) {
      kLog.warn(config_.input_topic, "/", partition, ": upload still running after ",
                config_.drain_timeout.count(), " ms; giving up on it (not committed)");
    }
    handle_completions();
  }
  in_flight = sequencer_.in_flight(partition);
  if (in_flight && in_flight->stage == BatchSequencer::Stage::kAwaitingCommit) {
    const Batch& batch = batches_.at(in_flight->id);
    if (auto status = commit_offset(partition, batch.end_offset); !status) {
      kLog.warn(config_.input_topic, "/", partition, ": committing uploaded batch failed (",
                status.error().message(), "); the next owner uploads it again under the same keys");
    } else {
      (void)sequencer_.committed(partition, in_flight->id);
      delete_batch(in_flight->id);
    }
  }
}

void Archiver::drop_partition(std::int32_t partition) {
  uploader_->cancel(partition);
  for (BatchId id : sequencer_.drop(partition)) delete_batch(id);
  auto it = partitions_.find(partition);
  if (it == partitions_.end()) return;
  for (auto& [key, file] : it->second.open) file.writer->abort();
  partitions_.erase(it);
}

void Archiver::trace_reading(const rd_kafka_message_t& message, PartitionState& state,
                             const ArchiveRecord& record) {
  std::optional<tracing::SpanContext> parent = tracing::extract(message);
  std::optional<tracing::SpanContext> context = tracer_->sample(parent);
  if (!context) return;  // unsampled: the common case
  auto file = state.open.find({record.kind, period_start_of(record.event_time, config_.planner.period)});
  if (file == state.open.end() || file->second.traced.size() >= kMaxTracedReadingsPerFile) return;
  file->second.traced.push_back(TracedReading{*context, parent ? parent->span_id : tracing::SpanId{},
                                              std::string(record.device_id), record.event_time,
                                              message.partition, message.offset,
                                              std::chrono::system_clock::now()});
}

// One "archive" span per sampled reading in the batch: from when the
// reading was consumed to when the object holding it was in S3, naming the
// object, so the reading's trace ends at its file.
void Archiver::record_archive_spans(const Batch& batch) {
  const auto now = std::chrono::system_clock::now();
  for (const Batch::TracedFile& file : batch.traced) {
    for (const TracedReading& reading : file.readings) {
      tracing::SpanData span;
      span.context = reading.context;
      span.parent = reading.parent;
      span.name = "archive " + config_.input_topic;
      span.kind = tracing::SpanKind::kConsumer;
      span.start = reading.consumed;
      span.end = now;
      span.attributes = {
          {"messaging.system", std::string("kafka")},
          {"messaging.operation.type", std::string("process")},
          {"messaging.destination.name", config_.input_topic},
          {"messaging.consumer.group.name", config_.group_id},
          {"messaging.destination.partition.id", std::to_string(reading.partition)},
          {"messaging.kafka.offset", reading.offset},
          {"edgestream.device_id", reading.device_id},
          {"edgestream.reading.timestamp", format_rfc3339(reading.event_time)},
          {"s3.bucket", config_.s3.endpoint.bucket},
          {"s3.key", file.key},
          {"parquet.rows", file.rows},
      };
      tracer_->record(std::move(span));
    }
  }
}

void Archiver::delete_batch(BatchId id) {
  auto it = batches_.find(id);
  if (it == batches_.end()) return;
  for (const UploadFile& file : it->second.files) {
    std::error_code ignored;
    std::filesystem::remove(file.path, ignored);
  }
  batches_.erase(it);
}

Status Archiver::dead_letter(const rd_kafka_message_t& message, InvalidReason reason,
                             const std::string& detail) {
  metrics_->dead_lettered(reason);
  kLog.warn(config_.input_topic, "/", message.partition, " offset ", message.offset, ": ",
            to_string(reason), ": ", detail, "; sent to ", config_.dead_letter_topic);
  kafka::Headers headers(rd_kafka_headers_new(5));
  auto add = [&headers](const char* name, std::string_view text) {
    rd_kafka_header_add(headers.get(), name, -1, text.data(), static_cast<ssize_t>(text.size()));
  };
  add("edgestream.reason", to_string(reason));
  add("edgestream.detail", detail);
  add("edgestream.source.topic", config_.input_topic);
  add("edgestream.source.partition", std::to_string(message.partition));
  add("edgestream.source.offset", std::to_string(message.offset));
  // Key and value unchanged, so the record can be fixed and replayed.
  return produce_dead_letter(
      std::string_view(static_cast<const char*>(message.key), message.key_len),
      std::string_view(static_cast<const char*>(message.payload), message.len), std::move(headers));
}

Status Archiver::produce_dead_letter(std::string_view key, std::string_view value,
                                     kafka::Headers headers) {
  for (;;) {
    const rd_kafka_resp_err_t err = kafka::produce_copy(
        producer_.get(), config_.dead_letter_topic, RD_KAFKA_PARTITION_UA, key, value, headers.get());
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      (void)headers.release();  // now owned by the message
      ++dead_letters_unflushed_;
      return Status::success();
    }
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(producer_.get(), 10);
      continue;
    }
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      // The idempotent producer cannot go on; a new process makes a new one.
      return Error(ErrorKind::kFatal, "producing a dead letter to " + config_.dead_letter_topic +
                                          ": " + rd_kafka_err2str(err));
    }
    // Refused before sending (too large for message.max.bytes, the topic
    // unknown right now...): handled like a failed delivery, by sending it
    // again or a replacement (retry_failed_dead_letters); the commit waits.
    failed_dead_letters_.push_back(
        FailedDeadLetter{std::string(key), std::string(value), std::move(headers), err});
    return Status::success();
  }
}

namespace {

// Errors after which the same record can never be delivered to the topic.
bool refused_for_good(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE || err == RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE ||
         err == RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE || err == RD_KAFKA_RESP_ERR_INVALID_RECORD;
}

// The schema of a kind's files (src/archiver/parquet/schemas.h).
const parquet::Schema& schema_of(RecordKind kind) {
  switch (kind) {
    case RecordKind::kReading: return parquet::readings_schema();
    case RecordKind::kAggregate: return parquet::aggregates_schema();
    case RecordKind::kDeviceAggregate: return parquet::device_aggregates_schema();
    case RecordKind::kAggregateCorrection: return parquet::aggregate_corrections_schema();
  }
  return parquet::readings_schema();  // unreachable: every kind is listed above
}

std::string header_text(rd_kafka_headers_t* headers, const char* name) {
  const void* value = nullptr;
  size_t size = 0;
  if (headers == nullptr || rd_kafka_header_get_last(headers, name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      value == nullptr) {
    return {};
  }
  return std::string(static_cast<const char*>(value), size);
}

}  // namespace

Status Archiver::retry_failed_dead_letters() {
  if (failed_dead_letters_.empty()) return Status::success();
  const SteadyTime now = std::chrono::steady_clock::now();
  if (now < next_dead_letter_retry_) return Status::success();
  next_dead_letter_retry_ = now + kDeadLetterRetryInterval;
  std::vector<FailedDeadLetter> failed;
  failed.swap(failed_dead_letters_);
  for (FailedDeadLetter& letter : failed) {
    const std::string source = header_text(letter.headers.get(), "edgestream.source.topic") + "/" +
                               header_text(letter.headers.get(), "edgestream.source.partition") +
                               " offset " + header_text(letter.headers.get(), "edgestream.source.offset");
    const std::string original = header_text(letter.headers.get(), "edgestream.reason");
    Status status;
    if (refused_for_good(letter.error)) {
      // Sending it again cannot work, and exiting would only make the next
      // start fail on it again. The replacement keeps the source coordinates
      // (the record stays readable there until retention) and says why.
      metrics_->dead_letter_failed("replaced");
      metrics_->dead_lettered(InvalidReason::kDeadLetterRejected);
      kLog.error("dead letter of ", source, " (", original, ") refused by ", config_.dead_letter_topic,
                 ": ", rd_kafka_err2str(letter.error), "; sending a replacement without the value "
                 "(reason dead_letter_rejected). Raise max.message.bytes of ", config_.dead_letter_topic,
                 " if records of this size must be kept there");
      kafka::Headers headers(rd_kafka_headers_new(6));
      auto add = [&headers](const char* name, std::string_view text) {
        rd_kafka_header_add(headers.get(), name, -1, text.data(), static_cast<ssize_t>(text.size()));
      };
      add("edgestream.reason", to_string(InvalidReason::kDeadLetterRejected));
      add("edgestream.detail", "the dead-letter topic refused the record (" +
                                   std::string(rd_kafka_err2str(letter.error)) + "); original reason " +
                                   original + ": " +
                                   header_text(letter.headers.get(), "edgestream.detail").substr(0, 512) +
                                   "; the value is at the source coordinates");
      for (const char* name : {"edgestream.source.topic", "edgestream.source.partition", "edgestream.source.offset"}) {
        add(name, header_text(letter.headers.get(), name));
      }
      // A replacement refused again (a key larger than the topic allows)
      // goes without its key too.
      const bool second_refusal = original == to_string(InvalidReason::kDeadLetterRejected);
      status = produce_dead_letter(second_refusal ? std::string_view() : std::string_view(letter.key),
                                   std::string_view(), std::move(headers));
    } else {
      metrics_->dead_letter_failed("retried");
      kLog.warn("dead letter of ", source, " not delivered to ", config_.dead_letter_topic, ": ",
                rd_kafka_err2str(letter.error), "; sending it again (nothing is committed past it meanwhile)");
      status = produce_dead_letter(letter.key, letter.value, std::move(letter.headers));
    }
    if (!status) return status;
  }
  return Status::success();
}

Status Archiver::handle_message(const rd_kafka_message_t& message) {
  auto it = partitions_.find(message.partition);
  if (it == partitions_.end()) return Status::success();  // revoked meanwhile
  PartitionState& state = it->second;
  // Rewound after a spool failure: messages fetched before the seek are
  // stale (librdkafka drops most of them itself).
  if (state.retry_after) return Status::success();
  const SteadyTime now = std::chrono::steady_clock::now();
  if (state.adopt_end && message.offset >= *state.adopt_end) {
    // Defensive: the record before the adopted end normally cuts (maybe_cut).
    if (!state.open.empty()) cut(message.partition, state, CutReason::kAdopted);
    state.adopt_end.reset();
    if (state.retry_after) return Status::success();  // the cut failed and rewound
  }
  if (state.segment_start == kNoOffset) state.segment_start = message.offset;
  state.next_offset = message.offset + 1;
  state.last_record = now;

  std::string_view payload(static_cast<const char*>(message.payload), message.len);
  ParseResult parsed = parser_.parse(payload);
  if (!parsed.ok) return dead_letter(message, parsed.reason, parsed.detail);
  const auto wall = std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
  if (planner_.too_far_in_future(parsed.record.event_time, wall)) {
    return dead_letter(message, InvalidReason::kTimestampInFuture,
                       "event time " + format_rfc3339(parsed.record.event_time) + " is more than " +
                           std::to_string(config_.planner.max_future_skew.count()) +
                           " s ahead of this node's clock (" + format_rfc3339(wall) +
                           "); fix the clock of the device or of the node, or raise "
                           "--max-future-skew-seconds");
  }
  // Empty except while a partition rebuilds after finding an existing object.
  if (auto covered = state.covered.empty()
                         ? state.covered.end()
                         : state.covered.find({parsed.record.kind,
                                               period_start_of(parsed.record.event_time, config_.planner.period)});
      covered != state.covered.end() && message.offset < covered->second) {
    // An object already in S3 holds this record (found when a write-once
    // upload met its key): archiving it again would duplicate it.
    metrics_->already_archived();
    if (!state.max_event_time || parsed.record.event_time > *state.max_event_time) {
      state.max_event_time = parsed.record.event_time;
    }
    maybe_cut(message.partition, state, now);
    return Status::success();
  }
  switch (append(message.partition, state, parsed.record, message.offset)) {
    case Appended::kWritten:
      break;
    case Appended::kRejected:
      return dead_letter(message, InvalidReason::kRejectedByWriter, rejected_detail_);
    case Appended::kRewound:
      return Status::success();
  }
  metrics_->record_in(parsed.record.kind);
  if (tracer_->enabled() && parsed.record.kind == RecordKind::kReading) trace_reading(message, state, parsed.record);
  if (!state.max_event_time || parsed.record.event_time > *state.max_event_time) {
    state.max_event_time = parsed.record.event_time;
  }
  maybe_cut(message.partition, state, now);
  return Status::success();
}

Archiver::Appended Archiver::append(std::int32_t partition, PartitionState& state,
                                    const ArchiveRecord& record, std::int64_t offset) {
  const EventTime period = period_start_of(record.event_time, config_.planner.period);
  auto it = state.open.find({record.kind, period});
  if (it == state.open.end()) {
    FileIdentity identity{record.kind, partition, offset, period};
    std::filesystem::path path = config_.spool_dir / object_file_name(identity);
    auto writer = parquet::FileWriter::open(path, schema_of(record.kind), config_.parquet);
    if (!writer) {
      rewind(partition, state, writer.error());
      return Appended::kRewound;
    }
    OpenFile file{identity, std::move(path), std::move(writer).value()};
    file.max_event_time_at_open = state.max_event_time;
    it = state.open.emplace(std::make_pair(record.kind, period), std::move(file)).first;
  }
  OpenFile& file = it->second;
  Status status;
  switch (record.kind) {
    case RecordKind::kReading: {
      const std::array<parquet::Value, 5> row{record.device_id, record.event_time,
                                              record.temperature, record.humidity, record.status};
      status = file.writer->append_row(row);
      break;
    }
    case RecordKind::kAggregate: {
      const std::array<parquet::Value, 5> row{record.event_time, record.temperature, record.count,
                                              record.min, record.max};
      status = file.writer->append_row(row);
      break;
    }
    case RecordKind::kDeviceAggregate: {
      const std::array<parquet::Value, 6> row{record.device_id, record.event_time,
                                              record.temperature, record.count, record.min,
                                              record.max};
      status = file.writer->append_row(row);
      break;
    }
    case RecordKind::kAggregateCorrection: {
      const std::array<parquet::Value, 5> row{record.event_time, record.temperature_sum,
                                              record.count, record.min, record.max};
      status = file.writer->append_row(row);
      break;
    }
  }
  if (!status) {
    if (status.error().kind() == ErrorKind::kInvalidInput) {
      // The row was not written and the writer stays usable. A file opened
      // for this record alone stays open and empty; it is cut like any other
      // (an object with zero rows is valid Parquet).
      rejected_detail_ = status.error().message();
      return Appended::kRejected;
    }
    rewind(partition, state, status.error());
    return Appended::kRewound;
  }
  ++file.rows;
  file.min_event_time = std::min(file.min_event_time, record.event_time);
  if (file.rows % config_.parquet.row_group_rows == 0) {
    // A row group just went to disk: the only moment the size changes.
    std::error_code error;
    const auto size = std::filesystem::file_size(inprogress_path(file.path), error);
    if (!error) file.bytes = static_cast<std::int64_t>(size);
  }
  return Appended::kWritten;
}

void Archiver::maybe_cut(std::int32_t partition, PartitionState& state, SteadyTime now) {
  if (state.open.empty()) {
    if (state.adopt_end && state.next_offset >= *state.adopt_end) state.adopt_end.reset();
    return;
  }
  views_.clear();
  for (const auto& [key, file] : state.open) {
    views_.push_back(OpenFileView{file.identity.period_start, file.rows, file.bytes,
                                  file.max_event_time_at_open});
  }
  const CutReason reason = planner_.decide(
      SegmentView{views_, state.max_event_time, state.last_record, state.next_offset, state.adopt_end}, now);
  if (reason == CutReason::kAdopted) state.adopt_end.reset();
  if (reason != CutReason::kNone) cut(partition, state, reason);
}

void Archiver::cut(std::int32_t partition, PartitionState& state, CutReason reason) {
  Batch batch;
  batch.partition = partition;
  batch.id = next_batch_id_++;
  batch.start_offset = state.segment_start;
  batch.end_offset = state.next_offset;
  for (auto& [key, file] : state.open) {
    auto stats = file.writer->close();
    const std::filesystem::path closed = closed_path(file.path, batch.end_offset);
    if (stats) {
      // The name records the end offset: a restart uploads the file with its range.
      std::error_code rename_error;
      std::filesystem::rename(file.path, closed, rename_error);
      if (rename_error) {
        stats = Error(ErrorKind::kRetriable, "renaming " + file.path.string() + " to " +
                                                 closed.string() + ": " + rename_error.message());
        std::filesystem::remove(file.path, rename_error);
      }
    }
    if (!stats) {
      // Files of this cut closed so far are complete but the segment is not:
      // all of it is redone from its start.
      for (const UploadFile& done : batch.files) {
        std::error_code ignored;
        std::filesystem::remove(done.path, ignored);
      }
      rewind(partition, state, stats.error());
      return;
    }
    batch.files.push_back(UploadFile{closed, object_key(config_.s3_prefix, file.identity),
                                     file.identity.kind,
                                     static_cast<std::uint64_t>(stats.value().bytes), file.identity,
                                     batch.end_offset});
    if (!file.traced.empty()) {
      batch.traced.push_back(Batch::TracedFile{batch.files.back().key, file.rows, std::move(file.traced)});
    }
    batch.bytes += static_cast<std::uint64_t>(stats.value().bytes);
    if (file.rows > 0 && (!batch.oldest_event_time || file.min_event_time < *batch.oldest_event_time)) {
      batch.oldest_event_time = file.min_event_time;
    }
  }
  kLog.debug(config_.input_topic, "/", partition, ": cut (", to_string(reason), ") at offset ",
             batch.end_offset, ": ", batch.files.size(), " files, ", batch.bytes, " bytes");
  state.open.clear();
  state.segment_start = state.next_offset;
  state.disk_backoff = kDiskBackoffInitial;
  sequencer_.enqueue(partition, batch.id);
  batches_.emplace(batch.id, std::move(batch));
}

void Archiver::rewind(std::int32_t partition, PartitionState& state, const Error& error) {
  for (auto& [key, file] : state.open) file.writer->abort();
  state.open.clear();
  const SteadyTime now = std::chrono::steady_clock::now();
  state.retry_after = now + state.disk_backoff;
  kLog.error(config_.input_topic, "/", partition, ": writing the spool failed: ",
             error.message(), ". Consumption of the partition pauses for ",
             state.disk_backoff.count(), " ms and then starts again at offset ",
             state.segment_start,
             " (the start of its open files); nothing is lost, as no offset past the last "
             "uploaded batch is committed. Free space in ", config_.spool_dir.string(),
             " or fix its permissions.");
  state.disk_backoff = std::min(2 * state.disk_backoff, kDiskBackoffCap);
  // Stop fetching now; the seek back to the segment's start happens when the
  // backoff ends, right before resuming (seek_back), so that
  // messages delivered (and ignored) in between cannot move the position
  // past records that were never written.
  kafka::PartitionList list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), config_.input_topic.c_str(), partition);
  rd_kafka_pause_partitions(consumer_.get(), list.get());
  state.paused = true;
  state.max_event_time.reset();
}

void Archiver::seek_back(std::int32_t partition, PartitionState& state) {
  state.retry_after.reset();
  if (state.segment_start == kNoOffset) return;  // nothing of the segment was consumed
  kafka::PartitionList list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), config_.input_topic.c_str(), partition)->offset =
      state.segment_start;
  kafka::KafkaError seek{rd_kafka_seek_partitions(consumer_.get(), list.get(), kBrokerCallTimeoutMs)};
  if (seek) {
    rebalance_error_ = Error(ErrorKind::kFatal, std::string("rewinding ") + config_.input_topic +
                                                    "/" + std::to_string(partition) + " to " +
                                                    std::to_string(state.segment_start) + ": " +
                                                    rd_kafka_error_string(seek.get()));
    return;
  }
  state.next_offset = state.segment_start;
  kLog.info(config_.input_topic, "/", partition, ": consuming again from offset ", state.segment_start);
}

void Archiver::adopt(std::int32_t partition, BatchId id, const ExistingRange& existing) {
  auto it = partitions_.find(partition);
  auto batch = batches_.find(id);
  // Revoked meanwhile: whoever consumes the partition next meets the object.
  if (it == partitions_.end() || batch == batches_.end()) return;
  PartitionState& state = it->second;
  const std::int64_t start = batch->second.start_offset;
  std::int64_t& covered = state.covered[{existing.identity.kind, existing.identity.period_start}];
  covered = std::max(covered, existing.end_offset);
  state.adopt_end = std::max(state.adopt_end.value_or(existing.end_offset), existing.end_offset);
  uploader_->cancel(partition);
  for (BatchId dropped : sequencer_.drop(partition)) delete_batch(dropped);
  for (auto& [key, file] : state.open) file.writer->abort();
  state.open.clear();
  state.segment_start = start;
  state.max_event_time.reset();
  // update_flow_control seeks back to `start` at once and resumes.
  state.retry_after = std::chrono::steady_clock::now();
  kafka::PartitionList list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), config_.input_topic.c_str(), partition);
  rd_kafka_pause_partitions(consumer_.get(), list.get());
  state.paused = true;
  kLog.warn(config_.input_topic, "/", partition, ": ", object_kind_name(existing.identity.kind),
            " records from offset ", existing.identity.first_offset, " to ", existing.end_offset,
            " are already in S3 in an object cut differently (an earlier owner or run); consuming "
            "again from offset ", start, ", skipping what existing objects hold and cutting at offset ",
            *state.adopt_end);
}

void Archiver::dispatch() {
  for (const auto& ready : sequencer_.take_dispatchable()) {
    const Batch& batch = batches_.at(ready.id);
    if (batch.files.empty()) {
      (void)sequencer_.uploaded(ready.partition, ready.id);  // nothing to upload
      continue;
    }
    uploader_->submit(UploadJob{ready.partition, ready.id, batch.files});
  }
}

void Archiver::handle_completions() {
  for (const UploadDone& done : uploader_->take_done()) {
    if (auto leftover = leftover_jobs_.find(done.id); leftover != leftover_jobs_.end()) {
      // Uploaded, or its key holds another range (whoever consumes those
      // offsets adopts that object): either way the file has done its part.
      // Cancelled (shutdown): kept for the next start.
      if (done.outcome != UploadDone::Outcome::kCancelled) {
        for (const UploadFile& file : leftover->second) {
          std::error_code ignored;
          std::filesystem::remove(file.path, ignored);
        }
      }
      leftover_jobs_.erase(leftover);
      continue;
    }
    if (done.outcome == UploadDone::Outcome::kAdopt && done.existing) {
      adopt(done.partition, done.id, *done.existing);
      continue;
    }
    if (done.outcome == UploadDone::Outcome::kUploaded) {
      (void)sequencer_.uploaded(done.partition, done.id);  // false: dropped meanwhile
      if (auto batch = batches_.find(done.id); batch != batches_.end()) record_archive_spans(batch->second);
    }
  }
}

Status Archiver::flush_dead_letters() {
  if (dead_letters_unflushed_ == 0 && failed_dead_letters_.empty()) return Status::success();
  const rd_kafka_resp_err_t err = rd_kafka_flush(producer_.get(), kBrokerCallTimeoutMs);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Error(ErrorKind::kRetriable, "flushing dead letters to " + config_.dead_letter_topic +
                                            ": " + rd_kafka_err2str(err));
  }
  if (!failed_dead_letters_.empty()) {
    // The producer is idempotent and has retried until message.timeout.ms:
    // these records are not in the dead-letter topic yet. Committing past
    // them would lose them, and exiting would only meet them again after a
    // restart (a crash loop when the topic refuses them): they are sent
    // again or replaced (retry_failed_dead_letters), and the commit waits.
    return Error(ErrorKind::kRetriable, std::to_string(failed_dead_letters_.size()) +
                                            " dead letters not delivered to " + config_.dead_letter_topic +
                                            " yet; they are sent again and nothing is committed past them");
  }
  dead_letters_unflushed_ = 0;
  return Status::success();
}

Status Archiver::commit_offset(std::int32_t partition, std::int64_t offset) {
  if (auto status = flush_dead_letters(); !status) return status;
  kafka::PartitionList list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), config_.input_topic.c_str(), partition)->offset = offset;
  if (auto err = rd_kafka_commit(consumer_.get(), list.get(), 0); err) {
    return Error(ErrorKind::kRetriable, "committing " + config_.input_topic + "/" +
                                            std::to_string(partition) + " at " +
                                            std::to_string(offset) + ": " + rd_kafka_err2str(err));
  }
  if (list->elems[0].err) {
    return Error(ErrorKind::kRetriable, "committing " + config_.input_topic + "/" +
                                            std::to_string(partition) + " at " +
                                            std::to_string(offset) + ": " +
                                            rd_kafka_err2str(list->elems[0].err));
  }
  auto it = partitions_.find(partition);
  if (it != partitions_.end()) {
    it->second.committed = offset;
    std::erase_if(it->second.covered, [offset](const auto& entry) { return entry.second <= offset; });
  }
  return Status::success();
}

Status Archiver::commit_ready(bool force) {
  const SteadyTime now = std::chrono::steady_clock::now();
  if (!force && now < next_commit_attempt_) return Status::success();
  for (const auto& awaiting : sequencer_.awaiting_commit()) {
    const Batch& batch = batches_.at(awaiting.id);
    if (auto status = commit_offset(awaiting.partition, batch.end_offset); !status) {
      if (status.error().kind() == ErrorKind::kFatal) return status;
      kLog.warn(status.error().message(), "; retrying");
      next_commit_attempt_ = now + kCommitRetryInterval;
      return Status::success();
    }
    (void)sequencer_.committed(awaiting.partition, awaiting.id);
    delete_batch(awaiting.id);
  }
  // Records since the last commit that all went to the dead-letter topic: no
  // file holds them, so nothing waits for S3. Committing them only when the
  // partition has no batch and no open file keeps the rule that the committed
  // offset is always the end of the last batch in S3.
  for (auto& [partition, state] : partitions_) {
    // While a range is adopted, a commit before its end would fall inside
    // an existing object's range (records skipped as covered leave the
    // segment empty, but are not past that range yet).
    if (!state.open.empty() || !sequencer_.idle(partition) || state.retry_after || state.adopt_end) continue;
    // The consumer's position may be past next_offset: transaction markers
    // and aborted records are skipped without being delivered. Committing it
    // keeps the group's lag at 0 on a transactional topic.
    const std::int64_t offset = std::max(state.next_offset, position(partition));
    if (offset < 0 || offset <= state.committed) continue;
    if (auto status = commit_offset(partition, offset); !status) {
      if (status.error().kind() == ErrorKind::kFatal) return status;
      kLog.warn(status.error().message(), "; retrying");
      next_commit_attempt_ = now + kCommitRetryInterval;
      return Status::success();
    }
    state.next_offset = offset;
    state.segment_start = offset;
  }
  return Status::success();
}

std::int64_t Archiver::position(std::int32_t partition) {
  kafka::PartitionList list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), config_.input_topic.c_str(), partition);
  if (rd_kafka_position(consumer_.get(), list.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) return kNoOffset;
  return list->elems[0].offset;  // RD_KAFKA_OFFSET_INVALID (negative) before the first message
}

std::uint64_t Archiver::spool_bytes() const {
  std::uint64_t total = 0;
  for (const auto& [id, batch] : batches_) total += batch.bytes;
  for (const auto& [partition, state] : partitions_) {
    for (const auto& [key, file] : state.open) total += static_cast<std::uint64_t>(file.bytes);
  }
  return total;
}

void Archiver::update_flow_control(SteadyTime now) {
  const std::uint64_t bytes = spool_bytes();
  metrics_->set_spool_bytes(bytes);
  if (!spool_full_ && bytes >= config_.spool_max_bytes) {
    spool_full_ = true;
    kLog.warn("spool holds ", bytes, " bytes, at its limit of ", config_.spool_max_bytes,
              " (--spool-max-bytes): pausing consumption until uploads catch up; Kafka buffers meanwhile");
  } else if (spool_full_ &&
             static_cast<double>(bytes) < kSpoolResumeShare * static_cast<double>(config_.spool_max_bytes)) {
    spool_full_ = false;
    kLog.info("spool down to ", bytes, " bytes: resuming consumption");
  }
  kafka::PartitionList pause(rd_kafka_topic_partition_list_new(4));
  kafka::PartitionList resume(rd_kafka_topic_partition_list_new(4));
  for (auto& [partition, state] : partitions_) {
    if (state.retry_after && now >= *state.retry_after) seek_back(partition, state);
    // A partition rebuilding an adopted range is not paused for a full
    // spool: its segment can only be cut at the adopted end, so pausing it
    // could hold the spool full for good. The existing object bounds it.
    const bool want_paused = (spool_full_ && !state.adopt_end) || state.retry_after.has_value();
    if (want_paused == state.paused) continue;
    rd_kafka_topic_partition_list_add(want_paused ? pause.get() : resume.get(),
                                      config_.input_topic.c_str(), partition);
    state.paused = want_paused;
  }
  // Paused partitions are still polled (rd_kafka_consumer_poll keeps the
  // group membership and max.poll.interval.ms healthy); they just fetch nothing.
  if (pause->cnt > 0) rd_kafka_pause_partitions(consumer_.get(), pause.get());
  if (resume->cnt > 0) rd_kafka_resume_partitions(consumer_.get(), resume.get());
}

void Archiver::update_gauges() {
  std::optional<EventTime> oldest;
  auto consider = [&oldest](EventTime time) {
    if (!oldest || time < *oldest) oldest = time;
  };
  for (const auto& [id, batch] : batches_) {
    auto in_flight = sequencer_.in_flight(batch.partition);
    const bool in_s3 = in_flight && in_flight->id == id &&
                       in_flight->stage == BatchSequencer::Stage::kAwaitingCommit;
    if (batch.oldest_event_time && !in_s3) consider(*batch.oldest_event_time);
  }
  // The consumer's position moves past transaction markers, which are not
  // delivered as messages; the offset after the last message does not, and
  // would show a lag of 1 forever on a transactional topic.
  kafka::PartitionList positions(rd_kafka_topic_partition_list_new(static_cast<int>(partitions_.size())));
  for (const auto& [partition, state] : partitions_) {
    for (const auto& [key, file] : state.open) {
      if (file.rows > 0) consider(file.min_event_time);
    }
    rd_kafka_topic_partition_list_add(positions.get(), config_.input_topic.c_str(), partition);
  }
  if (positions->cnt > 0 && rd_kafka_position(consumer_.get(), positions.get()) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    for (int i = 0; i < positions->cnt; ++i) {
      const auto& element = positions->elems[i];
      auto it = partitions_.find(element.partition);
      const std::int64_t position = std::max(element.offset, it->second.next_offset);
      std::int64_t low = 0, high = 0;
      if (position >= 0 &&
          rd_kafka_get_watermark_offsets(consumer_.get(), config_.input_topic.c_str(),
                                         element.partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR &&
          high >= 0) {
        metrics_->set_lag(config_.input_topic, element.partition, std::max<std::int64_t>(0, high - position));
      }
    }
  }
  const auto now = std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
  metrics_->set_oldest_unarchived_age(
      oldest ? std::max(0.0, std::chrono::duration<double>(now - *oldest).count()) : 0.0);
}

Status Archiver::run_loop() {
  SteadyTime last_housekeeping{};
  SteadyTime last_gauges{};
  while (!shutdown_requested()) {
    std::size_t polled_messages = 0, polled_bytes = 0;
    for (int i = 0; i < kPollBatch; ++i) {
      kafka::Message message{rd_kafka_consumer_poll(consumer_.get(), i == 0 ? 100 : 0)};
      if (rebalance_error_) {
        Error error = *rebalance_error_;
        rebalance_error_.reset();
        return error;
      }
      if (!message) break;
      if (message->err) {
        if (message->err == RD_KAFKA_RESP_ERR__FATAL) {
          std::array<char, 512> reason{};
          rd_kafka_fatal_error(consumer_.get(), reason.data(), reason.size());
          return Error(ErrorKind::kFatal, std::string("consumer failed: ") + reason.data());
        }
        kLog.warn("consumer: ", rd_kafka_message_errstr(message.get()));
        continue;
      }
      ++polled_messages;
      polled_bytes += message->len;
      if (auto status = handle_message(*message); !status) return status;
    }
    if (polled_messages > 0) {
      const double turn_mean = static_cast<double>(polled_bytes) / static_cast<double>(polled_messages);
      mean_message_bytes_ = mean_message_bytes_ == 0 ? turn_mean : 0.9 * mean_message_bytes_ + 0.1 * turn_mean;
    }
    fetch_wakeup_->observe(rd_kafka_queue_length(consumer_queue_.get()), mean_message_bytes_);
    rd_kafka_poll(producer_.get(), 0);  // delivery reports
    if (auto status = retry_failed_dead_letters(); !status) return status;
    const SteadyTime now = std::chrono::steady_clock::now();
    if (now - last_housekeeping >= kHousekeepingInterval) {
      last_housekeeping = now;
      for (auto& [partition, state] : partitions_) maybe_cut(partition, state, now);
    }
    handle_completions();
    if (auto status = commit_ready(false); !status) return status;
    dispatch();
    update_flow_control(now);
    if (now - last_gauges >= kGaugeInterval) {
      last_gauges = now;
      update_gauges();
    }
  }
  return Status::success();
}

void Archiver::shut_down() {
  if (!consumer_) {
    if (uploader_) uploader_->stop();
    return;
  }
  // Finish the uploads that are running (bounded) and commit them; what is
  // not in S3 stays uncommitted and is consumed again by the next owner.
  const SteadyTime deadline = std::chrono::steady_clock::now() + config_.drain_timeout;
  auto uploading = [this] {
    for (const auto& [partition, state] : partitions_) {
      auto in_flight = sequencer_.in_flight(partition);
      if (in_flight && in_flight->stage == BatchSequencer::Stage::kUploading) return true;
    }
    return false;
  };
  if (uploading()) kLog.info("shutting down: waiting for running uploads to finish");
  while (uploading() && std::chrono::steady_clock::now() < deadline) {
    uploader_->wait_any_done(std::chrono::milliseconds(200));
    handle_completions();
  }
  if (auto status = commit_ready(true); !status) {
    kLog.warn("final commit failed (", status.error().message(), "); the next start redoes it");
  }
  closing_ = true;
  watchdog_.emplace(kShutdownWatchdogLimit);
  uploader_->stop();
  fetch_wakeup_->stop();  // before the consumer closes: it sends requests through it
  handle_completions();
  // Leaves the group; the revoke callback drops the remaining spool state.
  rd_kafka_consumer_close(consumer_.get());
  for (auto it = partitions_.begin(); it != partitions_.end();) {
    const std::int32_t partition = it->first;
    ++it;
    drop_partition(partition);
  }
  kLog.debug("fetcher wake-ups: ", fetch_wakeup_->wakeups());
  fetch_wakeup_.reset();
  consumer_queue_.reset();  // every queue reference goes before the handle
  if (received_assignment_) {
    consumer_.reset();
  } else {
    // librdkafka 2.0.2 aborts in rd_kafka_destroy when a cooperative-sticky
    // consumer is destroyed before its first assignment (librdkafka issue
    // 4312, fixed in 2.3.0). The consumer has left the group; the handle is
    // parked, still reachable, until the process exits a moment later.
    static auto* parked_before_first_assignment = new kafka::Handle();
    *parked_before_first_assignment = std::move(consumer_);
  }
  rd_kafka_flush(producer_.get(), kBrokerCallTimeoutMs);
}

}  // namespace

Status validate(const ArchiverConfig& config) {
  auto invalid = [](const std::string& message) { return Error(ErrorKind::kInvalidConfig, message); };
  if (config.bootstrap_servers.empty()) {
    return invalid("bootstrap servers are empty; set --bootstrap-servers or KAFKA_BOOTSTRAP_SERVERS");
  }
  if (config.input_topic.empty()) return invalid("--input-topic is empty");
  if (config.dead_letter_topic.empty()) return invalid("--dead-letter-topic is empty");
  if (config.dead_letter_topic == config.input_topic) {
    return invalid("--dead-letter-topic must differ from --input-topic");
  }
  if (config.group_id.empty()) return invalid("--group-id is empty");
  if (config.spool_dir.empty()) {
    return invalid("the spool directory is not set; set --spool-dir or EDGESTREAM_ARCHIVER_SPOOL_DIR "
                   "to a writable local volume");
  }
  if (config.spool_max_bytes == 0) return invalid("--spool-max-bytes must be positive");
  if (config.planner.period.count() <= 0) return invalid("--period-seconds must be positive");
  if (config.planner.grace.count() < 0) return invalid("--grace-seconds must not be negative");
  if (config.planner.max_file_rows <= 0) return invalid("--max-file-rows must be positive");
  if (config.planner.max_file_bytes <= 0) return invalid("--max-file-bytes must be positive");
  if (config.s3.endpoint.bucket.empty()) return invalid("the S3 bucket is not set; set --s3-bucket or S3_BUCKET");
  if (config.s3.endpoint.region.empty()) return invalid("the S3 region is not set; set --s3-region or AWS_REGION");
  if (auto status = config.parquet.validate(); !status) return status;
  if (auto status = s3::validate(config.s3); !status) return status;
  if (config.upload_backoff_cap.count() <= 0) return invalid("--upload-backoff-max-seconds must be positive");
  if (config.drain_timeout.count() < 0) return invalid("--drain-timeout-seconds must not be negative");
  return Status::success();
}

Status run(const ArchiverConfig& config) {
  if (auto status = validate(config); !status) return status;
  Archiver archiver(config);
  Status status = archiver.start();
  if (status) status = archiver.run_loop();
  archiver.shut_down();
  return status;
}

}  // namespace edgestream::archiver
