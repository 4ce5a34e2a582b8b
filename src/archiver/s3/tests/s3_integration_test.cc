// Integration tests against the REAL local S3-compatible server of the stack
// (scripts/stack.sh start; source var/edgestream.env). They fail, not skip,
// when the environment is missing: a green run must mean the server was used.
//
// Each test writes under its own unique prefix and deletes what it wrote.
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <thread>

#include "edgestream/s3/credentials.h"
#include "edgestream/s3/curl_client.h"
#include "edgestream/s3/retry.h"

namespace edgestream::s3 {
namespace {

std::string require_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') {
    ADD_FAILURE() << name << " is not set: start the local stack (scripts/stack.sh start) and "
                  << "source var/edgestream.env before running the integration tests";
    return {};
  }
  return value;
}

S3ClientConfig stack_config() {
  S3ClientConfig config;
  config.endpoint.endpoint_url = require_env("S3_ENDPOINT_URL");
  config.endpoint.bucket = require_env("S3_BUCKET");
  config.endpoint.region = require_env("AWS_REGION");
  config.endpoint.addressing = AddressingStyle::kAuto;
  config.transport.connect_timeout = std::chrono::seconds(5);
  config.transport.low_speed_time = std::chrono::seconds(10);
  return config;
}

std::unique_ptr<S3Client> stack_client(const S3ClientConfig& config) {
  CredentialsChainOptions options;  // the real chain, from the process environment
  auto credentials = make_default_credentials_chain(options);
  if (!credentials.ok()) {
    ADD_FAILURE() << credentials.error().message();
    return nullptr;
  }
  auto client = create_curl_s3_client(config, std::move(credentials).value());
  if (!client.ok()) {
    ADD_FAILURE() << client.error().message();
    return nullptr;
  }
  return std::move(client).value();
}

std::string unique_prefix(const std::string& test) {
  std::random_device random;
  return "s3-integration/" + test + "-" +
         std::to_string(std::chrono::system_clock::now().time_since_epoch().count()) + "-" +
         std::to_string(random()) + "/";
}

std::string random_bytes(std::size_t size, std::uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::string out(size, '\0');
  for (char& c : out) c = static_cast<char>(engine() & 0xff);
  return out;
}

// Independent of the client's own crypto wrapper: OpenSSL's one-shot EVP_Digest.
std::string md5_raw(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), out, &size, EVP_md5(), nullptr);
  return std::string(reinterpret_cast<char*>(out), size);
}
std::string to_hex(std::string_view bytes) {
  std::string out;
  char buffer[3];
  for (char c : bytes) {
    std::snprintf(buffer, sizeof buffer, "%02x", static_cast<unsigned char>(c));
    out += buffer;
  }
  return out;
}
std::string to_base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

