// CurlS3Client: the S3Client that talks to a real S3 endpoint (AWS, a VPC
// interface endpoint, or the local S3-compatible server) over libcurl, signing
// every request with SigV4.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "edgestream/common/log.h"
#include "edgestream/s3/client.h"
#include "edgestream/s3/credentials.h"
#include "edgestream/s3/endpoint.h"
#include "edgestream/s3/http.h"

namespace edgestream::s3 {

inline constexpr std::uint64_t kMiB = 1024 * 1024;
// S3 rejects parts smaller than 5 MiB (all but the last) with EntityTooSmall.
inline constexpr std::uint64_t kMinPartSize = 5 * kMiB;
// S3 rejects parts larger than 5 GiB.
inline constexpr std::uint64_t kMaxPartSize = 5 * 1024 * kMiB;
// S3 numbers parts 1..10,000; a bigger object needs bigger parts.
inline constexpr std::uint32_t kMaxParts = 10'000;

struct S3ClientConfig {
  EndpointConfig endpoint;
  TransportConfig transport;
  // Files larger than this go up as multipart uploads. 16 MiB: an hour of one
  // partition's Parquet is usually smaller, and one PUT is one request to retry.
  std::uint64_t multipart_threshold = 16 * kMiB;
  // Part size; raised automatically so no upload needs more than kMaxParts parts.
  std::uint64_t part_size = 8 * kMiB;
  // Also send x-amz-checksum-sha256 (stored with the object, verified by S3)
  // besides Content-MD5. Servers that do not implement flexible checksums
  // ignore it; Content-MD5 and the signed x-amz-content-sha256 still apply.
  bool checksum_sha256 = true;
  // Per-request deadline: request_deadline plus the body's size at
  // request_deadline_bytes_per_second. A request still running after it is
  // abandoned (kTimeout), so no request of this client lands arbitrarily long
  // after it was sent. Zero request_deadline: only the low-speed limit applies.
  std::chrono::milliseconds request_deadline{std::chrono::seconds(60)};
  // 64 KiB/s: an 8 MiB part gets 128 s more, a 16 MiB PutObject 256 s more.
  std::uint64_t request_deadline_bytes_per_second = 64 * 1024;
};

// Validates the configuration (kInvalidConfig errors name the setting).
Status validate(const S3ClientConfig& config);

class CurlS3Client final : public S3Client {
 public:
  // Prefer create_curl_s3_client(); this constructor takes an already built
  // transport so tests can drive the S3 logic through a fake one.
  CurlS3Client(S3ClientConfig config, Endpoint endpoint,
               std::shared_ptr<CredentialsProvider> credentials,
               std::unique_ptr<HttpTransport> transport);

  const std::string& bucket() const override { return endpoint_.bucket(); }
  S3Result<PutResult> put_object(std::string_view key, std::string_view body,
                                 const PutOptions& options) override;
  S3Result<PutResult> upload_file(std::string_view key, const std::filesystem::path& file,
                                  const PutOptions& options) override;
  S3Result<GetResult> get_object(std::string_view key) override;
  S3Result<GetResult> get_object_tail(std::string_view key, std::uint64_t bytes) override;
  S3Result<std::optional<ObjectInfo>> head_object(std::string_view key) override;
  S3Result<ListPage> list_objects_v2(const ListRequest& request) override;
  S3Status delete_object(std::string_view key) override;

  // The part size upload_file() uses for an object of `size` bytes.
  std::uint64_t part_size_for(std::uint64_t size) const;

 private:
  struct Call;  // one request's description, see curl_client.cc
  S3Result<HttpResponse> send(const Call& call);
  S3Result<PutResult> upload_multipart(std::string_view key, const std::filesystem::path& file,
                                       std::uint64_t size, const PutOptions& options);
  void abort_multipart(std::string_view key, const std::string& upload_id);

  S3ClientConfig config_;
  Endpoint endpoint_;
  std::shared_ptr<CredentialsProvider> credentials_;
  std::unique_ptr<HttpTransport> transport_;
  Logger log_{"s3"};
};

// Resolves the endpoint, builds the libcurl transport and the client.
S3Result<std::unique_ptr<S3Client>> create_curl_s3_client(
    const S3ClientConfig& config, std::shared_ptr<CredentialsProvider> credentials);

}  // namespace edgestream::s3
