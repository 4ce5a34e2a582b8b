// Proves that the Kafka client edgestream links (Debian 12's librdkafka
// 2.0.2) and the local stack's broker agree on the protocol features the
// pipeline depends on: the idempotent producer, transactions and consumer
// groups. librdkafka enables a feature only if the broker still supports the
// request versions it uses, and newer brokers drop old versions (Kafka 4
// removed the oldest), so this pins the pair down. Runs against the broker at
// KAFKA_BOOTSTRAP_SERVERS, logged in as the stack's admin principal with the
// TLS + SASL settings of var/edgestream.env (written by `scripts/stack.sh
// start`), through the same kafka::security_properties the components use.
#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "edgestream/common/kafka.h"

namespace edgestream::kafka {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Bounds every wait on the broker; generous for a loaded CI machine.
constexpr auto kDeadline = seconds(60);
constexpr int kTimeoutMs = 30'000;

struct EventDeleter {
  void operator()(rd_kafka_event_t* event) const { rd_kafka_event_destroy(event); }
};
using Event = std::unique_ptr<rd_kafka_event_t, EventDeleter>;

// Collects librdkafka's log lines; the log callback runs on librdkafka's
// internal threads, the test thread reads.
class LogCollector {
 public:
  void add(std::string line) {
    std::lock_guard lock(mutex_);
    lines_.push_back(std::move(line));
  }
  bool contains(const std::string& text) const {
    std::lock_guard lock(mutex_);
    return std::any_of(lines_.begin(), lines_.end(),
                       [&](const std::string& line) { return line.find(text) != line.npos; });
  }
  std::string dump() const {
    std::lock_guard lock(mutex_);
    std::string all;
    for (const auto& line : lines_) all += line + "\n";
    return all;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

void collect_log(const rd_kafka_t* client, int /*level*/, const char* facility, const char* text) {
  auto* collector = static_cast<LogCollector*>(rd_kafka_opaque(client));
  collector->add(std::string(facility) + ": " + text);
}

std::string unique_name(const std::string& what) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return "kafka-features-" + what + "-" + std::to_string(getpid()) + "-" +
         std::to_string(std::chrono::duration_cast<milliseconds>(now).count());
}

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

// The stack's security settings for the admin principal, put before the
// test's own properties.
Properties with_security(const Properties& properties) {
  Security admin{env_or_empty("EDGESTREAM_KAFKA_SECURITY_PROTOCOL"),
                 env_or_empty("EDGESTREAM_KAFKA_SASL_MECHANISM"), env_or_empty("EDGESTREAM_KAFKA_CA_FILE"),
                 env_or_empty("EDGESTREAM_ADMIN_KAFKA_USERNAME"),
                 env_or_empty("EDGESTREAM_ADMIN_KAFKA_PASSWORD_FILE")};
  auto security = security_properties(admin);
  EXPECT_TRUE(security.ok()) << (security.ok() ? "" : security.error().message());
  Properties all = security.ok() ? security.value() : Properties{};
  all.insert(all.end(), properties.begin(), properties.end());
  return all;
}

Handle make_or_fail(rd_kafka_type_t type, const Properties& properties, LogCollector* logs) {
  auto conf = make_conf(with_security(properties));
  EXPECT_TRUE(conf.ok()) << (conf.ok() ? "" : conf.error().message());
  if (!conf.ok()) return nullptr;
  if (logs != nullptr) {
    rd_kafka_conf_set_opaque(conf.value().get(), logs);
    rd_kafka_conf_set_log_cb(conf.value().get(), collect_log);
  }
  auto client = make_client(type, std::move(conf).value());
  EXPECT_TRUE(client.ok()) << (client.ok() ? "" : client.error().message());
  return client.ok() ? std::move(client).value() : nullptr;
}

// Sends one admin request and returns its result event, or null on timeout.
Event admin_result(rd_kafka_t* client, rd_kafka_event_type_t expected,
                   const std::function<void(rd_kafka_queue_t*)>& send) {
  Queue queue(rd_kafka_queue_new(client));
  send(queue.get());
  Event event(rd_kafka_queue_poll(queue.get(), kTimeoutMs));
  if (event && rd_kafka_event_type(event.get()) != expected) {
    ADD_FAILURE() << "unexpected admin event " << rd_kafka_event_name(event.get()) << ": "
                  << rd_kafka_event_error_string(event.get());
    return nullptr;
  }
  return event;
}

// Creates a topic (one replica, `config` as its topic settings) and waits
// for the broker's answer.
::testing::AssertionResult create_topic(rd_kafka_t* client, const std::string& topic,
                                        int partitions, const Properties& config = {}) {
  std::array<char, 256> error_text{};
  rd_kafka_NewTopic_t* new_topic = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1,
                                                          error_text.data(), error_text.size());
  if (new_topic == nullptr) return ::testing::AssertionFailure() << error_text.data();
  for (const auto& [key, value] : config) {
    if (rd_kafka_NewTopic_set_config(new_topic, key.c_str(), value.c_str()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_NewTopic_destroy(new_topic);
      return ::testing::AssertionFailure() << "topic setting " << key;
    }
  }
  Event event = admin_result(client, RD_KAFKA_EVENT_CREATETOPICS_RESULT, [&](rd_kafka_queue_t* q) {
    rd_kafka_CreateTopics(client, &new_topic, 1, nullptr, q);
  });
  rd_kafka_NewTopic_destroy(new_topic);
  if (!event) return ::testing::AssertionFailure() << "CreateTopics " << topic << " timed out";
  size_t count = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(
      rd_kafka_event_CreateTopics_result(event.get()), &count);
  if (count != 1 || rd_kafka_topic_result_error(results[0]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return ::testing::AssertionFailure()
           << "CreateTopics " << topic << ": "
           << (count == 1 ? rd_kafka_topic_result_error_string(results[0]) : "no result");
  }
  return ::testing::AssertionSuccess();
}

void delete_topic(rd_kafka_t* client, const std::string& topic) {
  rd_kafka_DeleteTopic_t* doomed = rd_kafka_DeleteTopic_new(topic.c_str());
  Event event = admin_result(client, RD_KAFKA_EVENT_DELETETOPICS_RESULT, [&](rd_kafka_queue_t* q) {
    rd_kafka_DeleteTopics(client, &doomed, 1, nullptr, q);
  });
  rd_kafka_DeleteTopic_destroy(doomed);
}

::testing::AssertionResult ok(rd_kafka_error_t* raw, const char* what) {
  KafkaError error(raw);
  if (!error) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << what << ": " << rd_kafka_error_string(error.get()) << " ("
                                       << rd_kafka_error_name(error.get()) << ")";
}

class KafkaFeatures : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* servers = std::getenv("KAFKA_BOOTSTRAP_SERVERS");
    if (servers == nullptr || *servers == '\0') {
      GTEST_FAIL() << "KAFKA_BOOTSTRAP_SERVERS is not set: run `scripts/stack.sh start` and "
                      "`source var/edgestream.env` (ctest does the latter itself)";
    }
    bootstrap_ = servers;
    admin_ = make_or_fail(RD_KAFKA_PRODUCER, {{"bootstrap.servers", bootstrap_}}, nullptr);
    ASSERT_NE(admin_, nullptr);
  }

