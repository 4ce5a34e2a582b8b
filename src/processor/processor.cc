#include "edgestream/processor/processor.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <thread>

#include "edgestream/common/log.h"
#include "edgestream/common/metrics.h"
#include "edgestream/common/shutdown.h"
#include "edgestream/common/timestamp.h"
#include "edgestream/common/tracing.h"
#include "edgestream/contract/partial_batch.h"
#include "edgestream/contract/processed_record.h"
#include "edgestream/contract/reading.h"
#include "edgestream/processor/dead_letter.h"
#include "edgestream/processor/reading.h"
#include "processor_metrics.h"

namespace edgestream::processor {
namespace {

const Logger kLog("processor");

// Offsets below zero are librdkafka's logical offsets (beginning, end, stored).
constexpr int64_t kNoOffset = -1;
// Upper bound on blocking broker calls inside the loop (commit, committed
// offsets, seek); past it the call's error decides retry, abort or exit.
constexpr int kBrokerCallTimeoutMs = 30'000;
// Messages consumed per loop turn before checking whether it is time to commit.
constexpr int kPollBatch = 5000;
// How often the merger asks the broker for the input partitions' log-end
// offsets (to tell an idle partition from one that is behind), and how long
// one answer may take. Each turn costs one request per input partition.
constexpr auto kLogEndRefreshInterval = std::chrono::seconds(1);
constexpr int kLogEndQueryTimeoutMs = 2'000;

struct ConsumerGroupMetadataDeleter {
  void operator()(rd_kafka_consumer_group_metadata_t* metadata) const {
    rd_kafka_consumer_group_metadata_destroy(metadata);
  }
};
using ConsumerGroupMetadata =
    std::unique_ptr<rd_kafka_consumer_group_metadata_t, ConsumerGroupMetadataDeleter>;

// State of one assigned raw-data partition.
struct InputPartition {
  PartitionWindows windows;
  int64_t next_offset = kNoOffset;  // offset after the last record consumed
  // Records below this offset were published before (they are being replayed
  // only to rebuild open windows): they feed the windows and nothing else.
  int64_t replay_until = kNoOffset;
  std::optional<EventTime> last_sent_watermark;
  int64_t last_sent_covered = kNoOffset;  // covered offset of the last partial batch sent
};

// State of the partials partition, when this instance owns it.
struct MergerPartition {
  PartialMerger merger;
  int64_t next_offset = kNoOffset;
  // Batches below this offset were merged before the last commit (replayed
  // only to rebuild pending windows): their late partials were already
  // published as corrections and counted, and an undecodable one among them
  // was dead-lettered then and is not dead-lettered again.
  int64_t replay_until = kNoOffset;
};

// The processing clock a reading is judged against: when its record reached
// Kafka (the broker's clock with LogAppendTime, the producing client's with
// CreateTime). It is part of the record, so a replay or another instance
// reaches the same verdict. A record without a timestamp (message format
// before 0.10) falls back to this instance's clock.
EventTime received_time(const rd_kafka_message_t& message) {
  rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  const int64_t ms = rd_kafka_message_timestamp(&message, &type);
  if (type != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE && ms >= 0) return EventTime{Millis{ms}};
  return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
}

void set_metadata(rd_kafka_topic_partition_t& partition, const std::string& text) {
  // The list's destructor frees metadata with free().
  std::free(partition.metadata);
  partition.metadata = std::malloc(text.size());
  std::memcpy(partition.metadata, text.data(), text.size());
  partition.metadata_size = text.size();
}

std::string_view metadata_of(const rd_kafka_topic_partition_t& partition) {
  if (partition.metadata == nullptr) return {};
  std::string_view text(static_cast<const char*>(partition.metadata), partition.metadata_size);
  // Clients that take metadata as a C string (confluent-kafka-python) commit
  // its terminating NUL too; an operator's hand-written checkpoint must still read.
  if (!text.empty() && text.back() == '\0') text.remove_suffix(1);
  return text;
}

class Processor {
 public:
  explicit Processor(const ProcessorConfig& config) : config_(config) {}

  Status start();
  Status run_loop();
  // Commits what is done and leaves the group; called on every exit path.
  void shut_down();

  // librdkafka calls this from rd_kafka_consumer_poll on our thread.
  void on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions);

 private:
  Status process(const rd_kafka_message_t& message);
  Status process_raw(const rd_kafka_message_t& message, InputPartition& state);
  Status process_partial(const rd_kafka_message_t& message, MergerPartition& state);
  Status produce(const std::string& topic, int32_t partition, std::string_view key,
                 std::string_view value, rd_kafka_headers_t* headers = nullptr);
  // Produces `message` to the dead-letter topic in the open transaction, with
  // headers naming `reason`, `detail` and where it came from (added to
  // `headers`, which may already hold trace context). A copy larger than the
  // record size limit is cut to fit and counted (dead_letter.h), so a record
  // never fails its transaction for its size.
  Status dead_letter(const rd_kafka_message_t& message, const char* reason, std::string_view detail,
                     kafka::Headers headers);
  Status ensure_transaction();
  // Reads the smallest max.message.bytes of the topics the producer writes
  // and sets the producer's message.max.bytes and batch.size to match (ahead
  // of the overrides, so an explicit kafka setting still wins); sets
  // record_limit_bytes_.
  Status align_record_limit(rd_kafka_t* admin, kafka::Properties& producer_properties);
  // Closes ready windows, produces their results, sends offsets and commits.
  Status commit();
  Status handle(const Error& error);
  // Aborts the open transaction and rewinds every assigned partition to its
  // committed offset and checkpoint.
  Status abort_and_rewind();
  // Reads committed offsets and checkpoints for `partitions`, builds their
  // state and sets each element's offset to where consumption must resume.
  Status restore(rd_kafka_topic_partition_list_t* partitions);
  void update_lag();
  // Gives the merger every input partition's log-end offset (rate-limited).
  void refresh_log_end_offsets();

