// edgestream-processor: validates, filters and aggregates raw-data into
// processed-data, exactly once. Configuration precedence: defaults <
// --config file < environment < flags.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "edgestream/common/cli.h"
#include "edgestream/common/log.h"
#include "edgestream/common/shutdown.h"
#include "edgestream/processor/processor.h"

namespace {
constexpr int kExitOk = 0;
constexpr int kExitFatal = 1;   // restart me: I resume from the last commit
constexpr int kExitConfig = 2;  // fix the configuration first
}  // namespace

int main(int argc, char** argv) {
  using namespace edgestream;
  processor::ProcessorConfig config;
  if (const char* hostname = std::getenv("HOSTNAME")) config.instance_id = hostname;

  CLI::App app{"edgestream-processor: raw-data -> processed-data, exactly once"};
  CommonOptions common;
  add_common_options(app, common, config.metrics_address, "processor");
  app.add_option("--instance-id", config.instance_id,
                 "Stable identity of this instance (transactional id suffix); default $HOSTNAME")
      ->envname("EDGESTREAM_PROCESSOR_INSTANCE_ID");
  app.add_option("--input-topic", config.input_topic)->envname("EDGESTREAM_PROCESSOR_INPUT_TOPIC")->capture_default_str();
  app.add_option("--output-topic", config.output_topic)->envname("EDGESTREAM_PROCESSOR_OUTPUT_TOPIC")->capture_default_str();
  app.add_option("--dead-letter-topic", config.dead_letter_topic)->envname("EDGESTREAM_PROCESSOR_DEAD_LETTER_TOPIC")->capture_default_str();
  app.add_option("--partials-topic", config.partials_topic, "Internal single-partition topic for merging partial aggregates")
      ->envname("EDGESTREAM_PROCESSOR_PARTIALS_TOPIC")->capture_default_str();
  app.add_option("--group-id", config.group_id)->envname("EDGESTREAM_PROCESSOR_GROUP_ID")->capture_default_str();
  double window_seconds = 60, lateness_seconds = 5, idle_seconds = 30;
  double future_skew_seconds =
      std::chrono::duration<double>(config.windows.max_future_skew).count();
  double partition_wait_seconds =
      std::chrono::duration<double>(config.windows.max_partition_wait).count();
  int64_t commit_ms = config.commit_interval.count(), transaction_timeout_ms = config.transaction_timeout.count();
  app.add_option("--window-seconds", window_seconds, "Tumbling window size")
      ->envname("EDGESTREAM_PROCESSOR_WINDOW_SECONDS")->capture_default_str();
  app.add_option("--allowed-lateness-seconds", lateness_seconds,
                 "How far behind the newest event time a reading may be and still be aggregated")
      ->envname("EDGESTREAM_PROCESSOR_ALLOWED_LATENESS_SECONDS")->capture_default_str();
  app.add_option("--max-future-skew-seconds", future_skew_seconds,
                 "A reading stamped more than this after its record reached Kafka goes to the dead letters (timestamp_in_future)")
      ->envname("EDGESTREAM_PROCESSOR_MAX_FUTURE_SKEW_SECONDS")->capture_default_str();
  app.add_option("--idle-timeout-seconds", idle_seconds,
                 "Wall time without progress after which a partition with nothing waiting in the broker stops holding windows open")
      ->envname("EDGESTREAM_PROCESSOR_IDLE_TIMEOUT_SECONDS")->capture_default_str();
  app.add_option("--max-partition-wait-seconds", partition_wait_seconds,
                 "Wall time a partition with unprocessed input may hold fleet aggregates without progress "
                 "before they are finalised without it (counted; its data follows as corrections)")
      ->envname("EDGESTREAM_PROCESSOR_MAX_PARTITION_WAIT_SECONDS")->capture_default_str();
  app.add_option("--commit-interval-ms", commit_ms, "Transaction length")
      ->envname("EDGESTREAM_PROCESSOR_COMMIT_INTERVAL_MS")->capture_default_str();
  app.add_option("--transaction-timeout-ms", transaction_timeout_ms)
      ->envname("EDGESTREAM_PROCESSOR_TRANSACTION_TIMEOUT_MS")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  if (auto status = apply_common_options(common, config.bootstrap_servers, config.kafka_overrides); !status) {
    std::cerr << "edgestream-processor: " << status.error().message() << "\n";
    return kExitConfig;
  }
  auto to_millis = [](double seconds) { return Millis{static_cast<int64_t>(seconds * 1000)}; };
  config.windows.size = to_millis(window_seconds);
  config.windows.allowed_lateness = to_millis(lateness_seconds);
  config.windows.idle_timeout = to_millis(idle_seconds);
  config.windows.max_future_skew = to_millis(future_skew_seconds);
  config.windows.max_partition_wait = to_millis(partition_wait_seconds);
  config.commit_interval = std::chrono::milliseconds(commit_ms);
  config.transaction_timeout = std::chrono::milliseconds(transaction_timeout_ms);

  install_shutdown_handlers();
  Status status = processor::run(config);
  if (!status) {
    Logger("processor").error(status.error().message());
    return status.error().kind() == ErrorKind::kInvalidConfig ? kExitConfig : kExitFatal;
  }
  return kExitOk;
}