class TempFile {
 public:
  explicit TempFile(std::string_view content) {
    path_ = std::filesystem::temp_directory_path() /
            ("edgestream-s3-test-" + std::to_string(::getpid()) + "-" +
             std::to_string(counter_++) + ".bin");
    std::ofstream(path_, std::ios::binary).write(content.data(),
                                                  static_cast<std::streamsize>(content.size()));
  }
  ~TempFile() { std::filesystem::remove(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

class S3Integration : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = stack_config();
    client_ = stack_client(config_);
    ASSERT_NE(client_, nullptr);
    prefix_ = unique_prefix(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override {
    if (!client_) return;
    auto objects = list_all(*client_, prefix_);
    if (!objects.ok()) return;
    for (const ObjectInfo& object : objects.value()) {
      EXPECT_TRUE(client_->delete_object(object.key).ok());
    }
  }

  S3ClientConfig config_;
  std::unique_ptr<S3Client> client_;
  std::string prefix_;
};

TEST_F(S3Integration, PutThenGetReturnsTheSameBytes) {
  const std::string key = prefix_ + "hello world+é&=.bin";  // characters that must be encoded
  const std::string body = random_bytes(100'000, 1);
  S3Result<PutResult> put = client_->put_object(key, body, PutOptions{});
  ASSERT_TRUE(put.ok()) << put.error().message();
  EXPECT_EQ(put.value().etag, to_hex(md5_raw(body)));  // single-PUT ETag is the MD5
  EXPECT_EQ(put.value().parts, 0u);

  S3Result<GetResult> got = client_->get_object(key);
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_EQ(got.value().body.size(), body.size());
  EXPECT_TRUE(got.value().body == body);

  S3Result<std::optional<ObjectInfo>> head = client_->head_object(key);
  ASSERT_TRUE(head.ok()) << head.error().message();
  ASSERT_TRUE(head.value().has_value());
  EXPECT_EQ(head.value()->size, body.size());

  ASSERT_TRUE(client_->delete_object(key).ok());
  S3Result<std::optional<ObjectInfo>> gone = client_->head_object(key);
  ASSERT_TRUE(gone.ok()) << gone.error().message();
  EXPECT_FALSE(gone.value().has_value());
}

TEST_F(S3Integration, TailGetReturnsTheLastBytesOrTheWholeShortObject) {
  const std::string key = prefix_ + "tail.bin";
  const std::string body = random_bytes(70'000, 7);
  ASSERT_TRUE(client_->put_object(key, body, PutOptions{}).ok());
  S3Result<GetResult> tail = client_->get_object_tail(key, 1000);
  ASSERT_TRUE(tail.ok()) << tail.error().message();
  EXPECT_TRUE(tail.value().body == body.substr(body.size() - 1000));
  S3Result<GetResult> all = client_->get_object_tail(key, 1'000'000);
  ASSERT_TRUE(all.ok()) << all.error().message();
  EXPECT_TRUE(all.value().body == body);
}

TEST_F(S3Integration, SmallFileUploadIsOneStreamedPut) {
  const std::string body = random_bytes(3 * kMiB + 17, 2);
  const TempFile file(body);
  S3Result<PutResult> put = client_->upload_file(prefix_ + "small.parquet", file.path(), PutOptions{});
  ASSERT_TRUE(put.ok()) << put.error().message();
  EXPECT_EQ(put.value().parts, 0u);
  S3Result<GetResult> got = client_->get_object(prefix_ + "small.parquet");
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_TRUE(got.value().body == body);
}

TEST_F(S3Integration, MultipartUploadOfTwelveMiBWithLoweredThreshold) {
  S3ClientConfig config = config_;
  config.multipart_threshold = kMinPartSize;
  config.part_size = kMinPartSize;
  std::unique_ptr<S3Client> client = stack_client(config);
  ASSERT_NE(client, nullptr);

  const std::string body = random_bytes(12 * kMiB + 12345, 3);
  const TempFile file(body);
  const std::string key = prefix_ + "big.parquet";
  S3Result<PutResult> put = client->upload_file(key, file.path(), PutOptions{});
  ASSERT_TRUE(put.ok()) << put.error().message();
  EXPECT_EQ(put.value().parts, 3u);  // 5 MiB + 5 MiB + the rest

  // The multipart ETag is MD5(MD5(part1) || MD5(part2) || MD5(part3)) "-3",
  // computed here independently from the bytes.
  std::string part_digests;
  for (std::size_t offset = 0; offset < body.size(); offset += kMinPartSize) {
    part_digests += md5_raw(std::string_view(body).substr(offset, kMinPartSize));
  }
  EXPECT_EQ(put.value().etag, to_hex(md5_raw(part_digests)) + "-3");

  S3Result<GetResult> got = client->get_object(key);
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_EQ(got.value().body.size(), body.size());
  EXPECT_TRUE(got.value().body == body);
}

TEST_F(S3Integration, MultipartWithWriterMd5MismatchIsRejectedAndLeavesNoObject) {
  S3ClientConfig config = config_;
  config.multipart_threshold = kMinPartSize;
  config.part_size = kMinPartSize;
  std::unique_ptr<S3Client> client = stack_client(config);
  ASSERT_NE(client, nullptr);
  const std::string body = random_bytes(6 * kMiB, 4);
  const TempFile file(body);
  PutOptions options;
  options.content_md5_base64 = to_base64(md5_raw("not the file"));
  const std::string key = prefix_ + "corrupt-local.parquet";
  S3Result<PutResult> put = client->upload_file(key, file.path(), options);
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().kind(), ErrorKind::kInvalidInput);
  S3Result<std::optional<ObjectInfo>> head = client->head_object(key);
  ASSERT_TRUE(head.ok()) << head.error().message();
  EXPECT_FALSE(head.value().has_value());
}

// The archiver's fencing rests on these: a conditional (If-None-Match: *)
// write of a key that exists is refused with 412 by the real server, for a
// single PutObject and for a multipart completion alike, and the existing
// object, with its metadata, is left exactly as it was.
TEST_F(S3Integration, WriteOncePutOfAnExistingKeyIsRefusedAndChangesNothing) {
  const std::string key = prefix_ + "once.parquet";
  const std::string first = random_bytes(200'000, 11);
  const TempFile first_file(first);
  PutOptions options;
  options.if_none_match = true;
  options.metadata = {{"edgestream-first-offset", "10"}, {"edgestream-end-offset", "20"}};
  S3Result<PutResult> put = client_->upload_file(key, first_file.path(), options);
  ASSERT_TRUE(put.ok()) << put.error().message();

  const TempFile second_file(random_bytes(100'000, 12));
  options.metadata = {{"edgestream-first-offset", "10"}, {"edgestream-end-offset", "15"}};
  S3Result<PutResult> again = client_->upload_file(key, second_file.path(), options);
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(again.error().key_exists()) << again.error().message();
  EXPECT_NE(again.error().kind(), ErrorKind::kRetriable);

  S3Result<GetResult> got = client_->get_object(key);
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_TRUE(got.value().body == first);
  S3Result<std::optional<ObjectInfo>> head = client_->head_object(key);
  ASSERT_TRUE(head.ok()) << head.error().message();
  ASSERT_TRUE(head.value().has_value());
  EXPECT_EQ(head.value()->metadata_value("edgestream-end-offset"), std::optional<std::string>("20"));
  EXPECT_EQ(head.value()->metadata_value("edgestream-first-offset"), std::optional<std::string>("10"));
}

TEST_F(S3Integration, WriteOnceMultipartCompletionOfAnExistingKeyIsRefusedAndChangesNothing) {
  S3ClientConfig config = config_;
  config.multipart_threshold = kMinPartSize;
  config.part_size = kMinPartSize;
  std::unique_ptr<S3Client> client = stack_client(config);
  ASSERT_NE(client, nullptr);
  const std::string key = prefix_ + "once-multipart.parquet";
  const std::string first = random_bytes(6 * kMiB, 13);
  const TempFile first_file(first);
  PutOptions options;
  options.if_none_match = true;
  options.metadata = {{"edgestream-end-offset", "200"}};
  S3Result<PutResult> put = client->upload_file(key, first_file.path(), options);
  ASSERT_TRUE(put.ok()) << put.error().message();
  EXPECT_EQ(put.value().parts, 2u);

  const TempFile second_file(random_bytes(7 * kMiB, 14));
  options.metadata = {{"edgestream-end-offset", "150"}};
  S3Result<PutResult> again = client->upload_file(key, second_file.path(), options);
  ASSERT_FALSE(again.ok());
  EXPECT_TRUE(again.error().key_exists()) << again.error().message();

  S3Result<GetResult> got = client->get_object(key);
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_TRUE(got.value().body == first);
  S3Result<std::optional<ObjectInfo>> head = client->head_object(key);
  ASSERT_TRUE(head.ok()) << head.error().message();
  ASSERT_TRUE(head.value().has_value());
  EXPECT_EQ(head.value()->metadata_value("edgestream-end-offset"), std::optional<std::string>("200"));
}

TEST_F(S3Integration, CancelledMultipartUploadIsAbortedBetweenPartsAndLeavesNoObject) {
  S3ClientConfig config = config_;
  config.multipart_threshold = kMinPartSize;
  config.part_size = kMinPartSize;
  std::unique_ptr<S3Client> client = stack_client(config);
  ASSERT_NE(client, nullptr);
  const TempFile file(random_bytes(11 * kMiB, 15));
  const std::string key = prefix_ + "cancelled.parquet";
  int polls = 0;
  PutOptions options;
  options.cancelled = [&polls] { return ++polls >= 2; };  // cancelled after the first part
  S3Result<PutResult> put = client->upload_file(key, file.path(), options);
  ASSERT_FALSE(put.ok());
  EXPECT_NE(put.error().message().find("cancelled"), std::string::npos) << put.error().message();
  EXPECT_EQ(polls, 2);
  S3Result<std::optional<ObjectInfo>> head = client->head_object(key);
  ASSERT_TRUE(head.ok()) << head.error().message();
  EXPECT_FALSE(head.value().has_value());
}

TEST_F(S3Integration, ListObjectsV2PaginatesWithContinuationTokens) {
  std::set<std::string> written;
  for (int i = 0; i < 7; ++i) {
    const std::string key = prefix_ + "obj-" + std::to_string(i);
    ASSERT_TRUE(client_->put_object(key, "x" + std::to_string(i), PutOptions{}).ok());
    written.insert(key);
  }
  std::set<std::string> listed;
  ListRequest request;
  request.prefix = prefix_;
  request.max_keys = 3;
  int pages = 0;
  for (;;) {
    S3Result<ListPage> page = client_->list_objects_v2(request);
    ASSERT_TRUE(page.ok()) << page.error().message();
    ++pages;
    EXPECT_LE(page.value().objects.size(), 3u);
    for (const ObjectInfo& object : page.value().objects) {
      EXPECT_TRUE(listed.insert(object.key).second) << "listed twice: " << object.key;
      EXPECT_EQ(object.size, 2u);
    }
    if (!page.value().truncated) break;
    ASSERT_FALSE(page.value().next_continuation_token.empty());
    request.continuation_token = page.value().next_continuation_token;
    ASSERT_LT(pages, 10);
  }
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(listed, written);
}

TEST_F(S3Integration, WrongSecretKeyIsAFatalAuthErrorThatSaysWhatToFix) {
  auto credentials = make_static_credentials(
      Credentials{require_env("AWS_ACCESS_KEY_ID"), "definitely-not-the-secret", "", std::nullopt},
      "test credentials");
  auto client = create_curl_s3_client(config_, std::move(credentials));
  ASSERT_TRUE(client.ok());
  S3Result<PutResult> put = client.value()->put_object(prefix_ + "denied", "x", PutOptions{});
  ASSERT_FALSE(put.ok());
  const S3Error& error = put.error();
  EXPECT_EQ(error.kind(), ErrorKind::kFatal);
  EXPECT_EQ(error.http_status(), 403);
  EXPECT_EQ(error.code(), "SignatureDoesNotMatch");
  EXPECT_NE(error.message().find("PutObject s3://" + config_.endpoint.bucket + "/" + prefix_ +
                                 "denied: 403 SignatureDoesNotMatch"),
            std::string::npos)
      << error.message();
  EXPECT_NE(error.message().find("secret access key"), std::string::npos) << error.message();
  EXPECT_EQ(error.message().find("definitely-not-the-secret"), std::string::npos);
}

TEST_F(S3Integration, CorruptedChecksumIsRejectedByTheServer) {
  // Content-MD5 of other bytes: the server must refuse to store the body.
  PutOptions options;
  options.content_md5_base64 = to_base64(md5_raw("other bytes"));
  const std::string key = prefix_ + "bad-md5";
  S3Result<PutResult> put = client_->put_object(key, "the real body", options);
  ASSERT_FALSE(put.ok()) << "the server accepted a body whose Content-MD5 is wrong";
  std::cout << "server rejected the MD5 mismatch with: " << put.error().message() << "\n";
  EXPECT_EQ(put.error().kind(), ErrorKind::kRetriable);
  EXPECT_EQ(put.error().cause(), RetryCause::kCorruption) << put.error().message();
  EXPECT_TRUE(put.error().code() == "BadDigest" || put.error().code() == "InvalidDigest")
      << put.error().message();
  S3Result<std::optional<ObjectInfo>> head = client_->head_object(key);
  ASSERT_TRUE(head.ok()) << head.error().message();
  EXPECT_FALSE(head.value().has_value()) << "the server stored a body that failed its checksum";
}

TEST_F(S3Integration, CorruptedSha256ChecksumIsRejectedByTheServer) {
  // Right Content-MD5 (computed by the client), wrong x-amz-checksum-sha256:
  // the server must verify the flexible checksum too.
  PutOptions options;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  const std::string other = "other bytes";
  EVP_Digest(other.data(), other.size(), digest, &size, EVP_sha256(), nullptr);
  options.checksum_sha256_base64 = to_base64(std::string(reinterpret_cast<char*>(digest), size));
  const std::string key = prefix_ + "bad-sha256";
  S3Result<PutResult> put = client_->put_object(key, "the real body", options);
  ASSERT_FALSE(put.ok()) << "the server accepted a body whose x-amz-checksum-sha256 is wrong";
  std::cout << "server rejected the SHA-256 mismatch with: " << put.error().message() << "\n";
  EXPECT_EQ(put.error().kind(), ErrorKind::kRetriable) << put.error().message();
  EXPECT_EQ(put.error().cause(), RetryCause::kCorruption) << put.error().message();
  S3Result<std::optional<ObjectInfo>> head = client_->head_object(key);
  ASSERT_TRUE(head.ok()) << head.error().message();
  EXPECT_FALSE(head.value().has_value());
}

// A loopback listener that completes TCP handshakes (the kernel does) but never
// reads or answers: what a cut link looks like from the client.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd_, 8) != 0) {
      ADD_FAILURE() << "cannot listen on loopback";
      return;
    }
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~SilentListener() {
    if (fd_ >= 0) ::close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(S3IntegrationNetwork, StalledServerIsDetectedByTheLowSpeedLimit) {
  const SilentListener listener;
  S3ClientConfig config = stack_config();
  config.endpoint.endpoint_url = "http://127.0.0.1:" + std::to_string(listener.port());
  config.transport.low_speed_limit_bytes_per_second = 1;
  config.transport.low_speed_time = std::chrono::seconds(1);
  auto client = create_curl_s3_client(
      config, make_static_credentials(Credentials{"AK", "SK", "", std::nullopt}, "test"));
  ASSERT_TRUE(client.ok());
  const auto start = std::chrono::steady_clock::now();
  S3Result<PutResult> put = client.value()->put_object("k", "x", PutOptions{});
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().kind(), ErrorKind::kRetriable);
  EXPECT_EQ(put.error().cause(), RetryCause::kTimeout) << put.error().message();
  EXPECT_GE(elapsed, std::chrono::milliseconds(900));
  EXPECT_LT(elapsed, std::chrono::seconds(10));
}

TEST(S3IntegrationNetwork, ClosedLoopbackPortIsRetriableNetwork) {
  // Bind a loopback port and close it again: nothing listens there afterwards.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const int port = ntohs(address.sin_port);
  ::close(fd);

  S3ClientConfig config = stack_config();
  config.endpoint.endpoint_url = "http://127.0.0.1:" + std::to_string(port);
  auto client = create_curl_s3_client(
      config, make_static_credentials(Credentials{"AK", "SK", "", std::nullopt}, "test"));
  ASSERT_TRUE(client.ok());
  S3Result<PutResult> put = client.value()->put_object("k", "x", PutOptions{});
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().kind(), ErrorKind::kRetriable);
  EXPECT_EQ(put.error().cause(), RetryCause::kNetwork) << put.error().message();
  EXPECT_NE(put.error().message().find("connect error"), std::string::npos) << put.error().message();

  // Through the retry helper: every attempt fails, the shared deadline ends it.
  SteadyClock clock;
  int attempts = 0;
  const auto start = std::chrono::steady_clock::now();
  S3Result<PutResult> retried = retry_with_deadline(
      "PutObject", RetryPolicy{std::chrono::milliseconds(10), std::chrono::milliseconds(50),
                               std::chrono::milliseconds(400)},
      clock, make_random_jitter(), Logger("test"), [&](const RetryContext&) {
        ++attempts;
        return client.value()->put_object("k", "x", PutOptions{});
      });
  EXPECT_FALSE(retried.ok());
  EXPECT_GE(attempts, 2);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

// A throw-away HTTPS server on loopback (openssl s_server -www) with a
// self-signed certificate for 127.0.0.1: not in any trust store, so a client
// that verifies must refuse it unless given the certificate as its CA bundle.
class SelfSignedTlsServer {
 public:
  SelfSignedTlsServer() {
    dir_ = std::filesystem::temp_directory_path() /
           ("edgestream-tls-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    const std::string make_cert =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
        "-addext subjectAltName=IP:127.0.0.1 -keyout " + (dir_ / "key.pem").string() +
        " -out " + cert().string() + " >/dev/null 2>&1";
    if (std::system(make_cert.c_str()) != 0) {
      ADD_FAILURE() << "openssl req failed";
      return;
    }
    port_ = free_port();
    pid_ = ::fork();
    if (pid_ == 0) {
      const int null = ::open("/dev/null", O_RDWR);
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
      const std::string port = std::to_string(port_);
      const std::string key = (dir_ / "key.pem").string();
      const std::string certificate = cert().string();
      ::execlp("openssl", "openssl", "s_server", "-quiet", "-www", "-accept", port.c_str(),
               "-cert", certificate.c_str(), "-key", key.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    // Poll until it accepts connections, within a deadline.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (can_connect()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "openssl s_server did not start listening on port " << port_;
  }
  ~SelfSignedTlsServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path cert() const { return dir_ / "cert.pem"; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }

 private:
  static int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
  }
  bool can_connect() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port_));
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return ok;
  }

  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

S3Result<GetResult> get_over_tls(const SelfSignedTlsServer& server, TransportConfig transport) {
  S3ClientConfig config;
  config.endpoint = {server.url(), "archive", "us-east-1", AddressingStyle::kPath};
  config.transport = std::move(transport);
  auto client = create_curl_s3_client(
      config, make_static_credentials(Credentials{"AK", "SK", "", std::nullopt}, "test"));
  if (!client.ok()) return client.error();
  return client.value()->get_object("k");
}

TEST(S3IntegrationTls, VerificationIsOnByDefaultAndTheCaBundleIsHonoured) {
  const SelfSignedTlsServer server;

  S3Result<GetResult> refused = get_over_tls(server, TransportConfig{});
  ASSERT_FALSE(refused.ok()) << "an unverifiable certificate was accepted";
  EXPECT_EQ(refused.error().kind(), ErrorKind::kFatal);
  EXPECT_NE(refused.error().message().find("TLS verification"), std::string::npos)
      << refused.error().message();

  TransportConfig with_ca;
  with_ca.ca_bundle = server.cert().string();
  S3Result<GetResult> trusted = get_over_tls(server, with_ca);
  ASSERT_TRUE(trusted.ok()) << trusted.error().message();
  EXPECT_FALSE(trusted.value().body.empty());  // s_server's status page

  TransportConfig insecure;
  insecure.insecure_skip_tls_verify = true;
  S3Result<GetResult> unverified = get_over_tls(server, insecure);
  EXPECT_TRUE(unverified.ok()) << unverified.error().message();
}

}  // namespace
}  // namespace edgestream::s3
