// Command-line and environment options every component shares, so that
// operators configure Kafka, metrics and logging the same way everywhere.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "edgestream/common/kafka.h"
#include "edgestream/common/status.h"

namespace edgestream {

struct CommonOptions {
  std::string bootstrap_servers;
  std::vector<std::string> kafka_properties;  // "key=value", passed to librdkafka
  std::string log_level = "info";
};

// Adds --config (TOML file; unknown keys are errors), --bootstrap-servers
// (KAFKA_BOOTSTRAP_SERVERS), --kafka key=value (repeatable), --metrics-address
// (EDGESTREAM_METRICS_ADDRESS) and --log-level (EDGESTREAM_LOG_LEVEL).
void add_common_options(CLI::App& app, CommonOptions& options, std::string& metrics_address);

// Applies the parsed options: sets the log level, fills bootstrap servers
// (kept unchanged when not given) and the librdkafka overrides.
Status apply_common_options(const CommonOptions& options, std::string& bootstrap_servers,
                            kafka::Properties& kafka_overrides);

}  // namespace edgestream
