// The uploader thread over a fake S3Client: files go up in order, retriable
// and fatal errors are retried (and counted by cause) until they clear, and
// cancel/stop end a job that cannot finish.
#include "uploader.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <deque>
#include <map>
#include <thread>
#include <mutex>

namespace edgestream::archiver {
namespace {

using namespace std::chrono_literals;

// Answers upload_file() from a script of errors, then succeeds; records keys.
class FakeS3 final : public s3::S3Client {
 public:
  const std::string& bucket() const override { return bucket_; }
  s3::S3Result<s3::PutResult> put_object(std::string_view, std::string_view,
                                         const s3::PutOptions&) override {
    return s3::S3Error(ErrorKind::kFatal, s3::RetryCause::kNone, "unused");
  }
  s3::S3Result<s3::PutResult> upload_file(std::string_view key, const std::filesystem::path&,
                                          const s3::PutOptions& options) override {
    std::lock_guard lock(mutex_);
    ++attempts_;
    if (options.if_none_match && objects_.contains(std::string(key))) {
      s3::S3Error taken(ErrorKind::kFatal, s3::RetryCause::kNone, "PreconditionFailed");
      taken.set_wire(412, "PreconditionFailed", "req-412");
      return taken;
    }
    if (fail_forever_) return s3::S3Error(ErrorKind::kRetriable, s3::RetryCause::kNetwork, "refused");
    if (!script_.empty()) {
      s3::S3Error error = script_.front();
      script_.pop_front();
      return error;
    }
    uploaded_.emplace_back(key);
    objects_[std::string(key)] = options.metadata;
    return s3::PutResult{"etag", 0, 1};
  }
  s3::S3Result<s3::GetResult> get_object(std::string_view) override {
    return s3::S3Error(ErrorKind::kFatal, s3::RetryCause::kNone, "unused");
  }
  s3::S3Result<std::optional<s3::ObjectInfo>> head_object(std::string_view key) override {
    std::lock_guard lock(mutex_);
    auto it = objects_.find(std::string(key));
    if (it == objects_.end()) return std::optional<s3::ObjectInfo>{};
    s3::ObjectInfo info;
    info.key = std::string(key);
    info.metadata = it->second;
    return std::optional<s3::ObjectInfo>(info);
  }
  // An object someone else wrote, with this metadata.
  void existing(const std::string& key, std::vector<std::pair<std::string, std::string>> metadata) {
    std::lock_guard lock(mutex_);
    objects_[key] = std::move(metadata);
  }
  void remove(const std::string& key) {
    std::lock_guard lock(mutex_);
    objects_.erase(key);
  }
  s3::S3Result<s3::ListPage> list_objects_v2(const s3::ListRequest&) override { return s3::ListPage{}; }
  s3::S3Status delete_object(std::string_view) override { return s3::Done{}; }

  void script(s3::S3Error error) {
    std::lock_guard lock(mutex_);
    script_.push_back(std::move(error));
  }
  void fail_forever(bool on) {
    std::lock_guard lock(mutex_);
    fail_forever_ = on;
  }
  std::vector<std::string> uploaded() {
    std::lock_guard lock(mutex_);
    return uploaded_;
  }
  int attempts() {
    std::lock_guard lock(mutex_);
    return attempts_;
  }

 private:
  std::string bucket_ = "bucket";
  std::mutex mutex_;
  std::deque<s3::S3Error> script_;
  bool fail_forever_ = false;
  std::vector<std::string> uploaded_;
  std::map<std::string, std::vector<std::pair<std::string, std::string>>> objects_;
  int attempts_ = 0;
};

double counter(prometheus::Registry& registry, const std::string& name, const std::string& label,
               const std::string& value) {
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      for (const auto& pair : metric.label) {
        if (pair.name == label && pair.value == value) return metric.counter.value;
      }
    }
  }
  return -1;
}

