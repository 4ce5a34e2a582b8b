// CurlS3Client's S3 logic over a scripted fake transport: which requests it
// makes, which headers it signs, and what it does when a step fails. Expected
// digests are published/known values, not outputs of the client.
#include <gtest/gtest.h>

#include <unistd.h>

#include <deque>
#include <fstream>

#include "edgestream/s3/curl_client.h"

namespace edgestream::s3 {
namespace {

struct Recorded {
  std::string method;
  std::string url;
  HeaderList headers;
  std::string body;          // in-memory bodies
  FileRange file;            // file bodies
  bool has_file = false;
  std::chrono::milliseconds timeout{0};

  std::string header(std::string_view name) const {
    for (const auto& [n, v] : headers) {
      if (n == name) return v;
    }
    return "<absent>";
  }
};

class FakeTransport final : public HttpTransport {
 public:
  HttpResponse perform(const HttpRequest& request) override {
    Recorded r{request.method, request.url, request.headers, {}, {}, false, request.timeout};
    if (const auto* body = std::get_if<std::string_view>(&request.body)) r.body = std::string(*body);
    if (const auto* file = std::get_if<FileRange>(&request.body)) {
      r.file = *file;
      r.has_file = true;
    }
    log->push_back(r);
    if (responses->empty()) {
      ADD_FAILURE() << "unexpected request " << request.method << " " << request.url;
      return HttpResponse{};
    }
    HttpResponse response = responses->front();
    responses->pop_front();
    return response;
  }
  std::shared_ptr<std::vector<Recorded>> log = std::make_shared<std::vector<Recorded>>();
  std::shared_ptr<std::deque<HttpResponse>> responses = std::make_shared<std::deque<HttpResponse>>();
};

class CountingProvider final : public CredentialsProvider {
 public:
  explicit CountingProvider(bool refreshable) : refreshable_(refreshable) {}
  S3Result<Credentials> credentials() override {
    return Credentials{"AKID", "SECRET", token, std::nullopt};
  }
  void invalidate() override { ++invalidations; }
  bool refreshable() const override { return refreshable_; }
  std::string describe() const override { return "test provider"; }
  std::string token;
  int invalidations = 0;