  ProcessorConfig config_;
  int32_t input_partitions_ = 0;
  std::unique_ptr<MetricsServer> metrics_server_;
  std::unique_ptr<ProcessorMetrics> metrics_;
  std::unique_ptr<tracing::Tracer> tracer_ = tracing::Tracer::disabled();
  std::string process_span_name_ = "process " + config_.input_topic;  // made once, not per record
  // Declared before the consumer so it is destroyed after it: the rebalance
  // callback that runs while the consumer closes still commits through it.
  kafka::Handle producer_;
  kafka::Handle consumer_;
  // Asks for the input partitions' log-end offsets on a connection of its
  // own: on the consumer's connection each request waited behind the
  // consumer's long-poll fetch (fetch.wait.max.ms, 500 ms; the broker answers
  // a connection's requests one at a time), which held the main loop up to
  // 1.5 s per refresh while records sat in the queue.
  kafka::Handle log_end_client_;
  // The most the producer and the broker accept for one record: the
  // producer's message.max.bytes, at most the smallest max.message.bytes of
  // the topics it writes minus the batch header.
  size_t record_limit_bytes_ = 0;
  RecordParser parser_;
  std::map<int32_t, InputPartition> inputs_;
  std::optional<MergerPartition> merger_;
  bool in_transaction_ = false;
  bool dirty_ = false;  // consumed or produced something since the last commit
  std::optional<Error> rebalance_error_;
  bool received_assignment_ = false;
  std::chrono::steady_clock::time_point transaction_started_;
  std::chrono::steady_clock::time_point log_ends_refreshed_;
  std::string buffer_;
};

extern "C" void rebalance_trampoline(rd_kafka_t* /*consumer*/, rd_kafka_resp_err_t err,
                                     rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  static_cast<Processor*>(opaque)->on_rebalance(err, partitions);
}

Status Processor::start() {
  auto server = MetricsServer::start(config_.metrics_address);
  if (!server) return server.error();
  metrics_server_ = std::move(server).value();
  metrics_ = std::make_unique<ProcessorMetrics>(metrics_server_->registry(), config_.input_topic,
                                                config_.partials_topic);
  auto tracer_config = tracing::config_from_env("processor");
  if (!tracer_config) return tracer_config.error();
  auto tracer = tracing::Tracer::create(std::move(tracer_config).value(), "processor", &metrics_server_->registry());
  if (!tracer) return tracer.error();
  tracer_ = std::move(tracer).value();

  std::string instance = config_.instance_id;
  kafka::Properties producer_properties{
      {"bootstrap.servers", config_.bootstrap_servers},
      {"client.id", "edgestream-processor-" + instance},
      {"transactional.id", config_.group_id + "-" + instance},
      {"transaction.timeout.ms", std::to_string(config_.transaction_timeout.count())},
      {"enable.idempotence", "true"},
      {"acks", "all"},
      {"linger.ms", "5"},
      {"compression.type", "lz4"},
      {"queue.buffering.max.messages", "1000000"},
  };
  producer_properties.insert(producer_properties.end(), config_.kafka_overrides.begin(),
                             config_.kafka_overrides.end());

  // message.max.bytes can only be set when a client is created, so a
  // short-lived client with the producer's connection settings (without its
  // transactional id and idempotence, which would register a producer id)
  // finds the topics and reads their size limit first.
  kafka::Properties admin_properties;
  for (const auto& [key, value] : producer_properties) {
    if (key != "transactional.id" && key != "enable.idempotence") admin_properties.emplace_back(key, value);
  }
  auto admin_conf = kafka::make_conf(admin_properties);
  if (!admin_conf) return admin_conf.error();
  auto admin_client = kafka::make_client(RD_KAFKA_PRODUCER, std::move(admin_conf).value());
  if (!admin_client) return admin_client.error();
  kafka::Handle admin = std::move(admin_client).value();

  for (const std::string& topic : {config_.output_topic, config_.dead_letter_topic}) {
    auto count = kafka::wait_for_topic(admin.get(), topic,
                                        static_cast<int>(config_.startup_timeout.count()));
    if (!count) return count.error().with_context("cannot reach Kafka at " + config_.bootstrap_servers);
  }
  auto inputs = kafka::wait_for_topic(admin.get(), config_.input_topic,
                                       static_cast<int>(config_.startup_timeout.count()));
  if (!inputs) return inputs.error().with_context("cannot reach Kafka at " + config_.bootstrap_servers);
  input_partitions_ = inputs.value();
  auto partials = kafka::wait_for_topic(admin.get(), config_.partials_topic,
                                         static_cast<int>(config_.startup_timeout.count()));
  if (!partials) return partials.error();
  if (partials.value() != 1) {
    return Error(ErrorKind::kInvalidConfig,
                 "topic '" + config_.partials_topic + "' has " + std::to_string(partials.value()) +
                     " partitions; it needs exactly 1 so one instance merges each window");
  }
  if (auto status = align_record_limit(admin.get(), producer_properties); !status) return status;
  admin.reset();
  auto producer_conf = kafka::make_conf(producer_properties);
  if (!producer_conf) return producer_conf.error();
  auto producer = kafka::make_client(RD_KAFKA_PRODUCER, std::move(producer_conf).value());
  if (!producer) return producer.error();
  producer_ = std::move(producer).value();

  // Aborts any transaction a previous incarnation of this instance left open.
  if (kafka::KafkaError error{rd_kafka_init_transactions(producer_.get(), kBrokerCallTimeoutMs)}) {
    return kafka::classify(error.get(), "initialising transactions");
  }

  kafka::Properties consumer_properties{
      {"bootstrap.servers", config_.bootstrap_servers},
      {"client.id", "edgestream-processor-" + instance},
      {"group.id", config_.group_id},
      {"isolation.level", "read_committed"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},
      {"partition.assignment.strategy", "cooperative-sticky"},
  };
  for (const auto& [key, value] : config_.kafka_overrides) {
    // Producer-only keys in the shared overrides would be rejected here.
    if (key.rfind("transaction", 0) != 0) consumer_properties.emplace_back(key, value);
  }
  auto consumer_conf = kafka::make_conf(consumer_properties);
  if (!consumer_conf) return consumer_conf.error();
  rd_kafka_conf_set_rebalance_cb(consumer_conf.value().get(), rebalance_trampoline);
  rd_kafka_conf_set_opaque(consumer_conf.value().get(), this);
  auto consumer = kafka::make_client(RD_KAFKA_CONSUMER, std::move(consumer_conf).value());
  if (!consumer) return consumer.error();
  consumer_ = std::move(consumer).value();
  rd_kafka_poll_set_consumer(consumer_.get());

  // No group and no fetches: only ListOffsets go over its connection.
  // read_committed, so the broker answers with the last stable offset.
  kafka::Properties log_end_properties{
      {"bootstrap.servers", config_.bootstrap_servers},
      {"client.id", "edgestream-processor-" + instance + "-log-end"},
      {"isolation.level", "read_committed"},
  };
  for (const auto& [key, value] : config_.kafka_overrides) {
    if (key.rfind("transaction", 0) != 0) log_end_properties.emplace_back(key, value);
  }
  auto log_end_conf = kafka::make_conf(log_end_properties);
  if (!log_end_conf) return log_end_conf.error();
  auto log_end_client = kafka::make_client(RD_KAFKA_CONSUMER, std::move(log_end_conf).value());
  if (!log_end_client) return log_end_client.error();
  log_end_client_ = std::move(log_end_client).value();

  kafka::PartitionList topics(rd_kafka_topic_partition_list_new(2));
  rd_kafka_topic_partition_list_add(topics.get(), config_.input_topic.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_topic_partition_list_add(topics.get(), config_.partials_topic.c_str(), RD_KAFKA_PARTITION_UA);
  if (auto err = rd_kafka_subscribe(consumer_.get(), topics.get()); err) {
    return Error(ErrorKind::kFatal, std::string("subscribing: ") + rd_kafka_err2str(err));
  }
  kLog.info("instance '", instance, "' consuming ", config_.input_topic, " (", input_partitions_,
            " partitions) and ", config_.partials_topic, " in group ", config_.group_id, " at ",
            config_.bootstrap_servers);
  kLog.info("effective configuration: output ", config_.output_topic, ", dead letters ",
            config_.dead_letter_topic, ", window ", config_.windows.size.count(), " ms, allowed lateness ",
            config_.windows.allowed_lateness.count(), " ms, max future skew ",
            config_.windows.max_future_skew.count(), " ms, idle timeout ",
            config_.windows.idle_timeout.count(), " ms, max partition wait ",
            config_.windows.max_partition_wait.count(), " ms, commit interval ", config_.commit_interval.count(),
            " ms, transaction timeout ", config_.transaction_timeout.count(), " ms, ",
            config_.kafka_overrides.size(), " librdkafka overrides (values not logged: they may hold credentials)");
  return Status::success();
}

Status Processor::align_record_limit(rd_kafka_t* admin, kafka::Properties& producer_properties) {
  auto broker_limit = kafka::max_message_bytes(
      admin, {config_.output_topic, config_.dead_letter_topic, config_.partials_topic},
      static_cast<int>(config_.startup_timeout.count()));
  if (!broker_limit) return broker_limit.error();
  // librdkafka counts records only; the broker counts the batch header too.
  const int64_t records_limit = broker_limit.value() - static_cast<int64_t>(kafka::kRecordBatchOverheadBytes);
  // librdkafka's default batch.size; smaller when the broker's limit is.
  constexpr int64_t kDefaultBatchBytes = 1'000'000;
  auto first_override = producer_properties.end() - static_cast<std::ptrdiff_t>(config_.kafka_overrides.size());
  producer_properties.insert(first_override,
                             {{"message.max.bytes", std::to_string(records_limit)},
                              {"batch.size", std::to_string(std::min(records_limit, kDefaultBatchBytes))}});
  int64_t producer_limit = records_limit;
  for (const auto& [key, value] : producer_properties) {  // the last setting wins, as in make_conf
    if (key == "message.max.bytes") producer_limit = std::strtoll(value.c_str(), nullptr, 10);
  }
  const int64_t limit = std::min(producer_limit, records_limit);
  if (limit < static_cast<int64_t>(kMinRecordLimitBytes)) {
    return Error(ErrorKind::kInvalidConfig,
                 "records of at most " + std::to_string(limit) + " bytes fit " + config_.output_topic + ", " +
                     config_.dead_letter_topic + " and " + config_.partials_topic + " (max.message.bytes " +
                     std::to_string(broker_limit.value()) + ", message.max.bytes " +
                     std::to_string(producer_limit) + "); dead letters need at least " +
                     std::to_string(kMinRecordLimitBytes) + ": raise the topics' max.message.bytes");
  }
  record_limit_bytes_ = static_cast<size_t>(limit);
  kLog.info("records up to ", record_limit_bytes_, " bytes (topics' max.message.bytes ", broker_limit.value(),
            " minus the batch header); larger dead letters are cut to fit");
  return Status::success();
}

Status Processor::restore(rd_kafka_topic_partition_list_t* partitions) {
  if (auto err = rd_kafka_committed(consumer_.get(), partitions, kBrokerCallTimeoutMs); err) {
    return Error(ErrorKind::kRetriable,
                 std::string("reading committed offsets: ") + rd_kafka_err2str(err));
  }
  for (int i = 0; i < partitions->cnt; ++i) {
    rd_kafka_topic_partition_t& partition = partitions->elems[i];
    int64_t committed = partition.offset;  // RD_KAFKA_OFFSET_INVALID when never committed
    std::string_view metadata = metadata_of(partition);
    if (config_.input_topic == partition.topic) {
      auto checkpoint = committed >= 0 ? decode_checkpoint(metadata) : std::nullopt;
      const EventTime now = std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
      bool repaired = false;
      if (checkpoint && repair_checkpoint(*checkpoint, now, config_.windows)) {
        repaired = true;
        metrics_->checkpoint_repaired();
        kLog.warn(partition.topic, "/", partition.partition, ": checkpoint watermark is more than ",
                  config_.windows.max_future_skew.count() / 1000, " s ahead of this clock (",
                  metadata, "); a device clock ahead poisoned it before event time was bounded. ",
                  "Resuming with watermark ", format_rfc3339(checkpoint->watermark),
                  "; the records replayed from ", checkpoint->replay_from, " are judged again");
      }
      InputPartition state{checkpoint ? PartitionWindows(config_.windows, *checkpoint)
                                      : PartitionWindows(config_.windows),
                           kNoOffset, kNoOffset, std::nullopt};
      if (checkpoint) {
        state.replay_until = committed;
        partition.offset = checkpoint->replay_from;
        if (checkpoint->has_watermark && !repaired) state.last_sent_watermark = checkpoint->watermark;
        kLog.info(partition.topic, "/", partition.partition, ": resuming at ", committed,
                  ", replaying open windows from ", checkpoint->replay_from);
      } else if (committed < 0) {
        partition.offset = RD_KAFKA_OFFSET_BEGINNING;
        kLog.info(partition.topic, "/", partition.partition, ": no committed offset, starting at the beginning");
      }
      inputs_.insert_or_assign(partition.partition, std::move(state));
    } else if (config_.partials_topic == partition.topic) {
      auto checkpoint = committed >= 0 ? decode_merger_checkpoint(metadata) : std::nullopt;
      const EventTime now = std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
      if (checkpoint && repair_merger_checkpoint(*checkpoint, now, config_.windows)) {
        metrics_->checkpoint_repaired();
        kLog.warn(partition.topic, "/", partition.partition, ": merger checkpoint (", metadata,
                  ") has finalised minutes more than ", config_.windows.max_future_skew.count() / 1000,
                  " s ahead of this clock; resuming with minutes from ",
                  format_rfc3339(checkpoint->finalized_before),
                  " still open (partials of earlier minutes become corrections)");
      }
      if (checkpoint) {
        merger_.emplace(MergerPartition{PartialMerger(config_.windows, input_partitions_, *checkpoint),
                                        kNoOffset, committed});
        partition.offset = checkpoint->replay_from;
      } else {
        merger_.emplace(MergerPartition{PartialMerger(config_.windows, input_partitions_), kNoOffset, kNoOffset});
        if (committed < 0) partition.offset = RD_KAFKA_OFFSET_BEGINNING;
      }
      kLog.info(partition.topic, "/", partition.partition, ": merging partial aggregates from offset ",
                partition.offset);
    }
  }
  return Status::success();
}

void Processor::on_rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* partitions) {
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    received_assignment_ = true;
    if (auto status = restore(partitions); !status) {
      rebalance_error_ = status.error();
      return;
    }
    kafka::KafkaError error{rd_kafka_incremental_assign(consumer_.get(), partitions)};
    if (error) rebalance_error_ = kafka::classify(error.get(), "assigning partitions");
    return;
  }
  // Revoked or lost. Work already done for these partitions is committed
  // first (a new owner starts from it); lost partitions may already belong to
  // someone else, so their uncommitted work is abandoned with the transaction.
  if (rd_kafka_assignment_lost(consumer_.get())) {
    kLog.warn("partitions lost; aborting the open transaction");
    if (auto status = abort_and_rewind(); !status) rebalance_error_ = status.error();
  } else if (dirty_) {
    if (auto status = commit(); !status) rebalance_error_ = status.error();
  }
  for (int i = 0; i < partitions->cnt; ++i) {
    const auto& partition = partitions->elems[i];
    if (config_.input_topic == partition.topic) {
      inputs_.erase(partition.partition);
      metrics_->forget_lag(partition.topic, partition.partition);
    } else if (config_.partials_topic == partition.topic) {
      merger_.reset();
    }
  }
  kafka::KafkaError error{rd_kafka_incremental_unassign(consumer_.get(), partitions)};
  if (error && !rebalance_error_) rebalance_error_ = kafka::classify(error.get(), "unassigning partitions");
}

