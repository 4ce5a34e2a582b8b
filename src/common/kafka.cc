#include "edgestream/common/kafka.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

namespace edgestream::kafka {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

Result<std::string> read_password(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return Error(ErrorKind::kInvalidConfig,
                 "cannot read the Kafka password file '" + path + "' (" + std::strerror(errno) +
                     "); check --kafka-password-file and that the file is readable by this user");
  }
  std::ostringstream content;
  content << file.rdbuf();
  std::string password = content.str();
  // Files written by `echo` or editors end with a newline that is not part
  // of the password.
  if (!password.empty() && password.back() == '\n') password.pop_back();
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty()) {
    return Error(ErrorKind::kInvalidConfig,
                 "the Kafka password file '" + path + "' is empty; write the password into it");
  }
  return password;
}

}  // namespace

bool is_secret_key(std::string_view key) {
  const std::string name = lower(key);
  for (const char* word : {"password", "secret", "token", "credential"}) {
    if (name.find(word) != std::string::npos) return true;
  }
  return name.rfind("sasl.", 0) == 0 || name.rfind("ssl.key", 0) == 0;
}

std::string redact_reason(std::string_view key, std::string_view value, std::string reason) {
  if (!is_secret_key(key) || value.empty()) return reason;
  constexpr size_t kShortestFindable = 4;  // shorter values also match innocent words
  if (value.size() < kShortestFindable) {
    return "value rejected (reason not shown: it may quote the secret value)";
  }
  constexpr std::string_view kMark = "<redacted>";
  for (size_t at = reason.find(value); at != std::string::npos; at = reason.find(value, at + kMark.size())) {
    reason.replace(at, value.size(), kMark);
  }
  return reason;
}

std::string describe_property(std::string_view key, std::string_view value) {
  std::string out(key);
  out += '=';
  out += is_secret_key(key) ? std::string_view("<redacted>") : value;
  return out;
}

Result<Properties> security_properties(const Security& security) {
  auto invalid = [](const std::string& message) { return Error(ErrorKind::kInvalidConfig, message); };
  const std::string protocol = lower(security.protocol);
  const bool known = protocol.empty() || protocol == "plaintext" || protocol == "ssl" ||
                     protocol == "sasl_plaintext" || protocol == "sasl_ssl";
  if (!known) {
    return invalid("Kafka security protocol '" + security.protocol +
                   "' is unknown; use PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL");
  }
  const bool sasl = protocol.rfind("sasl_", 0) == 0;
  const bool tls = protocol == "ssl" || protocol == "sasl_ssl";
  Properties properties;
  if (!protocol.empty()) properties.emplace_back("security.protocol", protocol);
  if (tls) {
    // librdkafka 2.0 checks the host name by default; saying so here keeps
    // the check on under any library version and any passthrough order.
    properties.emplace_back("ssl.endpoint.identification.algorithm", "https");
    if (!security.ca_file.empty()) {
      if (!std::ifstream(security.ca_file)) {
        return invalid("cannot read the Kafka CA file '" + security.ca_file + "' (" +
                       std::strerror(errno) + "); check --kafka-ca-file");
      }
      properties.emplace_back("ssl.ca.location", security.ca_file);
    }
  } else if (!security.ca_file.empty()) {
    return invalid("--kafka-ca-file is set but the security protocol '" +
                   (protocol.empty() ? std::string("plaintext") : security.protocol) +
                   "' does not use TLS; set --kafka-security-protocol SASL_SSL (or SSL)");
  }
  if (!sasl) {
    if (!security.username.empty() || !security.password_file.empty()) {
      return invalid("a Kafka user name or password file is set but the security protocol '" +
                     (protocol.empty() ? std::string("plaintext") : security.protocol) +
                     "' does not authenticate; set --kafka-security-protocol SASL_SSL");
    }
    return properties;
  }
  if (security.username.empty() || security.password_file.empty()) {
    return invalid("security protocol " + security.protocol +
                   " needs a user name and a password file; set --kafka-username and "
                   "--kafka-password-file (or their EDGESTREAM_<COMPONENT>_KAFKA_* variables)");
  }
  auto password = read_password(security.password_file);
  if (!password) return password.error();
  properties.emplace_back("sasl.mechanisms",
                          security.sasl_mechanism.empty() ? "SCRAM-SHA-512" : security.sasl_mechanism);
  properties.emplace_back("sasl.username", security.username);
  properties.emplace_back("sasl.password", std::move(password).value());
  return properties;
}

Result<Conf> make_conf(const Properties& properties) {
  Conf conf(rd_kafka_conf_new());
  std::array<char, 512> error_text{};
  for (const auto& [key, value] : properties) {
    if (rd_kafka_conf_set(conf.get(), key.c_str(), value.c_str(), error_text.data(),
                          error_text.size()) != RD_KAFKA_CONF_OK) {
      return Error(ErrorKind::kInvalidConfig,
                   "Kafka setting '" + key + "': " + redact_reason(key, value, error_text.data()) +
                       "; fix or remove it (see librdkafka's CONFIGURATION.md)");
    }
  }
  return conf;
}

