// The HTTP exchange under the S3 client and the credential providers. The
// libcurl implementation is the real one; tests substitute small fakes to drive
// the S3 and STS logic through faults.
//
// Contract: perform() blocks until the response is complete or the transfer
// failed; it never throws for network problems (they come back as
// HttpResponse::transport). One transport is used by one thread at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "edgestream/s3/error.h"
#include "edgestream/s3/sigv4.h"

namespace edgestream::s3 {

// A byte range of a local file, streamed as the request body (never loaded whole).
struct FileRange {
  std::filesystem::path path;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

struct HttpRequest {
  std::string method;  // GET, PUT, POST, HEAD, DELETE
  std::string url;
  HeaderList headers;  // sent as given (Host included); Content-Length is derived from the body
  // No body, an in-memory body (must outlive perform()), or a file range.
  std::variant<std::monostate, std::string_view, FileRange> body;
  // Whole-request deadline for this request; zero uses TransportConfig::request_timeout.
  std::chrono::milliseconds timeout{0};
};

struct HttpResponse {
  TransportError transport = TransportError::kNone;
  std::string transport_message;
  long status = 0;
  HeaderList headers;  // names lower-cased
  std::string body;

  std::optional<std::string> header(std::string_view lower_name) const;
};

struct TransportConfig {
  // A connect that takes longer fails as kTimeout (retriable).
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  // Below low_speed_limit bytes/s for low_speed_time, the transfer is abandoned:
  // this is what detects a cut link, which TCP alone may hold open for hours.
  std::int64_t low_speed_limit_bytes_per_second = 1024;
  std::chrono::seconds low_speed_time{30};
  // Whole-request cap; zero means none (large parts on slow links need long).
  std::chrono::milliseconds request_timeout{0};
  std::string ca_bundle;  // PEM file; empty uses the system store
  // Disables TLS certificate and host-name checks. Local testing only; logged
  // as a warning on every client creation. http:// endpoints need no opt-out.
  bool insecure_skip_tls_verify = false;
  // Responses larger than this fail (kLocalIo); GetObject bodies are held in memory.
  std::uint64_t max_response_bytes = 256ull << 20;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual HttpResponse perform(const HttpRequest& request) = 0;
};

// libcurl easy handle, reused across requests so connections are kept alive.
std::unique_ptr<HttpTransport> make_curl_transport(const TransportConfig& config);

}  // namespace edgestream::s3
