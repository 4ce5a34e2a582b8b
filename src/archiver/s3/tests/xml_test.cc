// Sample bodies written for these tests from the documented response formats
// of ListObjectsV2, Error, InitiateMultipartUploadResult,
// CompleteMultipartUploadResult and STS AssumeRoleWithWebIdentity.
#include "xml_internal.h"

#include <gtest/gtest.h>

namespace edgestream::s3::xml {
namespace {

constexpr std::string_view kListPage1 = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>archive</Name>
  <Prefix>2024/</Prefix>
  <KeyCount>2</KeyCount>
  <MaxKeys>2</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <Contents>
    <Key>2024/12/26/10.parquet</Key>
    <LastModified>2024-12-26T11:00:05.000Z</LastModified>
    <ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag>
    <Size>434234</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <Contents>
    <Key>2024/12/26/a&amp;b &lt;c&gt;.parquet</Key>
    <LastModified>2024-12-26T12:00:05.000Z</LastModified>
    <ETag>"3c8b2ad1f7e0c0c3f4a9ba6d1e2f0a11-3"</ETag>
    <Size>12582912</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
</ListBucketResult>)";

TEST(ListObjectsV2, ParsesPageWithEntitiesAndToken) {
  std::string error;
  const std::optional<ListPage> page = parse_list_objects_v2(kListPage1, &error);
  ASSERT_TRUE(page) << error;
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_continuation_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "2024/12/26/10.parquet");
  EXPECT_EQ(page->objects[0].size, 434234u);
  EXPECT_EQ(page->objects[0].etag, "9b2cf535f27731c974343645a3985328");
  EXPECT_EQ(page->objects[0].last_modified, "2024-12-26T11:00:05.000Z");
  EXPECT_EQ(page->objects[1].key, "2024/12/26/a&b <c>.parquet");
  EXPECT_EQ(page->objects[1].etag, "3c8b2ad1f7e0c0c3f4a9ba6d1e2f0a11-3");
  EXPECT_EQ(page->objects[1].size, 12582912u);
}

TEST(ListObjectsV2, DecodesUrlEncodedKeys) {
  const std::string_view body = R"(<ListBucketResult>
  <EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>
  <Contents><Key>dir%2Fa%20b%2Bc%C3%A9</Key><Size>1</Size><ETag>"e"</ETag></Contents>
</ListBucketResult>)";
  std::string error;
  const std::optional<ListPage> page = parse_list_objects_v2(body, &error);
  ASSERT_TRUE(page) << error;
  EXPECT_FALSE(page->truncated);
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, "dir/a b+c\xc3\xa9");
}

TEST(ListObjectsV2, EmptyListing) {
  std::string error;
  const std::optional<ListPage> page = parse_list_objects_v2(
      "<ListBucketResult><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>",
      &error);
  ASSERT_TRUE(page) << error;
  EXPECT_TRUE(page->objects.empty());
}

TEST(ListObjectsV2, RejectsBrokenResponses) {
  std::string error;
  EXPECT_FALSE(parse_list_objects_v2("<ListBucketResult><Contents><Key>k</Key>", &error));
  EXPECT_NE(error.find("malformed XML"), std::string::npos) << error;
  EXPECT_FALSE(parse_list_objects_v2("<Error><Code>x</Code></Error>", &error));
  EXPECT_NE(error.find("expected <ListBucketResult>"), std::string::npos);
  EXPECT_FALSE(parse_list_objects_v2(
      "<ListBucketResult><Contents><Key>k</Key><Size>-1</Size></Contents></ListBucketResult>",
      &error));
  EXPECT_FALSE(parse_list_objects_v2(
      "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>", &error));
  EXPECT_NE(error.find("NextContinuationToken"), std::string::npos);
}

TEST(XmlParse, RejectsDeepNestingAndExternalEntitiesAreNotFetched) {
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "<a>";
  for (int i = 0; i < 100; ++i) deep += "</a>";
  std::string error;
  EXPECT_FALSE(parse(deep, &error));
  EXPECT_NE(error.find("deeper"), std::string::npos);
  // An external entity is not resolved (expat has no loader set): the parse
  // fails or leaves it empty, never reads the file.
  const std::optional<Element> root = parse(
      "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>",
      &error);
  if (root) {
    EXPECT_EQ(root->text.find("root:"), std::string::npos);
  }
}

TEST(ErrorBody, ParsesCodeMessageRequestId) {
  const std::optional<ErrorBody> error = parse_error(R"(<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>NoSuchKey</Code>
  <Message>The resource you requested does not exist</Message>
  <Resource>/archive/2024/x.parquet</Resource>
  <RequestId>4442587FB7D0A2F9</RequestId>
</Error>)");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code, "NoSuchKey");
  EXPECT_EQ(error->message, "The resource you requested does not exist");
  EXPECT_EQ(error->request_id, "4442587FB7D0A2F9");
  EXPECT_FALSE(parse_error(""));
  EXPECT_FALSE(parse_error("<ListBucketResult/>"));
}

TEST(Multipart, InitiateAndCompleteResults) {
  EXPECT_EQ(parse_initiate_multipart_upload(R"(<?xml version="1.0" encoding="UTF-8"?>
<InitiateMultipartUploadResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>archive</Bucket>
  <Key>2024/12/26/10.parquet</Key>
  <UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>
</InitiateMultipartUploadResult>)"),
            "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
  EXPECT_FALSE(parse_initiate_multipart_upload("<InitiateMultipartUploadResult/>"));
  EXPECT_EQ(parse_complete_multipart_upload(R"(<CompleteMultipartUploadResult>
  <Location>http://archive.s3.amazonaws.com/2024/x</Location><Bucket>archive</Bucket>
  <Key>2024/x</Key><ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag>
</CompleteMultipartUploadResult>)"),
            "3858f62230ac3c915f300c664312c11f-9");
  // A 200 whose body is an error is not a completed upload.
  EXPECT_FALSE(parse_complete_multipart_upload(
      "<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>"));
}

TEST(Sts, AssumeRoleWithWebIdentityResponse) {
  std::string error;
  const std::optional<Credentials> credentials = parse_assume_role_with_web_identity(R"(
<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>system:serviceaccount:edge:archiver</SubjectFromWebIdentityToken>
    <Credentials>
      <SessionToken>FwoGZXIvYXdzEXAMPLE</SessionToken>
      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>
      <Expiration>2024-12-26T12:00:00Z</Expiration>
      <AccessKeyId>ASIAEXAMPLE</AccessKeyId>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>)",
                                                                                    &error);
  ASSERT_TRUE(credentials) << error;
  EXPECT_EQ(credentials->access_key_id, "ASIAEXAMPLE");
  EXPECT_EQ(credentials->secret_access_key, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY");
  EXPECT_EQ(credentials->session_token, "FwoGZXIvYXdzEXAMPLE");
  using namespace std::chrono;
  EXPECT_EQ(credentials->expiration, sys_days{2024y / December / 26} + 12h);
  EXPECT_FALSE(parse_assume_role_with_web_identity(
      "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
      "<AccessKeyId>A</AccessKeyId></Credentials></AssumeRoleWithWebIdentityResult>"
      "</AssumeRoleWithWebIdentityResponse>",
      &error));
}

TEST(Helpers, UrlDecodeAndUnquote) {
  EXPECT_EQ(url_decode("a%2Fb%20c+d%"), "a/b c+d%");
  EXPECT_EQ(url_decode("%zz%41"), "%zzA");
  EXPECT_EQ(unquote("\"abc\""), "abc");
  EXPECT_EQ(unquote("abc"), "abc");
}

}  // namespace
}  // namespace edgestream::s3::xml
