// edgestream-simulator: simulated IoT devices publishing telemetry to Kafka.
// Configuration precedence: defaults < --config file < environment < flags.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>

#include "edgestream/common/cli.h"
#include "edgestream/common/log.h"
#include "edgestream/common/shutdown.h"
#include "edgestream/simulator/simulator.h"

namespace {

// Exit codes: scripts and Kubernetes tell these apart.
constexpr int kExitOk = 0;
constexpr int kExitUndelivered = 1;  // some messages were not acknowledged
constexpr int kExitConfig = 2;       // the configuration was rejected
constexpr int kExitUnavailable = 3;  // the broker could not be reached

}  // namespace

int main(int argc, char** argv) {
  using namespace edgestream;
  simulator::SimulatorConfig config;
  CLI::App app{"edgestream-simulator: simulated IoT devices publishing telemetry to Kafka"};
  CommonOptions common;
  add_common_options(app, common, config.metrics_address, "simulator");
  app.add_option("--topic", config.topic, "Topic to publish to")
      ->envname("EDGESTREAM_SIMULATOR_TOPIC")->capture_default_str();
  app.add_option("--devices", config.generator.devices, "Number of simulated devices")
      ->envname("EDGESTREAM_SIMULATOR_DEVICES")->capture_default_str();
  app.add_option("--rate", config.rate_per_second,
                 "Aggregate messages per second over all devices; 0 = as fast as possible")
      ->envname("EDGESTREAM_SIMULATOR_RATE")->capture_default_str();
  app.add_option("--count", config.count, "Stop after this many messages; 0 = no limit")
      ->envname("EDGESTREAM_SIMULATOR_COUNT")->capture_default_str();
  double duration_seconds = 0;
  app.add_option("--duration", duration_seconds, "Stop after this many seconds; 0 = no limit")
      ->envname("EDGESTREAM_SIMULATOR_DURATION")->capture_default_str();
  app.add_option("--bad-status-share", config.generator.bad_status_share,
                 "Share of readings with status != \"OK\"")
      ->envname("EDGESTREAM_SIMULATOR_BAD_STATUS_SHARE")->capture_default_str();
  app.add_option("--over-limit-share", config.generator.over_limit_share,
                 "Share of readings with temperature above 100 °C")
      ->envname("EDGESTREAM_SIMULATOR_OVER_LIMIT_SHARE")->capture_default_str();
  app.add_option("--seed", config.generator.seed, "Random seed; 0 = from the OS")
      ->envname("EDGESTREAM_SIMULATOR_SEED")->capture_default_str();
  app.add_option("--compression", config.compression, "Kafka compression codec")
      ->envname("EDGESTREAM_SIMULATOR_COMPRESSION")->capture_default_str()
      ->check(CLI::IsMember({"none", "gzip", "snappy", "lz4", "zstd"}));
  CLI11_PARSE(app, argc, argv);

  if (auto status = apply_common_options(common, config.bootstrap_servers, config.kafka_overrides);
      !status) {
    std::cerr << "edgestream-simulator: " << status.error().message() << "\n";
    return kExitConfig;
  }
  config.duration = std::chrono::milliseconds(static_cast<int64_t>(duration_seconds * 1000));

  install_shutdown_handlers();
  auto summary = simulator::run(config);
  const Logger log("simulator");
  if (!summary) {
    log.error(summary.error().message());
    return summary.error().kind() == ErrorKind::kInvalidConfig ? kExitConfig : kExitUnavailable;
  }
  const auto& s = summary.value();
  int64_t undelivered = s.produced - s.delivered;
  log.info("done: ", s.delivered, " delivered, ", s.failed, " failed, ",
           undelivered - s.failed, " still in flight, in ", s.seconds, " s (achieved ",
           static_cast<int64_t>(s.achieved_rate()), " msg/s)");
  if (undelivered != 0) {
    log.error(undelivered, " messages were not acknowledged by the broker; check the broker and rerun");
    return kExitUndelivered;
  }
  return kExitOk;
}
