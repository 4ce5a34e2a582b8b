// AWS Signature Version 4 for the Authorization header, payload in a single
// chunk (signed payload hash). Pure functions: the caller supplies the time, so
// the published test vectors reproduce exactly.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace edgestream::s3 {

using HeaderList = std::vector<std::pair<std::string, std::string>>;
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// RFC 3986 percent-encoding as SigV4 defines it: unreserved characters
// (A–Z a–z 0–9 - . _ ~) stay, every other byte becomes %XX (upper-case hex).
// encode_slash=false keeps '/' (object key paths); true encodes it (query).
std::string uri_encode(std::string_view text, bool encode_slash);

// The canonical query string: each name and value URI-encoded (slash too),
// pairs sorted by encoded name then value, "name=" for empty values.
std::string canonical_query_string(const QueryParams& params);

// "20130524T000000Z" — the x-amz-date format, UTC.
std::string format_amz_date(std::chrono::system_clock::time_point time);

struct SigningInput {
  std::string_view method;           // "GET", "PUT", …
  std::string_view canonical_uri;    // already URI-encoded path, e.g. "/test%24file.text"
  std::string_view canonical_query;  // from canonical_query_string()
  HeaderList headers;                // every header to sign, "host" and "x-amz-date" included
  std::string_view payload_hash;     // hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
  std::string_view amz_date;         // format_amz_date(now); its first 8 digits are the scope date
  std::string_view region;           // "us-east-1"
  std::string_view service;          // "s3"
};

struct SigningKeys {
  std::string_view access_key_id;
  std::string_view secret_access_key;
};

// Every intermediate step, so tests can compare each against published values.
struct SignatureV4 {
  std::string canonical_request;
  std::string string_to_sign;
  std::string credential_scope;  // "20130524/us-east-1/s3/aws4_request"
  std::string signed_headers;    // "host;range;x-amz-content-sha256;x-amz-date"
  std::string signature;         // 64 hex digits
  std::string authorization;     // the Authorization header value
};

SignatureV4 sign_v4(const SigningInput& input, const SigningKeys& keys);

// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"); raw bytes.
std::string derive_signing_key(std::string_view secret_access_key, std::string_view date,
                               std::string_view region, std::string_view service);

}  // namespace edgestream::s3
