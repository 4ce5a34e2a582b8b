// The processor service: consume-transform-produce in Kafka transactions.
//
// One loop per instance, on one thread. It consumes `raw-data` (validates,
// filters, publishes readings and per-device aggregates, dead-letters invalid
// records) and the internal `processor-partials` topic (merges per-partition
// partial aggregates into the one fleet-wide aggregate per window; whichever
// instance owns its single partition does the merging). Every output and the
// input offsets — with a checkpoint of the open windows in the offset
// metadata — commit in one transaction, so a crash at any moment rolls back
// to a state that replays into exactly the same outputs.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "edgestream/common/kafka.h"
#include "edgestream/common/status.h"
#include "edgestream/processor/windows.h"

namespace edgestream::processor {

struct ProcessorConfig {
  std::string bootstrap_servers = "127.0.0.1:9092";
  std::string input_topic = "raw-data";
  std::string output_topic = "processed-data";
  std::string dead_letter_topic = "raw-data-dlq";
  std::string partials_topic = "processor-partials";
  std::string group_id = "edgestream-processor";
  // Stable per instance (a StatefulSet pod name, or HOSTNAME): a restarted
  // instance with the same id fences its predecessor and aborts its open
  // transaction at once, instead of readers waiting for the transaction timeout.
  std::string instance_id;
  kafka::Properties kafka_overrides;
  WindowConfig windows;
  // How long a transaction collects work before it commits: the trade-off
  // between end-to-end latency and per-transaction overhead.
  std::chrono::milliseconds commit_interval{200};
  std::chrono::milliseconds transaction_timeout{30'000};
  std::chrono::milliseconds startup_timeout{10'000};
  std::string metrics_address = "0.0.0.0:19465";
};

Status validate(const ProcessorConfig& config);

// Runs until shutdown is requested (then commits what is done and returns
// success) or a fatal error occurs (returned; the caller exits non-zero and
// the restarted process resumes from the last commit).
Status run(const ProcessorConfig& config);

}  // namespace edgestream::processor
