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
  kafka::Security kafka_security;
  std::vector<std::string> kafka_properties;  // "key=value", passed to librdkafka
  std::string log_level = "info";
};

// Adds --config (TOML file; unknown keys are errors), --bootstrap-servers
// (KAFKA_BOOTSTRAP_SERVERS), the Kafka security options
// --kafka-security-protocol (EDGESTREAM_KAFKA_SECURITY_PROTOCOL),
// --kafka-sasl-mechanism (EDGESTREAM_KAFKA_SASL_MECHANISM), --kafka-ca-file
// (EDGESTREAM_KAFKA_CA_FILE), --kafka-username and --kafka-password-file
// (EDGESTREAM_<COMPONENT>_KAFKA_USERNAME / _PASSWORD_FILE, named after
// `component`, e.g. "processor", so one environment can hold every
// component's credentials), --kafka key=value (repeatable), --metrics-address
// (EDGESTREAM_METRICS_ADDRESS) and --log-level (EDGESTREAM_LOG_LEVEL).
void add_common_options(CLI::App& app, CommonOptions& options, std::string& metrics_address,
                        const std::string& component);

// Applies the parsed options: sets the log level, fills bootstrap servers
// (kept unchanged when not given) and the librdkafka overrides: first the
// security settings (the password read from its file), then the --kafka
// properties, which win.
Status apply_common_options(const CommonOptions& options, std::string& bootstrap_servers,
                            kafka::Properties& kafka_overrides);

}  // namespace edgestream