Status Processor::ensure_transaction() {
  if (in_transaction_) return Status::success();
  if (kafka::KafkaError error{rd_kafka_begin_transaction(producer_.get())}) {
    return kafka::classify(error.get(), "beginning a transaction");
  }
  in_transaction_ = true;
  transaction_started_ = std::chrono::steady_clock::now();
  return Status::success();
}

Status Processor::produce(const std::string& topic, int32_t partition, std::string_view key,
                          std::string_view value, rd_kafka_headers_t* headers) {
  if (auto status = ensure_transaction(); !status) {
    if (headers != nullptr) rd_kafka_headers_destroy(headers);  // not handed to librdkafka
    return status;
  }
  while (true) {
    rd_kafka_resp_err_t err = kafka::produce_copy(producer_.get(), topic, partition, key, value, headers);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      dirty_ = true;
      return Status::success();
    }
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(producer_.get(), 10);
      continue;
    }
    if (headers != nullptr) rd_kafka_headers_destroy(headers);  // not taken on failure
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      std::array<char, 512> reason{};
      rd_kafka_fatal_error(producer_.get(), reason.data(), reason.size());
      return Error(ErrorKind::kFatal, std::string("producer fenced or failed: ") + reason.data());
    }
    return Error(ErrorKind::kAbort, "producing to " + topic + ": " + rd_kafka_err2str(err));
  }
}