class UploaderTest : public ::testing::Test {
 protected:
  UploaderTest() : metrics_(registry_, 100) {
    auto fake = std::make_unique<FakeS3>();
    fake_ = fake.get();
    policy_.round = s3::RetryPolicy{1ms, 5ms, 200ms};
    client_ = std::move(fake);
  }
  std::unique_ptr<Uploader> make() {
    return std::make_unique<Uploader>(std::move(client_), policy_, metrics_);
  }
  static UploadJob job(std::int32_t partition, BatchId id, std::vector<std::string> keys) {
    UploadJob out{partition, id, {}};
    for (auto& key : keys) {
      out.files.push_back(UploadFile{"/nonexistent", key, RecordKind::kReading, 10,
                                     FileIdentity{RecordKind::kReading, partition, 100, EventTime{}}, 200});
    }
    return out;
  }
  std::vector<UploadDone> wait_done(Uploader& uploader, std::size_t count) {
    std::vector<UploadDone> all;
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (all.size() < count && std::chrono::steady_clock::now() < deadline) {
      uploader.wait_any_done(50ms);
      for (auto& done : uploader.take_done()) all.push_back(done);
    }
    return all;
  }

  prometheus::Registry registry_;
  ArchiverMetrics metrics_;
  UploadPolicy policy_;
  std::unique_ptr<s3::S3Client> client_;
  FakeS3* fake_ = nullptr;
};

TEST_F(UploaderTest, UploadsEveryFileOfAJobInOrder) {
  auto uploader = make();
  uploader->submit(job(0, 1, {"a", "b", "c"}));
  uploader->submit(job(1, 2, {"d"}));
  auto done = wait_done(*uploader, 2);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0].id, 1u);
  EXPECT_EQ(done[0].outcome, UploadDone::Outcome::kUploaded);
  EXPECT_EQ(done[1].id, 2u);
  EXPECT_EQ(fake_->uploaded(), (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(counter(registry_, "edgestream_archiver_files_uploaded_total", "kind", "reading"), 4);
}

TEST_F(UploaderTest, RetriableErrorsAreRetriedAndCountedByCause) {
  fake_->script(s3::S3Error(ErrorKind::kRetriable, s3::RetryCause::kNetwork, "refused"));
  fake_->script(s3::S3Error(ErrorKind::kRetriable, s3::RetryCause::kThrottled, "SlowDown"));
  auto uploader = make();
  uploader->submit(job(0, 1, {"a"}));
  auto done = wait_done(*uploader, 1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].outcome, UploadDone::Outcome::kUploaded);
  EXPECT_EQ(fake_->attempts(), 3);
  EXPECT_EQ(counter(registry_, "edgestream_archiver_upload_errors_total", "cause", "network"), 1);
  EXPECT_EQ(counter(registry_, "edgestream_archiver_upload_errors_total", "cause", "throttled"), 1);
  EXPECT_EQ(counter(registry_, "edgestream_archiver_upload_retries_total", "cause", "network"), 1);
  EXPECT_EQ(counter(registry_, "edgestream_archiver_upload_retries_total", "cause", "throttled"), 1);
}

TEST_F(UploaderTest, FatalErrorsAreRetriedAtTheCapUntilFixed) {
  s3::S3Error denied(ErrorKind::kFatal, s3::RetryCause::kNone, "AccessDenied; grant s3:PutObject");
  denied.set_wire(403, "AccessDenied", "req-1");
  fake_->script(denied);
  fake_->script(s3::S3Error(ErrorKind::kFatal, s3::RetryCause::kNone, "NoSuchBucket"));
  auto uploader = make();
  uploader->submit(job(0, 1, {"a"}));
  auto done = wait_done(*uploader, 1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].outcome, UploadDone::Outcome::kUploaded);
  EXPECT_EQ(fake_->uploaded(), std::vector<std::string>{"a"});
  EXPECT_EQ(counter(registry_, "edgestream_archiver_upload_errors_total", "cause", "auth"), 1);
  EXPECT_EQ(counter(registry_, "edgestream_archiver_upload_errors_total", "cause", "fatal"), 1);
}

TEST_F(UploaderTest, RetriesOutliveTheRoundDeadline) {
  // 200 ms per round; 300 attempts at <= 5 ms backoff each outlast several
  // rounds, and the job still ends in success once the fault clears.
  fake_->fail_forever(true);
  auto uploader = make();
  uploader->submit(job(0, 1, {"a"}));
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (fake_->attempts() < 300 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);  // polling the fake's counter, not synchronising
  }
  EXPECT_TRUE(uploader->take_done().empty()) << "a failing upload must not complete";
  fake_->fail_forever(false);
  auto done = wait_done(*uploader, 1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].outcome, UploadDone::Outcome::kUploaded);
}

