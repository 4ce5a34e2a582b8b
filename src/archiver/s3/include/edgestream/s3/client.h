// The S3 operations the archiver needs, as an interface so tests of the
// archiver can inject faults (a fake S3Client), and CurlS3Client is the real one.
//
// Contract for every implementation:
//   - each call blocks until it has succeeded or failed; none retries on its own
//     (wrap calls in retry_with_deadline(), retry.h);
//   - one client is used by one thread at a time (the archiver owns one per
//     upload thread);
//   - errors are values (S3Result) classified by classify(): kRetriable with a
//     cause, kFatal/kInvalidConfig with a message saying what to do;
//   - every upload carries an integrity checksum the server verifies, so a body
//     corrupted in transit is rejected, never stored;
//   - a failed upload_file() leaves no object behind (a multipart upload that
//     fails is aborted).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "edgestream/s3/error.h"

namespace edgestream::s3 {

struct PutOptions {
  std::string content_type = "application/octet-stream";
  // MD5 of the bytes as the writer produced them (base64), when the writer knows
  // it. A single PUT sends it as Content-MD5 instead of one computed at upload
  // time, so corruption on the local disk is caught too; a multipart upload
  // checks the file against it before completing.
  std::optional<std::string> content_md5_base64;
  // SHA-256 of the bytes as the writer produced them (base64), likewise: a
  // single PUT sends it as x-amz-checksum-sha256 (even when checksum_sha256 is
  // off in the client config); a multipart upload ignores it (S3 checks each
  // part's SHA-256 instead, computed from the file).
  std::optional<std::string> checksum_sha256_base64;
  // Write-once: the upload only creates the object. When the key exists the
  // upload fails with S3Error::key_exists() (412 PreconditionFailed) and the
  // existing object is left as it is. Sent as If-None-Match: * on PutObject
  // and on CompleteMultipartUpload (S3's conditional writes).
  bool if_none_match = false;
  // User metadata stored with the object (x-amz-meta-<name>; names lower case,
  // values ASCII), returned by head_object().
  std::vector<std::pair<std::string, std::string>> metadata;
  // Polled between the requests of a multipart upload: when it returns true
  // the upload is aborted (no part stays behind) and fails as cancelled.
  std::function<bool()> cancelled;
};

struct PutResult {
  std::string etag;         // as returned, quotes removed
  std::uint32_t parts = 0;  // 0: single PutObject; otherwise the multipart part count
  std::uint64_t size = 0;
};

struct ObjectInfo {
  std::string key;
  std::uint64_t size = 0;
  std::string etag;           // quotes removed
  std::string last_modified;  // as the server wrote it
  // User metadata (x-amz-meta-*), names lower case without the prefix; filled by head_object().
  std::vector<std::pair<std::string, std::string>> metadata;

  std::optional<std::string> metadata_value(std::string_view name) const {
    for (const auto& [entry_name, value] : metadata) {
      if (entry_name == name) return value;
    }
    return std::nullopt;
  }
};

struct GetResult {
  std::string body;
  std::string etag;
};

struct ListRequest {
  std::string prefix;
  std::uint32_t max_keys = 1000;  // S3 returns at most 1000 per page
  std::string continuation_token;
};

struct ListPage {
  std::vector<ObjectInfo> objects;
  bool truncated = false;
  std::string next_continuation_token;  // non-empty when truncated
};

class S3Client {
 public:
  virtual ~S3Client() = default;

  virtual const std::string& bucket() const = 0;

  // One PutObject with Content-MD5 (and x-amz-checksum-sha256 when enabled).
  virtual S3Result<PutResult> put_object(std::string_view key, std::string_view body,
                                         const PutOptions& options) = 0;
  // Streams a local file: one PutObject below the multipart threshold, a
  // multipart upload above it (parts streamed from disk, each checksummed).
  virtual S3Result<PutResult> upload_file(std::string_view key, const std::filesystem::path& file,
                                          const PutOptions& options) = 0;
  // Whole object in memory: for verification and tests, not for bulk reads.
  virtual S3Result<GetResult> get_object(std::string_view key) = 0;
  // The last `bytes` bytes of an object (all of it when it is shorter): a
  // ranged GET ("Range: bytes=-N"), so a reader of Parquet footers fetches
  // kilobytes, not the object. The default reads the whole object and keeps
  // its end, for clients (test fakes) without ranged reads.
  virtual S3Result<GetResult> get_object_tail(std::string_view key, std::uint64_t bytes) {
    S3Result<GetResult> whole = get_object(key);
    if (whole.ok() && whole.value().body.size() > bytes) {
      whole.value().body.erase(0, whole.value().body.size() - static_cast<std::size_t>(bytes));
    }
    return whole;
  }
  // nullopt when the object does not exist (404).
  virtual S3Result<std::optional<ObjectInfo>> head_object(std::string_view key) = 0;
  virtual S3Result<ListPage> list_objects_v2(const ListRequest& request) = 0;
  // Succeeds also when the key did not exist (S3 semantics).
  virtual S3Status delete_object(std::string_view key) = 0;
};

// Follows continuation tokens until the listing is complete.
S3Result<std::vector<ObjectInfo>> list_all(S3Client& client, std::string_view prefix,
                                           std::uint32_t page_size = 1000);

}  // namespace edgestream::s3
