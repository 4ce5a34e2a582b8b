// The expected side of the audit: which records of processed-data the data
// contract says must be archived, per stream, read the way the archiver reads
// them (read_committed, classified by the data contract's
// ProcessedRecordParser and the archiver's period_start_of()), so "what must
// be archived" has one definition.
//
// Called from the audit's main thread; blocks until every partition's scan
// range is read or the broker stays unreachable for `timeout`.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "edgestream/audit/reconcile.h"
#include "edgestream/common/kafka.h"
#include "edgestream/common/status.h"

namespace edgestream::audit {

struct KafkaScanConfig {
  std::string bootstrap_servers;
  kafka::Properties overrides;  // --kafka key=value, applied last
  std::string topic = "processed-data";
  EventTime from;  // audited periods: those starting in [from, to)
  EventTime to;
  std::chrono::seconds period{3600};
  // Which offsets are read, per partition (docs/operations.md, "After an
  // incident"): from the first record whose Kafka timestamp is at or after
  // from - lookback up to the first at or after to + lookahead (or the end of
  // the log) — or the whole retained log when from_beginning.
  bool from_beginning = false;
  std::chrono::seconds lookback{600};
  std::chrono::seconds lookahead{3600};
  // The archiver dead-letters records whose event time is this far ahead of
  // its clock; the audit judges against the record's Kafka timestamp.
  std::chrono::seconds max_future_skew{300};
  // Offsets the scan must also cover, per partition: the ranges of the objects
  // found, so that every object's range is checked record by record.
  std::map<std::int32_t, std::pair<std::int64_t, std::int64_t>> must_cover;
  // How long Kafka may stay unreachable (metadata, offsets, no progress).
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
};

struct PartitionScan {
  std::int32_t partition = 0;
  std::int64_t start = 0;  // first offset read
  std::int64_t end = 0;    // one past the last offset read
  std::int64_t log_start = 0;
  std::int64_t records = 0;        // committed records read in [start, end)
  std::int64_t dead_lettered = 0;  // records the parser refuses: never archived
  std::int64_t in_future = 0;      // event time beyond the skew bound: see above
};

struct KafkaScan {
  ExpectedOffsets expected;
  std::vector<PartitionScan> partitions;
  std::vector<std::string> unverifiable;  // sentences, see AuditReport::unverifiable
};

// Errors: kInvalidConfig (a bad --kafka property; exit 2), kRetriable
// (broker unreachable or topic unknown within the timeout; exit 3).
Result<KafkaScan> scan_processed_data(const KafkaScanConfig& config);

}  // namespace edgestream::audit
