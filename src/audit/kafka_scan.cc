#include "edgestream/audit/kafka_scan.h"

#include <algorithm>
#include <set>

#include "edgestream/archiver/layout.h"
#include "edgestream/common/log.h"
#include "edgestream/contract/fields.h"
#include "edgestream/contract/processed_record.h"

namespace edgestream::audit {
namespace {

using Clock = std::chrono::steady_clock;

Error unreachable(const std::string& what, const KafkaScanConfig& config) {
  return Error(ErrorKind::kRetriable, what + " (Kafka at " + config.bootstrap_servers + ", topic " + config.topic +
                                          "); check that the broker is reachable and the topic exists");
}

std::int64_t to_millis(EventTime time) { return time.time_since_epoch().count(); }

// Offsets of the first records at or after `timestamp_ms` per partition; -1
// (RD_KAFKA_OFFSET_END) where there is none.
Result<std::map<std::int32_t, std::int64_t>> offsets_for_time(rd_kafka_t* consumer, const KafkaScanConfig& config,
                                                              int partitions, std::int64_t timestamp_ms) {
  kafka::PartitionList list(rd_kafka_topic_partition_list_new(partitions));
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list.get(), config.topic.c_str(), p)->offset = timestamp_ms;
  }
  const rd_kafka_resp_err_t err =
      rd_kafka_offsets_for_times(consumer, list.get(), static_cast<int>(config.timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return unreachable(std::string("offsets for time failed: ") + rd_kafka_err2str(err), config);
  }
  std::map<std::int32_t, std::int64_t> out;
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& entry = list->elems[i];
    if (entry.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return unreachable("offsets for time of partition " + std::to_string(entry.partition) +
                             " failed: " + rd_kafka_err2str(entry.err),
                         config);
    }
    out[entry.partition] = entry.offset;
  }
  return out;
}

}  // namespace

