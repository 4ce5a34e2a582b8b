#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>

#include "curl_handles_internal.h"
#include "edgestream/common/log.h"
#include "edgestream/s3/http.h"

namespace edgestream::s3 {

void ensure_curl_global_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw std::runtime_error("curl_global_init failed: libcurl cannot start");
    }
    // Cleanup is left to process exit: other threads may still hold handles.
  });
}

std::optional<std::string> HttpResponse::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return std::nullopt;
}

namespace {

// Bodies under this size go without "Expect: 100-continue": waiting a round
// trip (or curl's 1 s fallback) costs more than resending a small body.
// Larger bodies keep it, so an auth failure does not cost the whole upload.
constexpr std::uint64_t kExpectContinueThreshold = 1 << 20;

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

struct UploadState {
  // In-memory body.
  std::string_view memory;
  // File body.
  int fd = -1;
  std::uint64_t file_offset = 0;
  std::uint64_t remaining = 0;
  std::string read_error;
};

struct DownloadState {
  HttpResponse* response = nullptr;
  std::uint64_t max_bytes = 0;
  bool too_large = false;
};

std::size_t read_body(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* state = static_cast<UploadState*>(user);
  const std::size_t capacity = size * count;
  if (state->fd < 0) {
    const std::size_t n = std::min(capacity, state->memory.size());
    std::memcpy(buffer, state->memory.data(), n);
    state->memory.remove_prefix(n);
    return n;
  }
  if (state->remaining == 0) return 0;
  const std::size_t want = static_cast<std::size_t>(
      std::min<std::uint64_t>(capacity, state->remaining));
  ssize_t got;
  do {
    got = ::pread(state->fd, buffer, want, static_cast<off_t>(state->file_offset));
  } while (got < 0 && errno == EINTR);
  if (got <= 0) {
    state->read_error = got == 0 ? std::string("file is shorter than expected (truncated while "
                                               "uploading?)")
                                 : std::string(std::strerror(errno));
    return CURL_READFUNC_ABORT;
  }
  state->file_offset += static_cast<std::uint64_t>(got);
  state->remaining -= static_cast<std::uint64_t>(got);
  return static_cast<std::size_t>(got);
}

std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* state = static_cast<DownloadState*>(user);
  const std::size_t n = size * count;
  if (state->response->body.size() + n > state->max_bytes) {
    state->too_large = true;
    return 0;  // makes libcurl fail with CURLE_WRITE_ERROR
  }
  state->response->body.append(data, n);
  return n;
}

std::size_t write_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  const std::size_t n = size * count;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.substr(0, 5) == "HTTP/") {
    response->headers.clear();  // a new response (after 100 Continue) starts
    return n;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  response->headers.emplace_back(std::move(name), std::string(value));
  return n;
}

TransportError map_curl_code(CURLcode code) {
  // libcurl adds codes over time: those not named here are kOther.
  switch (static_cast<int>(code)) {
    case CURLE_COULDNT_CONNECT: return TransportError::kConnect;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return TransportError::kResolve;
    case CURLE_OPERATION_TIMEDOUT: return TransportError::kTimeout;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:  // handshake cut off: the network, not the certificate
      return TransportError::kSendRecv;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS: return TransportError::kTls;
    case CURLE_READ_ERROR:
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_WRITE_ERROR: return TransportError::kLocalIo;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_BAD_FUNCTION_ARGUMENT: return TransportError::kConfig;
  }
  return TransportError::kOther;
}