TEST_F(UploaderTest, CancelEndsARetryingJobAndDropsQueuedOnesOfThePartition) {
  fake_->fail_forever(true);
  auto uploader = make();
  uploader->submit(job(0, 1, {"a"}));
  uploader->submit(job(0, 2, {"b"}));
  uploader->submit(job(1, 3, {"c"}));
  EXPECT_FALSE(uploader->wait_idle(0, 50ms));
  uploader->cancel(0);
  EXPECT_TRUE(uploader->wait_idle(0, 5s));
  fake_->fail_forever(false);
  auto done = wait_done(*uploader, 3);
  ASSERT_EQ(done.size(), 3u);
  std::map<BatchId, UploadDone::Outcome> outcome;
  for (const auto& d : done) outcome[d.id] = d.outcome;
  EXPECT_EQ(outcome[1], UploadDone::Outcome::kCancelled);
  EXPECT_EQ(outcome[2], UploadDone::Outcome::kCancelled);
  EXPECT_EQ(outcome[3], UploadDone::Outcome::kUploaded);
  EXPECT_EQ(fake_->uploaded(), std::vector<std::string>{"c"});
}

TEST_F(UploaderTest, StopCancelsEverything) {
  fake_->fail_forever(true);
  auto uploader = make();
  uploader->submit(job(0, 1, {"a"}));
  uploader->submit(job(1, 2, {"b"}));
  uploader->stop();
  auto done = uploader->take_done();
  ASSERT_EQ(done.size(), 2u);
  for (const auto& d : done) EXPECT_EQ(d.outcome, UploadDone::Outcome::kCancelled);
  EXPECT_TRUE(fake_->uploaded().empty());
}

TEST_F(UploaderTest, EveryUploadIsWriteOnceAndCarriesItsOffsetRange) {
  auto uploader = make();
  uploader->submit(job(0, 1, {"a"}));
  ASSERT_EQ(wait_done(*uploader, 1).size(), 1u);
  auto head = fake_->head_object("a");
  ASSERT_TRUE(head.ok() && head.value().has_value());
  EXPECT_EQ(head.value()->metadata_value(kFirstOffsetMetadata), std::optional<std::string>("100"));
  EXPECT_EQ(head.value()->metadata_value(kEndOffsetMetadata), std::optional<std::string>("200"));
}

TEST_F(UploaderTest, KeyTakenWithTheSameRangeCountsAsUploaded) {
  fake_->existing("a", {{kEndOffsetMetadata, "200"}});
  auto uploader = make();
  uploader->submit(job(0, 1, {"a", "b"}));
  auto done = wait_done(*uploader, 1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].outcome, UploadDone::Outcome::kUploaded);
  EXPECT_EQ(fake_->uploaded(), std::vector<std::string>{"b"});
  EXPECT_EQ(counter(registry_, "edgestream_archiver_existing_objects_total", "outcome", "identical"), 1);
}

TEST_F(UploaderTest, KeyTakenWithAnotherRangeEndsTheJobWithThatRangeAndUploadsNoMore) {
  fake_->existing("a", {{kEndOffsetMetadata, "350"}});
  auto uploader = make();
  uploader->submit(job(3, 1, {"a", "b"}));
  auto done = wait_done(*uploader, 1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].outcome, UploadDone::Outcome::kAdopt);
  ASSERT_TRUE(done[0].existing.has_value());
  EXPECT_EQ(done[0].existing->end_offset, 350);
  EXPECT_EQ(done[0].existing->identity.first_offset, 100);
  EXPECT_TRUE(fake_->uploaded().empty()) << "nothing replaced, nothing after the conflict";
  EXPECT_EQ(counter(registry_, "edgestream_archiver_existing_objects_total", "outcome", "adopted"), 1);
}

TEST_F(UploaderTest, KeyTakenByAnObjectWithoutARangeIsNeverReplaced) {
  fake_->existing("a", {});
  auto uploader = make();
  uploader->submit(job(0, 1, {"a"}));
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (fake_->attempts() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);  // polling the fake's counter, not synchronising
  }
  EXPECT_TRUE(uploader->take_done().empty()) << "it must wait for an operator, not overwrite";
  EXPECT_TRUE(fake_->uploaded().empty());
  fake_->remove("a");  // the operator moved it away
  auto done = wait_done(*uploader, 1);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].outcome, UploadDone::Outcome::kUploaded);
  EXPECT_EQ(fake_->uploaded(), std::vector<std::string>{"a"});
}

}  // namespace
}  // namespace edgestream::archiver
