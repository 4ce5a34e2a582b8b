// edgestream-audit: reconciles what the data contract says must be archived
// (processed-data, read_committed) with what S3 holds, per partition and
// period. What an operator runs after any incident (docs/operations.md).
// Configuration precedence: defaults < --config file < environment < flags;
// the archiver's environment variables configure it the same way.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include "edgestream/archiver/layout.h"
#include "edgestream/audit/kafka_scan.h"
#include "edgestream/audit/reconcile.h"
#include "edgestream/audit/s3_scan.h"
#include "edgestream/common/cli.h"
#include "edgestream/common/log.h"
#include "edgestream/s3/credentials.h"
#include "edgestream/s3/curl_client.h"

namespace {
constexpr int kExitExact = 0;
constexpr int kExitNotExact = 1;    // the archive differs from the contract: read the report
constexpr int kExitConfig = 2;      // fix the command line or the configuration
constexpr int kExitUnreachable = 3; // Kafka or S3 could not be read (unreachable, access denied): nothing was decided
// The process's peak resident set (VmHWM), for the closing log line: the
// memory bound is part of the audit's contract (docs/benchmarks.md).
long peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}
// --from/--to into the audited periods [from, to); kInvalidConfig naming the flag.
edgestream::Status resolve_range(const std::string& from_text, const std::string& to_text,
                                 edgestream::audit::KafkaScanConfig& kafka) {
  using namespace edgestream;
  using namespace std::chrono;
  auto invalid = [](const std::string& text) { return Error(ErrorKind::kInvalidConfig, text); };
  const EventTime now = time_point_cast<Millis>(system_clock::now());
  if (from_text.empty()) {
    kafka.from = archiver::period_start_of(now, kafka.period) - kafka.period;
  } else if (auto parsed = parse_rfc3339(from_text)) {
    kafka.from = *parsed;
  } else {
    return invalid("--from " + from_text + " is not an RFC 3339 time (e.g. 2024-12-26T10:00:00Z)");
  }
  if (archiver::period_start_of(kafka.from, kafka.period) != kafka.from) {
    return invalid("--from " + from_text + " is not a period boundary of " + std::to_string(kafka.period.count()) +
                   "-second periods");
  }
  if (to_text.empty()) {
    kafka.to = kafka.from + kafka.period;
  } else if (auto parsed = parse_rfc3339(to_text)) {
    kafka.to = *parsed;
  } else {
    return invalid("--to " + to_text + " is not an RFC 3339 time");
  }
  if (kafka.to <= kafka.from) return invalid("--to must be after --from");
  return {};
}

// The S3 client the archiver would build from the same settings.
edgestream::s3::S3Result<std::unique_ptr<edgestream::s3::S3Client>> create_s3_client(
    edgestream::s3::S3ClientConfig config, std::string addressing) {
  using namespace edgestream;
  if (config.endpoint.region.empty()) {
    if (const char* fallback = std::getenv("AWS_DEFAULT_REGION")) config.endpoint.region = fallback;
  }
  if (addressing.empty()) {
    const char* force_path = std::getenv("S3_FORCE_PATH_STYLE");
    addressing = force_path != nullptr && std::string(force_path) == "true" ? "path" : "auto";
  }
  (void)s3::parse_addressing_style(addressing, config.endpoint.addressing);  // checked by IsMember
  if (auto status = s3::validate(config); !status) {
    return s3::S3Error(ErrorKind::kInvalidConfig, s3::RetryCause::kNone, status.error().message());
  }
  s3::CredentialsChainOptions credential_options;
  credential_options.region = config.endpoint.region;
  auto credentials = s3::make_default_credentials_chain(credential_options);
  if (!credentials.ok()) {
    return s3::S3Error(ErrorKind::kInvalidConfig, s3::RetryCause::kNone,
                       "S3 credentials: " + credentials.error().message());
  }
  return s3::create_curl_s3_client(config, std::move(credentials).value());
}