Status Processor::dead_letter(const rd_kafka_message_t& message, const char* reason, std::string_view detail,
                              kafka::Headers headers) {
  auto add = [&headers](const char* name, std::string_view value) {
    rd_kafka_header_add(headers.get(), name, -1, value.data(), static_cast<ssize_t>(value.size()));
  };
  add(kHeaderReason, reason);
  add(kHeaderDetail, detail);
  add(kHeaderSourceTopic, rd_kafka_topic_name(message.rkt));
  add(kHeaderSourcePartition, std::to_string(message.partition));
  add(kHeaderSourceOffset, std::to_string(message.offset));
  std::string_view key(static_cast<const char*>(message.key), message.key ? message.key_len : 0);
  std::string_view value(static_cast<const char*>(message.payload), message.payload ? message.len : 0);

  std::string key_bytes = std::to_string(key.size());
  std::string value_bytes = std::to_string(value.size());
  size_t truncation_header_bytes = kafka::header_wire_bytes(std::strlen(kHeaderTruncated), 4) +
                                   kafka::header_wire_bytes(std::strlen(kHeaderOriginalKeyBytes), key_bytes.size()) +
                                   kafka::header_wire_bytes(std::strlen(kHeaderOriginalValueBytes), value_bytes.size());
  auto plan = plan_dead_letter(record_limit_bytes_, key.size(), value.size(),
                               kafka::headers_wire_bytes(headers.get()), truncation_header_bytes);
  if (!plan) {
    // Start-up refuses limits this small; reaching this is a bug.
    return Error(ErrorKind::kFatal, std::string("dead letter of ") + rd_kafka_topic_name(message.rkt) + "/" +
                                        std::to_string(message.partition) + " offset " +
                                        std::to_string(message.offset) + ": its headers alone exceed " +
                                        std::to_string(record_limit_bytes_) + " bytes");
  }
  if (plan->truncated) {
    add(kHeaderTruncated, "true");
    add(kHeaderOriginalKeyBytes, key_bytes);
    add(kHeaderOriginalValueBytes, value_bytes);
    ++metrics_->staged().dead_letters_truncated;
    kLog.warn(rd_kafka_topic_name(message.rkt), "/", message.partition, " offset ", message.offset, ": ",
              reason, " record of ", value.size(), " bytes does not fit the dead-letter topic with its headers; ",
              "dead-lettering its first ", plan->value_bytes, " bytes");
  }
  // Otherwise unchanged payload and key, so the record can be fixed and replayed.
  return produce(config_.dead_letter_topic, RD_KAFKA_PARTITION_UA, key.substr(0, plan->key_bytes),
                 value.substr(0, plan->value_bytes), headers.release());
}

