// The uploader thread: takes batches from the main thread and puts their
// files into S3, retrying forever, one batch at a time.
//
// Contract
//  - submit(), cancel(), take_done(), wait_idle() are called by the main
//    thread only; the S3 client is used by the uploader thread only.
//  - Blocking: submit/cancel/take_done never block on S3; wait_idle blocks up
//    to its timeout; stop() blocks until the S3 call in progress returns
//    (bounded by the transport's connect and low-speed timeouts).
//  - Order: jobs run in submission order. A job ends as kUploaded (every file
//    acknowledged by S3) or kCancelled (cancel() or stop()); it never fails:
//    retriable errors are retried with capped exponential backoff and full
//    jitter, errors no retry can fix (permissions, missing bucket) are logged
//    with what to do and retried at the cap, so an operator can fix them
//    without losing data.
//  - Cancellation takes effect between attempts, during backoff and between
//    the parts of a multipart upload (which is then aborted); a request
//    already sent runs to its end or its per-request deadline. That is safe
//    because every object is written once (If-None-Match: *): a late request
//    can only create a key nobody else has written, never replace an object.
//  - A key already taken is not an error: when the existing object holds the
//    same offset range (metadata written with it) the file counts as
//    uploaded; when it holds another range the job ends as kAdopt with that
//    range, and the main thread rebuilds the partition to continue after it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "archiver_metrics.h"
#include "edgestream/archiver/batch_sequencer.h"
#include "edgestream/archiver/layout.h"
#include "edgestream/archiver/record.h"
#include "edgestream/common/log.h"
#include "edgestream/s3/client.h"
#include "edgestream/s3/retry.h"

namespace edgestream::archiver {

struct UploadFile {
  std::filesystem::path path;
  std::string key;
  RecordKind kind = RecordKind::kReading;
  std::uint64_t bytes = 0;
  FileIdentity identity{};
  // The object holds every record of its kind and period with an offset in
  // [identity.first_offset, end_offset): the end of the batch it was cut in.
  // Stored with the object as metadata (kEndOffsetMetadata).
  std::int64_t end_offset = 0;
};

// kFirstOffsetMetadata and kEndOffsetMetadata (the offset range stored with
// each object) are part of the layout contract: layout.h.

// An object found in S3 under one of the job's keys, with another offset range.
struct ExistingRange {
  FileIdentity identity;
  std::int64_t end_offset = 0;
};

struct UploadJob {
  std::int32_t partition = 0;
  BatchId id = 0;
  std::vector<UploadFile> files;
};

struct UploadDone {
  // kAdopt: a key was taken by an object with another offset range
  // (`existing`); the job's remaining files were not uploaded.
  enum class Outcome : std::uint8_t { kUploaded, kCancelled, kAdopt };
  std::int32_t partition = 0;
  BatchId id = 0;
  Outcome outcome = Outcome::kUploaded;
  std::optional<ExistingRange> existing{};
};

struct UploadPolicy {
  // Each round of attempts shares one deadline (s3::retry_with_deadline); a
  // round that ends without success is followed by another, forever.
  s3::RetryPolicy round{std::chrono::milliseconds(200), std::chrono::seconds(30),
                        std::chrono::minutes(5)};
};

class Uploader {
 public:
  Uploader(std::unique_ptr<s3::S3Client> client, UploadPolicy policy, ArchiverMetrics& metrics);
  Uploader(const Uploader&) = delete;
  Uploader& operator=(const Uploader&) = delete;
  ~Uploader();  // stop()

  void submit(UploadJob job);
  // Drops `partition`'s queued job and makes its running job (if any) stop
  // retrying; a cancelled job reports kCancelled.
  void cancel(std::int32_t partition);
  // Finished jobs since the last call, in completion order.
  std::vector<UploadDone> take_done();
  // Waits until `partition` has no queued or running job, or the timeout
  // passes; true when it has none.
  bool wait_idle(std::int32_t partition, std::chrono::milliseconds timeout);
  // Waits until any job finishes (or the timeout passes).
  void wait_any_done(std::chrono::milliseconds timeout);
  // Cancels everything and joins the thread. Idempotent.
  void stop();

 private:
  // Backoff sleeps that a cancel() or stop() interrupts.
  class InterruptibleClock final : public s3::Clock {
   public:
    explicit InterruptibleClock(Uploader& owner) : owner_(owner) {}
    std::chrono::steady_clock::time_point now() override { return std::chrono::steady_clock::now(); }
    void sleep_for(std::chrono::milliseconds duration) override;

   private:
    Uploader& owner_;
  };

  void loop();
  UploadDone upload(const UploadJob& job);
  enum class FileOutcome : std::uint8_t { kUploaded, kCancelled, kAdopt };
  FileOutcome upload_file(const UploadFile& file,
                          std::optional<ExistingRange>& existing);
  // After a 412: reads the existing object's range. kUploaded when it equals
  // the file's, kAdopt when it differs, nullopt to try the upload again.
  std::optional<FileOutcome> inspect_existing(const std::string& what, const UploadFile& file,
                                              std::optional<ExistingRange>& existing);
  bool cancelled_locked() const;
  bool cancelled();

  std::unique_ptr<s3::S3Client> client_;
  UploadPolicy policy_;
  ArchiverMetrics& metrics_;
  Logger log_{"archiver.upload"};
  InterruptibleClock clock_{*this};
  s3::JitterSource jitter_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;       // uploader: new job, cancel, stop
  std::condition_variable finished_;   // main thread: a job finished
  std::deque<UploadJob> queue_;
  std::optional<std::int32_t> running_partition_;
  bool running_cancelled_ = false;
  bool stopping_ = false;
  std::vector<UploadDone> done_;
  std::thread thread_;  // last: started after everything above exists
};

}  // namespace edgestream::archiver