class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(TransportConfig config) : config_(std::move(config)) {
    ensure_curl_global_init();
    handle_.reset(curl_easy_init());
    if (!handle_) throw std::runtime_error("curl_easy_init failed (out of memory)");
    if (config_.insecure_skip_tls_verify) {
      Logger("s3").warn(
          "TLS VERIFICATION IS DISABLED (insecure_skip_tls_verify): any server can pose as the "
          "S3 endpoint and read the archive. Use only for local testing.");
    }
  }

  HttpResponse perform(const HttpRequest& request) override {
    HttpResponse response;
    CURL* h = handle_.get();
    curl_easy_reset(h);  // keeps the connection cache, drops the previous request's options

    char error_buffer[CURL_ERROR_SIZE] = {0};
    UploadState upload;
    DownloadState download{&response, config_.max_response_bytes, false};
    std::optional<FileDescriptor> file;
    std::uint64_t body_size = 0;
    bool has_body = false;

    if (const auto* memory = std::get_if<std::string_view>(&request.body)) {
      upload.memory = *memory;
      body_size = memory->size();
      has_body = true;
    } else if (const auto* range = std::get_if<FileRange>(&request.body)) {
      int fd;
      do {
        fd = ::open(range->path.c_str(), O_RDONLY | O_CLOEXEC);
      } while (fd < 0 && errno == EINTR);
      if (fd < 0) {
        response.transport = TransportError::kLocalIo;
        response.transport_message = "cannot open " + range->path.string() + ": " +
                                     std::strerror(errno);
        return response;
      }
      file.emplace(fd);
      upload.fd = fd;
      upload.file_offset = range->offset;
      upload.remaining = range->length;
      body_size = range->length;
      has_body = true;
    }

    CurlSlistPtr headers;
    auto add_header = [&headers](const std::string& line) {
      curl_slist* next = curl_slist_append(headers.get(), line.c_str());
      if (next == nullptr) throw std::bad_alloc();
      static_cast<void>(headers.release());  // now owned by next
      headers.reset(next);
    };
    for (const auto& [name, value] : request.headers) add_header(name + ": " + value);
    if (!has_body || body_size < kExpectContinueThreshold) add_header("Expect:");
    add_header("Accept:");

    curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // timeouts must not raise SIGALRM in threads
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);  // keys like "a/../b" are sent as signed
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(config_.connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT,
                     static_cast<long>(config_.low_speed_limit_bytes_per_second));
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, static_cast<long>(config_.low_speed_time.count()));
    const std::chrono::milliseconds timeout =
        request.timeout.count() > 0 ? request.timeout : config_.request_timeout;
    if (timeout.count() > 0) curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, config_.insecure_skip_tls_verify ? 0L : 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, config_.insecure_skip_tls_verify ? 0L : 2L);
    if (!config_.ca_bundle.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, config_.ca_bundle.c_str());
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &write_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &response);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &write_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &download);

    const auto size = static_cast<curl_off_t>(body_size);
    if (request.method == "GET") {
      curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (request.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (request.method == "PUT") {
      curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, size);
    } else if (request.method == "POST") {
      curl_easy_setopt(h, CURLOPT_POST, 1L);
      curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, size);
    } else {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
      if (has_body) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, size);
      }
    }
    if (has_body || request.method == "POST") {
      curl_easy_setopt(h, CURLOPT_READFUNCTION, &read_body);
      curl_easy_setopt(h, CURLOPT_READDATA, &upload);
    }

    const CURLcode code = curl_easy_perform(h);
    if (code != CURLE_OK) {
      response.transport = map_curl_code(code);
      if (!upload.read_error.empty()) {
        response.transport = TransportError::kLocalIo;
        response.transport_message = "reading the upload body: " + upload.read_error;
      } else if (download.too_large) {
        response.transport = TransportError::kLocalIo;
        response.transport_message = "response larger than max_response_bytes (" +
                                     std::to_string(config_.max_response_bytes) + ")";
      } else {
        response.transport_message = error_buffer[0] != '\0' ? error_buffer
                                                             : curl_easy_strerror(code);
      }
      return response;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
  }

 private:
  TransportConfig config_;
  CurlEasyPtr handle_;
};

}  // namespace

std::unique_ptr<HttpTransport> make_curl_transport(const TransportConfig& config) {
  return std::make_unique<CurlTransport>(config);
}

}  // namespace edgestream::s3
