// edgestream-archiver: processed-data -> Parquet files in S3, exactly once.
// Configuration precedence: defaults < --config file < environment < flags.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

#include "edgestream/archiver/archiver.h"
#include "edgestream/common/cli.h"
#include "edgestream/common/log.h"
#include "edgestream/common/shutdown.h"

namespace {
constexpr int kExitOk = 0;
constexpr int kExitFatal = 1;   // restart me: I resume from the last committed offsets
constexpr int kExitConfig = 2;  // fix the configuration (or the spool volume) first
}  // namespace

int main(int argc, char** argv) {
  using namespace edgestream;
  archiver::ArchiverConfig config;

  CLI::App app{"edgestream-archiver: processed-data -> hourly Parquet files in S3, exactly once"};
  CommonOptions common;
  add_common_options(app, common, config.metrics_address, "archiver");
  app.add_option("--input-topic", config.input_topic)
      ->envname("EDGESTREAM_ARCHIVER_INPUT_TOPIC")->capture_default_str();
  app.add_option("--dead-letter-topic", config.dead_letter_topic,
                 "Where records that cannot be archived go, unchanged, with reason headers")
      ->envname("EDGESTREAM_ARCHIVER_DEAD_LETTER_TOPIC")->capture_default_str();
  app.add_option("--group-id", config.group_id)
      ->envname("EDGESTREAM_ARCHIVER_GROUP_ID")->capture_default_str();
  std::string spool_dir;
  app.add_option("--spool-dir", spool_dir, "Local directory for files being written and waiting for upload (required)")
      ->envname("EDGESTREAM_ARCHIVER_SPOOL_DIR");
  app.add_option("--spool-max-bytes", config.spool_max_bytes,
                 "Pause consumption while the spool holds more than this")
      ->envname("EDGESTREAM_ARCHIVER_SPOOL_MAX_BYTES")->capture_default_str();
  std::int64_t period_seconds = config.planner.period.count();
  std::int64_t grace_seconds = config.planner.grace.count();
  app.add_option("--period-seconds", period_seconds, "Length of the UTC period a file covers")
      ->envname("EDGESTREAM_ARCHIVER_PERIOD_SECONDS")->capture_default_str();
  app.add_option("--grace-seconds", grace_seconds,
                 "Event-time lateness accepted after a period ends, and wall time a quiet partition waits, before its files are cut")
      ->envname("EDGESTREAM_ARCHIVER_GRACE_SECONDS")->capture_default_str();
  app.add_option("--max-file-rows", config.planner.max_file_rows, "Rows that make a file cut")
      ->envname("EDGESTREAM_ARCHIVER_MAX_FILE_ROWS")->capture_default_str();
  app.add_option("--max-file-bytes", config.planner.max_file_bytes, "Bytes on disk that make a file cut")
      ->envname("EDGESTREAM_ARCHIVER_MAX_FILE_BYTES")->capture_default_str();
  app.add_option("--s3-endpoint-url", config.s3.endpoint.endpoint_url,
                 "S3 or VPC interface endpoint URL; empty: the AWS regional endpoint")
      ->envname("S3_ENDPOINT_URL");
  app.add_option("--s3-bucket", config.s3.endpoint.bucket)->envname("S3_BUCKET");
  app.add_option("--s3-region", config.s3.endpoint.region, "Signing region (AWS_REGION, else AWS_DEFAULT_REGION)")
      ->envname("AWS_REGION");
  app.add_option("--s3-prefix", config.s3_prefix, "Key prefix of every object")
      ->envname("EDGESTREAM_ARCHIVER_S3_PREFIX");
  std::string addressing;
  app.add_option("--s3-addressing", addressing,
                 "auto, path or virtual; default auto, or path when S3_FORCE_PATH_STYLE=true")
      ->envname("EDGESTREAM_ARCHIVER_S3_ADDRESSING")
      ->check(CLI::IsMember({"auto", "path", "virtual"}));
  app.add_option("--s3-ca-bundle", config.s3.transport.ca_bundle,
                 "PEM file of CAs to trust for the S3 endpoint; empty: the system store")
      ->envname("AWS_CA_BUNDLE");
  std::int64_t stall_seconds = config.s3.transport.low_speed_time.count();
  app.add_option("--s3-stall-seconds", stall_seconds,
                 "An upload moving under 1 KiB/s for this long is abandoned and retried (detects a cut link)")
      ->envname("EDGESTREAM_ARCHIVER_S3_STALL_SECONDS")->capture_default_str();
  double request_deadline_seconds = 60;
  app.add_option("--s3-request-timeout-seconds", request_deadline_seconds,
                 "Deadline of one S3 request: this plus 1 s per 64 KiB of body; 0: none (only the stall rule)")
      ->envname("EDGESTREAM_ARCHIVER_S3_REQUEST_TIMEOUT_SECONDS")->capture_default_str();
  std::int64_t future_skew_seconds = config.planner.max_future_skew.count();
  app.add_option("--max-future-skew-seconds", future_skew_seconds,
                 "Records with an event time further ahead of this node's clock are dead-lettered (timestamp_in_future)")
      ->envname("EDGESTREAM_ARCHIVER_MAX_FUTURE_SKEW_SECONDS")->capture_default_str();
  std::string codec = "zstd";
  app.add_option("--parquet-codec", codec)
      ->envname("EDGESTREAM_ARCHIVER_PARQUET_CODEC")->capture_default_str()
      ->check(CLI::IsMember({"zstd", "snappy", "none"}));
  app.add_option("--row-group-rows", config.parquet.row_group_rows,
                 "Rows per Parquet row group (bounds the writer's memory)")
      ->envname("EDGESTREAM_ARCHIVER_ROW_GROUP_ROWS")->capture_default_str();
  double backoff_cap_seconds = 30, drain_seconds = 30;
  app.add_option("--upload-backoff-max-seconds", backoff_cap_seconds, "Cap of the upload retry backoff")
      ->envname("EDGESTREAM_ARCHIVER_UPLOAD_BACKOFF_MAX_SECONDS")->capture_default_str();
  app.add_option("--drain-timeout-seconds", drain_seconds,
                 "On SIGTERM or partition revocation, how long to wait for a running upload")
      ->envname("EDGESTREAM_ARCHIVER_DRAIN_TIMEOUT_SECONDS")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  if (auto status = apply_common_options(common, config.bootstrap_servers, config.kafka_overrides); !status) {
    std::cerr << "edgestream-archiver: " << status.error().message() << "\n";
    return kExitConfig;
  }
  config.spool_dir = spool_dir;
  config.planner.period = std::chrono::seconds(period_seconds);
  config.planner.grace = std::chrono::seconds(grace_seconds);
  if (config.s3.endpoint.region.empty()) {
    if (const char* fallback = std::getenv("AWS_DEFAULT_REGION")) config.s3.endpoint.region = fallback;
  }
  if (addressing.empty()) {
    const char* force_path = std::getenv("S3_FORCE_PATH_STYLE");
    addressing = force_path != nullptr && std::string(force_path) == "true" ? "path" : "auto";
  }
  (void)s3::parse_addressing_style(addressing, config.s3.endpoint.addressing);  // checked by IsMember
  config.s3.transport.low_speed_time = std::chrono::seconds(stall_seconds);
  config.parquet.codec = codec == "zstd"     ? parquet::Codec::kZstd
                         : codec == "snappy" ? parquet::Codec::kSnappy
                                             : parquet::Codec::kUncompressed;
  auto to_millis = [](double seconds) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
  };
  config.upload_backoff_cap = to_millis(backoff_cap_seconds);
  config.drain_timeout = to_millis(drain_seconds);
  config.s3.request_deadline = to_millis(request_deadline_seconds);
  config.planner.max_future_skew = std::chrono::seconds(future_skew_seconds);

  install_shutdown_handlers();
  Status status = archiver::run(config);
  if (!status) {
    Logger("archiver").error(status.error().message());
    return status.error().kind() == ErrorKind::kInvalidConfig ? kExitConfig : kExitFatal;
  }
  return kExitOk;
}
