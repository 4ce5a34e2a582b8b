// S3 outcomes as values: one error type that carries what the caller does next
// (edgestream::ErrorKind), why (RetryCause, a bounded metrics label) and the
// wire facts (operation, s3://bucket/key, HTTP status, S3 code, request id).
//
// classify() is the one place where an HTTP/S3/transport outcome becomes an
// S3Error. Callers never inspect status codes themselves.
#pragma once

#include <cassert>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "edgestream/common/status.h"

namespace edgestream::s3 {

// Why a retriable error happened; the `cause` label of retry metrics. Bounded.
enum class RetryCause {
  kNone,         // not retriable, or no cause to report
  kNetwork,      // connection refused/reset, DNS, send/receive failure
  kTimeout,      // connect timeout, low-speed limit, request timeout
  kServerError,  // 500/502/503/504, InternalError, a vanished multipart upload
  kThrottled,    // SlowDown, 429
  kAuth,         // ExpiredToken with a provider that refreshes: retry with new credentials
  kCorruption,   // BadDigest/InvalidDigest/payload hash mismatch: the body changed in transit
};
const char* to_string(RetryCause cause);

// The S3 operations this client performs; each names the IAM permission it needs.
enum class S3Operation {
  kPutObject,
  kCreateMultipartUpload,
  kUploadPart,
  kCompleteMultipartUpload,
  kAbortMultipartUpload,
  kGetObject,
  kHeadObject,
  kListObjectsV2,
  kDeleteObject,
};
const char* to_string(S3Operation op);            // "PutObject"
const char* required_permission(S3Operation op);  // "s3:PutObject"

// Transport-level failure (before or instead of an HTTP status).
enum class TransportError {
  kNone,     // an HTTP response arrived
  kConnect,  // connection refused / unreachable
  kResolve,  // host name did not resolve
  kTimeout,  // connect timeout, low-speed limit, total timeout
  kSendRecv, // connection reset, partial response, nothing received
  kTls,      // certificate verification or TLS setup failed
  kLocalIo,  // reading the local file being uploaded failed
  kConfig,   // malformed URL, unsupported protocol: a configuration bug
  kOther,    // anything else libcurl reports
};
const char* to_string(TransportError error);

// S3 error codes this client reacts to specifically. Codes not listed parse to
// kUnknown and are classified by HTTP status after the exhaustive switch.
enum class S3ErrorCode {
  kNone,  // no code (HEAD responses, empty bodies)
  kAccessDenied,
  kSignatureDoesNotMatch,
  kInvalidAccessKeyId,
  kExpiredToken,
  kTokenRefreshRequired,
  kInvalidToken,
  kAuthorizationHeaderMalformed,
  kRequestTimeTooSkewed,
  kNoSuchBucket,
  kNoSuchKey,
  kNoSuchUpload,
  kSlowDown,
  kRequestTimeout,
  kInternalError,
  kServiceUnavailable,
  kBadDigest,
  kInvalidDigest,
  kXAmzContentSHA256Mismatch,
  kEntityTooSmall,
  kEntityTooLarge,
  kInvalidPart,
  kInvalidPartOrder,
  kMalformedXML,
  kInvalidArgument,
  kInvalidRequest,
  kInvalidBucketName,
  kKeyTooLong,
  kPermanentRedirect,
  kPreconditionFailed,          // a conditional write found the key taken (If-None-Match: *)
  kConditionalRequestConflict,  // two conditional writes of one key raced; retry
  kUnknown,
};
S3ErrorCode parse_error_code(std::string_view code);

class S3Error {
 public:
  S3Error(ErrorKind kind, RetryCause cause, std::string message)
      : kind_(kind), cause_(cause), message_(std::move(message)) {}

  ErrorKind kind() const { return kind_; }
  RetryCause cause() const { return cause_; }
  const std::string& message() const { return message_; }
  long http_status() const { return http_status_; }
  const std::string& code() const { return code_; }
  const std::string& request_id() const { return request_id_; }
  // A write-once upload (PutOptions::if_none_match) found the key already
  // taken: not retriable, the caller reads the existing object instead.
  bool key_exists() const { return http_status_ == 412 || code_ == "PreconditionFailed"; }

  S3Error& set_wire(long http_status, std::string code, std::string request_id) {
    http_status_ = http_status;
    code_ = std::move(code);
    request_id_ = std::move(request_id);
    return *this;
  }
  S3Error with_context(const std::string& context) const {
    S3Error copy = *this;
    copy.message_ = context + ": " + message_;
    return copy;
  }
  // Hands the error to code that speaks only edgestream::Error.
  operator Error() const { return Error(kind_, message_); }  // NOLINT: implicit by design

 private:
  ErrorKind kind_;
  RetryCause cause_;
  std::string message_;
  long http_status_ = 0;
  std::string code_;
  std::string request_id_;
};

// Result<T> with an S3Error: the same shape as edgestream::Result, but the error
// keeps its cause and wire facts for metrics and logs.
template <typename T>
class [[nodiscard]] S3Result {
 public:
  S3Result(T value) : value_(std::move(value)) {}          // NOLINT: implicit by design
  S3Result(S3Error error) : value_(std::move(error)) {}    // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(value_); }
  explicit operator bool() const { return ok(); }
  T& value() & {
    assert(ok() && "value() on an error S3Result is a bug");
    return std::get<T>(value_);
  }
  T&& value() && {
    assert(ok() && "value() on an error S3Result is a bug");
    return std::get<T>(std::move(value_));
  }
  const T& value() const& {
    assert(ok() && "value() on an error S3Result is a bug");
    return std::get<T>(value_);
  }
  const S3Error& error() const {
    assert(!ok() && "error() on an ok S3Result is a bug");
    return std::get<S3Error>(value_);
  }

 private:
  std::variant<T, S3Error> value_;
};

// Success without a value.
struct Done {};
using S3Status = S3Result<Done>;

// Everything known about one failed exchange, as input to classify().
struct S3Outcome {
  S3Operation operation = S3Operation::kPutObject;
  std::string bucket;
  std::string key;
  TransportError transport = TransportError::kNone;
  std::string transport_message;  // libcurl's text
  long http_status = 0;
  std::string code;               // S3 <Code>, raw
  std::string message;            // S3 <Message>
  std::string request_id;         // x-amz-request-id or <RequestId>
  std::string region;             // for the "wrong region" advice
  std::string credentials_source; // "environment", "shared credentials file (profile p)", …
  bool credentials_refreshable = false;  // the provider can fetch new credentials
};

// Maps one failed outcome to what the caller must do next. Never returns an
// error for a 2xx response without a code: callers check success first.
S3Error classify(const S3Outcome& outcome);

// "s3://bucket/key" (or "s3://bucket" for bucket-level operations).
std::string s3_uri(std::string_view bucket, std::string_view key);

}  // namespace edgestream::s3
