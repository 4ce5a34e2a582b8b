#include "edgestream/s3/error.h"

#include <array>
#include <string>

namespace edgestream::s3 {

const char* to_string(RetryCause cause) {
  switch (cause) {
    case RetryCause::kNone: return "none";
    case RetryCause::kNetwork: return "network";
    case RetryCause::kTimeout: return "timeout";
    case RetryCause::kServerError: return "server_error";
    case RetryCause::kThrottled: return "throttled";
    case RetryCause::kAuth: return "auth";
    case RetryCause::kCorruption: return "corruption";
  }
  return "unknown";
}

const char* to_string(S3Operation op) {
  switch (op) {
    case S3Operation::kPutObject: return "PutObject";
    case S3Operation::kCreateMultipartUpload: return "CreateMultipartUpload";
    case S3Operation::kUploadPart: return "UploadPart";
    case S3Operation::kCompleteMultipartUpload: return "CompleteMultipartUpload";
    case S3Operation::kAbortMultipartUpload: return "AbortMultipartUpload";
    case S3Operation::kGetObject: return "GetObject";
    case S3Operation::kHeadObject: return "HeadObject";
    case S3Operation::kListObjectsV2: return "ListObjectsV2";
    case S3Operation::kDeleteObject: return "DeleteObject";
  }
  return "S3Request";
}

const char* required_permission(S3Operation op) {
  // IAM actions, not API names: every multipart step but abort is authorised by
  // s3:PutObject, HEAD by s3:GetObject, and listing by s3:ListBucket.
  switch (op) {
    case S3Operation::kPutObject:
    case S3Operation::kCreateMultipartUpload:
    case S3Operation::kUploadPart:
    case S3Operation::kCompleteMultipartUpload: return "s3:PutObject";
    case S3Operation::kAbortMultipartUpload: return "s3:AbortMultipartUpload";
    case S3Operation::kGetObject:
    case S3Operation::kHeadObject: return "s3:GetObject";
    case S3Operation::kListObjectsV2: return "s3:ListBucket";
    case S3Operation::kDeleteObject: return "s3:DeleteObject";
  }
  return "s3:*";
}

const char* to_string(TransportError error) {
  switch (error) {
    case TransportError::kNone: return "none";
    case TransportError::kConnect: return "connect";
    case TransportError::kResolve: return "resolve";
    case TransportError::kTimeout: return "timeout";
    case TransportError::kSendRecv: return "send/receive";
    case TransportError::kTls: return "tls";
    case TransportError::kLocalIo: return "local I/O";
    case TransportError::kConfig: return "config";
    case TransportError::kOther: return "other";
  }
  return "unknown";
}

S3ErrorCode parse_error_code(std::string_view code) {
  struct Entry {
    std::string_view text;
    S3ErrorCode value;
  };
  static constexpr std::array kTable{
      Entry{"AccessDenied", S3ErrorCode::kAccessDenied},
      Entry{"SignatureDoesNotMatch", S3ErrorCode::kSignatureDoesNotMatch},
      Entry{"InvalidAccessKeyId", S3ErrorCode::kInvalidAccessKeyId},
      Entry{"ExpiredToken", S3ErrorCode::kExpiredToken},
      Entry{"TokenRefreshRequired", S3ErrorCode::kTokenRefreshRequired},
      Entry{"InvalidToken", S3ErrorCode::kInvalidToken},
      Entry{"AuthorizationHeaderMalformed", S3ErrorCode::kAuthorizationHeaderMalformed},
      Entry{"RequestTimeTooSkewed", S3ErrorCode::kRequestTimeTooSkewed},
      Entry{"NoSuchBucket", S3ErrorCode::kNoSuchBucket},
      Entry{"NoSuchKey", S3ErrorCode::kNoSuchKey},
      Entry{"NoSuchUpload", S3ErrorCode::kNoSuchUpload},
      Entry{"SlowDown", S3ErrorCode::kSlowDown},
      Entry{"RequestTimeout", S3ErrorCode::kRequestTimeout},
      Entry{"InternalError", S3ErrorCode::kInternalError},
      Entry{"ServiceUnavailable", S3ErrorCode::kServiceUnavailable},
      Entry{"BadDigest", S3ErrorCode::kBadDigest},
      Entry{"InvalidDigest", S3ErrorCode::kInvalidDigest},
      Entry{"XAmzContentSHA256Mismatch", S3ErrorCode::kXAmzContentSHA256Mismatch},
      Entry{"EntityTooSmall", S3ErrorCode::kEntityTooSmall},
      Entry{"EntityTooLarge", S3ErrorCode::kEntityTooLarge},
      Entry{"InvalidPart", S3ErrorCode::kInvalidPart},
      Entry{"InvalidPartOrder", S3ErrorCode::kInvalidPartOrder},
      Entry{"MalformedXML", S3ErrorCode::kMalformedXML},
      Entry{"InvalidArgument", S3ErrorCode::kInvalidArgument},
      Entry{"InvalidRequest", S3ErrorCode::kInvalidRequest},
      Entry{"InvalidBucketName", S3ErrorCode::kInvalidBucketName},
      Entry{"KeyTooLongError", S3ErrorCode::kKeyTooLong},
      Entry{"PermanentRedirect", S3ErrorCode::kPermanentRedirect},
      Entry{"PreconditionFailed", S3ErrorCode::kPreconditionFailed},
      Entry{"ConditionalRequestConflict", S3ErrorCode::kConditionalRequestConflict},
  };
  if (code.empty()) return S3ErrorCode::kNone;
  for (const Entry& entry : kTable) {
    if (entry.text == code) return entry.value;
  }
  return S3ErrorCode::kUnknown;
}

std::string s3_uri(std::string_view bucket, std::string_view key) {
  std::string uri = "s3://";
  uri += bucket;
  if (!key.empty()) {
    uri += '/';
    uri += key;
  }
  return uri;
}

namespace {

// "PutObject s3://b/k: 403 AccessDenied (request 7F…): Access Denied"
std::string wire_prefix(const S3Outcome& o) {
  std::string text = to_string(o.operation);
  text += ' ';
  text += s3_uri(o.bucket, o.key);
  text += ": ";
  if (o.transport != TransportError::kNone) {
    text += to_string(o.transport);
    text += " error";
    if (!o.transport_message.empty()) text += " (" + o.transport_message + ")";
    return text;
  }
  text += std::to_string(o.http_status);
  if (!o.code.empty()) text += ' ' + o.code;
  if (!o.request_id.empty()) text += " (request " + o.request_id + ")";
  if (!o.message.empty()) {
    std::string_view message = o.message;
    while (!message.empty() && (message.back() == '.' || message.back() == ' ')) {
      message.remove_suffix(1);  // the advice follows after "; "
    }
    text += ": ";
    text += message;
  }
  return text;
}

S3Error make(const S3Outcome& o, ErrorKind kind, RetryCause cause, std::string_view advice) {
  std::string text = wire_prefix(o);
  if (!advice.empty()) {
    text += "; ";
    text += advice;
  }
  S3Error error(kind, cause, std::move(text));
  error.set_wire(o.http_status, o.code, o.request_id);
  return error;
}

std::string source_of(const S3Outcome& o) {
  return o.credentials_source.empty() ? std::string("the configured credentials")
                                      : "credentials from " + o.credentials_source;
}

std::string grant_advice(const S3Outcome& o) {
  std::string resource = o.operation == S3Operation::kListObjectsV2
                             ? "arn:aws:s3:::" + o.bucket
                             : "arn:aws:s3:::" + o.bucket + "/*";
  return std::string("grant ") + required_permission(o.operation) + " on " + resource +
         " to the node role (or the role of " + source_of(o) +
         "), and check the bucket policy and the VPC endpoint policy";
}

// Outcomes without a code this client knows: decided by the HTTP status.
S3Error classify_by_status(const S3Outcome& o) {
  const long status = o.http_status;
  if (status == 500 || status == 502 || status == 503 || status == 504) {
    return make(o, ErrorKind::kRetriable, RetryCause::kServerError, "retry with backoff");
  }
  if (status == 429) {
    return make(o, ErrorKind::kRetriable, RetryCause::kThrottled, "retry with backoff");
  }
  if (status == 408) {
    return make(o, ErrorKind::kRetriable, RetryCause::kTimeout, "retry with backoff");
  }
  if (status == 403) {
    return make(o, ErrorKind::kFatal, RetryCause::kNone, grant_advice(o));
  }
  if (status == 412) {
    return make(o, ErrorKind::kFatal, RetryCause::kNone,
                "the object already exists and this write may only create it; read the "
                "existing object instead of retrying");
  }
  if (status == 404) {
    return make(o, ErrorKind::kFatal, RetryCause::kNone,
                "the bucket or object does not exist; check s3.bucket, s3.region and the "
                "endpoint URL");
  }
  if (status >= 300 && status < 400) {
    return make(o, ErrorKind::kFatal, RetryCause::kNone,
                "the endpoint redirects: the bucket is probably in another region; set "
                "s3.region and the endpoint URL to the bucket's region");
  }
  if (status >= 400 && status < 500) {
    return make(o, ErrorKind::kFatal, RetryCause::kNone,
                "the server rejected the request; this is a client or configuration bug");
  }
  // 1xx, 2xx with an error body, other 5xx: the server misbehaved; retrying is safe
  // because every request this client makes is idempotent.
  return make(o, ErrorKind::kRetriable, RetryCause::kServerError, "retry with backoff");
}

}  // namespace

S3Error classify(const S3Outcome& o) {
  switch (o.transport) {
    case TransportError::kNone: break;
    case TransportError::kConnect:
    case TransportError::kResolve:
    case TransportError::kSendRecv:
    case TransportError::kOther:
      return make(o, ErrorKind::kRetriable, RetryCause::kNetwork,
                  "check that the S3 endpoint is reachable from this node");
    case TransportError::kTimeout:
      return make(o, ErrorKind::kRetriable, RetryCause::kTimeout,
                  "the network stalled; retry with backoff");
    case TransportError::kTls:
      return make(o, ErrorKind::kFatal, RetryCause::kNone,
                  "TLS verification of the endpoint failed; set s3.ca_bundle to the CA that "
                  "issued the endpoint's certificate (verification stays on)");
    case TransportError::kLocalIo:
      return make(o, ErrorKind::kFatal, RetryCause::kNone,
                  "reading the local file failed; check the spool disk");
    case TransportError::kConfig:
      return make(o, ErrorKind::kFatal, RetryCause::kNone, "check s3.endpoint_url");
  }

  switch (parse_error_code(o.code)) {
    case S3ErrorCode::kNone:
    case S3ErrorCode::kUnknown: break;  // decided by HTTP status below
    case S3ErrorCode::kSlowDown:
      return make(o, ErrorKind::kRetriable, RetryCause::kThrottled, "retry with backoff");
    case S3ErrorCode::kRequestTimeout:
      return make(o, ErrorKind::kRetriable, RetryCause::kTimeout,
                  "the server timed out waiting for the body; retry with backoff");
    case S3ErrorCode::kInternalError:
    case S3ErrorCode::kServiceUnavailable:
      return make(o, ErrorKind::kRetriable, RetryCause::kServerError, "retry with backoff");
    case S3ErrorCode::kNoSuchUpload:
      return make(o, ErrorKind::kRetriable, RetryCause::kServerError,
                  "the multipart upload no longer exists (aborted by a lifecycle rule?); the "
                  "upload starts again");
    case S3ErrorCode::kBadDigest:
    case S3ErrorCode::kInvalidDigest:
    case S3ErrorCode::kXAmzContentSHA256Mismatch:
      return make(o, ErrorKind::kRetriable, RetryCause::kCorruption,
                  "the body the server received does not match its checksum (corrupted in "
                  "transit, or the file changed); nothing was stored; retry");
    case S3ErrorCode::kExpiredToken:
    case S3ErrorCode::kTokenRefreshRequired:
      if (o.credentials_refreshable) {
        return make(o, ErrorKind::kRetriable, RetryCause::kAuth,
                    "the session expired; credentials were invalidated, retry to use fresh ones");
      }
      return make(o, ErrorKind::kFatal, RetryCause::kNone,
                  "the session token of " + source_of(o) +
                      " expired and cannot be refreshed here; provide fresh credentials "
                      "(AWS_SESSION_TOKEN) or use web identity (AWS_WEB_IDENTITY_TOKEN_FILE + "
                      "AWS_ROLE_ARN)");
    case S3ErrorCode::kInvalidToken:
      return make(o, ErrorKind::kFatal, RetryCause::kNone,
                  "the session token of " + source_of(o) +
                      " is malformed; check AWS_SESSION_TOKEN / aws_session_token");
    case S3ErrorCode::kAccessDenied:
      return make(o, ErrorKind::kFatal, RetryCause::kNone, grant_advice(o));
    case S3ErrorCode::kSignatureDoesNotMatch:
      return make(o, ErrorKind::kFatal, RetryCause::kNone,
                  "the secret access key does not belong to the access key id (" + source_of(o) +
                      "); check AWS_SECRET_ACCESS_KEY or aws_secret_access_key in the "
                      "credentials file");
    case S3ErrorCode::kInvalidAccessKeyId:
      return make(o, ErrorKind::kFatal, RetryCause::kNone,
                  "the S3 endpoint does not know the access key id (" + source_of(o) +
                      "); check AWS_ACCESS_KEY_ID or aws_access_key_id in the credentials file");
    case S3ErrorCode::kAuthorizationHeaderMalformed:
      return make(o, ErrorKind::kFatal, RetryCause::kNone,
                  "the request was signed for region '" + o.region +
                      "'; set s3.region (AWS_REGION) to the bucket's region");
    case S3ErrorCode::kRequestTimeTooSkewed:
      return make(o, ErrorKind::kFatal, RetryCause::kNone,
                  "this node's clock is more than 15 minutes off; fix time synchronisation "
                  "(chrony/NTP)");
    case S3ErrorCode::kNoSuchBucket:
      return make(o, ErrorKind::kFatal, RetryCause::kNone,
                  "the bucket does not exist at this endpoint; create it (Terraform) or fix "
                  "s3.bucket / s3.endpoint_url / s3.region");
    case S3ErrorCode::kNoSuchKey:
      return make(o, ErrorKind::kFatal, RetryCause::kNone, "the object does not exist");
    case S3ErrorCode::kPermanentRedirect:
      return make(o, ErrorKind::kFatal, RetryCause::kNone,
                  "the bucket is in another region; set s3.region and the endpoint URL to the "
                  "bucket's region");
    case S3ErrorCode::kEntityTooSmall:
    case S3ErrorCode::kEntityTooLarge:
    case S3ErrorCode::kInvalidPart:
    case S3ErrorCode::kInvalidPartOrder:
    case S3ErrorCode::kMalformedXML:
    case S3ErrorCode::kInvalidArgument:
    case S3ErrorCode::kInvalidRequest:
      return make(o, ErrorKind::kFatal, RetryCause::kNone,
                  "the server rejected the request as malformed; this is a client bug or an "
                  "incompatible S3 server");
    case S3ErrorCode::kInvalidBucketName:
      return make(o, ErrorKind::kFatal, RetryCause::kNone, "fix s3.bucket");
    case S3ErrorCode::kPreconditionFailed:
      return make(o, ErrorKind::kFatal, RetryCause::kNone,
                  "the object already exists and this write may only create it; read the "
                  "existing object instead of retrying");
    case S3ErrorCode::kConditionalRequestConflict:
      return make(o, ErrorKind::kRetriable, RetryCause::kServerError,
                  "another conditional write of the same key was in progress; retry to learn "
                  "which one won");
    case S3ErrorCode::kKeyTooLong:
      return make(o, ErrorKind::kFatal, RetryCause::kNone,
                  "object keys are limited to 1024 bytes; shorten the key prefix");
  }
  return classify_by_status(o);
}

}  // namespace edgestream::s3