Result<Handle> make_client(rd_kafka_type_t type, Conf conf) {
  std::array<char, 512> error_text{};
  rd_kafka_t* raw = rd_kafka_new(type, conf.get(), error_text.data(), error_text.size());
  if (raw == nullptr) {
    // On failure the conf is still ours and is destroyed by its owner.
    return Error(ErrorKind::kInvalidConfig,
                 std::string("creating the Kafka client failed: ") + error_text.data());
  }
  (void)conf.release();  // rd_kafka_new took ownership on success.
  return Handle(raw);
}

Result<std::pair<std::string, std::string>> parse_property(const std::string& text) {
  auto equals = text.find('=');
  if (equals == std::string::npos || equals == 0) {
    // The text is not quoted: split at commas, a password holding a comma
    // arrives here as a piece without '='.
    return Error(ErrorKind::kInvalidConfig,
                 "a Kafka property (--kafka or EDGESTREAM_KAFKA_PROPERTIES) is not key=value; its "
                 "text is not shown because it may be part of a secret cut at a comma. Write each "
                 "property as key=value, and give the password with --kafka-password-file");
  }
  return std::pair{text.substr(0, equals), text.substr(equals + 1)};
}

Error classify(const rd_kafka_error_t* error, const std::string& context) {
  std::string message = context + ": " + rd_kafka_error_string(error) + " (" +
                        rd_kafka_err2name(rd_kafka_error_code(error)) + ")";
  if (rd_kafka_error_is_fatal(error)) return Error(ErrorKind::kFatal, message);
  if (rd_kafka_error_txn_requires_abort(error)) return Error(ErrorKind::kAbort, message);
  if (rd_kafka_error_is_retriable(error)) return Error(ErrorKind::kRetriable, message);
  return Error(ErrorKind::kAbort, message);
}

rd_kafka_resp_err_t produce_copy(rd_kafka_t* producer, const std::string& topic, int32_t partition,
                                 std::string_view key, std::string_view value,
                                 rd_kafka_headers_t* headers) {
  // The array form of producev: the variadic RD_KAFKA_V_* macros expand to
  // C casts that this project's warning flags reject.
  std::array<rd_kafka_vu_t, 6> fields{};
  size_t count = 0;
  fields[count].vtype = RD_KAFKA_VTYPE_TOPIC;
  fields[count++].u.cstr = topic.c_str();
  fields[count].vtype = RD_KAFKA_VTYPE_PARTITION;
  fields[count++].u.i32 = partition;
  if (!key.empty()) {
    fields[count].vtype = RD_KAFKA_VTYPE_KEY;
    fields[count].u.mem.ptr = const_cast<char*>(key.data());  // copied, never written
    fields[count++].u.mem.size = key.size();
  }
  fields[count].vtype = RD_KAFKA_VTYPE_VALUE;
  fields[count].u.mem.ptr = const_cast<char*>(value.data());  // copied, never written
  fields[count++].u.mem.size = value.size();
  fields[count].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
  fields[count++].u.i = RD_KAFKA_MSG_F_COPY;
  if (headers != nullptr) {
    fields[count].vtype = RD_KAFKA_VTYPE_HEADERS;
    fields[count++].u.headers = headers;
  }
  KafkaError error{rd_kafka_produceva(producer, fields.data(), count)};
  return error ? rd_kafka_error_code(error.get()) : RD_KAFKA_RESP_ERR_NO_ERROR;
}

size_t headers_wire_bytes(const rd_kafka_headers_t* headers) {
  if (headers == nullptr) return 0;
  size_t total = 0;
  const char* name = nullptr;
  const void* value = nullptr;
  size_t value_size = 0;
  for (size_t index = 0;
       rd_kafka_header_get_all(headers, index, &name, &value, &value_size) == RD_KAFKA_RESP_ERR_NO_ERROR;
       ++index) {
    total += header_wire_bytes(std::strlen(name), value_size);
  }
  return total;
}

namespace {
struct AdminOptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* options) const { rd_kafka_AdminOptions_destroy(options); }
};
struct ConfigResourceDeleter {
  void operator()(rd_kafka_ConfigResource_t* resource) const { rd_kafka_ConfigResource_destroy(resource); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* event) const { rd_kafka_event_destroy(event); }
};
}  // namespace