Status Processor::process_raw(const rd_kafka_message_t& message, InputPartition& state) {
  const int64_t offset = message.offset;
  state.next_offset = offset + 1;
  std::string_view payload(static_cast<const char*>(message.payload), message.len);
  ParseResult parsed = parser_.parse(payload);
  if (parsed.ok) {
    // A clock far ahead must not move the watermark (it would make every
    // other device in the partition late): dead-lettered like an invalid record.
    if (auto future = check_event_time(parsed.reading, received_time(message),
                                       config_.windows.max_future_skew)) {
      parsed.ok = false;
      parsed.reason = InvalidReason::kTimestampInFuture;
      parsed.detail = std::move(*future);
    }
  }

  if (offset < state.replay_until) {
    // Already published before the last commit: only rebuild window state.
    if (parsed.ok && filter(parsed.reading) == FilterVerdict::kKeep) {
      (void)state.windows.add(parsed.reading, offset);
    }
    return Status::success();
  }
  dirty_ = true;
  auto& staged = metrics_->staged();
  ++staged.records_in_raw;
  // A record that carries a sampled trace (or that the sampler picks) gets a
  // "process" span, and what is published for it carries the span's context.
  // Unsampled records pay one header lookup and one branch.
  tracing::Span span;
  if (tracer_->enabled()) {
    span = tracer_->start_span(process_span_name_, tracing::SpanKind::kConsumer,
                               tracing::extract(message));
    if (span.recording()) {
      span.set("messaging.system", std::string("kafka"))
          .set("messaging.operation.type", std::string("process"))
          .set("messaging.destination.name", config_.input_topic)
          .set("messaging.consumer.group.name", config_.group_id)
          .set("messaging.destination.partition.id", std::to_string(message.partition))
          .set("messaging.kafka.offset", int64_t{offset});
    }
  }
  auto traced = [&span](rd_kafka_headers_t* headers) {
    if (span.recording()) tracing::inject(headers, span.context());
    return headers;
  };

  if (!parsed.ok) {
    ++staged.dead_lettered[parsed.reason];
    if (span.recording()) {
      span.set("edgestream.outcome", std::string("dead_lettered")).set("edgestream.reason", std::string(to_string(parsed.reason)));
    }
    return dead_letter(message, to_string(parsed.reason), parsed.detail,
                       kafka::Headers(traced(rd_kafka_headers_new(9))));
  }

  if (span.recording()) {
    span.set("edgestream.device_id", std::string(parsed.reading.device_id))
        .set("edgestream.reading.timestamp", format_rfc3339(parsed.reading.timestamp));
  }
  FilterVerdict verdict = filter(parsed.reading);
  if (verdict != FilterVerdict::kKeep) {
    ++staged.rejected[verdict == FilterVerdict::kStatusNotOk ? 0 : 1];
    if (span.recording()) {
      span.set("edgestream.outcome", std::string(verdict == FilterVerdict::kStatusNotOk ? "rejected_status"
                                                                                        : "rejected_over_limit"));
    }
    return Status::success();
  }
  if (state.windows.add(parsed.reading, offset) == PartitionWindows::AddOutcome::kLate) {
    ++staged.late;
    if (span.recording()) span.set("edgestream.late", true);
  }

  buffer_.clear();
  contract::encode_reading(buffer_, parsed.reading, contract::ReadingTopic::kProcessedData);
  ++staged.readings_out;
  // In milliseconds: the system clock counts nanoseconds, which cannot hold
  // the distance to a reading stamped in year 0001 (±292 years).
  const EventTime now = std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now());
  metrics_->event_latency().observe(
      std::chrono::duration<double>(now - parsed.reading.timestamp).count());
  rd_kafka_timestamp_type_t timestamp_type;
  int64_t appended_ms = rd_kafka_message_timestamp(&message, &timestamp_type);
  if (appended_ms >= 0) {
    metrics_->processing_latency().observe(
        std::chrono::duration<double>(now - EventTime{Millis{appended_ms}}).count());
  }
  if (span.recording()) span.set("edgestream.outcome", std::string("published"));
  Status status = produce(config_.output_topic, RD_KAFKA_PARTITION_UA, parsed.reading.device_id, buffer_,
                          span.recording() ? traced(rd_kafka_headers_new(1)) : nullptr);
  if (!status) span.set_error(status.error().message());
  return status;
}

