// Where a request goes: endpoint URL + bucket + region + addressing style
// resolve once (validated at start-up) into an Endpoint, which then builds the
// URL, Host header and canonical URI/query of each request.
//
// Forms handled (docs/s3.md, "Addressing"):
//   path-style      http://127.0.0.1:19000/bucket/key        (local stack, IPs, non-AWS)
//   virtual-hosted  https://bucket.s3.<region>.amazonaws.com/key
//   VPC interface   https://bucket.vpce-xxxx.s3.<region>.vpce.amazonaws.com/key (bucket in host)
//   VPC interface   https://vpce-xxxx.s3.<region>.vpce.amazonaws.com/bucket/key (path-style)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "edgestream/common/status.h"
#include "edgestream/s3/sigv4.h"

namespace edgestream::s3 {

enum class AddressingStyle {
  kAuto,     // path-style for IPs, localhost, non-AWS hosts and bare vpce- hosts; else virtual
  kPath,     // host/bucket/key
  kVirtual,  // bucket.host/key
};
const char* to_string(AddressingStyle style);
bool parse_addressing_style(std::string_view text, AddressingStyle& out);  // auto|path|virtual

struct EndpointConfig {
  std::string endpoint_url;  // empty: https://s3.<region>.amazonaws.com
  std::string bucket;
  std::string region;        // signing region, e.g. "eu-west-1"
  AddressingStyle addressing = AddressingStyle::kAuto;
};

// One request's address: what libcurl fetches and what SigV4 signs.
struct RequestTarget {
  std::string url;              // scheme://host/canonical_uri?canonical_query
  std::string host;             // the Host header value (port included when given)
  std::string canonical_uri;    // URI-encoded path, '/' kept
  std::string canonical_query;  // canonical_query_string(params)
};

class Endpoint {
 public:
  // Validates the configuration; errors are kInvalidConfig and name the setting.
  static Result<Endpoint> resolve(const EndpointConfig& config);

  // key may be empty (bucket-level requests such as ListObjectsV2).
  RequestTarget target(std::string_view key, const QueryParams& query = {}) const;

  const std::string& bucket() const { return bucket_; }
  const std::string& region() const { return region_; }
  const std::string& scheme() const { return scheme_; }
  const std::string& host() const { return host_; }  // bucket included when virtual-hosted
  bool path_style() const { return path_style_; }

 private:
  Endpoint() = default;
  std::string bucket_;
  std::string region_;
  std::string scheme_;
  std::string host_;
  bool path_style_ = true;
};

// S3's rules for bucket names usable as a DNS label (3–63 characters of a–z,
// 0–9, '-', '.', starting and ending with a letter or digit).
bool is_dns_compatible_bucket(std::string_view bucket);

}  // namespace edgestream::s3
