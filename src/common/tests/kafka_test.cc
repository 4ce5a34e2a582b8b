#include "edgestream/common/kafka.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>

#include "edgestream/common/cli.h"

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

TEST(RedactReason, CutsASecretValueOutOfLibrdkafkasReason) {
  // The shape of librdkafka's reason for a rejected enum value.
  const std::string reason =
      "Invalid value \"hunter2-secret\" for configuration property \"sasl.password\"; hunter2-secret";
  const std::string redacted = redact_reason("sasl.password", "hunter2-secret", reason);
  EXPECT_EQ(redacted.find("hunter2"), std::string::npos) << redacted;
  EXPECT_NE(redacted.find("<redacted>"), std::string::npos) << redacted;
  EXPECT_NE(redacted.find("sasl.password"), std::string::npos) << redacted;
  // A short value would match innocent text: the reason is dropped instead.
  EXPECT_EQ(redact_reason("sasl.password", "al", "Invalid value \"al\"").find("al\""), std::string::npos);
  // Other keys keep their reason whole: it names the bad value to fix.
  EXPECT_EQ(redact_reason("compression.type", "zip", "Invalid value \"zip\""), "Invalid value \"zip\"");
}

TEST(MakeConf, RejectedSecretValueIsNotQuoted) {
  // librdkafka 2.0.2 does not quote this one itself; the check guards
  // against a library whose reasons do.
  auto conf = make_conf({{"sasl.kerberos.min.time.before.relogin", "hunter2-secret"}});
  ASSERT_FALSE(conf.ok());
  EXPECT_EQ(conf.error().message().find("hunter2"), std::string::npos) << conf.error().message();
  EXPECT_NE(conf.error().message().find("sasl.kerberos.min.time.before.relogin"), std::string::npos);
}

TEST(MakeConf, RejectedOrdinaryValueIsStillQuoted) {
  auto conf = make_conf({{"compression.type", "not-a-codec"}});
  ASSERT_FALSE(conf.ok());
  EXPECT_NE(conf.error().message().find("not-a-codec"), std::string::npos) << conf.error().message();
}

TEST(ParseProperty, TextWithoutEqualsIsNotQuoted) {
  // "sasl.password=ab,cd-hunter2" split at the comma leaves "cd-hunter2".
  auto property = parse_property("cd-hunter2");
  ASSERT_FALSE(property.ok());
  EXPECT_EQ(property.error().message().find("hunter2"), std::string::npos) << property.error().message();
  EXPECT_NE(property.error().message().find("key=value"), std::string::npos);
}

TEST(IsSecretKey, CoversPasswordsKeysAndSasl) {
  for (const char* key : {"sasl.password", "sasl.username", "ssl.key.password", "ssl.key.pem",
                          "ssl.keystore.password", "sasl.oauthbearer.client.secret", "SASL.PASSWORD",
                          "my.Password.field", "sasl.oauthbearer.config"}) {
    EXPECT_TRUE(is_secret_key(key)) << key;
  }
  for (const char* key : {"bootstrap.servers", "security.protocol", "ssl.ca.location", "acks"}) {
    EXPECT_FALSE(is_secret_key(key)) << key;
  }
  EXPECT_EQ(describe_property("sasl.password", "hunter2"), "sasl.password=<redacted>");
  EXPECT_EQ(describe_property("acks", "all"), "acks=all");
}