Result<int64_t> max_message_bytes(rd_kafka_t* client, const std::vector<std::string>& topics,
                                  int timeout_ms) {
  auto failed = [&topics](const std::string& why) {
    std::string names;
    for (const auto& topic : topics) names += (names.empty() ? "" : ", ") + topic;
    return Error(ErrorKind::kRetriable, "reading max.message.bytes of " + names + ": " + why +
                                            "; check that the brokers are reachable and that this "
                                            "client may describe the topics' configuration");
  };
  std::vector<std::unique_ptr<rd_kafka_ConfigResource_t, ConfigResourceDeleter>> owned;
  std::vector<rd_kafka_ConfigResource_t*> resources;
  for (const auto& topic : topics) {
    owned.emplace_back(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str()));
    resources.push_back(owned.back().get());
  }
  std::unique_ptr<rd_kafka_AdminOptions_t, AdminOptionsDeleter> options(
      rd_kafka_AdminOptions_new(client, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS));
  std::array<char, 512> error_text{};
  if (rd_kafka_AdminOptions_set_request_timeout(options.get(), timeout_ms, error_text.data(),
                                                error_text.size()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return failed(error_text.data());
  }
  Queue queue(rd_kafka_queue_new(client));
  rd_kafka_DescribeConfigs(client, resources.data(), resources.size(), options.get(), queue.get());
  // The request's own timeout answers first; the margin only guards a lost reply.
  std::unique_ptr<rd_kafka_event_t, EventDeleter> event(rd_kafka_queue_poll(queue.get(), timeout_ms + 1000));
  if (!event) return failed("no answer within " + std::to_string(timeout_ms) + " ms");
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return failed(rd_kafka_event_error_string(event.get()));
  }
  const rd_kafka_DescribeConfigs_result_t* result = rd_kafka_event_DescribeConfigs_result(event.get());
  size_t resource_count = 0;
  const rd_kafka_ConfigResource_t** described =
      rd_kafka_DescribeConfigs_result_resources(result, &resource_count);
  std::optional<int64_t> smallest;
  for (size_t i = 0; i < resource_count; ++i) {
    const rd_kafka_ConfigResource_t* resource = described[i];
    if (rd_kafka_ConfigResource_error(resource) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return failed(std::string(rd_kafka_ConfigResource_name(resource)) + ": " +
                    rd_kafka_ConfigResource_error_string(resource));
    }
    size_t entry_count = 0;
    const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(resource, &entry_count);
    bool found = false;
    for (size_t j = 0; j < entry_count; ++j) {
      if (std::strcmp(rd_kafka_ConfigEntry_name(entries[j]), "max.message.bytes") != 0) continue;
      const char* value = rd_kafka_ConfigEntry_value(entries[j]);
      char* end = nullptr;
      long long bytes = value == nullptr ? -1 : std::strtoll(value, &end, 10);
      if (value == nullptr || *end != '\0' || bytes <= 0) {
        return failed(std::string(rd_kafka_ConfigResource_name(resource)) + " has max.message.bytes '" +
                      (value == nullptr ? "" : value) + "'");
      }
      smallest = std::min<int64_t>(smallest.value_or(bytes), bytes);
      found = true;
    }
    if (!found) {
      return failed(std::string(rd_kafka_ConfigResource_name(resource)) + " has no max.message.bytes entry");
    }
  }
  if (!smallest || resource_count != topics.size()) return failed("the broker described no topic");
  return *smallest;
}

namespace {

// partition_count, telling the caller also whether the broker refused the
// topic to this client's user: asking again will not change that answer.
Result<int> partition_count(rd_kafka_t* client, const std::string& topic, int timeout_ms,
                            bool& refused) {
  refused = false;
  rd_kafka_topic_t* topic_handle = rd_kafka_topic_new(client, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(client, 0, topic_handle, &metadata, timeout_ms);
  rd_kafka_topic_destroy(topic_handle);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return Error(ErrorKind::kRetriable, "metadata for topic '" + topic + "': " +
                                            rd_kafka_err2str(err) +
                                            "; check that the brokers are reachable");
  }
  int count = -1;
  rd_kafka_resp_err_t topic_err = RD_KAFKA_RESP_ERR_NO_ERROR;
  for (int i = 0; i < metadata->topic_cnt; ++i) {
    if (topic == metadata->topics[i].topic) {
      count = metadata->topics[i].partition_cnt;
      topic_err = metadata->topics[i].err;
    }
  }
  rd_kafka_metadata_destroy(metadata);
  if (topic_err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) {
    refused = true;
    return Error(ErrorKind::kInvalidConfig,
                 "topic '" + topic + "': the broker refuses this client's user (" +
                     rd_kafka_err2str(topic_err) +
                     "; the broker does not even say whether the topic exists to a user without "
                     "rights on it); check the topic name and --kafka-username, or grant the user "
                     "the ACLs docs/configuration.md lists under \"Kafka security\"");
  }
  if (topic_err != RD_KAFKA_RESP_ERR_NO_ERROR || count <= 0) {
    return Error(ErrorKind::kInvalidConfig,
                 "topic '" + topic + "' does not exist or has no partitions (" +
                     rd_kafka_err2str(topic_err) + "); create it first (scripts/stack.sh does)");
  }
  return count;
}

}  // namespace

Result<int> partition_count(rd_kafka_t* client, const std::string& topic, int timeout_ms) {
  bool refused = false;
  return partition_count(client, topic, timeout_ms, refused);
}

}  // namespace edgestream::kafka

namespace edgestream::kafka {

Result<int> wait_for_topic(rd_kafka_t* client, const std::string& topic, int timeout_ms) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    // Short metadata requests, so a topic that appears is seen promptly.
    bool refused = false;
    auto count = partition_count(client, topic, static_cast<int>(std::clamp<int64_t>(left.count(), 1, 1000)),
                                 refused);
    if (count || refused || Clock::now() >= deadline) return count;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // between metadata requests
  }
}

}  // namespace edgestream::kafka