 private:
  bool refreshable_;
};

HttpResponse status(long code, std::string body = "", HeaderList headers = {}) {
  HttpResponse response;
  response.status = code;
  response.body = std::move(body);
  response.headers = std::move(headers);
  return response;
}

struct Harness {
  explicit Harness(S3ClientConfig config = base_config(), bool refreshable = false)
      : provider(std::make_shared<CountingProvider>(refreshable)) {
    auto fake = std::make_unique<FakeTransport>();
    log = fake->log;
    responses = fake->responses;
    Result<Endpoint> endpoint = Endpoint::resolve(config.endpoint);
    client = std::make_unique<CurlS3Client>(config, std::move(endpoint).value(), provider,
                                            std::move(fake));
  }
  static S3ClientConfig base_config() {
    S3ClientConfig config;
    config.endpoint = {"http://127.0.0.1:19000", "archive", "us-east-1", AddressingStyle::kAuto};
    return config;
  }
  std::shared_ptr<CountingProvider> provider;
  std::shared_ptr<std::vector<Recorded>> log;
  std::shared_ptr<std::deque<HttpResponse>> responses;
  std::unique_ptr<CurlS3Client> client;
};

class TempFile {
 public:
  explicit TempFile(std::size_t size) {
    path_ = std::filesystem::temp_directory_path() /
            ("edgestream-client-test-" + std::to_string(::getpid()) + "-" + std::to_string(size));
    std::ofstream out(path_, std::ios::binary);
    std::string chunk(1 << 20, 'z');
    for (std::size_t left = size; left > 0;) {
      const std::size_t n = std::min(left, chunk.size());
      out.write(chunk.data(), static_cast<std::streamsize>(n));
      left -= n;
    }
  }
  ~TempFile() { std::filesystem::remove(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

TEST(CurlS3Client, PutObjectSendsChecksumsAndSignsThem) {
  Harness h;
  h.provider->token = "session";
  h.responses->push_back(status(200, "", {{"etag", "\"5d41402abc4b2a76b9719d911017c592\""}}));
  S3Result<PutResult> put = h.client->put_object("dir/hello world.txt", "hello", PutOptions{});
  ASSERT_TRUE(put.ok()) << put.error().message();
  EXPECT_EQ(put.value().etag, "5d41402abc4b2a76b9719d911017c592");
  ASSERT_EQ(h.log->size(), 1u);
  const Recorded& r = h.log->at(0);
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.url, "http://127.0.0.1:19000/archive/dir/hello%20world.txt");
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.header("Host"), "127.0.0.1:19000");
  // MD5("hello") and SHA-256("hello"), base64 and hex.
  EXPECT_EQ(r.header("Content-MD5"), "XUFAKrxLKna5cZ2REBfFkg==");
  EXPECT_EQ(r.header("x-amz-checksum-sha256"), "LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ=");
  EXPECT_EQ(r.header("x-amz-content-sha256"),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  EXPECT_EQ(r.header("x-amz-security-token"), "session");
  const std::string authorization = r.header("Authorization");
  EXPECT_EQ(authorization.rfind("AWS4-HMAC-SHA256 Credential=AKID/", 0), 0u) << authorization;
  EXPECT_NE(authorization.find("/us-east-1/s3/aws4_request, SignedHeaders=content-md5;"
                               "content-type;host;x-amz-checksum-sha256;x-amz-content-sha256;"
                               "x-amz-date;x-amz-security-token, Signature="),
            std::string::npos)
      << authorization;
}

TEST(CurlS3Client, WriterMd5ReplacesTheComputedOne) {
  Harness h;
  h.responses->push_back(status(200));
  PutOptions options;
  options.content_md5_base64 = "AAAAAAAAAAAAAAAAAAAAAA==";
  ASSERT_TRUE(h.client->put_object("k", "hello", options).ok());
  EXPECT_EQ(h.log->at(0).header("Content-MD5"), "AAAAAAAAAAAAAAAAAAAAAA==");
}

TEST(CurlS3Client, Sha256ChecksumCanBeTurnedOff) {
  S3ClientConfig config = Harness::base_config();
  config.checksum_sha256 = false;
  Harness h(config);
  h.responses->push_back(status(200));
  ASSERT_TRUE(h.client->put_object("k", "hello", PutOptions{}).ok());
  EXPECT_EQ(h.log->at(0).header("x-amz-checksum-sha256"), "<absent>");
  EXPECT_EQ(h.log->at(0).header("Content-MD5"), "XUFAKrxLKna5cZ2REBfFkg==");
}

TEST(CurlS3Client, ErrorsAreClassifiedWithRequestId) {
  Harness h;
  h.responses->push_back(status(
      403,
      "<Error><Code>AccessDenied</Code><Message>Access Denied</Message>"
      "<RequestId>BODYID</RequestId></Error>",
      {{"x-amz-request-id", "7F3A9C"}}));
  S3Result<PutResult> put = h.client->put_object("2024/x.parquet", "x", PutOptions{});
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().kind(), ErrorKind::kFatal);
  EXPECT_EQ(put.error().request_id(), "7F3A9C");
  EXPECT_NE(put.error().message().find(
                "PutObject s3://archive/2024/x.parquet: 403 AccessDenied (request 7F3A9C): "
                "Access Denied; grant s3:PutObject"),
            std::string::npos)
      << put.error().message();
}

TEST(CurlS3Client, ExpiredTokenInvalidatesRefreshableCredentials) {
  Harness h(Harness::base_config(), /*refreshable=*/true);
  h.responses->push_back(status(400, "<Error><Code>ExpiredToken</Code></Error>"));
  S3Result<PutResult> put = h.client->put_object("k", "x", PutOptions{});
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().kind(), ErrorKind::kRetriable);
  EXPECT_EQ(put.error().cause(), RetryCause::kAuth);
  EXPECT_EQ(h.provider->invalidations, 1);
}

TEST(CurlS3Client, HeadMissingIsNulloptAndHeadFoundReadsHeaders) {
  Harness h;
  h.responses->push_back(status(404));
  h.responses->push_back(status(200, "", {{"content-length", "1234"}, {"etag", "\"abc\""}}));
  auto missing = h.client->head_object("nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing.value().has_value());
  auto found = h.client->head_object("yes");
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found.value().has_value());
  EXPECT_EQ(found.value()->size, 1234u);
  EXPECT_EQ(found.value()->etag, "abc");
  EXPECT_EQ(h.log->at(0).method, "HEAD");
}

TEST(CurlS3Client, ListRequestsEncodedTokenAndFollowsPages) {
  Harness h;
  h.responses->push_back(status(200,
      "<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>t/1+=</NextContinuationToken>"
      "<Contents><Key>p/a</Key><Size>1</Size></Contents></ListBucketResult>"));
  h.responses->push_back(status(200,
      "<ListBucketResult><IsTruncated>false</IsTruncated>"
      "<Contents><Key>p/b</Key><Size>2</Size></Contents></ListBucketResult>"));
  auto all = list_all(*h.client, "p/", 1);
  ASSERT_TRUE(all.ok()) << all.error().message();
  ASSERT_EQ(all.value().size(), 2u);
  EXPECT_EQ(all.value()[1].key, "p/b");
  EXPECT_EQ(h.log->at(0).url,
            "http://127.0.0.1:19000/archive?encoding-type=url&list-type=2&max-keys=1&prefix=p%2F");
  EXPECT_EQ(h.log->at(1).url,
            "http://127.0.0.1:19000/archive?continuation-token=t%2F1%2B%3D&encoding-type=url&"
            "list-type=2&max-keys=1&prefix=p%2F");
}

TEST(CurlS3Client, PartSizeKeepsWithinS3Limits) {
  Harness h;
  EXPECT_EQ(h.client->part_size_for(1), kMinPartSize * 8 / 5);  // the configured 8 MiB
  const std::uint64_t huge = 200ull * 1024 * kMiB;               // 200 GiB
  const std::uint64_t part = h.client->part_size_for(huge);
  EXPECT_LE((huge + part - 1) / part, kMaxParts);
  EXPECT_GE(part, kMinPartSize);
  EXPECT_LE(part, kMaxPartSize);
}

S3ClientConfig multipart_config() {
  S3ClientConfig config = Harness::base_config();
  config.multipart_threshold = kMinPartSize;
  config.part_size = kMinPartSize;
  return config;
}

const char* kInitiated =
    "<InitiateMultipartUploadResult><Bucket>archive</Bucket><Key>k</Key><UploadId>UP/1</UploadId>"
    "</InitiateMultipartUploadResult>";

TEST(CurlS3Client, MultipartStreamsPartsFromTheFileAndCompletesInOrder) {
  Harness h(multipart_config());
  const TempFile file(11 * kMiB);
  h.responses->push_back(status(200, kInitiated));
  h.responses->push_back(status(200, "", {{"etag", "\"e1\""}}));
  h.responses->push_back(status(200, "", {{"etag", "\"e2\""}}));
  h.responses->push_back(status(200, "", {{"etag", "\"e3\""}}));
  h.responses->push_back(status(200, "<CompleteMultipartUploadResult><ETag>\"x-3\"</ETag>"
                                     "</CompleteMultipartUploadResult>"));
  auto put = h.client->upload_file("k", file.path(), PutOptions{});
  ASSERT_TRUE(put.ok()) << put.error().message();
  EXPECT_EQ(put.value().etag, "x-3");
  EXPECT_EQ(put.value().parts, 3u);
  ASSERT_EQ(h.log->size(), 5u);
  EXPECT_EQ(h.log->at(0).method, "POST");
  EXPECT_EQ(h.log->at(0).url, "http://127.0.0.1:19000/archive/k?uploads=");
  EXPECT_EQ(h.log->at(0).header("x-amz-checksum-algorithm"), "SHA256");
  for (std::uint64_t i = 0; i < 3; ++i) {
    const Recorded& part = h.log->at(1 + i);
    EXPECT_EQ(part.method, "PUT");
    EXPECT_EQ(part.url, "http://127.0.0.1:19000/archive/k?partNumber=" + std::to_string(i + 1) +
                            "&uploadId=UP%2F1");
    ASSERT_TRUE(part.has_file);  // streamed from disk, not copied into memory
    EXPECT_EQ(part.file.offset, i * kMinPartSize);
    EXPECT_EQ(part.file.length, i < 2 ? kMinPartSize : kMiB);
    EXPECT_NE(part.header("Content-MD5"), "<absent>");
    EXPECT_NE(part.header("x-amz-checksum-sha256"), "<absent>");
  }
  const Recorded& complete = h.log->at(4);
  EXPECT_EQ(complete.url, "http://127.0.0.1:19000/archive/k?uploadId=UP%2F1");
  const std::size_t p1 = complete.body.find("<PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag>");
  const std::size_t p3 = complete.body.find("<PartNumber>3</PartNumber><ETag>&quot;e3&quot;</ETag>");
  EXPECT_NE(p1, std::string::npos) << complete.body;
  EXPECT_NE(p3, std::string::npos) << complete.body;
  EXPECT_LT(p1, p3);
}

TEST(CurlS3Client, FailedPartAbortsTheUpload) {
  Harness h(multipart_config());
  const TempFile file(6 * kMiB);
  h.responses->push_back(status(200, kInitiated));
  h.responses->push_back(status(200, "", {{"etag", "\"e1\""}}));
  h.responses->push_back(status(503, "<Error><Code>SlowDown</Code></Error>"));
  h.responses->push_back(status(204));  // the abort
  auto put = h.client->upload_file("k", file.path(), PutOptions{});
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().kind(), ErrorKind::kRetriable);
  EXPECT_EQ(put.error().cause(), RetryCause::kThrottled);
  EXPECT_NE(put.error().message().find("part 2/2"), std::string::npos) << put.error().message();
  ASSERT_EQ(h.log->size(), 4u);
  EXPECT_EQ(h.log->at(3).method, "DELETE");
  EXPECT_EQ(h.log->at(3).url, "http://127.0.0.1:19000/archive/k?uploadId=UP%2F1");
}

TEST(CurlS3Client, WriteOnceMultipartSendsMetadataAtCreationAndTheConditionAtCompletion) {
  Harness h(multipart_config());
  const TempFile file(6 * kMiB);
  h.responses->push_back(status(200, kInitiated));
  h.responses->push_back(status(200, "", {{"etag", "\"e1\""}}));
  h.responses->push_back(status(200, "", {{"etag", "\"e2\""}}));
  h.responses->push_back(status(412, "<Error><Code>PreconditionFailed</Code></Error>"));
  h.responses->push_back(status(204));  // the abort
  PutOptions options;
  options.if_none_match = true;
  options.metadata = {{"edgestream-end-offset", "42"}};
  auto put = h.client->upload_file("k", file.path(), options);
  ASSERT_FALSE(put.ok());
  EXPECT_TRUE(put.error().key_exists()) << put.error().message();
  ASSERT_EQ(h.log->size(), 5u);
  EXPECT_EQ(h.log->at(0).header("x-amz-meta-edgestream-end-offset"), "42");
  EXPECT_EQ(h.log->at(0).header("If-None-Match"), "<absent>");
  EXPECT_EQ(h.log->at(3).header("If-None-Match"), "*");
  EXPECT_EQ(h.log->at(4).method, "DELETE");  // nothing left behind
  // Every request has a deadline: 60 s, plus 1 s per 64 KiB of a 5 MiB part.
  EXPECT_EQ(h.log->at(0).timeout, std::chrono::milliseconds(60'000));
  EXPECT_EQ(h.log->at(1).timeout, std::chrono::milliseconds(60'000 + 80'000));
}

TEST(CurlS3Client, CancelledMultipartStopsBetweenPartsAndAborts) {
  Harness h(multipart_config());
  const TempFile file(11 * kMiB);
  h.responses->push_back(status(200, kInitiated));
  h.responses->push_back(status(200, "", {{"etag", "\"e1\""}}));
  h.responses->push_back(status(204));  // the abort
  int polls = 0;
  PutOptions options;
  options.cancelled = [&polls] { return ++polls > 1; };
  auto put = h.client->upload_file("k", file.path(), options);
  ASSERT_FALSE(put.ok());
  EXPECT_NE(put.error().message().find("cancelled before part 2/3"), std::string::npos)
      << put.error().message();
  ASSERT_EQ(h.log->size(), 3u);
  EXPECT_EQ(h.log->at(2).method, "DELETE");
}

TEST(CurlS3Client, WriteOncePutSendsTheConditionAndMetadata) {
  Harness h;
  h.responses->push_back(status(200, "", {{"etag", "\"e\""}}));
  PutOptions options;
  options.if_none_match = true;
  options.metadata = {{"edgestream-first-offset", "7"}};
  ASSERT_TRUE(h.client->put_object("k", "hello", options).ok());
  EXPECT_EQ(h.log->at(0).header("If-None-Match"), "*");
  EXPECT_EQ(h.log->at(0).header("x-amz-meta-edgestream-first-offset"), "7");
}

TEST(CurlS3Client, CompleteAnswering200WithAnErrorIsAFailure) {
  Harness h(multipart_config());
  const TempFile file(6 * kMiB);
  h.responses->push_back(status(200, kInitiated));
  h.responses->push_back(status(200, "", {{"etag", "\"e1\""}}));
  h.responses->push_back(status(200, "", {{"etag", "\"e2\""}}));
  h.responses->push_back(status(200, "<Error><Code>InternalError</Code><Message>We encountered "
                                     "an internal error.</Message></Error>"));
  h.responses->push_back(status(204));  // the abort
  auto put = h.client->upload_file("k", file.path(), PutOptions{});
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().kind(), ErrorKind::kRetriable);
  EXPECT_EQ(put.error().cause(), RetryCause::kServerError);
  EXPECT_EQ(h.log->back().method, "DELETE");
}

TEST(CurlS3Client, MissingLocalFileIsFatalWithoutAnyRequest) {
  Harness h;
  auto put = h.client->upload_file("k", "/nonexistent/edgestream/file.parquet", PutOptions{});
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().kind(), ErrorKind::kFatal);
  EXPECT_NE(put.error().message().find("/nonexistent/edgestream/file.parquet"), std::string::npos);
  EXPECT_TRUE(h.log->empty());
}

TEST(S3ClientConfigValidation, RejectsSizesOutsideS3Limits) {
  S3ClientConfig config = Harness::base_config();
  config.part_size = kMinPartSize - 1;
  EXPECT_FALSE(validate(config).ok());
  config = Harness::base_config();
  config.multipart_threshold = kMiB;
  EXPECT_FALSE(validate(config).ok());
  config = Harness::base_config();
  config.transport.low_speed_time = std::chrono::seconds(0);
  EXPECT_FALSE(validate(config).ok());
  EXPECT_TRUE(validate(Harness::base_config()).ok());
}

}  // namespace
}  // namespace edgestream::s3