Status Processor::process_partial(const rd_kafka_message_t& message, MergerPartition& state) {
  state.next_offset = message.offset + 1;
  dirty_ = true;
  ++metrics_->staged().records_in_partials;
  std::string_view payload(static_cast<const char*>(message.payload), message.len);
  auto batch = contract::decode_partial_batch(payload);
  if (!batch) {
    // Only this program writes the topic: an unreadable batch is a bug, a
    // foreign writer or an incompatible version. Stopping would crash-loop
    // on the same record and hold every fleet aggregate back; skipping it
    // silently would hide that aggregates may miss its partials. It goes to
    // the dead-letter topic, counted and alerted on, and merging carries on.
    if (message.offset < state.replay_until) return Status::success();  // dead-lettered before
    kLog.error(config_.partials_topic, "/", message.partition, " offset ", message.offset,
               ": not a partial-aggregate batch this version can read; dead-lettered to ",
               config_.dead_letter_topic, " (fleet aggregates of its windows may miss its partials)");
    ++metrics_->staged().dead_lettered[InvalidReason::kPartialBatchUndecodable];
    return dead_letter(message, to_string(InvalidReason::kPartialBatchUndecodable),
                       "not a partial-aggregate batch this processor version can read",
                       kafka::Headers(rd_kafka_headers_new(8)));
  }
  std::vector<Aggregate> late = state.merger.add(*batch, message.offset, std::chrono::steady_clock::now());
  if (message.offset < state.replay_until) return Status::success();  // published before
  for (const Aggregate& partial : late) {
    // The published aggregate of this minute lacks this partition's share:
    // publish it, never drop it (docs/processing-semantics.md, corrections).
    ++metrics_->staged().late_partials;
    ++metrics_->staged().corrections_out;
    kLog.warn("partial of ", format_rfc3339(partial.window_start), " from ", config_.input_topic, "/",
              batch->partition, " (", partial.count, " readings) arrived after the minute was final; ",
              "publishing an aggregate_correction");
    buffer_.clear();
    contract::encode_aggregate_correction(buffer_, partial, config_.windows.size);
    std::string key = format_rfc3339(partial.window_start);
    if (auto status = produce(config_.output_topic, RD_KAFKA_PARTITION_UA, key, buffer_); !status) {
      return status;
    }
  }
  return Status::success();
}

