#include "edgestream/common/kafka.h"

#include <gtest/gtest.h>

namespace edgestream::kafka {
namespace {

TEST(MakeConf, UnknownKeyIsInvalidConfigNamingTheKey) {
  auto conf = make_conf({{"bootstrap.servers", "127.0.0.1:9092"}, {"no.such.key", "1"}});
  ASSERT_FALSE(conf.ok());
  EXPECT_EQ(conf.error().kind(), ErrorKind::kInvalidConfig);
  EXPECT_NE(conf.error().message().find("no.such.key"), std::string::npos);
}

TEST(MakeConf, KnownKeysSucceed) {
  auto conf = make_conf({{"bootstrap.servers", "127.0.0.1:9092"}, {"acks", "all"}});
  EXPECT_TRUE(conf.ok());
}

TEST(ParseProperty, SplitsAtFirstEquals) {
  auto property = parse_property("sasl.jaas.config=a=b");
  ASSERT_TRUE(property.ok());
  EXPECT_EQ(property.value().first, "sasl.jaas.config");
  EXPECT_EQ(property.value().second, "a=b");
}

TEST(ParseProperty, RejectsMissingKeyOrEquals) {
  EXPECT_FALSE(parse_property("acks").ok());
  EXPECT_FALSE(parse_property("=all").ok());
}

TEST(MakeClient, ProducerFromValidConf) {
  auto conf = make_conf({{"bootstrap.servers", "127.0.0.1:1"}});
  ASSERT_TRUE(conf.ok());
  auto client = make_client(RD_KAFKA_PRODUCER, std::move(conf).value());
  EXPECT_TRUE(client.ok());
}

TEST(HeadersWireBytes, SumsEveryHeaderWithBothLengthPrefixes) {
  EXPECT_EQ(headers_wire_bytes(nullptr), 0u);
  Headers headers(rd_kafka_headers_new(2));
  rd_kafka_header_add(headers.get(), "edgestream.reason", -1, "too_large", 9);
  rd_kafka_header_add(headers.get(), "empty", -1, nullptr, 0);
  // 17 + 9 and 5 + 0 bytes of names and values, 5 bytes per length prefix.
  EXPECT_EQ(headers_wire_bytes(headers.get()), (5 + 17 + 5 + 9) + (5 + 5 + 5 + 0u));
}

}  // namespace
}  // namespace edgestream::kafka
