#include "edgestream/s3/endpoint.h"

#include <gtest/gtest.h>

namespace edgestream::s3 {
namespace {

Endpoint resolve_ok(EndpointConfig config) {
  Result<Endpoint> endpoint = Endpoint::resolve(config);
  EXPECT_TRUE(endpoint.ok()) << (endpoint.ok() ? "" : endpoint.error().message());
  return std::move(endpoint).value();
}

TEST(Endpoint, PathStyleLocalStack) {
  const Endpoint e = resolve_ok({"http://127.0.0.1:19000", "archive", "us-east-1",
                                 AddressingStyle::kAuto});
  EXPECT_TRUE(e.path_style());
  const RequestTarget t = e.target("2024/12/26/part 0.parquet");
  EXPECT_EQ(t.url, "http://127.0.0.1:19000/archive/2024/12/26/part%200.parquet");
  EXPECT_EQ(t.host, "127.0.0.1:19000");
  EXPECT_EQ(t.canonical_uri, "/archive/2024/12/26/part%200.parquet");
  EXPECT_EQ(t.canonical_query, "");
}

TEST(Endpoint, BucketLevelRequestWithQuery) {
  const Endpoint e = resolve_ok({"http://localhost:19000/", "archive", "us-east-1",
                                 AddressingStyle::kAuto});
  const RequestTarget t = e.target("", {{"prefix", "a/b"}, {"list-type", "2"}});
  EXPECT_EQ(t.url, "http://localhost:19000/archive?list-type=2&prefix=a%2Fb");
  EXPECT_EQ(t.canonical_uri, "/archive");
  EXPECT_EQ(t.canonical_query, "list-type=2&prefix=a%2Fb");
}

TEST(Endpoint, DefaultAwsEndpointIsVirtualHosted) {
  const Endpoint e = resolve_ok({"", "archive", "eu-west-1", AddressingStyle::kAuto});
  EXPECT_FALSE(e.path_style());
  const RequestTarget t = e.target("k/v.parquet");
  EXPECT_EQ(t.url, "https://archive.s3.eu-west-1.amazonaws.com/k/v.parquet");
  EXPECT_EQ(t.host, "archive.s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(t.canonical_uri, "/k/v.parquet");
  EXPECT_EQ(e.target("").canonical_uri, "/");
}

TEST(Endpoint, ExplicitRegionalEndpointVirtual) {
  const Endpoint e = resolve_ok({"https://s3.us-west-2.amazonaws.com", "archive", "us-west-2",
                                 AddressingStyle::kVirtual});
  EXPECT_EQ(e.target("x").url, "https://archive.s3.us-west-2.amazonaws.com/x");
}

TEST(Endpoint, DottedBucketFallsBackToPathOnAws) {
  // A dotted bucket does not match the *.s3 wildcard certificate.
  const Endpoint e = resolve_ok({"", "my.archive", "eu-west-1", AddressingStyle::kAuto});
  EXPECT_TRUE(e.path_style());
  EXPECT_EQ(e.target("x").url, "https://s3.eu-west-1.amazonaws.com/my.archive/x");
}

TEST(Endpoint, VpceWithBucketInHost) {
  const Endpoint e = resolve_ok({"https://archive.vpce-0a1b2c3d-4e5f6a7b.s3.eu-west-1.vpce.amazonaws.com",
                                 "archive", "eu-west-1", AddressingStyle::kAuto});
  EXPECT_FALSE(e.path_style());
  const RequestTarget t = e.target("2024/x.parquet");
  EXPECT_EQ(t.host, "archive.vpce-0a1b2c3d-4e5f6a7b.s3.eu-west-1.vpce.amazonaws.com");
  EXPECT_EQ(t.url,
            "https://archive.vpce-0a1b2c3d-4e5f6a7b.s3.eu-west-1.vpce.amazonaws.com/2024/x.parquet");
  EXPECT_EQ(t.canonical_uri, "/2024/x.parquet");
  // Explicit virtual does not prepend the bucket a second time.
  const Endpoint v = resolve_ok({"https://archive.vpce-0a1b2c3d-4e5f6a7b.s3.eu-west-1.vpce.amazonaws.com",
                                 "archive", "eu-west-1", AddressingStyle::kVirtual});
  EXPECT_EQ(v.target("k").host, "archive.vpce-0a1b2c3d-4e5f6a7b.s3.eu-west-1.vpce.amazonaws.com");
}

TEST(Endpoint, VpceWithBucketInHostRejectsPathStyle) {
  Result<Endpoint> e = Endpoint::resolve({"https://archive.vpce-0a1b.s3.eu-west-1.vpce.amazonaws.com",
                                          "archive", "eu-west-1", AddressingStyle::kPath});
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().kind(), ErrorKind::kInvalidConfig);
  EXPECT_NE(e.error().message().find("already names bucket"), std::string::npos);
}

TEST(Endpoint, VpceWithoutBucketIsPathStyleByDefault) {
  const Endpoint e = resolve_ok({"https://vpce-0a1b2c3d-4e5f6a7b.s3.eu-west-1.vpce.amazonaws.com",
                                 "archive", "eu-west-1", AddressingStyle::kAuto});
  EXPECT_TRUE(e.path_style());
  const RequestTarget t = e.target("k.parquet");
  EXPECT_EQ(t.host, "vpce-0a1b2c3d-4e5f6a7b.s3.eu-west-1.vpce.amazonaws.com");
  EXPECT_EQ(t.url, "https://vpce-0a1b2c3d-4e5f6a7b.s3.eu-west-1.vpce.amazonaws.com/archive/k.parquet");
  // Asking for virtual puts the bucket in front, the other documented form.
  const Endpoint v = resolve_ok({"https://vpce-0a1b2c3d-4e5f6a7b.s3.eu-west-1.vpce.amazonaws.com",
                                 "archive", "eu-west-1", AddressingStyle::kVirtual});
  EXPECT_EQ(v.target("k").host, "archive.vpce-0a1b2c3d-4e5f6a7b.s3.eu-west-1.vpce.amazonaws.com");
}

TEST(Endpoint, KeysAreEncodedPerSegment) {
  const Endpoint e = resolve_ok({"http://127.0.0.1:19000", "b", "us-east-1", AddressingStyle::kPath});
  EXPECT_EQ(e.target("a b/c+d/é/x=1&y").canonical_uri, "/b/a%20b/c%2Bd/%C3%A9/x%3D1%26y");
  EXPECT_EQ(e.target("dir/../x").canonical_uri, "/b/dir/../x");  // no normalisation in S3
}

TEST(Endpoint, PortAndCaseInHost) {
  const Endpoint e = resolve_ok({"HTTPS://S3.Example.Test:8443", "b", "r", AddressingStyle::kAuto});
  EXPECT_EQ(e.target("k").url, "https://s3.example.test:8443/b/k");
  EXPECT_EQ(e.target("k").host, "s3.example.test:8443");
}

TEST(Endpoint, ConfigErrorsNameTheSetting) {
  struct Case {
    EndpointConfig config;
    std::string_view expected;
  };
  const Case cases[] = {
      {{"http://127.0.0.1:1", "", "us-east-1", AddressingStyle::kAuto}, "s3.bucket"},
      {{"http://127.0.0.1:1", "b", "", AddressingStyle::kAuto}, "s3.region"},
      {{"127.0.0.1:1", "bkt", "r", AddressingStyle::kAuto}, "no scheme"},
      {{"ftp://h", "bkt", "r", AddressingStyle::kAuto}, "http or https"},
      {{"http://h/prefix", "bkt", "r", AddressingStyle::kAuto}, "no path"},
      {{"http://127.0.0.1:1", "bkt", "r", AddressingStyle::kVirtual}, "s3.addressing=path"},
      {{"", "Bad_Bucket", "r", AddressingStyle::kVirtual}, "not a valid DNS label"},
  };
  for (const Case& c : cases) {
    Result<Endpoint> e = Endpoint::resolve(c.config);
    ASSERT_FALSE(e.ok()) << c.config.endpoint_url;
    EXPECT_EQ(e.error().kind(), ErrorKind::kInvalidConfig);
    EXPECT_NE(e.error().message().find(c.expected), std::string::npos) << e.error().message();
  }
}

TEST(Endpoint, AddressingStyleParsing) {
  AddressingStyle style = AddressingStyle::kAuto;
  EXPECT_TRUE(parse_addressing_style("virtual", style));
  EXPECT_EQ(style, AddressingStyle::kVirtual);
  EXPECT_TRUE(parse_addressing_style("path", style));
  EXPECT_EQ(style, AddressingStyle::kPath);
  EXPECT_FALSE(parse_addressing_style("Path", style));
}

TEST(Endpoint, DnsCompatibleBuckets) {
  EXPECT_TRUE(is_dns_compatible_bucket("archive-01"));
  EXPECT_TRUE(is_dns_compatible_bucket("a.b.c"));
  EXPECT_FALSE(is_dns_compatible_bucket("ab"));
  EXPECT_FALSE(is_dns_compatible_bucket("-abc"));
  EXPECT_FALSE(is_dns_compatible_bucket("Abc"));
  EXPECT_FALSE(is_dns_compatible_bucket(std::string(64, 'a')));
}

}  // namespace
}  // namespace edgestream::s3
