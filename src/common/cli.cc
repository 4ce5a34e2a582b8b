#include "edgestream/common/cli.h"

#include "edgestream/common/log.h"

namespace edgestream {

void add_common_options(CLI::App& app, CommonOptions& options, std::string& metrics_address) {
  app.set_config("--config", "", "TOML configuration file (keys are the long option names)");
  app.allow_config_extras(CLI::config_extras_mode::error);
  app.add_option("--bootstrap-servers", options.bootstrap_servers, "Kafka bootstrap servers")
      ->envname("KAFKA_BOOTSTRAP_SERVERS");
  app.add_option("--kafka", options.kafka_properties,
                 "librdkafka property key=value, repeatable; applied last")
      ->envname("EDGESTREAM_KAFKA_PROPERTIES")->delimiter(',');
  app.add_option("--metrics-address", metrics_address,
                 "host:port to serve /metrics on; empty disables")
      ->envname("EDGESTREAM_METRICS_ADDRESS")->capture_default_str();
  app.add_option("--log-level", options.log_level, "debug, info, warn or error")
      ->envname("EDGESTREAM_LOG_LEVEL")->capture_default_str()
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}));
}

Status apply_common_options(const CommonOptions& options, std::string& bootstrap_servers,
                            kafka::Properties& kafka_overrides) {
  LogLevel level = LogLevel::kInfo;
  if (!Logger::parse_level(options.log_level, level)) {
    return Error(ErrorKind::kInvalidConfig, "unknown log level '" + options.log_level + "'");
  }
  Logger::set_level(level);
  if (!options.bootstrap_servers.empty()) bootstrap_servers = options.bootstrap_servers;
  for (const auto& text : options.kafka_properties) {
    auto property = kafka::parse_property(text);
    if (!property) return property.error();
    kafka_overrides.push_back(std::move(property).value());
  }
  return Status::success();
}

}  // namespace edgestream
