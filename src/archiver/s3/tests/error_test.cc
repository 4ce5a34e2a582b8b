// The classification table: every row is an outcome S3 or the network produces
// and the decision the archiver must take for it.
#include "edgestream/s3/error.h"

#include <gtest/gtest.h>

namespace edgestream::s3 {
namespace {

S3Outcome http(S3Operation op, long status, std::string code, bool refreshable = false) {
  S3Outcome o;
  o.operation = op;
  o.bucket = "archive";
  o.key = "2024/12/26/10.parquet";
  o.http_status = status;
  o.code = std::move(code);
  o.message = "server text";
  o.request_id = "7F3A9C";
  o.region = "eu-west-1";
  o.credentials_source = "environment";
  o.credentials_refreshable = refreshable;
  return o;
}

S3Outcome network(TransportError error) {
  S3Outcome o = http(S3Operation::kPutObject, 0, "");
  o.transport = error;
  o.transport_message = "Failed to connect to 127.0.0.1 port 1";
  return o;
}

struct Row {
  S3Outcome outcome;
  ErrorKind kind;
  RetryCause cause;
};

TEST(Classify, Table) {
  using enum S3Operation;
  const Row rows[] = {
      {network(TransportError::kConnect), ErrorKind::kRetriable, RetryCause::kNetwork},
      {network(TransportError::kResolve), ErrorKind::kRetriable, RetryCause::kNetwork},
      {network(TransportError::kSendRecv), ErrorKind::kRetriable, RetryCause::kNetwork},
      {network(TransportError::kOther), ErrorKind::kRetriable, RetryCause::kNetwork},
      {network(TransportError::kTimeout), ErrorKind::kRetriable, RetryCause::kTimeout},
      {network(TransportError::kTls), ErrorKind::kFatal, RetryCause::kNone},
      {network(TransportError::kLocalIo), ErrorKind::kFatal, RetryCause::kNone},
      {network(TransportError::kConfig), ErrorKind::kFatal, RetryCause::kNone},
      {http(kPutObject, 500, "InternalError"), ErrorKind::kRetriable, RetryCause::kServerError},
      {http(kPutObject, 500, ""), ErrorKind::kRetriable, RetryCause::kServerError},
      {http(kPutObject, 502, ""), ErrorKind::kRetriable, RetryCause::kServerError},
      {http(kPutObject, 503, ""), ErrorKind::kRetriable, RetryCause::kServerError},
      {http(kPutObject, 504, ""), ErrorKind::kRetriable, RetryCause::kServerError},
      {http(kPutObject, 503, "SlowDown"), ErrorKind::kRetriable, RetryCause::kThrottled},
      {http(kPutObject, 503, "ServiceUnavailable"), ErrorKind::kRetriable, RetryCause::kServerError},
      {http(kPutObject, 429, ""), ErrorKind::kRetriable, RetryCause::kThrottled},
      {http(kPutObject, 400, "RequestTimeout"), ErrorKind::kRetriable, RetryCause::kTimeout},
      {http(kPutObject, 400, "BadDigest"), ErrorKind::kRetriable, RetryCause::kCorruption},
      {http(kUploadPart, 400, "InvalidDigest"), ErrorKind::kRetriable, RetryCause::kCorruption},
      {http(kPutObject, 400, "XAmzContentSHA256Mismatch"), ErrorKind::kRetriable,
       RetryCause::kCorruption},
      {http(kPutObject, 403, "AccessDenied"), ErrorKind::kFatal, RetryCause::kNone},
      {http(kPutObject, 403, "SignatureDoesNotMatch"), ErrorKind::kFatal, RetryCause::kNone},
      {http(kPutObject, 403, "InvalidAccessKeyId"), ErrorKind::kFatal, RetryCause::kNone},
      {http(kPutObject, 400, "ExpiredToken", false), ErrorKind::kFatal, RetryCause::kNone},
      {http(kPutObject, 400, "ExpiredToken", true), ErrorKind::kRetriable, RetryCause::kAuth},
      {http(kPutObject, 403, "", false), ErrorKind::kFatal, RetryCause::kNone},
      {http(kPutObject, 404, "NoSuchBucket"), ErrorKind::kFatal, RetryCause::kNone},
      {http(kHeadObject, 404, ""), ErrorKind::kFatal, RetryCause::kNone},
      {http(kUploadPart, 404, "NoSuchUpload"), ErrorKind::kRetriable, RetryCause::kServerError},
      {http(kPutObject, 400, "AuthorizationHeaderMalformed"), ErrorKind::kFatal, RetryCause::kNone},
      {http(kPutObject, 403, "RequestTimeTooSkewed"), ErrorKind::kFatal, RetryCause::kNone},
      {http(kUploadPart, 400, "EntityTooSmall"), ErrorKind::kFatal, RetryCause::kNone},
      {http(kPutObject, 400, "SomethingNew"), ErrorKind::kFatal, RetryCause::kNone},
      {http(kPutObject, 501, "NotImplemented"), ErrorKind::kRetriable, RetryCause::kServerError},
      {http(kPutObject, 301, "PermanentRedirect"), ErrorKind::kFatal, RetryCause::kNone},
  };
  for (const Row& row : rows) {
    const S3Error error = classify(row.outcome);
    SCOPED_TRACE(error.message());
    EXPECT_EQ(error.kind(), row.kind);
    EXPECT_EQ(error.cause(), row.cause);
  }
}

TEST(Classify, AccessDeniedSaysWhatFailedAndWhatToGrant) {
  const S3Error error = classify(http(S3Operation::kPutObject, 403, "AccessDenied"));
  EXPECT_EQ(error.message(),
            "PutObject s3://archive/2024/12/26/10.parquet: 403 AccessDenied (request 7F3A9C): "
            "server text; grant s3:PutObject on arn:aws:s3:::archive/* to the node role (or the "
            "role of credentials from environment), and check the bucket policy and the VPC "
            "endpoint policy");
  EXPECT_EQ(error.http_status(), 403);
  EXPECT_EQ(error.code(), "AccessDenied");
  EXPECT_EQ(error.request_id(), "7F3A9C");
}

TEST(Classify, ListNeedsListBucketOnTheBucketItself) {
  S3Outcome o = http(S3Operation::kListObjectsV2, 403, "AccessDenied");
  o.key = "";
  const S3Error error = classify(o);
  EXPECT_NE(error.message().find("ListObjectsV2 s3://archive: 403"), std::string::npos);
  EXPECT_NE(error.message().find("grant s3:ListBucket on arn:aws:s3:::archive to"),
            std::string::npos)
      << error.message();
}

TEST(Classify, MessagesSayWhatToDo) {
  EXPECT_NE(classify(http(S3Operation::kPutObject, 403, "SignatureDoesNotMatch"))
                .message()
                .find("AWS_SECRET_ACCESS_KEY"),
            std::string::npos);
  EXPECT_NE(classify(http(S3Operation::kPutObject, 404, "NoSuchBucket")).message().find("create it"),
            std::string::npos);
  EXPECT_NE(classify(http(S3Operation::kPutObject, 400, "AuthorizationHeaderMalformed"))
                .message()
                .find("'eu-west-1'"),
            std::string::npos);
  const S3Error net = classify(network(TransportError::kConnect));
  EXPECT_NE(net.message().find("PutObject s3://archive/2024/12/26/10.parquet: connect error "
                               "(Failed to connect to 127.0.0.1 port 1)"),
            std::string::npos)
      << net.message();
}

TEST(Classify, ConvertsToCommonError) {
  const Error error = classify(http(S3Operation::kPutObject, 503, "SlowDown"));
  EXPECT_EQ(error.kind(), ErrorKind::kRetriable);
  EXPECT_NE(error.message().find("503 SlowDown"), std::string::npos);
}

TEST(ErrorCodes, ParseKnownAndUnknown) {
  EXPECT_EQ(parse_error_code("SlowDown"), S3ErrorCode::kSlowDown);
  EXPECT_EQ(parse_error_code("KeyTooLongError"), S3ErrorCode::kKeyTooLong);
  EXPECT_EQ(parse_error_code(""), S3ErrorCode::kNone);
  EXPECT_EQ(parse_error_code("slowdown"), S3ErrorCode::kUnknown);
}

TEST(Operations, Permissions) {
  EXPECT_STREQ(required_permission(S3Operation::kUploadPart), "s3:PutObject");
  EXPECT_STREQ(required_permission(S3Operation::kHeadObject), "s3:GetObject");
  EXPECT_STREQ(required_permission(S3Operation::kListObjectsV2), "s3:ListBucket");
  EXPECT_STREQ(required_permission(S3Operation::kAbortMultipartUpload), "s3:AbortMultipartUpload");
}

TEST(Classify, WriteOnceRefusalSaysTheKeyExistsAndIsNotRetried) {
  const S3Error put = classify(http(S3Operation::kPutObject, 412, "PreconditionFailed"));
  EXPECT_EQ(put.kind(), ErrorKind::kFatal);
  EXPECT_TRUE(put.key_exists());
  // A completion refused in a 200 response's body, and a HEAD-less 412.
  EXPECT_TRUE(classify(http(S3Operation::kCompleteMultipartUpload, 200, "PreconditionFailed")).key_exists());
  EXPECT_TRUE(classify(http(S3Operation::kPutObject, 412, "")).key_exists());
  // Two conditional writes racing: retry to learn which won.
  const S3Error race = classify(http(S3Operation::kPutObject, 409, "ConditionalRequestConflict"));
  EXPECT_EQ(race.kind(), ErrorKind::kRetriable);
  EXPECT_FALSE(race.key_exists());
  EXPECT_FALSE(classify(http(S3Operation::kPutObject, 403, "AccessDenied")).key_exists());
}

}  // namespace
}  // namespace edgestream::s3
