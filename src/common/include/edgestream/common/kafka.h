// Move-only owners of librdkafka's C handles, and the one place that turns a
// list of librdkafka properties into a configured client.
#pragma once

#include <librdkafka/rdkafka.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "edgestream/common/kafka_framing.h"
#include "edgestream/common/status.h"

namespace edgestream::kafka {

struct HandleDeleter {
  void operator()(rd_kafka_t* handle) const { rd_kafka_destroy(handle); }
};
struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
struct MessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
struct ErrorDeleter {
  void operator()(rd_kafka_error_t* error) const { rd_kafka_error_destroy(error); }
};
struct HeadersDeleter {
  void operator()(rd_kafka_headers_t* headers) const { rd_kafka_headers_destroy(headers); }
};
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* queue) const { rd_kafka_queue_destroy(queue); }
};

using Handle = std::unique_ptr<rd_kafka_t, HandleDeleter>;
using Conf = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;
using Message = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;
using KafkaError = std::unique_ptr<rd_kafka_error_t, ErrorDeleter>;
using Headers = std::unique_ptr<rd_kafka_headers_t, HeadersDeleter>;
using Queue = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;

using Properties = std::vector<std::pair<std::string, std::string>>;

// Builds a conf from properties applied in order (later ones win). An unknown
// key or bad value is an kInvalidConfig error that names the key.
Result<Conf> make_conf(const Properties& properties);

// Creates a producer or consumer. rd_kafka_new takes ownership of the conf
// only when it succeeds, so the conf is released only then.
Result<Handle> make_client(rd_kafka_type_t type, Conf conf);

// Splits "key=value" (as given on the command line) into a property. A text
// without '=' is rejected without being quoted: it may be the tail of a
// password that contained a comma (EDGESTREAM_KAFKA_PROPERTIES is split at
// commas).
Result<std::pair<std::string, std::string>> parse_property(const std::string& text);

// True for keys whose value must never reach a log line or an error message:
// anything with "password", "secret", "token" or "credential" in it, every
// "sasl.*" key and every "ssl.key*" key (the private key and its password).
bool is_secret_key(std::string_view key);

// "key=value" for a log line, or "key=<redacted>" when is_secret_key(key).
std::string describe_property(std::string_view key, std::string_view value);

// `reason`, an error text about `key`, with `value` cut out when
// is_secret_key(key); a value too short to find safely drops the reason.
// librdkafka quotes a rejected value in its reason for enum properties
// ("Invalid value \"...\" for configuration property ..."); make_conf passes
// every reason through this, so a secret never reaches an error message.
std::string redact_reason(std::string_view key, std::string_view value, std::string reason);

// How a client authenticates itself and checks the broker: the settings
// every component takes (docs/configuration.md, "Kafka security"). Empty
// fields are not set, so an empty Security leaves librdkafka's defaults
// (plaintext, no authentication).
struct Security {
  std::string protocol;        // security.protocol: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL
  std::string sasl_mechanism;  // sasl.mechanisms; SCRAM-SHA-512 when SASL is on and this is empty
  std::string ca_file;         // ssl.ca.location: PEM file of the CA that signed the broker's certificate
  std::string username;        // sasl.username
  std::string password_file;   // file whose content (one trailing newline dropped) is sasl.password
};

// The librdkafka properties for `security`. Reads the password file once.
// With TLS, the broker's certificate is checked against its host name or IP
// (ssl.endpoint.identification.algorithm=https) whatever the library's
// default. Errors (kInvalidConfig) name the setting or the file, never the
// password.
Result<Properties> security_properties(const Security& security);

// Copies an error's text and classifies it for the transactional loop:
// fatal → kFatal, txn_requires_abort → kAbort, retriable → kRetriable,
// anything else → kAbort (the safe choice: rewind and redo).
Error classify(const rd_kafka_error_t* error, const std::string& context);

// Produces copies of key and value (an empty key is sent as no key).
// `headers` may be null; librdkafka takes them only on success, so on failure
// they still belong to the caller. Returns librdkafka's error code:
// RD_KAFKA_RESP_ERR__QUEUE_FULL asks the caller to poll and try again.
rd_kafka_resp_err_t produce_copy(rd_kafka_t* producer, const std::string& topic, int32_t partition,
                                 std::string_view key, std::string_view value,
                                 rd_kafka_headers_t* headers = nullptr);

// Upper bound of the wire bytes of every header in `headers` (may be null).
size_t headers_wire_bytes(const rd_kafka_headers_t* headers);

// The smallest effective `max.message.bytes` of `topics` (the topic's own
// setting, or the broker's `message.max.bytes` it defaults to), from a
// DescribeConfigs request bounded by timeout. Any client handle can ask.
Result<int64_t> max_message_bytes(rd_kafka_t* client, const std::vector<std::string>& topics,
                                  int timeout_ms);

// Number of partitions of a topic, from a metadata request bounded by timeout.
Result<int> partition_count(rd_kafka_t* client, const std::string& topic, int timeout_ms);

// partition_count, asked again until `timeout_ms` has passed: at start-up the
// broker may still be coming up, and a topic created a moment ago may not be
// in every broker's metadata yet. Returns the last error at the deadline, or
// at once when the broker refuses the topic to this client's user.
Result<int> wait_for_topic(rd_kafka_t* client, const std::string& topic, int timeout_ms);

}  // namespace edgestream::kafka