  void TearDown() override {
    if (!admin_) return;
    for (const auto& topic : topics_) delete_topic(admin_.get(), topic);
  }

  std::string fresh_topic(const std::string& what, int partitions, const Properties& config = {}) {
    std::string topic = unique_name(what);
    EXPECT_TRUE(create_topic(admin_.get(), topic, partitions, config));
    topics_.push_back(topic);
    return topic;
  }

  std::string bootstrap_;
  Handle admin_;
  std::vector<std::string> topics_;
};

TEST_F(KafkaFeatures, BrokerOffersIdempotenceAndConsumerGroupFeatures) {
  LogCollector logs;
  Handle producer = make_or_fail(
      RD_KAFKA_PRODUCER,
      {{"bootstrap.servers", bootstrap_}, {"enable.idempotence", "true"}, {"debug", "feature"}},
      &logs);
  ASSERT_NE(producer, nullptr);

  // Feature negotiation happens on the first connection (ApiVersion
  // request); the "Enabling feature" lines are logged while its answer is
  // handled, before the connection serves anything else.
  const std::vector<std::string> required = {
      "Enabling feature MsgVer2",                 // record batches: idempotence, transactions
      "Enabling feature IdempotentProducer",      // InitProducerId
      "Enabling feature BrokerGroupCoordinator",  // FindCoordinator
      "Enabling feature BrokerBalancedConsumer",  // JoinGroup/SyncGroup/OffsetCommit
  };
  const auto deadline = Clock::now() + kDeadline;
  auto all_seen = [&] {
    return std::all_of(required.begin(), required.end(),
                       [&](const std::string& line) { return logs.contains(line); });
  };
  while (!all_seen() && Clock::now() < deadline) {
    const rd_kafka_metadata_t* metadata = nullptr;
    if (rd_kafka_metadata(producer.get(), 0, nullptr, &metadata, 1000) ==
        RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_metadata_destroy(metadata);
    }
  }
  for (const auto& line : required) {
    EXPECT_TRUE(logs.contains(line)) << "missing '" << line << "' in the feature log:\n"
                                     << logs.dump();
  }

  // The idempotent producer actually gets a producer id and writes.
  const std::string topic = fresh_topic("idempotent", 1);
  ASSERT_EQ(produce_copy(producer.get(), topic, RD_KAFKA_PARTITION_UA, "k", "v"),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(rd_kafka_flush(producer.get(), kTimeoutMs), RD_KAFKA_RESP_ERR_NO_ERROR);
  std::array<char, 256> fatal{};
  EXPECT_EQ(rd_kafka_fatal_error(producer.get(), fatal.data(), fatal.size()),
            RD_KAFKA_RESP_ERR_NO_ERROR)
      << fatal.data();
}

// Consumes one partition with read_committed until the end (the last stable
// offset) and returns the values, in order.
std::vector<std::string> consume_committed(const std::string& bootstrap, const std::string& topic,
                                           const std::string& group) {
  Handle consumer = make_or_fail(RD_KAFKA_CONSUMER,
                                 {{"bootstrap.servers", bootstrap},
                                  {"group.id", group},
                                  {"isolation.level", "read_committed"},
                                  {"auto.offset.reset", "earliest"},
                                  {"enable.auto.commit", "false"},
                                  {"enable.partition.eof", "true"}},
                                 nullptr);
  if (!consumer) return {};
  rd_kafka_poll_set_consumer(consumer.get());
  PartitionList subscription(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(subscription.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  EXPECT_EQ(rd_kafka_subscribe(consumer.get(), subscription.get()), RD_KAFKA_RESP_ERR_NO_ERROR);

  std::vector<std::string> values;
  bool at_end = false;
  const auto deadline = Clock::now() + kDeadline;
  while (!at_end && Clock::now() < deadline) {
    Message message(rd_kafka_consumer_poll(consumer.get(), 500));
    if (!message) continue;
    if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      at_end = true;
    } else if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      ADD_FAILURE() << "consume " << topic << ": " << rd_kafka_message_errstr(message.get());
    } else {
      values.emplace_back(static_cast<const char*>(message->payload), message->len);
    }
  }
  EXPECT_TRUE(at_end) << "did not reach the end of " << topic << " within the deadline";

  // The group commits its position and reads it back from the coordinator:
  // OffsetCommit and OffsetFetch through the group coordinator.
  EXPECT_EQ(rd_kafka_commit(consumer.get(), nullptr, 0), RD_KAFKA_RESP_ERR_NO_ERROR);
  PartitionList committed(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(committed.get(), topic.c_str(), 0);
  EXPECT_EQ(rd_kafka_committed(consumer.get(), committed.get(), kTimeoutMs),
            RD_KAFKA_RESP_ERR_NO_ERROR);
  EXPECT_GT(committed->elems[0].offset, 0) << "the group's committed offset was not stored";
  EXPECT_EQ(rd_kafka_consumer_close(consumer.get()), RD_KAFKA_RESP_ERR_NO_ERROR);
  return values;
}

TEST_F(KafkaFeatures, TransactionsCommitAndAbortSeenThroughReadCommittedGroup) {
  const std::string topic = fresh_topic("txn", 1);
  LogCollector logs;
  Handle producer = make_or_fail(RD_KAFKA_PRODUCER,
                                 {{"bootstrap.servers", bootstrap_},
                                  {"transactional.id", unique_name("txn-id")},
                                  {"debug", "feature,eos"}},
                                 &logs);
  ASSERT_NE(producer, nullptr);
  ASSERT_TRUE(ok(rd_kafka_init_transactions(producer.get(), kTimeoutMs), "init_transactions"))
      << logs.dump();

  auto run_transaction = [&](const std::string& prefix, int count, bool commit) {
    ASSERT_TRUE(ok(rd_kafka_begin_transaction(producer.get()), "begin_transaction"));
    for (int i = 0; i < count; ++i) {
      ASSERT_EQ(produce_copy(producer.get(), topic, 0, "", prefix + std::to_string(i)),
                RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    if (commit) {
      ASSERT_TRUE(ok(rd_kafka_commit_transaction(producer.get(), kTimeoutMs), "commit"));
    } else {
      // Flush first so that the aborted records really are in the log and
      // the consumer has to skip them, rather than never being sent.
      ASSERT_EQ(rd_kafka_flush(producer.get(), kTimeoutMs), RD_KAFKA_RESP_ERR_NO_ERROR);
      ASSERT_TRUE(ok(rd_kafka_abort_transaction(producer.get(), kTimeoutMs), "abort"));
    }
  };
  run_transaction("committed-a-", 3, true);
  run_transaction("aborted-", 4, false);
  run_transaction("committed-b-", 2, true);

  // 9 records and 3 transaction markers: the aborted records are in the log.
  // commit_transaction returns once the commit is decided; the coordinator
  // writes the markers to the partition right after, so poll for them.
  int64_t low = -1;
  int64_t high = -1;
  const auto deadline = Clock::now() + kDeadline;
  do {
    ASSERT_EQ(rd_kafka_query_watermark_offsets(admin_.get(), topic.c_str(), 0, &low, &high,
                                               kTimeoutMs),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  } while (high < 12 && Clock::now() < deadline);
  EXPECT_EQ(high, 12);

  const std::vector<std::string> expected = {"committed-a-0", "committed-a-1", "committed-a-2",
                                             "committed-b-0", "committed-b-1"};
  EXPECT_EQ(consume_committed(bootstrap_, topic, unique_name("group")), expected);
}

}  // namespace
}  // namespace edgestream::kafka

namespace edgestream::kafka {
namespace {

// The processor sizes its producer and its dead letters from this.
TEST_F(KafkaFeatures, MaxMessageBytesIsTheSmallestLimitOfTheTopics) {
  std::string small = fresh_topic("limit-small", 1, {{"max.message.bytes", "200000"}});
  std::string plain = fresh_topic("limit-default", 1);
  for (const auto& topic : {small, plain}) ASSERT_TRUE(wait_for_topic(admin_.get(), topic, kTimeoutMs).ok());

  auto both = max_message_bytes(admin_.get(), {plain, small}, kTimeoutMs);
  ASSERT_TRUE(both.ok()) << both.error().message();
  EXPECT_EQ(both.value(), 200'000);
  // A topic without its own setting has the broker's message.max.bytes:
  // Kafka's default, 1 MiB + 12 bytes, as the stack sets none.
  auto broker_default = max_message_bytes(admin_.get(), {plain}, kTimeoutMs);
  ASSERT_TRUE(broker_default.ok()) << broker_default.error().message();
  EXPECT_EQ(broker_default.value(), 1'048'588);

  auto absent = max_message_bytes(admin_.get(), {unique_name("absent")}, kTimeoutMs);
  ASSERT_FALSE(absent.ok());
  EXPECT_NE(absent.error().message().find("max.message.bytes"), std::string::npos) << absent.error().message();
}

}  // namespace
}  // namespace edgestream::kafka