Status Processor::process(const rd_kafka_message_t& message) {
  const char* topic = rd_kafka_topic_name(message.rkt);
  if (config_.input_topic == topic) {
    auto it = inputs_.find(message.partition);
    if (it == inputs_.end()) return Status::success();  // revoked meanwhile
    return process_raw(message, it->second);
  }
  if (config_.partials_topic == topic && merger_) return process_partial(message, *merger_);
  return Status::success();
}

Status Processor::commit() {
  // Close windows whose watermark passed: per-device aggregates go straight
  // out, fleet partials (and watermark progress) go to the merger's topic.
  for (auto& [partition, state] : inputs_) {
    if (state.next_offset < state.replay_until) continue;  // still replaying
    ClosedWindows closed = state.windows.close_ready();
    for (const auto& device : closed.device_aggregates) {
      buffer_.clear();
      contract::encode_device_aggregate(buffer_, device.device_id, device.aggregate, config_.windows.size);
      ++metrics_->staged().device_aggregates_out;
      if (auto status = produce(config_.output_topic, RD_KAFKA_PARTITION_UA, device.device_id, buffer_); !status) {
        return status;
      }
    }
    // The merger learns the watermark and how far the partition is processed
    // (it compares that with the log-end offset to tell idle from behind).
    auto watermark = state.windows.watermark();
    const int64_t covered = state.next_offset;
    if (!closed.fleet_partials.empty() || state.last_sent_watermark != watermark ||
        (covered >= 0 && covered != state.last_sent_covered)) {
      PartialBatch batch{partition, watermark.value_or(kNoWatermarkYet), std::move(closed.fleet_partials),
                         covered};
      if (auto status = produce(config_.partials_topic, 0, {}, contract::encode_partial_batch(batch)); !status) {
        return status;
      }
      state.last_sent_watermark = watermark;
      state.last_sent_covered = covered;
    }
  }
  if (merger_) {
    refresh_log_end_offsets();
    const int64_t forced_before = merger_->merger.forced_windows();
    std::vector<Aggregate> final_windows = merger_->merger.take_final(std::chrono::steady_clock::now());
    if (const int64_t forced = merger_->merger.forced_windows() - forced_before; forced > 0) {
      metrics_->staged().forced_windows += forced;
      kLog.warn(forced, " fleet aggregate(s) up to ", format_rfc3339(final_windows.back().window_start),
                " finalised without a partition that has had input waiting and no progress for ",
                config_.windows.max_partition_wait.count() / 1000,
                " s; its partials will follow as aggregate_correction records. Check that every "
                "processor instance is running and consuming");
    }
    for (const Aggregate& aggregate : final_windows) {
      buffer_.clear();
      contract::encode_aggregate(buffer_, aggregate, config_.windows.size);
      ++metrics_->staged().aggregates_out;
      std::string key = format_rfc3339(aggregate.window_start);
      if (auto status = produce(config_.output_topic, RD_KAFKA_PARTITION_UA, key, buffer_); !status) {
        return status;
      }
    }
  }
  if (!dirty_) return Status::success();
  if (auto status = ensure_transaction(); !status) return status;

  kafka::PartitionList offsets(rd_kafka_topic_partition_list_new(static_cast<int>(inputs_.size()) + 1));
  for (const auto& [partition, state] : inputs_) {
    if (state.next_offset < 0) continue;  // nothing consumed yet
    auto* element = rd_kafka_topic_partition_list_add(offsets.get(), config_.input_topic.c_str(), partition);
    // During replay the committed position must not move backwards.
    int64_t position = std::max(state.next_offset, state.replay_until);
    element->offset = position;
    set_metadata(*element, encode_checkpoint(state.windows.checkpoint(position)));
  }
  if (merger_ && merger_->next_offset >= 0) {
    auto* element = rd_kafka_topic_partition_list_add(offsets.get(), config_.partials_topic.c_str(), 0);
    element->offset = merger_->next_offset;
    set_metadata(*element, encode_merger_checkpoint(merger_->merger.checkpoint(merger_->next_offset)));
  }
  if (offsets->cnt > 0) {
    ConsumerGroupMetadata group(rd_kafka_consumer_group_metadata(consumer_.get()));
    if (kafka::KafkaError error{rd_kafka_send_offsets_to_transaction(
            producer_.get(), offsets.get(), group.get(), kBrokerCallTimeoutMs)}) {
      return kafka::classify(error.get(), "sending offsets to the transaction");
    }
  }
  if (kafka::KafkaError error{rd_kafka_commit_transaction(producer_.get(), kBrokerCallTimeoutMs)}) {
    return kafka::classify(error.get(), "committing the transaction");
  }
  in_transaction_ = false;
  dirty_ = false;
  metrics_->transaction_committed();
  size_t open = merger_ ? merger_->merger.open_windows() : 0;
  for (const auto& [partition, state] : inputs_) open += state.windows.open_windows();
  metrics_->set_open_windows(open);
  return Status::success();
}

Status Processor::abort_and_rewind() {
  if (in_transaction_) {
    if (kafka::KafkaError error{rd_kafka_abort_transaction(producer_.get(), kBrokerCallTimeoutMs)}) {
      return kafka::classify(error.get(), "aborting the transaction");
    }
    in_transaction_ = false;
  }
  dirty_ = false;
  metrics_->transaction_aborted();
  kafka::PartitionList assignment;
  {
    rd_kafka_topic_partition_list_t* raw = nullptr;
    if (auto err = rd_kafka_assignment(consumer_.get(), &raw); err) {
      return Error(ErrorKind::kFatal, std::string("reading the assignment: ") + rd_kafka_err2str(err));
    }
    assignment.reset(raw);
  }
  if (assignment->cnt == 0) return Status::success();
  if (auto status = restore(assignment.get()); !status) return status;
  kafka::KafkaError error{rd_kafka_seek_partitions(consumer_.get(), assignment.get(), kBrokerCallTimeoutMs)};
  if (error) return kafka::classify(error.get(), "rewinding to the committed offsets");
  kLog.warn("transaction aborted; rewound ", assignment->cnt, " partitions to their committed offsets");
  return Status::success();
}

