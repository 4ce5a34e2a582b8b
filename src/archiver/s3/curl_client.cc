#include "edgestream/s3/curl_client.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "crypto_internal.h"
#include "xml_internal.h"

namespace edgestream::s3 {

struct CurlS3Client::Call {
  S3Operation operation = S3Operation::kGetObject;
  std::string_view key;
  std::string method;
  QueryParams query;
  HeaderList headers;
  std::variant<std::monostate, std::string_view, FileRange> body;
  std::string payload_hash = std::string(crypto::kEmptySha256Hex);
};

namespace {

// Reads are this size while hashing a file: large enough to stream at disk
// speed, small enough that memory stays flat whatever the object size.
constexpr std::size_t kHashChunk = 1 << 20;

struct RangeDigests {
  std::string md5;     // raw
  std::string sha256;  // raw
};

S3Error local_io_error(S3Operation op, std::string_view bucket, std::string_view key,
                       const std::string& text) {
  return S3Error(ErrorKind::kFatal, RetryCause::kNone,
                 std::string(to_string(op)) + " " + s3_uri(bucket, key) + ": " + text +
                     "; check the spool disk");
}

// Hashes [offset, offset+length) of an open file; also feeds `whole` if given.
bool hash_range(int fd, std::uint64_t offset, std::uint64_t length, RangeDigests& out,
                crypto::Digest* whole, std::string& error) {
  crypto::Digest md5 = crypto::Digest::md5();
  crypto::Digest sha = crypto::Digest::sha256();
  std::vector<char> buffer(kHashChunk);
  while (length > 0) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(length, kHashChunk));
    ssize_t got;
    do {
      got = ::pread(fd, buffer.data(), want, static_cast<off_t>(offset));
    } while (got < 0 && errno == EINTR);
    if (got <= 0) {
      error = got == 0 ? "file ended early (truncated while uploading?)" : std::strerror(errno);
      return false;
    }
    const auto n = static_cast<std::size_t>(got);
    md5.update(buffer.data(), n);
    sha.update(buffer.data(), n);
    if (whole != nullptr) whole->update(buffer.data(), n);
    offset += n;
    length -= n;
  }
  out.md5 = md5.finish();
  out.sha256 = sha.finish();
  return true;
}