Result<KafkaScan> scan_processed_data(const KafkaScanConfig& config) {
  const Logger log("audit");
  kafka::Properties properties{
      {"bootstrap.servers", config.bootstrap_servers},
      {"client.id", "edgestream-audit"},
      // Assigned, never subscribed, and never committing: the group id only
      // satisfies the consumer; the archiver's group is not touched.
      {"group.id", "edgestream-audit"},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      // What the archiver archives: committed transactions only.
      {"isolation.level", "read_committed"},
      // The end of each partition (the last stable offset) ends its scan.
      {"enable.partition.eof", "true"},
      {"auto.offset.reset", "earliest"},
      // Prefetch bounds. librdkafka's defaults (100,000 messages and 64 MiB
      // queued, 50 MiB per fetch) made the audit's peak 90 MiB for 600,000
      // readings; these make it 64 MiB, at 6 s instead of 3 s
      // (docs/benchmarks.md). The rest of the audit's memory is eight bytes
      // per expected record. Overridable with --kafka.
      {"queued.max.messages.kbytes", "16384"},
      {"queued.min.messages", "20000"},
      {"fetch.max.bytes", "4194304"},
  };
  for (const auto& entry : config.overrides) properties.push_back(entry);
  auto conf = kafka::make_conf(properties);
  if (!conf) return conf.error();
  auto consumer = kafka::make_client(RD_KAFKA_CONSUMER, std::move(conf).value());
  if (!consumer) return consumer.error();
  rd_kafka_t* handle = consumer.value().get();

  auto count = kafka::wait_for_topic(handle, config.topic, static_cast<int>(config.timeout.count()));
  if (!count) return unreachable("cannot read the topic's metadata: " + count.error().message(), config);
  const int partitions = count.value();

  std::map<std::int32_t, std::int64_t> starts;
  std::map<std::int32_t, std::int64_t> ends;
  if (!config.from_beginning) {
    auto first = offsets_for_time(handle, config, partitions, to_millis(config.from - config.lookback));
    if (!first) return first.error();
    starts = std::move(first).value();
  }
  if (!config.from_beginning) {
    auto last = offsets_for_time(handle, config, partitions, to_millis(config.to + config.lookahead));
    if (!last) return last.error();
    ends = std::move(last).value();
  }

  KafkaScan scan;
  kafka::PartitionList assignment(rd_kafka_topic_partition_list_new(partitions));
  std::set<std::int32_t> pending;
  for (int p = 0; p < partitions; ++p) {
    std::int64_t low = 0;
    std::int64_t high = 0;
    const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
        handle, config.topic.c_str(), p, &low, &high, static_cast<int>(config.timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return unreachable("watermarks of partition " + std::to_string(p) + ": " + rd_kafka_err2str(err), config);
    }
    PartitionScan part;
    part.partition = p;
    part.log_start = low;
    if (config.from_beginning) {
      // The whole retained log: records of the audited periods may carry any
      // Kafka timestamp (a backfill, a replay), so neither end is cut by time.
      part.start = low;
      part.end = high;
    } else {
      part.start = starts[p] < 0 ? high : starts[p];
      part.end = ends[p] < 0 ? high : ends[p];
    }
    if (const auto cover = config.must_cover.find(p); cover != config.must_cover.end()) {
      part.start = std::min(part.start, cover->second.first);
      part.end = std::max(part.end, cover->second.second);
      if (cover->second.first < low) {
        scan.unverifiable.push_back("partition " + std::to_string(p) + ": objects hold offsets from " +
                                    std::to_string(cover->second.first) + ", but the log starts at " +
                                    std::to_string(low) + " (retention deleted the rest)");
      }
      if (cover->second.second > high) {
        scan.unverifiable.push_back("partition " + std::to_string(p) + ": objects claim offsets up to " +
                                    std::to_string(cover->second.second) + ", beyond the log end " +
                                    std::to_string(high));
      }
    }
    part.start = std::max(part.start, low);
    part.end = std::min(part.end, high);
    if (part.start < part.end) {
      rd_kafka_topic_partition_list_add(assignment.get(), config.topic.c_str(), p)->offset = part.start;
      pending.insert(p);
    }
    scan.partitions.push_back(part);
  }
  if (rd_kafka_resp_err_t err = rd_kafka_assign(handle, assignment.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return unreachable(std::string("assign failed: ") + rd_kafka_err2str(err), config);
  }

  contract::ProcessedRecordParser parser;
  // The stream of the previous record, cached: consecutive records of a
  // partition mostly share one, and a map lookup per record is the scan's
  // largest cost after parsing.
  StreamKey cached_key{};
  std::vector<std::int64_t>* cached = nullptr;
  auto last_progress = Clock::now();
  while (!pending.empty()) {
    kafka::Message message(rd_kafka_consumer_poll(handle, 100));
    if (!message) {
      if (Clock::now() - last_progress > config.timeout) {
        return unreachable("no records for " + std::to_string(config.timeout.count()) + " ms while " +
                               std::to_string(pending.size()) + " partitions were still being read",
                           config);
      }
      continue;
    }
    last_progress = Clock::now();
    const std::int32_t p = message->partition;
    if (p < 0 || p >= partitions) continue;
    PartitionScan& part = scan.partitions[static_cast<std::size_t>(p)];
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      pending.erase(p);  // the last stable offset: nothing committed beyond it yet
      continue;
    }
    if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      // Transport errors are retried by librdkafka; the timeout above bounds them.
      log.warn("consuming ", config.topic, "[", p, "]: ", rd_kafka_message_errstr(message.get()));
      continue;
    }
    if (message->offset >= part.end) {
      pending.erase(p);
      continue;
    }
    ++part.records;
    const std::string_view payload(static_cast<const char*>(message->payload), message->len);
    // The archiver dead-letters oversized records before parsing them.
    if (payload.size() > contract::kMaxRecordBytes) {
      ++part.dead_lettered;
      continue;
    }
    const contract::ProcessedRecordParseResult parsed = parser.parse(payload);
    if (!parsed.ok) {
      ++part.dead_lettered;
      continue;
    }
    const EventTime period = archiver::period_start_of(parsed.record.event_time, config.period);
    if (period < config.from || period >= config.to) continue;
    rd_kafka_timestamp_type_t type;
    const std::int64_t kafka_ms = rd_kafka_message_timestamp(message.get(), &type);
    if (kafka_ms >= 0 && parsed.record.event_time > EventTime(Millis(kafka_ms)) + config.max_future_skew) {
      ++part.in_future;
      continue;
    }
    const StreamKey key{parsed.record.kind, p, period};
    if (cached == nullptr || !(key == cached_key)) {
      cached = &scan.expected[key];
      cached_key = key;
    }
    cached->push_back(message->offset);
    if (message->offset + 1 >= part.end) pending.erase(p);
  }
  rd_kafka_assign(handle, nullptr);  // unassign before the consumer closes
  for (const PartitionScan& part : scan.partitions) {
    if (part.in_future > 0) {
      scan.unverifiable.push_back("partition " + std::to_string(part.partition) + ": " +
                                  std::to_string(part.in_future) +
                                  " records of the audited periods have an event time more than the future skew "
                                  "ahead of their Kafka timestamp; whether the archiver dead-lettered them "
                                  "depended on its clock");
    }
  }
  return scan;
}

}  // namespace edgestream::audit
