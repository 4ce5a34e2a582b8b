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

}  // namespace
}  // namespace edgestream::kafka