class Fd {
 public:
  explicit Fd(const std::filesystem::path& path) {
    do {
      fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    } while (fd_ < 0 && errno == EINTR);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::uint64_t parse_u64(const std::optional<std::string>& text) {
  if (!text) return 0;
  std::uint64_t value = 0;
  for (char c : *text) {
    if (c < '0' || c > '9') return 0;
    value = value * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return value;
}

constexpr std::string_view kMetadataPrefix = "x-amz-meta-";

void add_write_once_and_metadata(HeaderList& headers, const PutOptions& options) {
  if (options.if_none_match) headers.emplace_back("If-None-Match", "*");
  for (const auto& [name, value] : options.metadata) {
    headers.emplace_back(std::string(kMetadataPrefix) + name, value);
  }
}

}  // namespace

Status validate(const S3ClientConfig& config) {
  auto bad = [](std::string text) { return Status(Error(ErrorKind::kInvalidConfig, std::move(text))); };
  if (config.part_size < kMinPartSize || config.part_size > kMaxPartSize) {
    return bad("s3.part_size " + std::to_string(config.part_size) +
               " must be between 5 MiB and 5 GiB (S3's part size limits)");
  }
  if (config.multipart_threshold < kMinPartSize) {
    return bad("s3.multipart_threshold " + std::to_string(config.multipart_threshold) +
               " must be at least 5 MiB: smaller multipart uploads would need parts below S3's "
               "5 MiB minimum");
  }
  if (config.transport.connect_timeout.count() <= 0) {
    return bad("s3.connect_timeout must be positive");
  }
  if (config.transport.low_speed_time.count() <= 0 ||
      config.transport.low_speed_limit_bytes_per_second <= 0) {
    return bad("s3.low_speed_limit and s3.low_speed_time must be positive: without them a cut "
               "network link hangs an upload forever");
  }
  Result<Endpoint> endpoint = Endpoint::resolve(config.endpoint);
  if (!endpoint.ok()) return endpoint.error();
  return Status::success();
}

CurlS3Client::CurlS3Client(S3ClientConfig config, Endpoint endpoint,
                           std::shared_ptr<CredentialsProvider> credentials,
                           std::unique_ptr<HttpTransport> transport)
    : config_(std::move(config)),
      endpoint_(std::move(endpoint)),
      credentials_(std::move(credentials)),
      transport_(std::move(transport)) {}

std::uint64_t CurlS3Client::part_size_for(std::uint64_t size) const {
  // ceil(size / kMaxParts), so the part count never exceeds S3's 10,000.
  const std::uint64_t needed = (size + kMaxParts - 1) / kMaxParts;
  return std::clamp(std::max(config_.part_size, needed), kMinPartSize, kMaxPartSize);
}

S3Result<HttpResponse> CurlS3Client::send(const Call& call) {
  S3Result<Credentials> credentials = credentials_->credentials();
  if (!credentials.ok()) {
    return credentials.error().with_context(std::string(to_string(call.operation)) + " " +
                                            s3_uri(bucket(), call.key) +
                                            ": getting credentials from " +
                                            credentials_->describe());
  }
  const Credentials& keys = credentials.value();
  const RequestTarget target = endpoint_.target(call.key, call.query);
  const std::string amz_date = format_amz_date(std::chrono::system_clock::now());

  HttpRequest request;
  request.method = call.method;
  request.url = target.url;
  request.body = call.body;
  if (config_.request_deadline.count() > 0) {
    std::uint64_t body_bytes = 0;
    if (const auto* text = std::get_if<std::string_view>(&call.body)) body_bytes = text->size();
    if (const auto* range = std::get_if<FileRange>(&call.body)) body_bytes = range->length;
    const std::uint64_t rate = std::max<std::uint64_t>(1, config_.request_deadline_bytes_per_second);
    request.timeout = config_.request_deadline +
                      std::chrono::milliseconds(body_bytes * 1000 / rate);
  }
  request.headers = {{"Host", target.host},
                     {"x-amz-date", amz_date},
                     {"x-amz-content-sha256", call.payload_hash}};
  if (!keys.session_token.empty()) {
    request.headers.emplace_back("x-amz-security-token", keys.session_token);
  }
  for (const auto& header : call.headers) request.headers.push_back(header);

  const SignatureV4 signature = sign_v4(
      SigningInput{call.method, target.canonical_uri, target.canonical_query, request.headers,
                   call.payload_hash, amz_date, endpoint_.region(), "s3"},
      SigningKeys{keys.access_key_id, keys.secret_access_key});
  request.headers.emplace_back("Authorization", signature.authorization);

  HttpResponse response = transport_->perform(request);
  const bool success = response.transport == TransportError::kNone && response.status >= 200 &&
                       response.status < 300;
  if (success) return response;

  S3Outcome outcome;
  outcome.operation = call.operation;
  outcome.bucket = bucket();
  outcome.key = std::string(call.key);
  outcome.transport = response.transport;
  outcome.transport_message = response.transport_message;
  outcome.http_status = response.status;
  outcome.region = endpoint_.region();
  outcome.credentials_source = credentials_->describe();
  outcome.credentials_refreshable = credentials_->refreshable();
  outcome.request_id = response.header("x-amz-request-id").value_or("");
  if (const std::optional<xml::ErrorBody> body = xml::parse_error(response.body)) {
    outcome.code = body->code;
    outcome.message = body->message;
    if (outcome.request_id.empty()) outcome.request_id = body->request_id;
  }
  S3Error error = classify(outcome);
  if (error.kind() == ErrorKind::kRetriable && error.cause() == RetryCause::kAuth) {
    credentials_->invalidate();  // the retry signs with refreshed credentials
  }
  return error;
}

S3Result<PutResult> CurlS3Client::put_object(std::string_view key, std::string_view body,
                                             const PutOptions& options) {
  Call call;
  call.operation = S3Operation::kPutObject;
  call.key = key;
  call.method = "PUT";
  call.body = body;
  const std::string sha = crypto::sha256(body);
  call.payload_hash = crypto::hex(sha);
  call.headers = {{"Content-Type", options.content_type},
                  {"Content-MD5", options.content_md5_base64.value_or(
                                      crypto::base64(crypto::md5(body)))}};
  if (options.checksum_sha256_base64) {
    call.headers.emplace_back("x-amz-checksum-sha256", *options.checksum_sha256_base64);
  } else if (config_.checksum_sha256) {
    call.headers.emplace_back("x-amz-checksum-sha256", crypto::base64(sha));
  }
  add_write_once_and_metadata(call.headers, options);
  S3Result<HttpResponse> response = send(call);
  if (!response.ok()) return response.error();
  return PutResult{xml::unquote(response.value().header("etag").value_or("")), 0, body.size()};
}

S3Result<PutResult> CurlS3Client::upload_file(std::string_view key,
                                              const std::filesystem::path& file,
                                              const PutOptions& options) {
  std::error_code ec;
  const std::uint64_t size = std::filesystem::file_size(file, ec);
  if (ec) {
    return local_io_error(S3Operation::kPutObject, bucket(), key,
                          "cannot read " + file.string() + ": " + ec.message());
  }
  if (size > config_.multipart_threshold) return upload_multipart(key, file, size, options);

  const Fd fd(file);
  if (fd.get() < 0) {
    return local_io_error(S3Operation::kPutObject, bucket(), key,
                          "cannot open " + file.string() + ": " + std::strerror(errno));
  }
  RangeDigests digests;
  std::string error;
  if (!hash_range(fd.get(), 0, size, digests, nullptr, error)) {
    return local_io_error(S3Operation::kPutObject, bucket(), key,
                          "reading " + file.string() + ": " + error);
  }
  Call call;
  call.operation = S3Operation::kPutObject;
  call.key = key;
  call.method = "PUT";
  call.body = FileRange{file, 0, size};
  call.payload_hash = crypto::hex(digests.sha256);
  call.headers = {{"Content-Type", options.content_type},
                  {"Content-MD5", options.content_md5_base64.value_or(crypto::base64(digests.md5))}};
  if (options.checksum_sha256_base64) {
    call.headers.emplace_back("x-amz-checksum-sha256", *options.checksum_sha256_base64);
  } else if (config_.checksum_sha256) {
    call.headers.emplace_back("x-amz-checksum-sha256", crypto::base64(digests.sha256));
  }
  add_write_once_and_metadata(call.headers, options);
  S3Result<HttpResponse> response = send(call);
  if (!response.ok()) return response.error();
  return PutResult{xml::unquote(response.value().header("etag").value_or("")), 0, size};
}

S3Result<PutResult> CurlS3Client::upload_multipart(std::string_view key,
                                                   const std::filesystem::path& file,
                                                   std::uint64_t size,
                                                   const PutOptions& options) {
  const Fd fd(file);
  if (fd.get() < 0) {
    return local_io_error(S3Operation::kCreateMultipartUpload, bucket(), key,
                          "cannot open " + file.string() + ": " + std::strerror(errno));
  }
  const std::uint64_t part_size = part_size_for(size);
  const auto part_count = static_cast<std::uint32_t>((size + part_size - 1) / part_size);

  Call create;
  create.operation = S3Operation::kCreateMultipartUpload;
  create.key = key;
  create.method = "POST";
  create.query = {{"uploads", ""}};
  create.headers = {{"Content-Type", options.content_type}};
  if (config_.checksum_sha256) create.headers.emplace_back("x-amz-checksum-algorithm", "SHA256");
  // Metadata belongs to the upload's creation; the write-once condition to its completion.
  for (const auto& [name, value] : options.metadata) {
    create.headers.emplace_back(std::string(kMetadataPrefix) + name, value);
  }
  S3Result<HttpResponse> created = send(create);
  if (!created.ok()) return created.error();
  const std::optional<std::string> upload_id =
      xml::parse_initiate_multipart_upload(created.value().body);
  if (!upload_id) {
    return S3Error(ErrorKind::kRetriable, RetryCause::kServerError,
                   "CreateMultipartUpload " + s3_uri(bucket(), key) +
                       ": the response has no UploadId");
  }
  log_.debug("multipart upload of ", file.string(), " to ", s3_uri(bucket(), key), ": ",
             part_count, " parts of ", part_size, " bytes");

  // From here on every failure aborts the upload, so no parts linger (and bill).
  auto fail = [&](S3Error error) -> S3Result<PutResult> {
    abort_multipart(key, *upload_id);
    return error;
  };

  std::optional<crypto::Digest> whole;
  if (options.content_md5_base64) whole.emplace(crypto::Digest::md5());
  std::string complete_body = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (std::uint32_t number = 1; number <= part_count; ++number) {
    // A cancelled upload (its partition was revoked) must not go on sending
    // parts, and must not complete: abort it here, between parts.
    if (options.cancelled && options.cancelled()) {
      return fail(S3Error(ErrorKind::kFatal, RetryCause::kNone,
                          "multipart upload to " + s3_uri(bucket(), key) + " cancelled before part " +
                              std::to_string(number) + "/" + std::to_string(part_count) +
                              "; aborted"));
    }
    const std::uint64_t offset = (number - 1) * part_size;
    const std::uint64_t length = std::min(part_size, size - offset);
    RangeDigests digests;
    std::string error;
    if (!hash_range(fd.get(), offset, length, digests, whole ? &*whole : nullptr, error)) {
      return fail(local_io_error(S3Operation::kUploadPart, bucket(), key,
                                 "reading " + file.string() + ": " + error));
    }
    Call part;
    part.operation = S3Operation::kUploadPart;
    part.key = key;
    part.method = "PUT";
    part.query = {{"partNumber", std::to_string(number)}, {"uploadId", *upload_id}};
    part.body = FileRange{file, offset, length};
    part.payload_hash = crypto::hex(digests.sha256);
    part.headers = {{"Content-MD5", crypto::base64(digests.md5)}};
    const std::string sha_b64 = crypto::base64(digests.sha256);
    if (config_.checksum_sha256) part.headers.emplace_back("x-amz-checksum-sha256", sha_b64);
    S3Result<HttpResponse> uploaded = send(part);
    if (!uploaded.ok()) {
      return fail(uploaded.error().with_context("part " + std::to_string(number) + "/" +
                                                std::to_string(part_count)));
    }
    const std::optional<std::string> etag = uploaded.value().header("etag");
    if (!etag || etag->empty()) {
      return fail(S3Error(ErrorKind::kRetriable, RetryCause::kServerError,
                          "UploadPart " + s3_uri(bucket(), key) + " part " +
                              std::to_string(number) + ": the response has no ETag"));
    }
    complete_body += "<Part><PartNumber>" + std::to_string(number) + "</PartNumber><ETag>" +
                     xml_escape(*etag) + "</ETag>";
    if (config_.checksum_sha256) complete_body += "<ChecksumSHA256>" + sha_b64 + "</ChecksumSHA256>";
    complete_body += "</Part>";
  }
  complete_body += "</CompleteMultipartUpload>";

  if (whole) {
    const std::string actual = crypto::base64(whole->finish());
    if (actual != *options.content_md5_base64) {
      // The file on disk is not what its writer produced: no retry can fix it.
      return fail(S3Error(ErrorKind::kInvalidInput, RetryCause::kNone,
                          "CompleteMultipartUpload " + s3_uri(bucket(), key) + ": " +
                              file.string() + " has MD5 " + actual + " but its writer recorded " +
                              *options.content_md5_base64 +
                              "; the local file is corrupted, quarantine it"));
    }
  }

  Call complete;
  complete.operation = S3Operation::kCompleteMultipartUpload;
  complete.key = key;
  complete.method = "POST";
  complete.query = {{"uploadId", *upload_id}};
  complete.body = std::string_view(complete_body);
  complete.payload_hash = crypto::sha256_hex(complete_body);
  complete.headers = {{"Content-Type", "application/xml"},
                      {"Content-MD5", crypto::base64(crypto::md5(complete_body))}};
  if (options.if_none_match) complete.headers.emplace_back("If-None-Match", "*");
  if (options.cancelled && options.cancelled()) {
    return fail(S3Error(ErrorKind::kFatal, RetryCause::kNone,
                        "multipart upload to " + s3_uri(bucket(), key) +
                            " cancelled before completion; aborted"));
  }
  S3Result<HttpResponse> completed = send(complete);
  if (!completed.ok()) return fail(completed.error());
  // S3 may answer 200 and then report an error in the body of a long complete.
  const std::optional<std::string> etag = xml::parse_complete_multipart_upload(completed.value().body);
  if (!etag) {
    S3Outcome outcome;
    outcome.operation = S3Operation::kCompleteMultipartUpload;
    outcome.bucket = bucket();
    outcome.key = std::string(key);
    outcome.http_status = completed.value().status;
    outcome.region = endpoint_.region();
    outcome.credentials_source = credentials_->describe();
    outcome.request_id = completed.value().header("x-amz-request-id").value_or("");
    if (const std::optional<xml::ErrorBody> body = xml::parse_error(completed.value().body)) {
      outcome.code = body->code;
      outcome.message = body->message;
    } else {
      outcome.message = "unreadable CompleteMultipartUpload response";
    }
    return fail(classify(outcome));
  }
  return PutResult{*etag, part_count, size};
}

void CurlS3Client::abort_multipart(std::string_view key, const std::string& upload_id) {
  Call abort;
  abort.operation = S3Operation::kAbortMultipartUpload;
  abort.key = key;
  abort.method = "DELETE";
  abort.query = {{"uploadId", upload_id}};
  S3Result<HttpResponse> aborted = send(abort);
  if (!aborted.ok()) {
    // Best effort: a bucket lifecycle rule (AbortIncompleteMultipartUpload)
    // removes what is left; docs/s3.md asks for one.
    log_.warn("aborting multipart upload ", upload_id, " failed: ", aborted.error().message());
  }
}

S3Result<GetResult> CurlS3Client::get_object(std::string_view key) {
  Call call;
  call.operation = S3Operation::kGetObject;
  call.key = key;
  call.method = "GET";
  S3Result<HttpResponse> response = send(call);
  if (!response.ok()) return response.error();
  return GetResult{std::move(response.value().body),
                   xml::unquote(response.value().header("etag").value_or(""))};
}

S3Result<GetResult> CurlS3Client::get_object_tail(std::string_view key, std::uint64_t bytes) {
  if (bytes == 0) return GetResult{};
  Call call;
  call.operation = S3Operation::kGetObject;
  call.key = key;
  call.method = "GET";
  // A suffix range: 206 with the last `bytes` bytes, or 200 with the whole
  // object when it is shorter (both are 2xx for send()).
  call.headers = {{"Range", "bytes=-" + std::to_string(bytes)}};
  S3Result<HttpResponse> response = send(call);
  if (!response.ok()) return response.error();
  std::string body = std::move(response.value().body);
  // A server that ignores Range answers 200 with everything: keep the end.
  if (body.size() > bytes) body.erase(0, body.size() - static_cast<std::size_t>(bytes));
  return GetResult{std::move(body), xml::unquote(response.value().header("etag").value_or(""))};
}

S3Result<std::optional<ObjectInfo>> CurlS3Client::head_object(std::string_view key) {
  Call call;
  call.operation = S3Operation::kHeadObject;
  call.key = key;
  call.method = "HEAD";
  S3Result<HttpResponse> response = send(call);
  if (!response.ok()) {
    if (response.error().http_status() == 404) return std::optional<ObjectInfo>();
    return response.error();
  }
  ObjectInfo info;
  info.key = std::string(key);
  info.size = parse_u64(response.value().header("content-length"));
  info.etag = xml::unquote(response.value().header("etag").value_or(""));
  info.last_modified = response.value().header("last-modified").value_or("");
  for (const auto& [name, value] : response.value().headers) {
    if (name.starts_with(kMetadataPrefix)) info.metadata.emplace_back(name.substr(kMetadataPrefix.size()), value);
  }
  return std::optional<ObjectInfo>(std::move(info));
}

S3Result<ListPage> CurlS3Client::list_objects_v2(const ListRequest& request) {
  Call call;
  call.operation = S3Operation::kListObjectsV2;
  call.method = "GET";
  // encoding-type=url: keys come back percent-encoded, so keys with characters
  // XML 1.0 cannot carry still list correctly.
  call.query = {{"list-type", "2"},
                {"encoding-type", "url"},
                {"max-keys", std::to_string(request.max_keys)}};
  if (!request.prefix.empty()) call.query.emplace_back("prefix", request.prefix);
  if (!request.continuation_token.empty()) {
    call.query.emplace_back("continuation-token", request.continuation_token);
  }
  S3Result<HttpResponse> response = send(call);
  if (!response.ok()) return response.error();
  std::string error;
  std::optional<ListPage> page = xml::parse_list_objects_v2(response.value().body, &error);
  if (!page) {
    return S3Error(ErrorKind::kRetriable, RetryCause::kServerError,
                   "ListObjectsV2 " + s3_uri(bucket(), request.prefix) +
                       ": unreadable response: " + error);
  }
  return std::move(*page);
}

S3Status CurlS3Client::delete_object(std::string_view key) {
  Call call;
  call.operation = S3Operation::kDeleteObject;
  call.key = key;
  call.method = "DELETE";
  S3Result<HttpResponse> response = send(call);
  if (!response.ok()) return response.error();
  return Done{};
}

S3Result<std::vector<ObjectInfo>> list_all(S3Client& client, std::string_view prefix,
                                           std::uint32_t page_size) {
  std::vector<ObjectInfo> all;
  ListRequest request;
  request.prefix = std::string(prefix);
  request.max_keys = page_size;
  for (;;) {
    S3Result<ListPage> page = client.list_objects_v2(request);
    if (!page.ok()) return page.error();
    for (ObjectInfo& info : page.value().objects) all.push_back(std::move(info));
    if (!page.value().truncated) return all;
    request.continuation_token = page.value().next_continuation_token;
  }
}

S3Result<std::unique_ptr<S3Client>> create_curl_s3_client(
    const S3ClientConfig& config, std::shared_ptr<CredentialsProvider> credentials) {
  if (Status valid = validate(config); !valid.ok()) {
    return S3Error(valid.error().kind(), RetryCause::kNone, valid.error().message());
  }
  Result<Endpoint> endpoint = Endpoint::resolve(config.endpoint);
  if (!endpoint.ok()) {
    return S3Error(endpoint.error().kind(), RetryCause::kNone, endpoint.error().message());
  }
  Logger("s3").info("S3 client: bucket ", config.endpoint.bucket, " region ",
                    config.endpoint.region, " via ", endpoint.value().scheme(), "://",
                    endpoint.value().host(), " (", endpoint.value().path_style() ? "path" : "virtual",
                    "-style), credentials from ", credentials->describe());
  return std::unique_ptr<S3Client>(std::make_unique<CurlS3Client>(
      config, std::move(endpoint).value(), std::move(credentials),
      make_curl_transport(config.transport)));
}

}  // namespace edgestream::s3