Status Processor::handle(const Error& error) {
  switch (error.kind()) {
    case ErrorKind::kRetriable:
    case ErrorKind::kAbort:
      kLog.warn(error.message(), "; aborting and replaying from the last commit");
      return abort_and_rewind();
    case ErrorKind::kFatal:
    case ErrorKind::kInvalidInput:
    case ErrorKind::kInvalidConfig:
      return error;
  }
  return error;
}

void Processor::refresh_log_end_offsets() {
  const auto now = std::chrono::steady_clock::now();
  if (now - log_ends_refreshed_ < kLogEndRefreshInterval) return;
  log_ends_refreshed_ = now;
  for (int32_t partition = 0; partition < input_partitions_; ++partition) {
    int64_t low = 0, high = 0;
    // read_committed, so the broker answers with the last stable offset:
    // records of open producer transactions are not "waiting" yet.
    rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
        log_end_client_.get(), config_.input_topic.c_str(), partition, &low, &high, kLogEndQueryTimeoutMs);
    // Unknown (-1) when the broker does not answer: the partition is then
    // not treated as idle, which can only delay aggregates, never drop data.
    merger_->merger.set_log_end_offset(partition, err == RD_KAFKA_RESP_ERR_NO_ERROR ? high : -1, now);
  }
  metrics_->log_end_refreshed(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - now).count());
}

void Processor::update_lag() {
  for (const auto& [partition, state] : inputs_) {
    int64_t low = 0, high = 0;
    if (rd_kafka_get_watermark_offsets(consumer_.get(), config_.input_topic.c_str(), partition, &low,
                                       &high) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        state.next_offset >= 0) {
      metrics_->set_lag(config_.input_topic, partition, std::max<int64_t>(0, high - state.next_offset));
    }
  }
}

Status Processor::run_loop() {
  auto last_commit = std::chrono::steady_clock::now();
  while (!shutdown_requested()) {
    for (int i = 0; i < kPollBatch; ++i) {
      kafka::Message message{rd_kafka_consumer_poll(consumer_.get(), i == 0 ? 100 : 0)};
      if (rebalance_error_) {
        Error error = *rebalance_error_;
        rebalance_error_.reset();
        if (auto status = handle(error); !status) return status;
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
      if (auto status = process(*message); !status) {
        if (auto handled = handle(status.error()); !handled) return handled;
        break;
      }
    }
    rd_kafka_poll(producer_.get(), 0);
    auto now = std::chrono::steady_clock::now();
    if (now - last_commit >= config_.commit_interval) {
      last_commit = now;
      if (auto status = commit(); !status) {
        if (auto handled = handle(status.error()); !handled) return handled;
      }
      update_lag();
    }
  }
  return Status::success();
}

void Processor::shut_down() {
  if (!consumer_) return;
  if (dirty_ && !rebalance_error_) {
    if (auto status = commit(); !status) {
      kLog.warn("final commit failed (", status.error().message(), "); the next start replays it");
      if (in_transaction_) {
        kafka::KafkaError ignored{rd_kafka_abort_transaction(producer_.get(), kBrokerCallTimeoutMs)};
        in_transaction_ = false;
      }
    }
  }
  // Leaves the group cleanly; the revoke callback commits nothing further.
  rd_kafka_consumer_close(consumer_.get());
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

Status validate(const ProcessorConfig& config) {
  auto invalid = [](const std::string& message) { return Error(ErrorKind::kInvalidConfig, message); };
  if (config.bootstrap_servers.empty()) return invalid("bootstrap servers are empty; set --bootstrap-servers or KAFKA_BOOTSTRAP_SERVERS");
  if (config.instance_id.empty()) return invalid("instance id is empty; set --instance-id or HOSTNAME");
  if (config.windows.size <= Millis{0}) return invalid("--window-seconds must be positive");
  if (config.windows.allowed_lateness < Millis{0}) return invalid("--allowed-lateness-seconds must not be negative");
  if (config.windows.max_future_skew <= Millis{0}) {
    return invalid("--max-future-skew-seconds must be positive: event time needs a bound");
  }
  if (config.windows.idle_timeout <= std::chrono::milliseconds{0}) return invalid("--idle-timeout-seconds must be positive");
  if (config.windows.max_partition_wait <= std::chrono::milliseconds{0}) {
    return invalid("--max-partition-wait-seconds must be positive");
  }
  if (config.commit_interval <= std::chrono::milliseconds{0}) return invalid("--commit-interval-ms must be positive");
  // A transaction must be able to commit well within its timeout, or the
  // broker aborts it under us.
  if (config.transaction_timeout < 5 * config.commit_interval) {
    return invalid("--transaction-timeout-ms must be at least 5 x --commit-interval-ms");
  }
  return Status::success();
}

Status run(const ProcessorConfig& config) {
  if (auto status = validate(config); !status) return status;
  Processor processor(config);
  Status status = processor.start();
  if (status) status = processor.run_loop();
  processor.shut_down();
  return status;
}

}  // namespace edgestream::processor