// Per partition, the offsets every object found holds: the Kafka scan covers
// them, so each object's range is checked record by record.
std::map<std::int32_t, std::pair<std::int64_t, std::int64_t>> ranges_to_cover(
    const std::vector<edgestream::audit::FoundObject>& objects) {
  std::map<std::int32_t, std::pair<std::int64_t, std::int64_t>> out;
  for (const auto& object : objects) {
    if (!object.first_offset || !object.end_offset) continue;
    auto [it, inserted] = out.try_emplace(object.identity.partition, *object.first_offset, *object.end_offset);
    if (!inserted) {
      it->second.first = std::min(it->second.first, *object.first_offset);
      it->second.second = std::max(it->second.second, *object.end_offset);
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace edgestream;
  using namespace std::chrono;
  const Logger log("audit");
  const auto started = steady_clock::now();

  CLI::App app{"edgestream-audit: is every record processed-data holds for the given periods in S3, exactly once?"};
  CommonOptions common;
  std::string unused_metrics_address;  // a one-shot tool serves no metrics
  add_common_options(app, common, unused_metrics_address, "audit");
  audit::KafkaScanConfig kafka;
  kafka.bootstrap_servers = "127.0.0.1:9092";
  app.add_option("--input-topic", kafka.topic, "The archiver's input topic")
      ->envname("EDGESTREAM_ARCHIVER_INPUT_TOPIC")->capture_default_str();
  std::string from_text, to_text;
  app.add_option("--from", from_text,
                 "Start of the audited range (RFC 3339, a period boundary); default: the last complete period");
  app.add_option("--to", to_text, "End of the audited range (exclusive); default: --from plus one period");
  std::int64_t period_seconds = 3600;
  app.add_option("--period-seconds", period_seconds, "The archiver's period length")
      ->envname("EDGESTREAM_ARCHIVER_PERIOD_SECONDS")->capture_default_str();
  std::int64_t skew_seconds = kafka.max_future_skew.count();
  app.add_option("--max-future-skew-seconds", skew_seconds, "The archiver's future skew bound")
      ->envname("EDGESTREAM_ARCHIVER_MAX_FUTURE_SKEW_SECONDS")->capture_default_str();
  app.add_flag("--from-beginning", kafka.from_beginning,
               "Read the whole retained log of each partition instead of the Kafka timestamps around the range (after a backfill or replay)");
  std::int64_t lookback = kafka.lookback.count(), lookahead = kafka.lookahead.count();
  app.add_option("--kafka-lookback-seconds", lookback,
                 "Read from the first record with a Kafka timestamp this long before --from")
      ->capture_default_str();
  app.add_option("--kafka-lookahead-seconds", lookahead,
                 "Read up to the first record with a Kafka timestamp this long after --to (lateness accepted)")
      ->capture_default_str();
  double timeout_seconds = 30;
  app.add_option("--timeout-seconds", timeout_seconds, "How long Kafka or S3 may stay unreachable")
      ->capture_default_str();
  bool json = false;
  app.add_flag("--json", json, "Print the report as one JSON object instead of a table");

  s3::S3ClientConfig s3_config;
  std::string prefix, addressing;
  app.add_option("--s3-endpoint-url", s3_config.endpoint.endpoint_url)->envname("S3_ENDPOINT_URL");
  app.add_option("--s3-bucket", s3_config.endpoint.bucket)->envname("S3_BUCKET");
  app.add_option("--s3-region", s3_config.endpoint.region)->envname("AWS_REGION");
  app.add_option("--s3-prefix", prefix, "The archiver's key prefix")->envname("EDGESTREAM_ARCHIVER_S3_PREFIX");
  app.add_option("--s3-addressing", addressing, "auto, path or virtual")
      ->envname("EDGESTREAM_ARCHIVER_S3_ADDRESSING")
      ->check(CLI::IsMember({"auto", "path", "virtual"}));
  app.add_option("--s3-ca-bundle", s3_config.transport.ca_bundle)->envname("AWS_CA_BUNDLE");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitExact : kExitConfig;
  }

  auto config_error = [](const std::string& message) {
    std::cerr << "edgestream-audit: " << message << "\n";
    return kExitConfig;
  };
  if (auto status = apply_common_options(common, kafka.bootstrap_servers, kafka.overrides); !status) {
    return config_error(status.error().message());
  }
  if (period_seconds <= 0) return config_error("--period-seconds must be positive");
  if (lookback < 0 || lookahead < 0) return config_error("--kafka-lookback/lookahead-seconds must be >= 0");
  if (timeout_seconds <= 0) return config_error("--timeout-seconds must be positive");
  kafka.period = seconds(period_seconds);
  kafka.max_future_skew = seconds(skew_seconds);
  kafka.lookback = seconds(lookback);
  kafka.lookahead = seconds(lookahead);
  kafka.timeout = milliseconds(static_cast<std::int64_t>(timeout_seconds * 1000));

  if (auto status = resolve_range(from_text, to_text, kafka); !status) return config_error(status.error().message());

  s3_config.request_deadline = duration_cast<milliseconds>(kafka.timeout);
  auto client = create_s3_client(s3_config, addressing);
  if (!client.ok()) {
    if (client.error().kind() == ErrorKind::kInvalidConfig) return config_error(client.error().message());
    std::cerr << "edgestream-audit: S3 client: " << client.error().message() << "\n";
    return kExitUnreachable;
  }

  // Found side first: the objects' offset ranges widen the Kafka scan, so
  // every object's range is checked against the records in it.
  s3::RetryPolicy retry;
  retry.deadline = duration_cast<milliseconds>(kafka.timeout);
  retry.max_backoff = std::min(retry.max_backoff, retry.deadline);
  auto archive = audit::scan_archive(*client.value(), prefix, kafka.from, kafka.to, kafka.period, retry);
  if (!archive.ok()) {
    std::cerr << "edgestream-audit: reading s3://" << s3_config.endpoint.bucket << "/" << prefix << ": "
              << archive.error().message() << "\n";
    return archive.error().kind() == ErrorKind::kInvalidConfig ? kExitConfig : kExitUnreachable;
  }
  kafka.must_cover = ranges_to_cover(archive.value().objects);

  auto scan = audit::scan_processed_data(kafka);
  if (!scan) {
    std::cerr << "edgestream-audit: " << scan.error().message() << "\n";
    return scan.error().kind() == ErrorKind::kInvalidConfig ? kExitConfig : kExitUnreachable;
  }
  for (const audit::PartitionScan& part : scan.value().partitions) {
    log.info("partition ", part.partition, ": read offsets [", part.start, ",", part.end, "), ", part.records,
             " records, ", part.dead_lettered, " dead-lettered by the contract");
  }

  audit::AuditReport report = audit::reconcile(scan.value().expected, archive.value().objects,
                                               std::move(archive.value().strays), kafka.from, kafka.to);
  report.unverifiable = std::move(scan.value().unverifiable);
  std::cout << (json ? audit::format_json(report) : audit::format_table(report));
  log.info("audited ", report.streams.size(), " streams in ", archive.value().listed, " listed keys; ",
           duration_cast<milliseconds>(steady_clock::now() - started).count(), " ms, peak RSS ",
           peak_rss_kib(), " KiB (VmHWM)");
  return report.exact() ? kExitExact : kExitNotExact;
}
