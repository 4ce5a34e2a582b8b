// The simulator service: generates telemetry and produces it to Kafka at a
// steady rate until a count, a duration or a shutdown signal ends it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "edgestream/common/kafka.h"
#include "edgestream/common/status.h"
#include "edgestream/simulator/generator.h"

namespace edgestream::simulator {

struct SimulatorConfig {
  std::string bootstrap_servers = "127.0.0.1:9092";
  std::string topic = "raw-data";
  kafka::Properties kafka_overrides;  // passed to librdkafka last, so they win
  std::string compression = "lz4";
  GeneratorConfig generator;
  double rate_per_second = 100;  // aggregate over all devices; <= 0: as fast as possible
  int64_t count = 0;             // stop after this many messages; 0: no limit
  std::chrono::milliseconds duration{0};  // stop after this long; 0: no limit
  std::chrono::milliseconds startup_timeout{10'000};  // reaching the broker at start
  std::chrono::milliseconds flush_timeout{30'000};    // delivering what is in flight at the end
  std::chrono::milliseconds report_interval{5'000};   // achieved-rate log lines
  std::string metrics_address = "0.0.0.0:19464";
};

Status validate(const SimulatorConfig& config);

struct RunSummary {
  int64_t produced = 0;   // handed to the producer
  int64_t delivered = 0;  // acknowledged by the broker
  int64_t failed = 0;     // reported failed by the producer
  double seconds = 0;
  double achieved_rate() const { return seconds > 0 ? static_cast<double>(delivered) / seconds : 0; }
};

// Runs until done; returns the summary, or an error when the broker cannot be
// reached at start or the configuration is rejected. Undelivered messages are
// reported in the summary (failed, or produced - delivered - failed still in
// flight at the flush deadline), never silently dropped.
Result<RunSummary> run(const SimulatorConfig& config);

}  // namespace edgestream::simulator