class TempFile {
 public:
  explicit TempFile(const std::string& content) {
    std::string pattern = (std::filesystem::temp_directory_path() / "edgestream-XXXXXX").string();
    int fd = mkstemp(pattern.data());
    EXPECT_GE(fd, 0);
    close(fd);
    path_ = pattern;
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string value_of(const Properties& properties, const std::string& key) {
  auto it = std::find_if(properties.begin(), properties.end(),
                         [&](const auto& property) { return property.first == key; });
  return it == properties.end() ? "<unset>" : it->second;
}

TEST(SecurityProperties, EmptyMeansLibraryDefaults) {
  auto properties = security_properties({});
  ASSERT_TRUE(properties.ok());
  EXPECT_TRUE(properties.value().empty());
}

TEST(SecurityProperties, SaslSslReadsThePasswordFileAndChecksTheHostName) {
  TempFile password("s3cr3t with spaces\n");
  TempFile ca("-----BEGIN CERTIFICATE-----\n");
  auto properties = security_properties({"SASL_SSL", "", ca.path(), "processor", password.path()});
  ASSERT_TRUE(properties.ok()) << properties.error().message();
  EXPECT_EQ(value_of(properties.value(), "security.protocol"), "sasl_ssl");
  EXPECT_EQ(value_of(properties.value(), "sasl.mechanisms"), "SCRAM-SHA-512");
  EXPECT_EQ(value_of(properties.value(), "sasl.username"), "processor");
  EXPECT_EQ(value_of(properties.value(), "sasl.password"), "s3cr3t with spaces");
  EXPECT_EQ(value_of(properties.value(), "ssl.ca.location"), ca.path());
  EXPECT_EQ(value_of(properties.value(), "ssl.endpoint.identification.algorithm"), "https");
  EXPECT_TRUE(make_conf(properties.value()).ok());
}

TEST(SecurityProperties, SaslWithoutCredentialsIsAnError) {
  auto properties = security_properties({"SASL_SSL", "", "", "processor", ""});
  ASSERT_FALSE(properties.ok());
  EXPECT_EQ(properties.error().kind(), ErrorKind::kInvalidConfig);
  EXPECT_NE(properties.error().message().find("--kafka-password-file"), std::string::npos);
}

TEST(SecurityProperties, CredentialsWithoutSaslAreAnError) {
  TempFile password("pw");
  auto properties = security_properties({"", "", "", "processor", password.path()});
  ASSERT_FALSE(properties.ok());
  EXPECT_NE(properties.error().message().find("SASL_SSL"), std::string::npos);
}

TEST(SecurityProperties, MissingOrEmptyPasswordFileNamesTheFile) {
  auto missing = security_properties({"SASL_SSL", "", "", "u", "/nonexistent/password"});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("/nonexistent/password"), std::string::npos);
  TempFile empty("\n");
  auto blank = security_properties({"SASL_SSL", "", "", "u", empty.path()});
  ASSERT_FALSE(blank.ok());
  EXPECT_NE(blank.error().message().find("empty"), std::string::npos);
}

TEST(SecurityProperties, UnknownProtocolIsAnError) {
  EXPECT_FALSE(security_properties({"TLS", "", "", "", ""}).ok());
}

TEST(CommonOptions, CredentialsComeFromTheComponentsVariables) {
  TempFile password("from-a-file\n");
  setenv("EDGESTREAM_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT", 1);
  setenv("EDGESTREAM_PROCESSOR_KAFKA_USERNAME", "processor", 1);
  setenv("EDGESTREAM_PROCESSOR_KAFKA_PASSWORD_FILE", password.path().c_str(), 1);
  setenv("EDGESTREAM_ARCHIVER_KAFKA_USERNAME", "archiver", 1);
  CLI::App app;
  CommonOptions options;
  std::string metrics;
  add_common_options(app, options, metrics, "processor");
  std::array<const char*, 3> argv{"processor", "--kafka", "acks=all"};
  app.parse(static_cast<int>(argv.size()), argv.data());
  std::string bootstrap = "127.0.0.1:1";
  Properties overrides;
  Status status = apply_common_options(options, bootstrap, overrides);
  unsetenv("EDGESTREAM_KAFKA_SECURITY_PROTOCOL");
  unsetenv("EDGESTREAM_PROCESSOR_KAFKA_USERNAME");
  unsetenv("EDGESTREAM_PROCESSOR_KAFKA_PASSWORD_FILE");
  unsetenv("EDGESTREAM_ARCHIVER_KAFKA_USERNAME");
  ASSERT_TRUE(status.ok()) << status.error().message();
  EXPECT_EQ(value_of(overrides, "sasl.username"), "processor");
  EXPECT_EQ(value_of(overrides, "sasl.password"), "from-a-file");
  ASSERT_FALSE(overrides.empty());
  EXPECT_EQ(overrides.back(), (std::pair<std::string, std::string>{"acks", "all"}));
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
