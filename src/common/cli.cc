#include "edgestream/common/cli.h"

#include <algorithm>
#include <cctype>

#include "edgestream/common/log.h"

namespace edgestream {

void add_common_options(CLI::App& app, CommonOptions& options, std::string& metrics_address,
                        const std::string& component) {
  std::string prefix = "EDGESTREAM_" + component + "_KAFKA_";
  std::transform(prefix.begin(), prefix.end(), prefix.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  app.set_config("--config", "", "TOML configuration file (keys are the long option names)");
  app.allow_config_extras(CLI::config_extras_mode::error);
  app.add_option("--bootstrap-servers", options.bootstrap_servers, "Kafka bootstrap servers")
      ->envname("KAFKA_BOOTSTRAP_SERVERS");
  auto& security = options.kafka_security;
  app.add_option("--kafka-security-protocol", security.protocol,
                 "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL; empty: plaintext")
      ->envname("EDGESTREAM_KAFKA_SECURITY_PROTOCOL");
  app.add_option("--kafka-sasl-mechanism", security.sasl_mechanism,
                 "SASL mechanism; empty: SCRAM-SHA-512")
      ->envname("EDGESTREAM_KAFKA_SASL_MECHANISM");
  app.add_option("--kafka-ca-file", security.ca_file,
                 "PEM file of the CA that signed the brokers' certificates; empty: the system's CAs")
      ->envname("EDGESTREAM_KAFKA_CA_FILE");
  app.add_option("--kafka-username", security.username, "SASL user name of this component")
      ->envname(prefix + "USERNAME");
  // A file, never the password itself: a value on the command line shows in
  // ps, and one in the environment or a properties list tends to be logged.
  app.add_option("--kafka-password-file", security.password_file,
                 "File holding this component's SASL password (one trailing newline ignored)")
      ->envname(prefix + "PASSWORD_FILE");
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
  auto security = kafka::security_properties(options.kafka_security);
  if (!security) return security.error();
  for (auto& property : security.value()) kafka_overrides.push_back(std::move(property));
  for (const auto& text : options.kafka_properties) {
    auto property = kafka::parse_property(text);
    if (!property) return property.error();
    kafka_overrides.push_back(std::move(property).value());
  }
  return Status::success();
}

}  // namespace edgestream
